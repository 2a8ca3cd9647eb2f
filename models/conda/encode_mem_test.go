package conda_test

import (
	"fmt"
	"testing"

	"gatehouse/models/conda"
)

// Cached repodata is bounded by its length, so the encoded bytes must not
// hold much more memory than they show.
func TestEncodedRepodataHoldsNoSpareCapacity(t *testing.T) {
	var files []conda.File
	for i := range 3000 {
		files = append(files, conda.File{Filename: fmt.Sprintf("pkg%d-1.0-0.conda", i), Record: conda.Record{
			Name: fmt.Sprintf("pkg%d", i), Version: "1.0", Build: "0", Depends: []string{"python >=3.10", "numpy"}, Subdir: "linux-64",
			MD5: "0123456789abcdef0123456789abcdef", SHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Size: int64(i),
		}})
	}
	enc, err := conda.Encode(conda.BuildRepodata("linux-64", files))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"json": enc.JSON, "zst": enc.Zst} {
		if spare := cap(b) - len(b); spare > len(b)/8+64 {
			t.Errorf("%s: %d bytes long, holds %d", name, len(b), cap(b))
		}
	}
}
