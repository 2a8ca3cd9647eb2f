// Package condatest builds real, small conda packages in code — sound ones
// and hostile ones — so tests need no binary fixtures.
package condatest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"testing"

	dbzip2 "github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"

	"gatehouse/models/conda"
)

// Pkg describes a package to build. The zero value of each field gets a
// sensible default; the hostile knobs break it on purpose.
type Pkg struct {
	Name        string
	Version     string
	Build       string
	BuildNumber int
	Subdir      string
	Depends     []string
	License     string
	Timestamp   int64
	Noarch      string

	// Index replaces the generated index.json object; RawIndex replaces its
	// bytes; NoIndex leaves it out.
	Index    map[string]any
	RawIndex []byte
	NoIndex  bool
	// Files are extra entries: in pkg-*.tar.zst (.conda) or the tar (.tar.bz2).
	Files []Entry
	// InfoFiles are extra entries in info-*.tar.zst (.conda) or the tar, ahead of index.json.
	InfoFiles []Entry
	// ZipFiles are extra raw zip entries of a .conda.
	ZipFiles []Entry
}

// Entry is one archive member: a file (Body, or Zeros bytes of zeros), a
// symlink (Link) or a hard link (HardLink).
type Entry struct {
	Name     string
	Body     []byte
	Zeros    int64
	Link     string
	HardLink string
}

// Defaults fills the blanks.
func (p Pkg) Defaults() Pkg {
	if p.Name == "" {
		p.Name = "demo"
	}
	if p.Version == "" {
		p.Version = "1.0.0"
	}
	if p.Build == "" {
		p.Build = "h1234_0"
	}
	if p.Subdir == "" {
		p.Subdir = "linux-64"
	}
	if p.Depends == nil {
		p.Depends = []string{"python >=3.10", "libzlib >=1.2.13,<2.0a0"}
	}
	if p.License == "" {
		p.License = "MIT"
	}
	if p.Timestamp == 0 {
		p.Timestamp = 1700000000000
	}
	return p
}

// Filename is the conda file name of the package in format f.
func (p Pkg) Filename(f conda.Format) string {
	p = p.Defaults()
	return p.Name + "-" + p.Version + "-" + p.Build + f.Ext()
}

// IndexJSON is the index.json the package carries.
func (p Pkg) IndexJSON() []byte {
	p = p.Defaults()
	if p.RawIndex != nil {
		return p.RawIndex
	}
	m := p.Index
	if m == nil {
		m = map[string]any{
			"name": p.Name, "version": p.Version, "build": p.Build, "build_number": p.BuildNumber,
			"subdir": p.Subdir, "depends": p.Depends, "license": p.License, "timestamp": p.Timestamp,
			"arch": "x86_64", "platform": "linux",
		}
		if p.Noarch != "" {
			m["noarch"] = p.Noarch
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// Build makes the package file in format f, failing the test on error.
func Build(t testing.TB, p Pkg, f conda.Format) []byte {
	t.Helper()
	b, err := Make(p, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Make makes the package file in format f.
func Make(p Pkg, f conda.Format) ([]byte, error) {
	p = p.Defaults()
	info := append([]Entry{}, p.InfoFiles...)
	if !p.NoIndex {
		info = append(info, Entry{Name: "info/index.json", Body: p.IndexJSON()})
	}
	info = append(info, Entry{Name: "info/paths.json", Body: []byte(`{"paths":[],"paths_version":1}`)})
	files := append([]Entry{{Name: "lib/" + p.Name + ".txt", Body: []byte("hello from " + p.Name + "\n")}}, p.Files...)
	if f == conda.TarBz2 {
		return tarBz2(append(info, files...))
	}
	return condaZip(p, info, files)
}

func tarBz2(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	bw, err := dbzip2.NewWriter(&buf, &dbzip2.WriterConfig{Level: 1})
	if err != nil {
		return nil, err
	}
	if err := writeTar(bw, entries); err != nil {
		return nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func condaZip(p Pkg, info, files []Entry) ([]byte, error) {
	stem := p.Name + "-" + p.Version + "-" + p.Build
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	meta, _ := zw.CreateHeader(&zip.FileHeader{Name: "metadata.json", Method: zip.Store})
	if _, err := meta.Write([]byte(`{"conda_pkg_format_version": 2}`)); err != nil {
		return nil, err
	}
	for _, part := range []struct {
		name    string
		entries []Entry
	}{{"pkg-" + stem + ".tar.zst", files}, {"info-" + stem + ".tar.zst", info}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: part.name, Method: zip.Store})
		if err != nil {
			return nil, err
		}
		zs, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		if err := writeTar(zs, part.entries); err != nil {
			return nil, err
		}
		if err := zs.Close(); err != nil {
			return nil, err
		}
	}
	for _, e := range p.ZipFiles {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Store})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(e.Body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeTar(w io.Writer, entries []Entry) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.Name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.Body))}
		switch {
		case e.Link != "":
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeSymlink, e.Link, 0
		case e.HardLink != "":
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, e.HardLink, 0
		case e.Zeros > 0:
			hdr.Size = e.Zeros
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		switch {
		case e.Zeros > 0:
			if _, err := io.CopyN(tw, zeros{}, e.Zeros); err != nil {
				return err
			}
		case hdr.Size > 0:
			if _, err := tw.Write(e.Body); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
