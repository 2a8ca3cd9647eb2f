package conda_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

// cph is conda's own package-format tool (conda-package-handling, from
// Debian); `make test` installs it. These tests hold Gatehouse's reader and
// test packages to the reference implementation.
func cph(t *testing.T, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("cph")
	if err != nil {
		t.Fatal("cph (conda-package-handling) is not installed; `make test` installs it (apt-get install conda-package-handling)")
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("cph %v: %v\n%s", args, err, out)
	}
}

// Packages made by conda's reference tool are read correctly.
func TestReadsPackagesBuiltByCondaPackageHandling(t *testing.T) {
	index := map[string]any{
		"name": "refpkg", "version": "2.1.0", "build": "pyhd8ed1ab_0", "build_number": 0,
		"subdir": "noarch", "noarch": "python", "depends": []string{"python >=3.8", "requests"},
		"license": "BSD-3-Clause", "timestamp": 1712345678901,
	}
	prefix := t.TempDir()
	write := func(rel string, body []byte) {
		p := filepath.Join(prefix, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := json.Marshal(index)
	write("info/index.json", raw)
	write("info/paths.json", []byte(`{"paths": [], "paths_version": 1}`))
	write("site-packages/refpkg/__init__.py", []byte("VERSION = '2.1.0'\n"))

	for _, f := range []conda.Format{conda.Conda, conda.TarBz2} {
		t.Run(f.Ext(), func(t *testing.T) {
			out := t.TempDir()
			name := "refpkg-2.1.0-pyhd8ed1ab_0" + f.Ext()
			cph(t, "create", prefix, name, "--out-folder", out)
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			ix, err := conda.ReadIndex(bytes.NewReader(b), int64(len(b)), f, conda.DefaultLimits)
			if err != nil {
				t.Fatalf("reading a reference-built package: %v", err)
			}
			if ix.Name != "refpkg" || ix.Version != "2.1.0" || ix.Build != "pyhd8ed1ab_0" || ix.Subdir != "noarch" ||
				ix.License != "BSD-3-Clause" || ix.Timestamp != 1712345678901 ||
				!reflect.DeepEqual(ix.Depends, []string{"python >=3.8", "requests"}) || string(ix.Extra.Noarch) != `"python"` {
				t.Fatalf("index read as %+v", ix)
			}
			if ix.Filename(f) != name {
				t.Fatalf("file name %q", ix.Filename(f))
			}
		})
	}
}

// The packages tests build in code are real conda packages: the reference
// tool extracts them and finds the same index.json.
func TestTestPackagesAreRealPackages(t *testing.T) {
	pkg := condatest.Pkg{Name: "fixture", Version: "0.3.1", Build: "h0_1", BuildNumber: 1}
	for _, f := range []conda.Format{conda.Conda, conda.TarBz2} {
		t.Run(f.Ext(), func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, pkg.Filename(f))
			if err := os.WriteFile(file, condatest.Build(t, pkg, f), 0o644); err != nil {
				t.Fatal(err)
			}
			dest := filepath.Join(dir, "x")
			cph(t, "extract", file, "--dest", dest)
			got, err := os.ReadFile(filepath.Join(dest, "info", "index.json"))
			if err != nil {
				t.Fatal(err)
			}
			var a, b map[string]any
			_ = json.Unmarshal(got, &a)
			_ = json.Unmarshal(pkg.IndexJSON(), &b)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("extracted index.json %s, built %s", got, pkg.IndexJSON())
			}
			if _, err := os.Stat(filepath.Join(dest, "lib", "fixture.txt")); err != nil {
				t.Fatalf("package payload missing after extraction: %v", err)
			}
		})
	}
}
