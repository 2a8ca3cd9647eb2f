// Package mirrorrun runs mirrors: it fetches an upstream conda channel's
// index (repodata.json, or CEP-16 shards where offered, both conditionally),
// decides what to add and remove under the mirror's filters and the server's
// policy, downloads and verifies every new file into the blob store, and
// only then applies every row change in one transaction. A run that fails
// changes nothing that was served.
package mirrorrun

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"gatehouse/models"
	"gatehouse/models/blobs"
	"gatehouse/models/conda"
	"gatehouse/models/policy"
)

// Runner runs mirrors; one serves the whole process.
type Runner struct {
	Store  *models.Store
	Blobs  blobs.Store
	Client *http.Client
	// Snapshot gives the server-wide policy a run asks before storing
	// anything (nil: no policy).
	Snapshot func(ctx context.Context) (*policy.Snapshot, error)
	Log      *slog.Logger
	// MaxFile bounds one package; MaxIndex a repodata.json, shard index or
	// shard, compressed or not.
	MaxFile, MaxIndex int64
	// IndexTimeout bounds fetching one index or shard; FileTimeout one package.
	IndexTimeout, FileTimeout time.Duration
	// Lease is how long a claim lasts without being renewed.
	Lease time.Duration
	// Base is the context runs live in: it ends when the server stops.
	Base context.Context

	wg sync.WaitGroup
}

// New builds a Runner with the usual limits, asking the store's policy.
func New(store *models.Store, bs blobs.Store, client *http.Client, maxFile int64, log *slog.Logger) *Runner {
	return &Runner{Store: store, Blobs: bs, Client: client, Log: log, MaxFile: maxFile, MaxIndex: 512 << 20, Snapshot: store.PolicySnapshot,
		IndexTimeout: 5 * time.Minute, FileTimeout: 30 * time.Minute, Lease: 5 * time.Minute, Base: context.Background()}
}

// Who started a run, for the audit log (zero for the schedule).
type Who struct {
	ActorID    uint
	ActorEmail string
	IP         string
}

// Start claims mirror m and runs it in the background (in Base, not ctx,
// which only bounds the claim); done closes when the run is recorded. A mirror already running is models.ErrClaimed.
func (r *Runner) Start(ctx context.Context, m *models.Mirror, trigger string, who Who) (*models.MirrorRun, <-chan struct{}, error) {
	run, err := r.Store.ClaimMirror(ctx, m.ID, trigger, r.Lease)
	if err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(done)
		r.run(r.Base, m, run, who)
	}()
	return run, done, nil
}

// Wait waits for every run started to be recorded.
func (r *Runner) Wait() { r.wg.Wait() }

// Loop runs due mirrors every interval until ctx ends.
func (r *Runner) Loop(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r.RunDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs, one after another, the scheduled mirrors that are due and
// that this instance manages to claim.
func (r *Runner) RunDue(ctx context.Context) {
	due, err := r.Store.DueMirrors(ctx, 20)
	if err != nil {
		if ctx.Err() == nil {
			r.Log.Warn("mirrors: unable to list due mirrors", "err", err)
		}
		return
	}
	for i := range due {
		_, done, err := r.Start(ctx, &due[i], "schedule", Who{ActorEmail: "schedule"})
		if err != nil {
			continue // another instance took it, or it is gone
		}
		select {
		case <-done:
		case <-ctx.Done():
			return
		}
	}
}

// stats are a run's counts.
type stats struct {
	added, removed, unchanged, requests, notModified int
	refusals                                         []models.Refusal
}

func (st *stats) refuse(subdir, fn, reason string) {
	st.refusals = append(st.refusals, models.Refusal{Subdir: subdir, Filename: fn, Reason: reason})
}

// state is what a mirror remembers between runs, per subdir.
type state struct {
	Subdirs map[string]*subdirState `json:"subdirs"`
}

type subdirState struct {
	ETag         string            `json:"etag,omitempty"`
	LastModified string            `json:"last_modified,omitempty"`
	ShardsETag   string            `json:"shards_etag,omitempty"`
	Shards       map[string]string `json:"shards,omitempty"` // name → shard sha256 hex
}

// run does one run under a claim and records it, whatever happens.
func (r *Runner) run(ctx context.Context, m *models.Mirror, run *models.MirrorRun, who Who) {
	hb, stop := context.WithCancel(ctx)
	go r.heartbeat(hb, m.ID)
	st := &stats{}
	newState, err := r.do(ctx, m, st)
	stop()
	run.Added, run.Removed, run.Unchanged, run.Refused = st.added, st.removed, st.unchanged, len(st.refusals)
	run.Requests, run.NotModified = st.requests, st.notModified
	if len(st.refusals) > 200 {
		st.refusals = st.refusals[:200]
	}
	b, _ := json.Marshal(st.refusals)
	if st.refusals == nil {
		b = []byte("[]")
	}
	run.Refusals = string(b)
	run.Status = models.RunOK
	if err != nil {
		run.Status, run.Added, run.Removed, newState = models.RunFailed, 0, 0, ""
		run.Error = message(err)
		r.Log.Warn("mirrors: run failed", "mirror", m.ID, "err", run.Error)
	}
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.Store.FinishRun(rec, m, run, newState); err != nil {
		r.Log.Error("mirrors: unable to record a run", "mirror", m.ID, "err", err)
	}
	target, _ := r.Store.MirrorTarget(rec, m)
	details := map[string]any{"mirror_id": m.ID, "run_id": run.ID, "trigger": run.Trigger, "status": run.Status,
		"added": run.Added, "removed": run.Removed, "unchanged": run.Unchanged, "refused": run.Refused}
	if run.Error != "" {
		details["error"] = run.Error
	}
	if err := r.Store.Record(rec, models.Audit{ActorID: who.ActorID, ActorEmail: who.ActorEmail, IP: who.IP,
		Action: "mirror.run", Target: target, Details: details}); err != nil {
		r.Log.Error("audit: unable to record", "action", "mirror.run", "err", err)
	}
}

// message is what a failed run shows: our own words for internal faults.
func message(err error) string {
	var fe *fetchError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &fe):
		return fe.msg
	case errors.As(err, &ce):
		return ce.Message
	case errors.Is(err, context.Canceled):
		return "The run was stopped: the server shut down."
	case errors.Is(err, blobs.ErrUnavailable):
		return "The artifact storage was unreachable; nothing was changed."
	case errors.Is(err, models.ErrNotFound):
		return "The mirror's channel or subchannel is gone."
	}
	return "An internal error stopped the run; nothing was changed (see the server log)."
}

func (r *Runner) heartbeat(ctx context.Context, id uint) {
	t := time.NewTicker(r.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.Store.ExtendClaim(ctx, id, r.Lease); err != nil && ctx.Err() == nil {
				r.Log.Warn("mirrors: unable to extend a claim", "mirror", id, "err", err)
			}
		}
	}
}

// filters are a mirror's settings, ready to apply.
type filters struct {
	include, exclude, licenses []string
	versions                   conda.VersionSpec
	maxSeverity                policy.Severity
	policy                     *policy.Snapshot
}

func (r *Runner) filtersOf(ctx context.Context, sp models.MirrorSpec) (*filters, error) {
	f := &filters{include: sp.Include, exclude: sp.Exclude, licenses: sp.Licenses}
	var err error
	if f.versions, err = conda.ParseVersionSpec(sp.Versions); err != nil {
		return nil, err
	}
	if sp.MaxSeverity != "" {
		if f.maxSeverity, err = policy.ParseSeverity(sp.MaxSeverity); err != nil {
			return nil, err
		}
	}
	if r.Snapshot != nil {
		if f.policy, err = r.Snapshot(ctx); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// wanted says whether the mirror's filters keep a record; refusal is the
// server policy's reason to refuse one they keep.
func (f *filters) wanted(rec upstreamRecord) (keep bool, refusal string) {
	if len(f.include) > 0 && !matchAny(f.include, rec.Name) || matchAny(f.exclude, rec.Name) {
		return false, ""
	}
	if !f.versions.Match(rec.Version) {
		return false, ""
	}
	if len(f.licenses) > 0 && !slices.ContainsFunc(f.licenses, func(l string) bool {
		return strings.EqualFold(l, policy.NormalizeLicense(rec.License))
	}) {
		return false, ""
	}
	if f.maxSeverity != policy.None && f.policy.Worst(rec.Name, rec.Version) >= f.maxSeverity {
		return false, ""
	}
	return true, f.policy.LicenseRefusal(rec.License)
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// do is the run: plan every subdir, download, then apply. It returns the
// state the next run starts from.
func (r *Runner) do(ctx context.Context, m *models.Mirror, st *stats) (string, error) {
	sp := m.Spec()
	f, err := r.filtersOf(ctx, sp)
	if err != nil {
		return "", err
	}
	var old state
	_ = json.Unmarshal([]byte(m.State), &old)
	if old.Subdirs == nil {
		old.Subdirs = map[string]*subdirState{}
	}
	subdirs := sp.Subdirs
	if len(subdirs) == 0 {
		if subdirs, err = r.upstreamSubdirs(ctx, sp.URL, st); err != nil {
			return "", err
		}
	}
	next := state{Subdirs: map[string]*subdirState{}}
	var plan []*subdirPlan
	for _, sd := range subdirs {
		p, err := r.planSubdir(ctx, m, sp.URL, sd, old.Subdirs[sd], f, st)
		if err != nil {
			return "", err
		}
		next.Subdirs[sd] = p.state
		plan = append(plan, p)
	}
	change, staged, err := r.download(ctx, plan, f, st)
	defer func() {
		for _, s := range staged {
			s.Discard()
		}
	}()
	if err != nil {
		return "", err
	}
	if err := r.Store.ApplyMirror(ctx, m, change); err != nil {
		return "", err
	}
	st.added, st.removed = len(change.Add), len(change.Remove)
	b, _ := json.Marshal(next)
	return string(b), nil
}

// upstreamSubdirs asks channeldata.json which subdirs the upstream has.
func (r *Runner) upstreamSubdirs(ctx context.Context, base string, st *stats) ([]string, error) {
	b, status, _, _, err := r.fetchSmall(ctx, base+"/channeldata.json", "channeldata.json", "", "", r.MaxIndex, st)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, &fetchError{msg: "the upstream has no channeldata.json to list its subdirs; name the subdirs to mirror"}
	}
	var cd struct {
		Subdirs []string `json:"subdirs"`
	}
	if err := json.Unmarshal(b, &cd); err != nil {
		return nil, &fetchError{msg: "channeldata.json is not valid JSON"}
	}
	var out []string
	for _, s := range cd.Subdirs {
		if conda.LooksLikeSubdir(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// subdirPlan is what one subdir's run will do.
type subdirPlan struct {
	subdir string
	state  *subdirState
	fetch  []upstreamRecord // to download and add
	remove []models.Artifact
}

// retry makes the next run look at name again, though the upstream may
// not change it: a refusal is reported every run until it is resolved.
func (p *subdirPlan) retry(name string) {
	if p.state.Shards != nil {
		delete(p.state.Shards, name)
		p.state.ShardsETag = ""
		return
	}
	p.state.ETag, p.state.LastModified = "", ""
}

// planSubdir reads a subdir's upstream index (only what changed) and
// compares it with what the place holds.
func (r *Runner) planSubdir(ctx context.Context, m *models.Mirror, base, sd string, old *subdirState, f *filters, st *stats) (*subdirPlan, error) {
	if old == nil {
		old = &subdirState{}
	}
	p := &subdirPlan{subdir: sd, state: old}
	recs, scope, changed, err := r.readIndex(ctx, base, sd, old, p, st)
	if err != nil {
		return nil, err
	}
	held, err := r.Store.PlaceArtifacts(ctx, m.ChannelID, m.SubchannelID, sd)
	if err != nil {
		return nil, err
	}
	mine := 0
	for _, a := range held {
		if a.MirrorID == m.ID {
			mine++
		}
	}
	if !changed {
		st.unchanged += mine
		return p, nil
	}
	byName := map[string]*models.Artifact{}
	for i := range held {
		byName[held[i].Filename] = &held[i]
	}
	wanted, kept := map[string]bool{}, map[string]bool{}
	for _, rec := range recs {
		keep, refusal := f.wanted(rec)
		if !keep {
			continue
		}
		if reason := badRecord(rec, sd, r.MaxFile); reason != "" {
			st.refuse(sd, rec.Filename, reason)
			p.retry(rec.Name)
			continue
		}
		if refusal != "" {
			st.refuse(sd, rec.Filename, refusal)
			p.retry(rec.Name)
			continue
		}
		a := byName[rec.Filename]
		switch {
		case a == nil:
			wanted[rec.Filename] = true
			p.fetch = append(p.fetch, rec)
		case a.SHA256 == rec.SHA256:
			wanted[rec.Filename] = true
		case a.MirrorID == m.ID:
			kept[rec.Filename] = true
			st.refuse(sd, rec.Filename, "The upstream changed this file's bytes under the same name; the file already served is kept.")
			p.retry(rec.Name)
		default:
			st.refuse(sd, rec.Filename, "A different file of this name is already here (uploaded, or from another mirror).")
			p.retry(rec.Name)
		}
	}
	for _, a := range held {
		if a.MirrorID != m.ID || wanted[a.Filename] || kept[a.Filename] || scope != nil && !scope[a.Name] {
			continue
		}
		p.remove = append(p.remove, a)
	}
	st.unchanged += mine - len(p.remove)
	return p, nil
}

// badRecord says what makes an upstream record unusable, or "".
func badRecord(rec upstreamRecord, sd string, maxFile int64) string {
	switch {
	case conda.FormatOf(rec.Filename) == conda.Unknown || rec.Filename != path.Base(rec.Filename) || len(rec.Filename) > 255 || strings.ContainsAny(rec.Filename, "\\\x00"):
		return "Not a conda package file name."
	case rec.Subdir != "" && rec.Subdir != sd:
		return fmt.Sprintf("The upstream lists it under %s but says its subdir is %s.", sd, rec.Subdir)
	case len(rec.SHA256) != 64 || !isHex(rec.SHA256):
		return "The upstream gives no sha256 for it, so it cannot be verified."
	case rec.Size <= 0:
		return "The upstream gives no size for it."
	case rec.Size > maxFile:
		return fmt.Sprintf("Larger than the artifact size limit of %d bytes.", maxFile)
	}
	return ""
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// readIndex fetches a subdir's index: the shard index and the shards that
// changed where the upstream offers them, else repodata.json. changed is
// false when nothing changed since the last run; scope, when not nil,
// limits the package names the records cover (the rest stay as they are).
func (r *Runner) readIndex(ctx context.Context, base, sd string, old *subdirState, p *subdirPlan, st *stats) (recs []upstreamRecord, scope map[string]bool, changed bool, err error) {
	subURL := base + "/" + sd
	ixURL := subURL + "/" + conda.ShardIndexFile
	etag := ""
	if old.Shards != nil {
		etag = old.ShardsETag
	}
	b, status, newETag, _, err := r.fetchSmall(ctx, ixURL, sd+"/"+conda.ShardIndexFile, etag, "", r.MaxIndex, st)
	if err != nil {
		return nil, nil, false, err
	}
	switch status {
	case http.StatusNotModified:
		return nil, nil, false, nil
	case http.StatusOK:
		return r.readShards(ctx, b, ixURL, sd, old, newETag, p, st)
	}
	// No shards: repodata.json, conditionally.
	b, status, newETag, newMod, err := r.fetchSmall(ctx, subURL+"/repodata.json", sd+"/repodata.json", old.ETag, old.LastModified, r.MaxIndex, st)
	if err != nil {
		return nil, nil, false, err
	}
	switch status {
	case http.StatusNotModified:
		return nil, nil, false, nil
	case http.StatusNotFound:
		return nil, nil, false, &fetchError{msg: sd + "/repodata.json: the upstream has no such subdir (404)"}
	}
	recs, err = parseRepodata(b, subURL)
	if err != nil {
		return nil, nil, false, err
	}
	p.state = &subdirState{ETag: newETag, LastModified: newMod}
	return recs, nil, true, nil
}

// readShards fetches the shards whose hash differs from the last run's.
func (r *Runner) readShards(ctx context.Context, b []byte, ixURL, sd string, old *subdirState, etag string, p *subdirPlan, st *stats) ([]upstreamRecord, map[string]bool, bool, error) {
	ix, err := parseShardIndex(b, r.MaxIndex)
	if err != nil {
		return nil, nil, false, err
	}
	pkgBase, err := resolve(ixURL, ix.Info.BaseURL)
	if err != nil {
		return nil, nil, false, &fetchError{msg: "the shard index names a base_url that is not a URL"}
	}
	shardBase, err := resolve(ixURL, ix.Info.ShardsBaseURL)
	if err != nil {
		return nil, nil, false, &fetchError{msg: "the shard index names a shards_base_url that is not a URL"}
	}
	ns := &subdirState{ShardsETag: etag, Shards: map[string]string{}}
	scope := map[string]bool{}
	var recs []upstreamRecord
	for name, h := range ix.Shards {
		sum := hex.EncodeToString(h)
		ns.Shards[name] = sum
		if old.Shards != nil && old.Shards[name] == sum {
			continue
		}
		scope[name] = true
		sb, status, _, _, err := r.fetchSmall(ctx, shardBase+sum+conda.ShardSuffix, sd+" shard of "+name, "", "", r.MaxIndex, st)
		if err != nil {
			return nil, nil, false, err
		}
		if status != http.StatusOK {
			return nil, nil, false, &fetchError{msg: fmt.Sprintf("%s shard of %s: the upstream answered %d", sd, name, status)}
		}
		rs, err := parseShard(sb, sum, pkgBase, r.MaxIndex)
		if err != nil {
			return nil, nil, false, err
		}
		for _, rec := range rs {
			if rec.Name == name {
				recs = append(recs, rec)
			}
		}
	}
	if old.Shards == nil {
		scope = nil // the first sharded run sees every name
	} else {
		for name := range old.Shards {
			if _, ok := ix.Shards[name]; !ok {
				scope[name] = true // gone upstream
			}
		}
	}
	p.state = ns
	return recs, scope, old.Shards == nil || len(scope) > 0, nil
}

// download fetches and verifies every file the plan adds, into staging,
// and puts each under its blob name. A transport failure fails the run;
// a file that fails verification is refused.
func (r *Runner) download(ctx context.Context, plan []*subdirPlan, f *filters, st *stats) (models.MirrorChange, []*blobs.Staged, error) {
	var change models.MirrorChange
	var staged []*blobs.Staged
	byArtifact := map[*models.Artifact]*blobs.Staged{}
	for _, p := range plan {
		change.Remove = append(change.Remove, p.remove...)
		for _, rec := range p.fetch {
			s, ix, reason, err := r.fetchFile(ctx, rec, p.subdir, f, st)
			if err != nil {
				return change, staged, err
			}
			if reason != "" {
				st.refuse(p.subdir, rec.Filename, reason)
				p.retry(rec.Name)
				continue
			}
			staged = append(staged, s)
			a := models.NewArtifact(&models.Channel{}, nil, rec.Filename, ix, s.SHA256, s.MD5, s.Size)
			byArtifact[a] = s
			change.Add = append(change.Add, a)
		}
	}
	// Blobs are put only now, all downloads done, so that none is older
	// than the sweep's grace when the rows that use it commit.
	for _, s := range staged {
		if _, err := r.Blobs.Put(ctx, s); err != nil {
			return change, staged, err
		}
	}
	change.Place = func(a *models.Artifact) error {
		_, err := r.Blobs.Put(ctx, byArtifact[a])
		return err
	}
	return change, staged, nil
}

// fetchFile downloads one package into staging and verifies it: size and
// sha256 (and md5 when given) as the upstream lists them, then read as a
// package the way uploads are, agreeing with the record.
func (r *Runner) fetchFile(ctx context.Context, rec upstreamRecord, sd string, f *filters, st *stats) (*blobs.Staged, *conda.Index, string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.FileTimeout)
	defer cancel()
	what := sd + "/" + rec.Filename
	resp, err := r.get(ctx, rec.URL, "", "", st)
	if err != nil {
		return nil, nil, "", fetchFault(what, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil, "The upstream lists this file but does not serve it (404).", nil
	case resp.StatusCode != http.StatusOK:
		return nil, nil, "", &fetchError{msg: fmt.Sprintf("%s: the upstream answered %s", what, resp.Status)}
	case resp.ContentLength >= 0 && resp.ContentLength != rec.Size:
		return nil, nil, fmt.Sprintf("The upstream sends %d bytes but lists %d.", resp.ContentLength, rec.Size), nil
	}
	s, err := r.Blobs.Stage(resp.Body, rec.Size)
	switch {
	case errors.Is(err, blobs.ErrTooLarge):
		return nil, nil, fmt.Sprintf("The upstream sends more than the %d bytes it lists.", rec.Size), nil
	case err != nil && errors.Is(err, io.ErrUnexpectedEOF) || err != nil && ctx.Err() != nil:
		return nil, nil, "", fetchFault(what, err)
	case err != nil:
		return nil, nil, "", fetchFault(what, err)
	}
	reason := ""
	var ix *conda.Index
	switch {
	case s.Size != rec.Size:
		reason = fmt.Sprintf("The upstream sent %d bytes but lists %d.", s.Size, rec.Size)
	case s.SHA256 != rec.SHA256:
		reason = "The file's sha256 does not match the upstream's index."
	case rec.MD5 != "" && s.MD5 != rec.MD5:
		reason = "The file's md5 does not match the upstream's index."
	}
	if reason == "" {
		format := conda.FormatOf(rec.Filename)
		ix, err = conda.ReadIndex(s.ReaderAt(), s.Size, format, conda.DefaultLimits)
		switch {
		case err != nil && conda.IsArchiveError(err):
			reason = "Not a valid conda package: " + err.Error()
		case err != nil:
			s.Discard()
			return nil, nil, "", err
		case ix.Filename(format) != rec.Filename || ix.Subdir != sd:
			reason = fmt.Sprintf("The package's info/index.json names %s in %s.", ix.Filename(format), ix.Subdir)
		default:
			reason = f.policy.LicenseRefusal(ix.License) // the package's own word, not only the index's
		}
	}
	if reason != "" {
		s.Discard()
		return nil, nil, reason, nil
	}
	return s, ix, "", nil
}
