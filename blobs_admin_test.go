package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"gatehouse/models"
	"gatehouse/models/blobs"
	"gatehouse/models/blobs/blobstest"
	"gatehouse/models/conda"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// migrate-blobs copies every blob artifacts refer to into a bucket,
// verifying each SHA256: a damaged file is reported and not copied, a
// second run resumes, a third changes nothing.
func TestAdminMigrateBlobs(t *testing.T) {
	for _, k := range blobstest.Kinds(t) {
		if k != blobstest.S3 {
			continue
		}
		modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
			ctx := t.Context()
			cfg := web.Config{DataDir: t.TempDir(), Blobs: "file"}
			src, err := blobs.Open(ctx, cfg.BlobSettings())
			if err != nil {
				t.Fatal(err)
			}
			ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "old"})
			if err != nil {
				t.Fatal(err)
			}
			contents := []string{"first package", "second package", strings.Repeat("third ", 100000)}
			var shas []string
			for i, c := range contents {
				st, err := src.Stage(strings.NewReader(c), 1<<30)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := src.Put(ctx, st); err != nil {
					t.Fatal(err)
				}
				st.Discard()
				name := string(rune('a' + i))
				if _, err := s.AddArtifact(ctx, models.NewArtifact(ch, nil, name+"-1-0.conda", index(name), st.SHA256, st.MD5, st.Size), false); err != nil {
					t.Fatal(err)
				}
				shas = append(shas, st.SHA256)
			}
			// An orphan is not copied; a damaged blob is refused.
			orphan, _ := src.Stage(strings.NewReader("nobody's"), 100)
			src.Put(ctx, orphan)
			orphan.Discard()
			damaged := src.(*blobs.FileStore).Path(shas[1])
			if err := os.WriteFile(damaged, []byte("second pAckage"), 0o600); err != nil {
				t.Fatal(err)
			}

			o := blobstest.Options(t)
			bucket := blobstest.NewBucket(t, o)
			cfg.S3 = o
			to := "s3://" + bucket + "/moved"
			var out, errOut bytes.Buffer
			err = migrateBlobs(ctx, cfg, s, []string{"--to", to}, &out, &errOut)
			if err == nil || !strings.Contains(errOut.String(), shas[1]) || !strings.Contains(errOut.String(), "damaged") {
				t.Fatalf("a damaged blob went unnoticed: %v\n%s%s", err, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), "Copied 2 blobs") {
				t.Errorf("first run: %s", out.String())
			}
			os.WriteFile(damaged, []byte(contents[1]), 0o600) // repaired
			out.Reset()
			if err := migrateBlobs(ctx, cfg, s, []string{"--to", to}, &out, &errOut); err != nil || !strings.Contains(out.String(), "Copied 1 blobs") || !strings.Contains(out.String(), "2 were there already") {
				t.Fatalf("second run: %v %s", err, out.String())
			}
			out.Reset()
			if err := migrateBlobs(ctx, cfg, s, []string{"--to", to}, &out, &errOut); err != nil || !strings.Contains(out.String(), "Copied 0 blobs") {
				t.Fatalf("third run: %v %s", err, out.String())
			}
			dst, err := blobs.Open(ctx, blobs.Settings{Spec: to, DataDir: t.TempDir(), S3: o})
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			dst.Walk(ctx, func(i blobs.Info) error { found = append(found, i.SHA256); return nil })
			if len(found) != 3 {
				t.Fatalf("bucket holds %v", found)
			}
			for i, sha := range shas {
				r, err := dst.Open(ctx, sha, int64(len(contents[i])))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || string(got) != contents[i] {
					t.Errorf("blob %d differs in the bucket: %v", i, err)
				}
			}
			if err := migrateBlobs(ctx, cfg, s, []string{}, &out, &errOut); err == nil {
				t.Error("no --to accepted")
			}
			if err := migrateBlobs(ctx, cfg, s, []string{"--to", "file"}, &out, &errOut); err == nil {
				t.Error("copying onto itself accepted")
			}
		})
	}
}

func index(name string) *conda.Index {
	return &conda.Index{Name: name, Version: "1", Build: "0", Subdir: "linux-64", Depends: []string{}, Constrains: []string{}}
}

func TestHelpListsStorageSettings(t *testing.T) {
	var out bytes.Buffer
	_ = run(t.Context(), []string{"--help"}, &out, &out)
	for _, s := range []string{"GATEHOUSE_BLOBS", "s3://BUCKET", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"GATEHOUSE_S3_PATH_STYLE", "GATEHOUSE_DOWNLOAD_REDIRECT", "GATEHOUSE_SWEEP_INTERVAL", "GATEHOUSE_SWEEP_GRACE", "migrate-blobs"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("--help does not mention %s", s)
		}
	}
}
