package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/mirrorrun"
	"gatehouse/models/policy"
	"gatehouse/views/pages/security"
	"gatehouse/web"
)

// maxOSV bounds one OSV document, uploaded or fetched.
const maxOSV = 8 << 20

// VulnerabilityJSON is an imported record as the API shows it.
type VulnerabilityJSON struct {
	ID          string            `json:"id"`
	Aliases     []string          `json:"aliases"`
	Summary     string            `json:"summary"`
	Severity    string            `json:"severity"`
	Rated       bool              `json:"rated"`
	Score       float64           `json:"cvss_score,omitempty"`
	Vector      string            `json:"cvss_vector,omitempty"`
	Withdrawn   bool              `json:"withdrawn"`
	Affected    []policy.Affected `json:"affected"`
	NotAffected []AnnotationJSON  `json:"not_affected"`
	Artifacts   []AffectedJSON    `json:"affected_artifacts"`
	Source      string            `json:"source"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// AnnotationJSON says a record does not affect a package, and why.
type AnnotationJSON struct {
	Package string    `json:"package"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"updated_at"`
}

// AffectedJSON is an artifact a record affects.
type AffectedJSON struct {
	Channel    string `json:"channel"`
	Subchannel string `json:"subchannel,omitempty"`
	Subdir     string `json:"subdir"`
	Filename   string `json:"filename"`
}

// VulnRef names a record on an artifact.
type VulnRef struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
}

func vulnRefs(ms []policy.Match) []VulnRef {
	out := make([]VulnRef, len(ms))
	for i, m := range ms {
		out[i] = VulnRef{ID: m.ID, Severity: m.Severity.String()}
	}
	return out
}

// affects lists the artifacts v affects, annotations considered.
func affects(v *models.Vulnerability, arts []models.PlacedArtifact) []models.PlacedArtifact {
	if v.Withdrawn {
		return nil
	}
	aff := v.AffectedList()
	var out []models.PlacedArtifact
	for _, a := range arts {
		if v.NotAffected(a.Name) != nil {
			continue
		}
		if slices.ContainsFunc(aff, func(x policy.Affected) bool { return x.Matches(a.Name, a.Version) }) {
			out = append(out, a)
		}
	}
	return out
}

// vulnerabilities loads the records the filter asks for and the artifacts
// of every package they name.
func (h *Handlers) vulnerabilities(ctx context.Context, f models.VulnerabilityFilter) ([]models.Vulnerability, []models.PlacedArtifact, error) {
	vs, err := h.Store.Vulnerabilities(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for i := range vs {
		names = append(names, vs[i].Packages()...)
	}
	arts, err := h.Store.ArtifactsNamed(ctx, names)
	return vs, arts, err
}

func severityFilter(c echo.Context) (policy.Severity, string, error) {
	raw := strings.ToLower(strings.TrimSpace(c.QueryParam("severity")))
	if raw == "" {
		return policy.None, "", nil
	}
	s, err := policy.ParseSeverity(raw)
	if err != nil || s == policy.None {
		return policy.None, "", web.Fail(http.StatusBadRequest, "severity must be low, medium, high or critical.")
	}
	return s, raw, nil
}

// CVEs lists the imported records (?severity= the least to show).
func (h *Handlers) CVEs(c echo.Context) error {
	m, err := h.cvesPage(c)
	if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, "Vulnerabilities", security.CVEs(m))
}

func (h *Handlers) cvesPage(c echo.Context) (security.CVEsPage, error) {
	least, raw, err := severityFilter(c)
	if err != nil {
		return security.CVEsPage{}, err
	}
	vs, arts, err := h.vulnerabilities(c.Request().Context(), models.VulnerabilityFilter{MinSeverity: least})
	if err != nil {
		return security.CVEsPage{}, err
	}
	m := security.CVEsPage{CSRF: web.CSRFToken(c), CanEdit: mayDo(c, "cve:edit", access.Manage), Severity: raw, Total: len(vs)}
	now := h.Store.Now()
	for i := range vs {
		v := &vs[i]
		m.Rows = append(m.Rows, security.CVERow{
			ID: v.OSVID, Aliases: strings.Join(v.AliasList(), ", "), Summary: v.Summary, Severity: v.Severity.String(), Rated: v.Rated,
			Packages: strings.Join(v.Packages(), ", "), Artifacts: len(affects(v, arts)), Updated: when(v.UpdatedAt, now, "2006-01-02 15:04"),
		})
	}
	return m, nil
}

// CVE shows one record, what it affects and its annotations.
func (h *Handlers) CVE(c echo.Context) error {
	m, err := h.cvePage(c, c.Param("id"))
	if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, m.ID, security.CVE(m))
}

func (h *Handlers) cvePage(c echo.Context, id string) (security.CVEPage, error) {
	ctx := c.Request().Context()
	v, err := h.Store.VulnerabilityByID(ctx, id)
	if err != nil {
		return security.CVEPage{}, err
	}
	arts, err := h.Store.ArtifactsNamed(ctx, v.Packages())
	if err != nil {
		return security.CVEPage{}, err
	}
	now := h.Store.Now()
	m := security.CVEPage{
		CSRF: web.CSRFToken(c), CanEdit: mayDo(c, "cve:edit", access.Manage), ID: v.OSVID, Aliases: v.AliasList(), Summary: v.Summary, Details: v.Details,
		Severity: v.Severity.String(), Rated: v.Rated, Score: security.Score(v.Score), Vector: v.Vector, Withdrawn: v.Withdrawn,
		Source: v.Source, Packages: v.Packages(),
	}
	if v.Modified != nil {
		m.Modified = when(*v.Modified, now, "2006-01-02")
	}
	for _, a := range v.AffectedList() {
		row := security.AffectedRow{Package: a.Package, Versions: strings.Join(a.Versions, ", ")}
		for _, r := range a.Ranges {
			row.Ranges = append(row.Ranges, describeRange(r))
		}
		if n := v.NotAffected(a.Package); n != nil {
			row.NotAffected, row.Reason = true, n.Reason
		}
		m.Affected = append(m.Affected, row)
	}
	for _, a := range affects(v, arts) {
		place := a.Channel
		href := "/channels/" + url.PathEscape(a.Channel)
		if a.Subchannel != "" {
			place += "/" + a.Subchannel
			href += "?sub=" + url.QueryEscape(a.Subchannel)
		}
		m.Artifacts = append(m.Artifacts, security.AffectedArtifact{Place: place, Href: href, Filename: a.Filename, Subdir: a.Subdir, Name: a.Name, Version: a.Version})
	}
	return m, nil
}

// describeRange writes a range for people: "≥ 1.0, < 1.5".
func describeRange(r policy.Range) string {
	var parts []string
	for _, e := range r.Events {
		switch {
		case e.Introduced == "0":
			parts = append(parts, "all versions")
		case e.Introduced != "":
			parts = append(parts, "≥ "+e.Introduced)
		case e.Fixed != "":
			parts = append(parts, "< "+e.Fixed+" (fixed)")
		case e.LastAffected != "":
			parts = append(parts, "≤ "+e.LastAffected)
		case e.Limit != "":
			parts = append(parts, "< "+e.Limit+" (limit)")
		}
	}
	return strings.Join(parts, ", ")
}

// ImportCVEs handles the import form: a file, or a URL to fetch.
func (h *Handlers) ImportCVEs(c echo.Context) error {
	rawURL := strings.TrimSpace(c.FormValue("url"))
	res, err := h.importForm(c, rawURL)
	if err != nil {
		fields, banner, ferr := formFault(err)
		if ferr != nil {
			return ferr
		}
		m, perr := h.cvesPage(c)
		if perr != nil {
			return perr
		}
		m.URL, m.Errors, m.Error = rawURL, fields, banner
		status, _, _, _ := web.Classify(err)
		return h.page(c, status, "Vulnerabilities", security.CVEs(m))
	}
	return h.done(c, "/admin/cves", fmt.Sprintf("Imported %d new and %d updated records.", len(res.Created), len(res.Updated)))
}

func (h *Handlers) importForm(c echo.Context, rawURL string) (models.ImportResult, error) {
	fh, err := c.FormFile("file")
	switch {
	case err == nil && fh.Size > 0 && rawURL != "":
		return models.ImportResult{}, models.Invalid("file", "Give a file or a URL, not both.")
	case err == nil && fh.Size > 0:
		data, name, err := readPart(fh)
		if err != nil {
			return models.ImportResult{}, err
		}
		return h.importOSV(c, data, name, "file")
	case rawURL != "":
		data, source, err := h.fetchOSV(c.Request().Context(), rawURL)
		if err != nil {
			return models.ImportResult{}, err
		}
		return h.importOSV(c, data, source, "url")
	case err != nil && !errors.Is(err, http.ErrMissingFile):
		return models.ImportResult{}, bodyFault(err)
	}
	return models.ImportResult{}, models.Invalid("file", "Choose an OSV file, or give a URL.")
}

func readPart(fh *multipart.FileHeader) ([]byte, string, error) {
	name := clipName(fh.Filename)
	if fh.Size > maxOSV {
		return nil, "", osvTooLarge("file")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxOSV+1))
	if err != nil {
		return nil, "", err
	}
	if len(data) > maxOSV {
		return nil, "", osvTooLarge("file")
	}
	return data, name, nil
}

func clipName(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
}

func osvTooLarge(field string) error {
	return web.Fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The OSV document is larger than %d MiB.", maxOSV>>20))
}

// importOSV parses and stores a document; nothing is stored when any
// record is malformed.
func (h *Handlers) importOSV(c echo.Context, data []byte, source, field string) (models.ImportResult, error) {
	recs, err := policy.ParseOSV(data)
	if err != nil {
		return models.ImportResult{}, models.Invalid(field, "Not imported: %s.", err.Error())
	}
	res, err := h.Store.ImportVulnerabilities(c.Request().Context(), recs, source)
	if err != nil {
		return models.ImportResult{}, err
	}
	h.audit(c, "cve.import", source, map[string]any{"created": firstIDs(res.Created), "updated": firstIDs(res.Updated), "created_count": len(res.Created), "updated_count": len(res.Updated)})
	return res, nil
}

// firstIDs keeps audit details small for big imports.
func firstIDs(ids []string) []string {
	if len(ids) > 100 {
		return append(slices.Clone(ids[:100]), fmt.Sprintf("… and %d more", len(ids)-100))
	}
	return nonNilStrings(ids)
}

// fetchOSV fetches a document over http or https, bounded in size and
// time. The source it returns is the URL without credentials or query.
func (h *Handlers) fetchOSV(ctx context.Context, raw string) ([]byte, string, error) {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > 2000 || !web.Storable(raw) || err != nil:
		return nil, "", models.Invalid("url", "That is not a URL.")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, "", models.Invalid("url", "Only http and https URLs can be fetched.")
	case u.Host == "":
		return nil, "", models.Invalid("url", "The URL names no host.")
	}
	source := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	timeout := h.Cfg.FetchTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	// The mirrors' client: internal addresses are refused unless the
	// server allows them, wherever a name or a redirect leads.
	client := mirrorrun.NewClient(h.Cfg.MirrorPrivateNetworks)
	client.Timeout = timeout
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", models.Invalid("url", "That is not a URL.")
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, "", models.Invalid("url", "%s did not answer within %s.", u.Host, timeout)
		}
		if mirrorrun.IsInternal(err) {
			return nil, "", models.Invalid("url", "%s is an internal address (loopback, private or link-local); this server does not fetch from such addresses.", u.Host)
		}
		return nil, "", models.Invalid("url", "Could not fetch from %s: the host could not be reached or refused the request.", u.Host)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, "", models.Invalid("url", "%s answered %d %s.", u.Host, res.StatusCode, http.StatusText(res.StatusCode))
	}
	if res.ContentLength > maxOSV {
		return nil, "", osvTooLarge("url")
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxOSV+1))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, "", models.Invalid("url", "%s did not send the document within %s.", u.Host, timeout)
		}
		return nil, "", models.Invalid("url", "The connection to %s broke off.", u.Host)
	}
	if len(data) > maxOSV {
		return nil, "", osvTooLarge("url")
	}
	return data, source, nil
}

// AnnotateCVE handles the "not affected" form.
func (h *Handlers) AnnotateCVE(c echo.Context) error {
	pkg, reason := c.FormValue("package"), c.FormValue("reason")
	if err := h.annotate(c, c.Param("id"), pkg, reason); err != nil {
		fields, banner, ferr := formFault(err)
		if ferr != nil {
			return ferr
		}
		m, perr := h.cvePage(c, c.Param("id"))
		if perr != nil {
			return perr
		}
		m.Package, m.Reason, m.Errors, m.Error = pkg, reason, fields, banner
		status, _, _, _ := web.Classify(err)
		return h.page(c, status, m.ID, security.CVE(m))
	}
	return h.done(c, security.CVEHref(c.Param("id")), "Marked "+strings.ToLower(strings.TrimSpace(pkg))+" not affected.")
}

func (h *Handlers) annotate(c echo.Context, id, pkg, reason string) error {
	if !web.Storable(pkg) || len(pkg) > 255 {
		return models.Invalid("package", "Name a package the record names.")
	}
	old, now, err := h.Store.AnnotateNotAffected(c.Request().Context(), id, pkg, reason, web.ActorOf(c).User.ID)
	if err != nil {
		return err
	}
	details := map[string]any{"package": now.Package, "old": nil, "new": map[string]any{"status": now.Status, "reason": now.Reason}}
	if old != nil {
		details["old"] = map[string]any{"status": old.Status, "reason": old.Reason}
	}
	h.audit(c, "cve.annotate", id, details)
	return nil
}

// RemoveCVEAnnotation deletes an annotation.
func (h *Handlers) RemoveCVEAnnotation(c echo.Context) error {
	a, err := h.removeAnnotation(c, c.Param("id"), c.FormValue("package"))
	if err != nil {
		return err
	}
	return h.done(c, security.CVEHref(c.Param("id")), "The record counts for "+a.Package+" again.")
}

func (h *Handlers) removeAnnotation(c echo.Context, id, pkg string) (*models.VulnerabilityAnnotation, error) {
	if !web.Storable(pkg) || len(pkg) > 255 {
		return nil, models.ErrNotFound
	}
	a, err := h.Store.RemoveAnnotation(c.Request().Context(), id, pkg)
	if err != nil {
		return nil, err
	}
	h.audit(c, "cve.annotation.remove", id, map[string]any{"package": a.Package, "old": map[string]any{"status": a.Status, "reason": a.Reason}, "new": nil})
	return a, nil
}

func vulnerabilityJSON(v *models.Vulnerability, arts []models.PlacedArtifact) VulnerabilityJSON {
	out := VulnerabilityJSON{
		ID: v.OSVID, Aliases: nonNilStrings(v.AliasList()), Summary: v.Summary, Severity: v.Severity.String(), Rated: v.Rated,
		Score: v.Score, Vector: v.Vector, Withdrawn: v.Withdrawn, Affected: v.AffectedList(), Source: v.Source, UpdatedAt: v.UpdatedAt,
		NotAffected: []AnnotationJSON{}, Artifacts: []AffectedJSON{},
	}
	if out.Affected == nil {
		out.Affected = []policy.Affected{}
	}
	for _, a := range v.Annotations {
		out.NotAffected = append(out.NotAffected, AnnotationJSON{Package: a.Package, Reason: a.Reason, At: a.UpdatedAt})
	}
	for _, a := range affects(v, arts) {
		out.Artifacts = append(out.Artifacts, AffectedJSON{Channel: a.Channel, Subchannel: a.Subchannel, Subdir: a.Subdir, Filename: a.Filename})
	}
	return out
}

// APICVEs lists the records (?severity=, ?package=) with what they affect.
func (h *Handlers) APICVEs(c echo.Context) error {
	least, _, err := severityFilter(c)
	if err != nil {
		return err
	}
	pkg := strings.TrimSpace(c.QueryParam("package"))
	if !web.Storable(pkg) || len(pkg) > 255 {
		return web.Fail(http.StatusBadRequest, "package must be a package name.")
	}
	vs, arts, err := h.vulnerabilities(c.Request().Context(), models.VulnerabilityFilter{MinSeverity: least, Package: pkg})
	if err != nil {
		return err
	}
	out := make([]VulnerabilityJSON, len(vs))
	for i := range vs {
		out[i] = vulnerabilityJSON(&vs[i], arts)
	}
	return ok(c, http.StatusOK, "vulnerabilities", out)
}

// APICVE shows one record.
func (h *Handlers) APICVE(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := h.Store.VulnerabilityByID(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	arts, err := h.Store.ArtifactsNamed(ctx, v.Packages())
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "vulnerability", vulnerabilityJSON(v, arts))
}

// APIImportCVEs imports the OSV document that is the request body.
func (h *Handlers) APIImportCVEs(c echo.Context) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return web.Fail(http.StatusUnsupportedMediaType, "Send the OSV document as application/json.")
	}
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, maxOSV+1))
	if err != nil {
		return bodyFault(err)
	}
	if len(data) > maxOSV {
		return osvTooLarge("body")
	}
	source := clipName(c.QueryParam("source"))
	if source == "" {
		source = "API upload"
	}
	res, err := h.importOSV(c, bytes.TrimSpace(data), source, "body")
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "imported", res)
}

// APIFetchCVEs imports the OSV document at {"url"}.
func (h *Handlers) APIFetchCVEs(c echo.Context) error {
	var in struct {
		URL string `json:"url"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	data, source, err := h.fetchOSV(c.Request().Context(), strings.TrimSpace(in.URL))
	if err != nil {
		return err
	}
	res, err := h.importOSV(c, data, source, "url")
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "imported", res)
}

// APIAnnotateCVE marks {"package"} not affected by the record, {"reason"}.
func (h *Handlers) APIAnnotateCVE(c echo.Context) error {
	var in struct {
		Package string `json:"package"`
		Reason  string `json:"reason"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := h.annotate(c, c.Param("id"), in.Package, in.Reason); err != nil {
		return err
	}
	v, err := h.Store.VulnerabilityByID(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "vulnerability", vulnerabilityJSON(v, nil))
}

// APIRemoveCVEAnnotation removes the annotation of :package.
func (h *Handlers) APIRemoveCVEAnnotation(c echo.Context) error {
	pkg, err := url.PathUnescape(c.Param("package"))
	if err != nil {
		return models.ErrNotFound
	}
	if _, err := h.removeAnnotation(c, c.Param("id"), pkg); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// cvesFor is the policy snapshot when the actor may see vulnerability
// records (cve:view), else nil: artifacts then show none.
func (h *Handlers) cvesFor(c echo.Context) (*policy.Snapshot, error) {
	if !mayDo(c, "cve:view", access.Read) {
		return nil, nil
	}
	return h.Store.PolicySnapshot(c.Request().Context())
}
