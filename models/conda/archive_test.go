package conda_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

var formats = []conda.Format{conda.Conda, conda.TarBz2}

func read(t testing.TB, b []byte, f conda.Format) (*conda.Index, error) {
	return conda.ReadIndex(bytes.NewReader(b), int64(len(b)), f, conda.DefaultLimits)
}

func TestReadIndexSound(t *testing.T) {
	for _, f := range formats {
		t.Run(f.Ext(), func(t *testing.T) {
			p := condatest.Pkg{Name: "numpy-lite", Version: "2.1.0", Build: "py312_3", BuildNumber: 3, Subdir: "noarch", Noarch: "python"}
			ix, err := read(t, condatest.Build(t, p, f), f)
			if err != nil {
				t.Fatal(err)
			}
			if ix.Name != "numpy-lite" || ix.Version != "2.1.0" || ix.Build != "py312_3" || ix.BuildNumber != 3 || ix.Subdir != "noarch" {
				t.Errorf("index = %+v", ix)
			}
			if !slices.Equal(ix.Depends, p.Defaults().Depends) || ix.License != "MIT" || ix.Timestamp != 1700000000000 {
				t.Errorf("index = %+v", ix)
			}
			if string(ix.Extra.Noarch) != `"python"` {
				t.Errorf("noarch = %s", ix.Extra.Noarch)
			}
			if ix.Filename(f) != p.Filename(f) {
				t.Errorf("filename %s, want %s", ix.Filename(f), p.Filename(f))
			}
		})
	}
}

func TestReadIndexAcceptsInternalLinks(t *testing.T) {
	p := condatest.Pkg{Files: []condatest.Entry{{Name: "lib/libx.so", Link: "libx.so.1"}, {Name: "lib/libx.so.2", HardLink: "lib/demo.txt"}}}
	for _, f := range formats {
		if _, err := read(t, condatest.Build(t, p, f), f); err != nil {
			t.Errorf("%s: %v", f.Ext(), err)
		}
	}
}

// hostile lists archives that must be refused, each with a word the error must contain.
func hostile() map[string]struct {
	pkg  condatest.Pkg
	want string
} {
	return map[string]struct {
		pkg  condatest.Pkg
		want string
	}{
		"no index":          {condatest.Pkg{NoIndex: true}, "no info/index.json"},
		"malformed index":   {condatest.Pkg{RawIndex: []byte(`{"name": "x",`)}, "malformed"},
		"index not object":  {condatest.Pkg{RawIndex: []byte(`[1,2]`)}, "malformed"},
		"index wrong type":  {condatest.Pkg{Index: map[string]any{"name": 5}}, "malformed"},
		"index lacks build": {condatest.Pkg{Index: map[string]any{"name": "x", "version": "1", "subdir": "noarch", "build_number": 0}}, "lacks build"},
		"unknown subdir":    {condatest.Pkg{Subdir: "plan9-64"}, "unknown subdir"},
		"bad name":          {condatest.Pkg{Index: map[string]any{"name": "../x", "version": "1", "build": "0", "build_number": 0, "subdir": "noarch"}}, "invalid name"},
		"huge index":        {condatest.Pkg{RawIndex: []byte(`{"name":"` + strings.Repeat("a", 2<<20) + `"}`)}, "larger than"},
		"dotdot path":       {condatest.Pkg{Files: []condatest.Entry{{Name: "../../etc/evil", Body: []byte("x")}}}, "escapes"},
		"absolute path":     {condatest.Pkg{Files: []condatest.Entry{{Name: "/etc/evil", Body: []byte("x")}}}, "unsafe path"},
		"symlink escape":    {condatest.Pkg{Files: []condatest.Entry{{Name: "lib/evil", Link: "../../../etc/passwd"}}}, "link"},
		"absolute symlink":  {condatest.Pkg{Files: []condatest.Entry{{Name: "lib/evil", Link: "/etc/passwd"}}}, "absolute"},
		"hardlink escape":   {condatest.Pkg{Files: []condatest.Entry{{Name: "lib/evil", HardLink: "../outside"}}}, "link"},
		"bomb":              {condatest.Pkg{InfoFiles: []condatest.Entry{{Name: "info/zeros", Zeros: 48 << 20}}}, "bomb"},
		"index twice":       {condatest.Pkg{InfoFiles: []condatest.Entry{{Name: "info/index.json", Body: []byte(`{}`)}}}, "twice"},
		"index is a link":   {condatest.Pkg{NoIndex: true, InfoFiles: []condatest.Entry{{Name: "info/index.json", Link: "../x"}}}, "regular file"},
	}
}

func TestReadIndexRefusesHostileArchives(t *testing.T) {
	for name, tc := range hostile() {
		for _, f := range formats {
			t.Run(name+f.Ext(), func(t *testing.T) {
				_, err := read(t, condatest.Build(t, tc.pkg, f), f)
				if err == nil || !conda.IsArchiveError(err) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want an archive error containing %q", err, tc.want)
				}
			})
		}
	}
}

func TestReadIndexRefusesBrokenFiles(t *testing.T) {
	good := map[conda.Format][]byte{}
	for _, f := range formats {
		good[f] = condatest.Build(t, condatest.Pkg{}, f)
	}
	cases := map[string]struct {
		b []byte
		f conda.Format
	}{
		"garbage .conda":     {[]byte("not a zip at all"), conda.Conda},
		"garbage .tar.bz2":   {[]byte("not bzip2 at all"), conda.TarBz2},
		"truncated .conda":   {good[conda.Conda][:len(good[conda.Conda])/2], conda.Conda},
		"truncated .tar.bz2": {good[conda.TarBz2][:len(good[conda.TarBz2])/2], conda.TarBz2},
		"empty":              {nil, conda.TarBz2},
		"unknown format":     {good[conda.Conda], conda.Unknown},
		"zip traversal":      {condatest.Build(t, condatest.Pkg{ZipFiles: []condatest.Entry{{Name: "../evil", Body: []byte("x")}}}, conda.Conda), conda.Conda},
		"two info tars":      {condatest.Build(t, condatest.Pkg{ZipFiles: []condatest.Entry{{Name: "info-x.tar.zst", Body: []byte("x")}}}, conda.Conda), conda.Conda},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := read(t, tc.b, tc.f); err == nil || !conda.IsArchiveError(err) {
				t.Fatalf("err = %v, want an archive error", err)
			}
		})
	}
}

func FuzzReadIndex(f *testing.F) {
	for _, fm := range formats {
		f.Add(condatest.Build(f, condatest.Pkg{}, fm), fm == conda.Conda)
		f.Add(condatest.Build(f, condatest.Pkg{Files: []condatest.Entry{{Name: "../evil", Body: []byte("x")}}}, fm), fm == conda.Conda)
		f.Add(condatest.Build(f, condatest.Pkg{RawIndex: []byte(`{"name":1}`)}, fm), fm == conda.Conda)
	}
	f.Add([]byte("PK\x03\x04"), true)
	f.Add([]byte("BZh91AY&SY"), false)
	lim := conda.DefaultLimits
	lim.MaxDecompressed = 8 << 20
	f.Fuzz(func(t *testing.T, b []byte, isConda bool) {
		fm := conda.TarBz2
		if isConda {
			fm = conda.Conda
		}
		ix, err := conda.ReadIndex(bytes.NewReader(b), int64(len(b)), fm, lim)
		if err != nil {
			if !conda.IsArchiveError(err) {
				t.Fatalf("error is not an archive error: %v", err)
			}
			return
		}
		if ix.Name == "" || ix.Version == "" || ix.Build == "" || !conda.IsSubdir(ix.Subdir) || ix.Depends == nil {
			t.Fatalf("accepted an invalid index %+v", ix)
		}
	})
}

func TestBuildRepodata(t *testing.T) {
	rd := conda.BuildRepodata("linux-64", []conda.File{
		{Filename: "a-1-0.conda", Record: conda.Record{Name: "a", Version: "1", Build: "0", Depends: []string{}, Subdir: "linux-64"}},
		{Filename: "b-1-0.tar.bz2", Record: conda.Record{Name: "b", Version: "1", Build: "0", Depends: []string{}, Subdir: "linux-64"}},
	})
	enc, err := conda.Encode(rd)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(enc.JSON, &got); err != nil {
		t.Fatal(err)
	}
	if got["info"].(map[string]any)["subdir"] != "linux-64" || got["repodata_version"] != float64(1) {
		t.Errorf("repodata = %s", enc.JSON)
	}
	if _, ok := got["packages.conda"].(map[string]any)["a-1-0.conda"]; !ok {
		t.Error(".conda not under packages.conda")
	}
	if _, ok := got["packages"].(map[string]any)["b-1-0.tar.bz2"]; !ok {
		t.Error(".tar.bz2 not under packages")
	}
	empty, _ := conda.Encode(conda.BuildRepodata("noarch", nil))
	if !strings.Contains(string(empty.JSON), `"packages":{}`) || !strings.Contains(string(empty.JSON), `"packages.conda":{}`) {
		t.Errorf("empty repodata = %s", empty.JSON)
	}
}
