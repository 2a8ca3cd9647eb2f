package conda

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Limits bound the work a hostile archive can cause.
type Limits struct {
	MaxEntries      int   // entries in the zip and in each tar
	MaxIndexBytes   int64 // size of info/index.json
	MaxDecompressed int64 // bytes any one decompressor may produce
	MaxRatio        int64 // decompressed bytes per compressed byte, beyond Slack
	Slack           int64 // decompressed bytes always allowed (small archives have high ratios)
}

// DefaultLimits suit real packages: generous, but no bomb gets far.
var DefaultLimits = Limits{
	MaxEntries:      200_000,
	MaxIndexBytes:   1 << 20,
	MaxDecompressed: 8 << 30,
	MaxRatio:        1000,
	Slack:           4 << 20,
}

// Error is a fault in an archive, meant for the uploader.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func fault(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// IsArchiveError reports whether err is the archive's fault (a 4xx).
func IsArchiveError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Index is what info/index.json says about a package.
type Index struct {
	Name          string
	Version       string
	Build         string
	BuildNumber   int
	Depends       []string
	Constrains    []string
	License       string
	LicenseFamily string
	Subdir        string
	Timestamp     int64
	Extra         Extra
	// Summary and Home come from info/about.json when the package has one.
	Summary, Home string
}

// Extra holds the rarer index.json keys repodata passes on unchanged.
type Extra struct {
	Noarch        json.RawMessage `json:"noarch,omitempty"`
	TrackFeatures string          `json:"track_features,omitempty"`
	Features      string          `json:"features,omitempty"`
}

// MaxFilename bounds a package's file name (name-version-build.ext).
const MaxFilename = 255

// Filename is the file name conda expects for the package in format f.
func (ix *Index) Filename(f Format) string {
	return ix.Name + "-" + ix.Version + "-" + ix.Build + f.Ext()
}

// ReadIndex reads and validates info/index.json from a package archive of
// size bytes. Every entry is checked for path traversal on the way.
func ReadIndex(r io.ReaderAt, size int64, f Format, lim Limits) (*Index, error) {
	var files map[string][]byte
	var err error
	switch f {
	case Conda:
		files, err = condaIndex(r, size, lim)
	case TarBz2:
		br := &budget{r: bzip2.NewReader(io.NewSectionReader(r, 0, size)), left: lim.allowance(size)}
		files, err = scanTar(br, infoFiles, lim)
	default:
		return nil, fault("Only .conda and .tar.bz2 packages can be uploaded.")
	}
	if err != nil {
		return nil, err
	}
	raw, ok := files["info/index.json"]
	if !ok {
		return nil, fault("The package has no info/index.json.")
	}
	ix, err := parseIndex(raw)
	if err == nil {
		ix.Summary, ix.Home = parseAbout(files["info/about.json"])
	}
	return ix, err
}

// infoFiles are the metadata files a package is read for.
var infoFiles = []string{"info/index.json", "info/about.json"}

// MaxAboutText bounds the summary and home kept from info/about.json.
const MaxAboutText = 1000

// parseAbout reads summary and home from info/about.json. The file is
// optional and only informs channeldata: one that is missing or malformed
// leaves them empty rather than refusing the package.
func parseAbout(raw []byte) (summary, home string) {
	var about struct {
		Summary string `json:"summary"`
		Home    string `json:"home"`
	}
	if raw == nil || json.Unmarshal(raw, &about) != nil {
		return "", ""
	}
	clip := func(s string) string {
		s = strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), ""))
		if len(s) > MaxAboutText {
			s = strings.ToValidUTF8(s[:MaxAboutText], "")
		}
		return s
	}
	return clip(about.Summary), clip(about.Home)
}

func (lim Limits) allowance(compressed int64) int64 {
	n := lim.Slack + lim.MaxRatio*compressed
	if n > lim.MaxDecompressed || n < 0 {
		n = lim.MaxDecompressed
	}
	return n
}

// condaIndex finds info-*.tar.zst in the zip and index.json inside it; the
// pkg-*.tar.zst tar is scanned too, for traversal.
func condaIndex(r io.ReaderAt, size int64, lim Limits) (map[string][]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fault("The .conda file is not a valid zip archive.")
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fault("The .conda file has too many entries (%d).", len(zr.File))
	}
	var info, pkgs []*zip.File
	for _, zf := range zr.File {
		if err := safeName(zf.Name); err != nil {
			return nil, err
		}
		switch {
		case strings.HasPrefix(zf.Name, "info-") && strings.HasSuffix(zf.Name, ".tar.zst"):
			info = append(info, zf)
		case strings.HasPrefix(zf.Name, "pkg-") && strings.HasSuffix(zf.Name, ".tar.zst"):
			pkgs = append(pkgs, zf)
		}
	}
	if len(info) != 1 || len(pkgs) > 1 {
		return nil, fault("A .conda file must hold exactly one info-*.tar.zst (found %d) and at most one pkg-*.tar.zst.", len(info))
	}
	files, err := zstdTar(info[0], infoFiles, size, lim)
	if err != nil {
		return nil, err
	}
	if len(pkgs) == 1 {
		if _, err := zstdTar(pkgs[0], nil, size, lim); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func zstdTar(zf *zip.File, want []string, size int64, lim Limits) (map[string][]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, fault("%s cannot be opened: %v.", zf.Name, err)
	}
	defer rc.Close()
	// The zip header's compressed size is the uploader's claim: an entry
	// cannot be larger than the whole file, so the allowance never exceeds
	// what the file's real size earns.
	compressed := size
	if zf.CompressedSize64 < uint64(size) {
		compressed = int64(zf.CompressedSize64)
	}
	// The entry's own compression (usually none) is bounded like the rest.
	zin := &budget{r: rc, left: lim.allowance(compressed)}
	dec, err := zstd.NewReader(zin, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20), zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		return nil, fault("%s is not valid zstd.", zf.Name)
	}
	defer dec.Close()
	return scanTar(&budget{r: dec, left: lim.allowance(compressed)}, want, lim)
}

// scanTar reads every entry of a tar, refusing unsafe names and links, and
// returns the content of the entries named in want (absent ones missing).
func scanTar(r io.Reader, want []string, lim Limits) (map[string][]byte, error) {
	tr := tar.NewReader(r)
	found := map[string][]byte{}
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			return found, nil
		}
		if err != nil {
			return nil, readFault(err)
		}
		if n >= lim.MaxEntries {
			return nil, fault("The package has too many files (over %d).", lim.MaxEntries)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if err := safeName(name); err != nil {
			return nil, err
		}
		if err := safeLink(name, hdr); err != nil {
			return nil, err
		}
		if !slices.Contains(want, name) {
			continue
		}
		if _, twice := found[name]; twice {
			return nil, fault("The package holds %s twice.", name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fault("%s is not a regular file.", name)
		}
		if hdr.Size > lim.MaxIndexBytes {
			return nil, fault("%s is larger than %d bytes.", name, lim.MaxIndexBytes)
		}
		if found[name], err = io.ReadAll(io.LimitReader(tr, lim.MaxIndexBytes+1)); err != nil {
			return nil, readFault(err)
		}
	}
}

func readFault(err error) error {
	if IsArchiveError(err) {
		return err
	}
	return fault("The package archive is damaged or truncated.")
}

// safeName refuses absolute paths, backslashes and ".." components.
func safeName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) {
		return fault("The package holds an unsafe path %q.", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return fault("The package holds a path that escapes its directory: %q.", name)
		}
	}
	return nil
}

// safeLink refuses links that point outside the package.
func safeLink(name string, hdr *tar.Header) error {
	var target string
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		if strings.HasPrefix(hdr.Linkname, "/") {
			return fault("The package holds a link to an absolute path: %q.", name)
		}
		target = path.Join(path.Dir(name), hdr.Linkname)
	case tar.TypeLink:
		target = path.Clean(strings.TrimPrefix(hdr.Linkname, "./"))
	default:
		return nil
	}
	if target == ".." || strings.HasPrefix(target, "../") || strings.HasPrefix(target, "/") {
		return fault("The package holds a link that escapes its directory: %q.", name)
	}
	return nil
}

// budget fails reading once more than left bytes came through: the guard
// against decompression bombs.
type budget struct {
	r    io.Reader
	left int64
}

func (b *budget) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fault("The package decompresses to far more than its size: refused as a decompression bomb.")
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

var (
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,199}$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9_.+!*]{1,100}$`)
	buildRE   = regexp.MustCompile(`^[A-Za-z0-9_.+]{1,200}$`)
)

// parseIndex checks index.json's shape and the fields repodata needs.
func parseIndex(raw []byte) (*Index, error) {
	var in struct {
		Name          *string         `json:"name"`
		Version       *string         `json:"version"`
		Build         *string         `json:"build"`
		BuildNumber   *int            `json:"build_number"`
		Depends       []string        `json:"depends"`
		Constrains    []string        `json:"constrains"`
		License       string          `json:"license"`
		LicenseFamily string          `json:"license_family"`
		Subdir        *string         `json:"subdir"`
		Timestamp     *json.Number    `json:"timestamp"`
		Noarch        json.RawMessage `json:"noarch"`
		TrackFeatures json.RawMessage `json:"track_features"`
		Features      json.RawMessage `json:"features"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return nil, fault("info/index.json is malformed: %s.", jsonProblem(err))
	}
	if dec.More() {
		return nil, fault("info/index.json is malformed: more than one JSON value.")
	}
	var missing []string
	for k, v := range map[string]*string{"name": in.Name, "version": in.Version, "build": in.Build, "subdir": in.Subdir} {
		if v == nil || *v == "" {
			missing = append(missing, k)
		}
	}
	if in.BuildNumber == nil {
		missing = append(missing, "build_number")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fault("info/index.json lacks %s.", strings.Join(missing, ", "))
	}
	ix := &Index{
		Name: *in.Name, Version: *in.Version, Build: *in.Build, BuildNumber: *in.BuildNumber,
		Depends: nonNil(in.Depends), Constrains: nonNil(in.Constrains),
		License: in.License, LicenseFamily: in.LicenseFamily, Subdir: *in.Subdir,
	}
	switch {
	case !nameRE.MatchString(ix.Name):
		return nil, fault("info/index.json has an invalid name %q.", ix.Name)
	case !versionRE.MatchString(ix.Version):
		return nil, fault("info/index.json has an invalid version %q.", ix.Version)
	case !buildRE.MatchString(ix.Build):
		return nil, fault("info/index.json has an invalid build string %q.", ix.Build)
	case ix.BuildNumber < 0:
		return nil, fault("info/index.json has a negative build_number.")
	case !IsSubdir(ix.Subdir):
		return nil, fault("info/index.json names an unknown subdir %q.", ix.Subdir)
	case len(ix.License) > 255 || len(ix.LicenseFamily) > 100:
		return nil, fault("info/index.json has an overlong license.")
	case strings.ContainsRune(ix.License, 0) || strings.ContainsRune(ix.LicenseFamily, 0):
		return nil, fault("info/index.json has a NUL character in its license.")
	case len(ix.Filename(TarBz2)) > MaxFilename:
		return nil, fault("The package file name would be too long (%d characters; at most %d).", len(ix.Filename(TarBz2)), MaxFilename)
	}
	if in.Timestamp != nil {
		ts, err := in.Timestamp.Int64()
		if err != nil {
			f, ferr := in.Timestamp.Float64()
			if ferr != nil {
				return nil, fault("info/index.json has an invalid timestamp.")
			}
			ts = int64(f)
		}
		ix.Timestamp = ts
	}
	noarch, err := noarchType(in.Noarch)
	if err != nil {
		return nil, err
	}
	if noarch != "" {
		if ix.Subdir != "noarch" {
			return nil, fault("info/index.json says noarch %q but subdir %q: noarch packages belong in the noarch subdir.", noarch, ix.Subdir)
		}
		ix.Extra.Noarch = json.RawMessage(`"` + noarch + `"`)
	}
	ix.Extra.TrackFeatures = jsonString(in.TrackFeatures)
	ix.Extra.Features = jsonString(in.Features)
	return ix, nil
}

// noarchType reads index.json's noarch as conda does: "python" or
// "generic" (true is the legacy spelling of generic); false, null or absent
// is none. Anything else would make conda refuse the channel's repodata.
func noarchType(raw json.RawMessage) (string, error) {
	switch strings.TrimSpace(string(raw)) {
	case "", "null", "false":
		return "", nil
	case "true":
		return "generic", nil
	}
	switch t := strings.ToLower(jsonString(raw)); t {
	case "python", "generic":
		return t, nil
	}
	shown := string(raw)
	if len(shown) > 40 {
		shown = shown[:40] + "…"
	}
	return "", fault("info/index.json has an unknown noarch type %s; conda knows \"python\" and \"generic\".", shown)
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%q must be %s", te.Field, te.Type.String())
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "not a JSON object"
}

func isJSONString(raw json.RawMessage) bool { return len(raw) > 1 && raw[0] == '"' }

func jsonString(raw json.RawMessage) string {
	var s string
	if isJSONString(raw) && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
