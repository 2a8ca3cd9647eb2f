package conda_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

// tarZst is a zstd-compressed tar holding one file of n zero bytes.
func tarZst(t *testing.T, name string, body []byte, zeros int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zs, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	tw := tar.NewWriter(zs)
	size := int64(len(body)) + zeros
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Size: size}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	if _, err := io.CopyN(tw, bytes.NewReader(make([]byte, zeros)), zeros); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	zs.Close()
	return buf.Bytes()
}

// A zip entry that claims a compressed size far beyond the file must not
// buy its decompressor a bigger allowance: the bomb is still refused.
func TestReadIndexBombWithLyingCompressedSize(t *testing.T) {
	info := tarZst(t, "info/index.json", condatest.Pkg{}.IndexJSON(), 0)
	bomb := tarZst(t, "lib/zeros", nil, 64<<20)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct {
		name string
		body []byte
		lie  uint64
	}{{"info-demo-1.0.0-h1234_0.tar.zst", info, 0}, {"pkg-demo-1.0.0-h1234_0.tar.zst", bomb, 1 << 40}} {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Store, CompressedSize64: uint64(len(e.body)), UncompressedSize64: uint64(len(e.body))}
		if e.lie != 0 {
			fh.CompressedSize64 = e.lie
		}
		w, err := zw.CreateRaw(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.body)
	}
	zw.Close()
	b := buf.Bytes()
	lim := conda.Limits{MaxEntries: 1000, MaxIndexBytes: 1 << 20, MaxDecompressed: 1 << 30, MaxRatio: 100, Slack: 1 << 20}
	_, err := conda.ReadIndex(bytes.NewReader(b), int64(len(b)), conda.Conda, lim)
	if err == nil || !strings.Contains(err.Error(), "bomb") {
		t.Fatalf("err = %v, want the bomb refused (archive is %d bytes)", err, len(b))
	}
}
