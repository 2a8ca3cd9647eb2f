package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/blobs"
	"gatehouse/models/conda"
	"gatehouse/views/components"
	"gatehouse/views/pages/channels"
	"gatehouse/web"
)

// ArtifactJSON is an artifact as the API shows it.
type ArtifactJSON struct {
	Channel     string    `json:"channel"`
	Subchannel  string    `json:"subchannel,omitempty"`
	Subdir      string    `json:"subdir"`
	Filename    string    `json:"filename"`
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Build       string    `json:"build"`
	BuildNumber int       `json:"build_number"`
	Depends     []string  `json:"depends"`
	License     string    `json:"license"`
	Summary     string    `json:"summary,omitempty"`
	Home        string    `json:"home,omitempty"`
	Timestamp   int64     `json:"timestamp"`
	Size        int64     `json:"size"`
	MD5         string    `json:"md5"`
	SHA256      string    `json:"sha256"`
	URL         string    `json:"url"`
	CreatedAt   time.Time `json:"created_at"`
	// Vulnerabilities are the records affecting it, for callers who may
	// see them (cve:view); omitted for others.
	Vulnerabilities []VulnRef `json:"vulnerabilities,omitempty"`
	WorstSeverity   string    `json:"worst_severity,omitempty"`
}

func artifactJSON(p place, a *models.Artifact) ArtifactJSON {
	return ArtifactJSON{
		Channel: p.Ch.Name, Subchannel: p.SubName(), Subdir: a.Subdir, Filename: a.Filename,
		Name: a.Name, Version: a.Version, Build: a.Build, BuildNumber: a.BuildNumber, Depends: a.DependsList(),
		License: a.License, Summary: a.Summary, Home: a.Home, Timestamp: a.Timestamp, Size: a.Size, MD5: a.MD5, SHA256: a.SHA256,
		URL: "/api/repo/" + p.Path() + "/" + a.Subdir + "/" + url.PathEscape(a.Filename), CreatedAt: a.CreatedAt,
	}
}

// upload is what an upload request carries besides the file.
type upload struct {
	Sub       string
	Subdir    string // optional: must agree with index.json when given
	Overwrite bool
}

// receive streams the multipart body: the "file" part is staged (hashed,
// size-capped) beside the blobs; the small fields count before or after it.
// A browser's upload must prove it comes from our own pages before a byte
// of the package is read: by its Sec-Fetch-Site header, the X-CSRF-Token
// header, or "_csrf" as the first field. The caller must Discard the
// staged file.
func (h *Handlers) receive(c echo.Context) (*blobs.Staged, string, upload, error) {
	req := c.Request()
	in := upload{Sub: c.QueryParam("subchannel"), Subdir: c.QueryParam("subdir"), Overwrite: c.QueryParam("overwrite") == "true"}
	field := func(name, v string) {
		switch name {
		case "subchannel":
			in.Sub = v
		case "subdir":
			in.Subdir = v
		case "overwrite":
			in.Overwrite = v == "true" || v == "on"
		}
	}
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, "", in, web.Fail(http.StatusBadRequest, "Send the package as multipart/form-data with the field \"file\".")
	}
	proven := !h.needsCSRF(c) || web.ValidCSRF(c, req.Header.Get("X-CSRF-Token"))
	var st *blobs.Staged
	var filename string
	fail := func(err error) (*blobs.Staged, string, upload, error) {
		if st != nil {
			st.Discard()
		}
		return nil, "", in, err
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(bodyFault(err))
		}
		if !web.Storable(part.FormName()) || !web.Storable(part.FileName()) {
			return fail(web.Fail(http.StatusBadRequest, "Field and file names must be valid UTF-8 without NUL characters."))
		}
		if !proven {
			v, _ := io.ReadAll(io.LimitReader(part, 256))
			if part.FormName() != "_csrf" || !web.ValidCSRF(c, string(v)) {
				return fail(web.ErrCSRF)
			}
			proven = true
			continue
		}
		if part.FormName() == "file" {
			if st != nil {
				return fail(web.Fail(http.StatusBadRequest, "Send one package per upload: the field \"file\" appears twice."))
			}
			if st, err = h.stage(part); err != nil {
				return fail(err)
			}
			filename = part.FileName()
			continue
		}
		// Fields count wherever they are (curl sends them in argument order).
		v, err := io.ReadAll(io.LimitReader(part, 1024))
		if err != nil {
			return fail(bodyFault(err))
		}
		field(part.FormName(), string(v))
	}
	if !proven {
		return fail(web.ErrCSRF)
	}
	if st == nil {
		return nil, "", in, web.Fail(http.StatusBadRequest, "Attach the package as the multipart field \"file\".")
	}
	return st, filename, in, nil
}

// needsCSRF reports whether an upload must prove it comes from our own
// form: one made with the session cookie, not with an access token.
func (h *Handlers) needsCSRF(c echo.Context) bool { return !web.ActorOf(c).ViaToken() }

// uploadSlot takes one of the slots for uploads in progress, or refuses
// with 429 when all are taken: each upload spools to disk and reads its
// archive, so their number is bounded. Call release when done.
func (h *Handlers) uploadSlot(c echo.Context) (release func(), err error) {
	select {
	case h.uploads <- struct{}{}:
		return func() { <-h.uploads }, nil
	default:
		c.Response().Header().Set("Retry-After", "5")
		return nil, web.Fail(http.StatusTooManyRequests, "Too many uploads are in progress; try again in a few seconds.")
	}
}

func (h *Handlers) stage(r io.Reader) (*blobs.Staged, error) {
	st, err := h.Blobs.Stage(r, h.Cfg.MaxUpload)
	if errors.Is(err, blobs.ErrTooLarge) {
		return nil, web.Fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The package is larger than the upload limit of %d bytes.", h.Cfg.MaxUpload))
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, io.ErrUnexpectedEOF) || err != nil && strings.Contains(err.Error(), "multipart") {
		return nil, bodyFault(err) // the client's body, not our disk
	}
	return st, err
}

// storageFault turns an outage of the artifact storage into a 503 the
// caller can retry; other errors pass through.
func (h *Handlers) storageFault(c echo.Context, err error) error {
	if !errors.Is(err, blobs.ErrUnavailable) {
		return err
	}
	c.Response().Header().Set("Retry-After", "10")
	fault := web.FailCode(http.StatusServiceUnavailable, "storage_unavailable", "The artifact storage is unreachable at the moment; nothing was changed. Try again shortly.")
	return fmt.Errorf("%w (%v)", fault, err) // the one error log line keeps the cause
}

// bodyFault explains a failure to read the request body: too large is a
// 413; anything else the client sent wrong (a cut, a broken part header)
// is a 400.
func bodyFault(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return web.Fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is larger than %d bytes.", mbe.Limit))
	}
	return web.Fail(http.StatusBadRequest, "The multipart body is malformed or cut short.")
}

// store checks a staged package and records it in place p. Nothing is kept
// when anything is wrong: not the staged file, not a new blob, not a row.
func (h *Handlers) storeArtifact(c echo.Context, p place, st *blobs.Staged, filename string, in upload) (*models.Artifact, error) {
	filename = path.Base(strings.ReplaceAll(filename, "\\", "/"))
	format := conda.FormatOf(filename)
	if format == conda.Unknown {
		return nil, models.Invalid("file", "Only .conda and .tar.bz2 packages can be uploaded (got %q).", filename)
	}
	ix, err := conda.ReadIndex(st.ReaderAt(), st.Size, format, conda.DefaultLimits)
	if err != nil {
		if conda.IsArchiveError(err) {
			return nil, models.Invalid("file", "%s", err.Error())
		}
		return nil, err
	}
	if want := ix.Filename(format); filename != want {
		return nil, models.Invalid("file", "The file name %q does not match info/index.json, which names %q.", filename, want)
	}
	if in.Subdir != "" && in.Subdir != ix.Subdir {
		return nil, models.Invalid("subdir", "info/index.json says subdir %q, but the upload was for %q.", ix.Subdir, in.Subdir)
	}
	ctx := c.Request().Context()
	pol, err := h.Store.PolicySnapshot(ctx)
	if err != nil {
		return nil, err
	}
	if why := pol.LicenseRefusal(ix.License); why != "" {
		return nil, models.Invalid("file", "%s %s is not stored.", why, filename)
	}
	a := models.NewArtifact(p.Ch, p.Sub, filename, ix, st.SHA256, st.MD5, st.Size)
	uploader := web.ActorOf(c).User.ID
	a.UploaderID = &uploader
	// The validated file gets its final name before the row's transaction
	// (sending it to S3 takes a while), and again inside it, under the
	// blob's lock, in case a concurrent delete collected it between.
	created, err := h.Blobs.Put(ctx, st)
	if err != nil {
		return nil, h.storageFault(c, err)
	}
	replaced, err := h.Store.AddArtifactWith(ctx, a, in.Overwrite, func() error {
		again, err := h.Blobs.Put(ctx, st)
		created = created || again
		return err
	})
	if err != nil {
		if created { // placed, but the row did not commit
			h.collectBlobs(c, []string{a.SHA256})
		}
		return nil, h.storageFault(c, err)
	}
	details := map[string]any{"new": map[string]any{"subdir": a.Subdir, "filename": a.Filename, "sha256": a.SHA256, "size": a.Size, "name": a.Name, "version": a.Version, "build": a.Build}}
	action := "artifact.upload"
	if replaced != nil {
		action = "artifact.overwrite" // the history tells replacing a file from adding one
		details["old"] = map[string]any{"sha256": replaced.SHA256, "size": replaced.Size}
		if replaced.SHA256 != a.SHA256 {
			h.collectBlobs(c, []string{replaced.SHA256})
		}
	}
	h.audit(c, action, p.Path(), details)
	h.Metrics.Uploaded(a.Size)
	return a, nil
}

// APIUpload receives a package (multipart field "file"; subchannel, subdir
// and overwrite as fields or query parameters). The route's rule has
// checked write access somewhere in the channel before the body is read;
// the place is decided again once the fields say where the package goes.
func (h *Handlers) APIUpload(c echo.Context) error {
	release, err := h.uploadSlot(c)
	if err != nil {
		return err
	}
	defer release()
	st, filename, in, err := h.receive(c)
	if err != nil {
		return err
	}
	defer st.Discard()
	p, err := h.channelAt(c, c.Param("name"), in.Sub, access.Write)
	if err != nil {
		return err
	}
	a, err := h.storeArtifact(c, p, st, filename, in)
	if err != nil {
		return err
	}
	return ok(c, http.StatusCreated, "artifact", artifactJSON(p, a))
}

// APIArtifacts lists a channel's artifacts (?subchannel=, ?subdir=). Read access.
func (h *Handlers) APIArtifacts(c echo.Context) error {
	sub := c.Param("sub")
	if sub == "" {
		sub = c.QueryParam("subchannel")
	}
	p, err := h.channelAt(c, c.Param("name"), sub, access.Read)
	if err != nil {
		return err
	}
	arts, err := h.Store.Artifacts(c.Request().Context(), p.Ch.ID, models.ArtifactFilter{SubchannelID: p.SubID(), Subdir: c.QueryParam("subdir")})
	if err != nil {
		return err
	}
	pol, err := h.cvesFor(c)
	if err != nil {
		return err
	}
	out := make([]ArtifactJSON, len(arts))
	for i := range arts {
		out[i] = artifactJSON(p, &arts[i])
		if pol != nil {
			ms := pol.Vulnerabilities(arts[i].Name, arts[i].Version)
			out[i].Vulnerabilities, out[i].WorstSeverity = vulnRefs(ms), pol.Worst(arts[i].Name, arts[i].Version).String()
		}
	}
	return ok(c, http.StatusOK, "artifacts", out)
}

// APIArtifact shows one artifact of the channel or subchannel the route
// names.
func (h *Handlers) APIArtifact(c echo.Context) error {
	p := placeOf(c)
	filename := c.Param("filename")
	if c.Request().URL.RawPath != "" { // the router matched the path as sent: decode once
		var err error
		if filename, err = url.PathUnescape(filename); err != nil {
			return models.ErrNotFound
		}
	}
	a, err := h.Store.Artifact(c.Request().Context(), p.Ch.ID, p.SubID(), c.Param("subdir"), filename)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "artifact", artifactJSON(p, a))
}

// APIUpdateArtifact changes {"summary","home"} of one artifact: what
// channeldata.json says of its package (manage).
func (h *Handlers) APIUpdateArtifact(c echo.Context) error {
	p := placeOf(c)
	var in struct {
		Summary *string `json:"summary"`
		Home    *string `json:"home"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	filename := c.Param("filename")
	if c.Request().URL.RawPath != "" {
		var err error
		if filename, err = url.PathUnescape(filename); err != nil {
			return models.ErrNotFound
		}
	}
	before, after, err := h.Store.UpdateArtifactAbout(c.Request().Context(), p.Ch.ID, p.SubID(), c.Param("subdir"), filename, models.ArtifactAbout{Summary: in.Summary, Home: in.Home})
	if err != nil {
		return err
	}
	if before.Summary != after.Summary || before.Home != after.Home {
		h.audit(c, "artifact.edit", p.Path(), map[string]any{
			"old": map[string]any{"subdir": before.Subdir, "filename": before.Filename, "summary": before.Summary, "home": before.Home},
			"new": map[string]any{"subdir": after.Subdir, "filename": after.Filename, "summary": after.Summary, "home": after.Home},
		})
	}
	return ok(c, http.StatusOK, "artifact", artifactJSON(p, after))
}

// APIDeleteArtifact deletes one artifact (manage). The subchannel comes from
// the path (/subchannels/:sub/artifacts/...) or ?subchannel=.
func (h *Handlers) APIDeleteArtifact(c echo.Context) error {
	sub := c.Param("sub")
	if sub == "" {
		sub = c.QueryParam("subchannel")
	}
	p, err := h.channelAt(c, c.Param("name"), sub, access.Manage)
	if err != nil {
		return err
	}
	filename := c.Param("filename")
	if c.Request().URL.RawPath != "" { // the router matched the path as sent: decode once
		if filename, err = url.PathUnescape(filename); err != nil {
			return models.ErrNotFound
		}
	}
	if err := h.deleteArtifact(c, p, c.Param("subdir"), filename); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handlers) deleteArtifact(c echo.Context, p place, subdir, filename string) error {
	a, err := h.Store.DeleteArtifact(c.Request().Context(), p.Ch.ID, p.SubID(), subdir, filename)
	if err != nil {
		return err
	}
	h.collectBlobs(c, []string{a.SHA256})
	h.audit(c, "artifact.delete", p.Path(), map[string]any{"old": map[string]any{"subdir": a.Subdir, "filename": a.Filename, "sha256": a.SHA256, "size": a.Size}})
	return nil
}

// ---- Pages and dialogs ----

// UploadForm opens the upload dialog (write).
func (h *Handlers) UploadForm(c echo.Context) error {
	p, err := h.channelAt(c, c.Param("name"), c.QueryParam("sub"), access.Write)
	if err != nil {
		return err
	}
	m, err := h.uploadForm(c, p, "")
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, "Upload", channels.UploadDialog(m))
}

func (h *Handlers) uploadForm(c echo.Context, p place, problem string) (channels.UploadForm, error) {
	subs, err := h.Store.Subchannels(c.Request().Context(), p.Ch)
	if err != nil {
		return channels.UploadForm{}, err
	}
	m := channels.UploadForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Channel: p.Ch.Name, Sub: p.SubName(), Error: problem}
	for _, s := range subs {
		m.Subchannels = append(m.Subchannels, s.Name)
	}
	return m, nil
}

// Upload handles the upload dialog (write). Failures re-render the dialog
// with the reason and the status that fits.
func (h *Handlers) Upload(c echo.Context) error {
	release, err := h.uploadSlot(c)
	if err != nil {
		return err
	}
	defer release()
	st, filename, in, err := h.receive(c)
	if st != nil {
		defer st.Discard()
	}
	p, perr := h.channelAt(c, c.Param("name"), in.Sub, access.Write)
	if perr != nil {
		return perr
	}
	if err == nil {
		var a *models.Artifact
		if a, err = h.storeArtifact(c, p, st, filename, in); err == nil {
			return h.uploaded(c, p, a)
		}
	}
	status, msg := uploadFault(err)
	if status == 0 {
		return err
	}
	m, ferr := h.uploadForm(c, p, msg)
	if ferr != nil {
		return ferr
	}
	return h.dialog(c, status, "Upload", channels.UploadDialog(m))
}

func (h *Handlers) uploaded(c echo.Context, p place, a *models.Artifact) error {
	to := "/channels/" + url.PathEscape(p.Ch.Name)
	if p.Sub != nil {
		to += "?sub=" + url.QueryEscape(p.Sub.Name)
	}
	return h.done(c, to, "Uploaded "+a.Filename+" to "+p.Path()+" ("+a.Subdir+").")
}

// uploadFault maps an upload error to a status and message for the dialog,
// as web.Classify judges it; 0 means it is not the uploader's fault.
func uploadFault(err error) (int, string) {
	status, _, msg, _ := web.Classify(err)
	switch {
	case status >= 500 || status == http.StatusNotFound:
		return 0, ""
	case status == http.StatusConflict:
		return status, msg + " Tick \"Replace a file of the same name\" to replace it."
	}
	return status, msg
}

// DeleteArtifactForm asks to confirm deleting an artifact (manage).
func (h *Handlers) DeleteArtifactForm(c echo.Context) error {
	p, err := h.channelAt(c, c.Param("name"), c.QueryParam("sub"), access.Manage)
	if err != nil {
		return err
	}
	subdir, filename := c.QueryParam("subdir"), c.QueryParam("filename")
	if _, err := h.Store.Artifact(c.Request().Context(), p.Ch.ID, p.SubID(), subdir, filename); err != nil {
		return err
	}
	base := "/channels/" + url.PathEscape(p.Ch.Name)
	return h.dialog(c, http.StatusOK, "Delete package", components.ConfirmDialog(components.Confirm{
		ID: "delete-artifact-dialog", Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Title: "Delete " + filename,
		Message: "Conda clients will no longer find " + subdir + "/" + filename + " in " + p.Path() + ".",
		Action:  base + "/artifacts/delete", Button: "Delete", Back: base,
		Hidden: []components.Option{{Value: "sub", Label: p.SubName()}, {Value: "subdir", Label: subdir}, {Value: "filename", Label: filename}},
	}))
}

// DeleteArtifact deletes an artifact from the confirm dialog (manage).
func (h *Handlers) DeleteArtifact(c echo.Context) error {
	p, err := h.channelAt(c, c.Param("name"), c.FormValue("sub"), access.Manage)
	if err != nil {
		return err
	}
	if err := h.deleteArtifact(c, p, c.FormValue("subdir"), c.FormValue("filename")); err != nil {
		return err
	}
	to := "/channels/" + url.PathEscape(p.Ch.Name)
	if p.Sub != nil {
		to += "?sub=" + url.QueryEscape(p.Sub.Name)
	}
	return h.done(c, to, "Deleted "+c.FormValue("filename")+" from "+p.Path()+".")
}
