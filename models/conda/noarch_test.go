package conda_test

import (
	"strings"
	"testing"

	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

// conda refuses a record whose noarch type it does not know, and finds
// noarch packages only in the noarch subdir.
func TestReadIndexChecksNoarch(t *testing.T) {
	idx := func(noarch any, subdir string) condatest.Pkg {
		return condatest.Pkg{Index: map[string]any{"name": "x", "version": "1", "build": "0", "build_number": 0, "subdir": subdir, "noarch": noarch}}
	}
	for name, tc := range map[string]struct {
		pkg  condatest.Pkg
		want string // "" accepts; then the noarch kept
		kept string
	}{
		"python":             {idx("python", "noarch"), "", `"python"`},
		"generic":            {idx("generic", "noarch"), "", `"generic"`},
		"legacy true":        {idx(true, "noarch"), "", `"generic"`},
		"false":              {idx(false, "linux-64"), "", ``},
		"null":               {idx(nil, "linux-64"), "", ``},
		"unknown type":       {idx("rust", "noarch"), "noarch", ""},
		"python in linux-64": {idx("python", "linux-64"), "noarch", ""},
	} {
		for _, f := range formats {
			t.Run(name+f.Ext(), func(t *testing.T) {
				ix, err := read(t, condatest.Build(t, tc.pkg, f), f)
				if tc.want != "" {
					if err == nil || !conda.IsArchiveError(err) || !strings.Contains(err.Error(), tc.want) {
						t.Fatalf("err = %v, want an archive error about %q", err, tc.want)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if string(ix.Extra.Noarch) != tc.kept {
					t.Errorf("noarch = %s, want %s", ix.Extra.Noarch, tc.kept)
				}
			})
		}
	}
}
