package handlers_test

import (
	"io"
	"net/http"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/modeltest"
)

func seeded(b *testing.B) (*models.Store, *models.Channel) {
	b.Helper()
	s := modeltest.Open(b, modeltest.SQLite)
	ch, err := s.CreateChannel(b.Context(), models.NewChannel{Name: "bench", Public: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := modeltest.SeedArtifacts(b.Context(), s, ch, "linux-64", 10_000); err != nil {
		b.Fatal(err)
	}
	return s, ch
}

// BenchmarkRepodataBuild10k measures a cache miss: reading 10,000 artifact
// rows and encoding every shard, the shard index and repodata.json's blocks.
func BenchmarkRepodataBuild10k(b *testing.B) {
	s, ch := seeded(b)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := handlers.NewRepodataCache().Get(b.Context(), s, ch, 0, "linux-64"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRepodataServeCached measures a cached repodata.json fetch of
// 10,000 artifacts over loopback HTTP, end to end.
func BenchmarkRepodataServeCached(b *testing.B) {
	for _, file := range []string{"repodata.json", "repodata.json.zst"} {
		b.Run(file, func(b *testing.B) {
			s, _ := seeded(b)
			srv := handlertest.StartWith(b, s, webConfig(b, 1<<20))
			url := srv.URL + "/api/repo/bench/linux-64/" + file
			get := func() int64 {
				res, err := http.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
				return n
			}
			n := get() // builds the cache
			b.SetBytes(n)
			b.ResetTimer()
			for b.Loop() {
				get()
			}
		})
	}
}
