package conda

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Record is one package in repodata.json, as conda reads it.
type Record struct {
	Build         string          `json:"build"`
	BuildNumber   int             `json:"build_number"`
	Constrains    []string        `json:"constrains,omitempty"`
	Depends       []string        `json:"depends"`
	Features      string          `json:"features,omitempty"`
	License       string          `json:"license,omitempty"`
	LicenseFamily string          `json:"license_family,omitempty"`
	MD5           string          `json:"md5"`
	Name          string          `json:"name"`
	Noarch        json.RawMessage `json:"noarch,omitempty"`
	SHA256        string          `json:"sha256"`
	Size          int64           `json:"size"`
	Subdir        string          `json:"subdir"`
	Timestamp     int64           `json:"timestamp,omitempty"`
	TrackFeatures string          `json:"track_features,omitempty"`
	Version       string          `json:"version"`
}

// Repodata is repodata.json for one subdir.
type Repodata struct {
	Info            RepodataInfo      `json:"info"`
	Packages        map[string]Record `json:"packages"`
	PackagesConda   map[string]Record `json:"packages.conda"`
	Removed         []string          `json:"removed"`
	RepodataVersion int               `json:"repodata_version"`
}

// RepodataInfo is repodata's "info" object.
type RepodataInfo struct {
	Subdir string `json:"subdir"`
}

// BuildRepodata assembles repodata for subdir: .tar.bz2 files under
// "packages", .conda files under "packages.conda". An empty file list gives
// a valid, empty repodata.
func BuildRepodata(subdir string, files []File) Repodata {
	rd := Repodata{
		Info:            RepodataInfo{Subdir: subdir},
		Packages:        map[string]Record{},
		PackagesConda:   map[string]Record{},
		Removed:         []string{},
		RepodataVersion: 1,
	}
	for _, f := range files {
		switch FormatOf(f.Filename) {
		case Conda:
			rd.PackagesConda[f.Filename] = f.Record
		case TarBz2:
			rd.Packages[f.Filename] = f.Record
		}
	}
	return rd
}

// Encoded is repodata ready to serve: JSON and its zstd compression.
type Encoded struct {
	JSON []byte
	Zst  []byte
}

var zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err) // only on invalid options
	}
	return enc
})

// Encode marshals repodata and compresses it with zstd.
func Encode(rd Repodata) (Encoded, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rd); err != nil {
		return Encoded{}, err
	}
	// Exact-size copies: the cache bounds entries by their length, so they
	// must not pin a growing buffer's spare capacity.
	js := bytes.Clone(buf.Bytes())
	return Encoded{JSON: js, Zst: bytes.Clone(zstdEncoder().EncodeAll(js, make([]byte, 0, len(js)/8)))}, nil
}
