package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// bigSizes are the channel sizes of BENCHMARKS.md's "Big channels".
var bigSizes = []int{1_000, 10_000, 100_000}

// bigChannel seeds a public channel "big" with n artifacts in linux-64
// (four builds per package name).
func bigChannel(b *testing.B, backend modeltest.Backend, n int) (*models.Store, *models.Channel) {
	b.Helper()
	s := modeltest.Open(b, backend)
	ch, err := s.CreateChannel(b.Context(), models.NewChannel{Name: "big", Public: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := modeltest.SeedArtifacts(b.Context(), s, ch, "linux-64", n); err != nil {
		b.Fatal(err)
	}
	ch, err = s.ChannelByName(b.Context(), "big")
	if err != nil {
		b.Fatal(err)
	}
	return s, ch
}

// BenchmarkUploadUntilVisible uploads one new build of an existing package
// into a channel of n artifacts whose repodata is cached, then fetches the
// shard index and asks for repodata.json (HEAD): the time until the upload
// is visible to every client, measured end to end over loopback HTTP.
func BenchmarkUploadUntilVisible(b *testing.B) {
	for _, backend := range modeltest.Backends(b) {
		for _, n := range bigSizes {
			b.Run(fmt.Sprintf("%s/%d", backend, n), func(b *testing.B) {
				s, _ := bigChannel(b, backend, n)
				srv := handlertest.StartWith(b, s, handlertest.Config(b))
				adm := srv.AsAdmin()
				want(b, adm.Get("/api/repo/big/linux-64/repodata_shards.msgpack.zst"), http.StatusOK)
				want(b, adm.Do(http.MethodHead, "/api/repo/big/linux-64/repodata.json", nil, "", false), http.StatusOK)
				var lats []time.Duration
				i := 0
				for b.Loop() {
					b.StopTimer()
					p := condatest.Pkg{Name: fmt.Sprintf("pkg%05d", (i*7919)%(n/4)), Version: fmt.Sprintf("9.%d", i), Build: "h0_0", Depends: []string{"python"}}
					file := condatest.Build(b, p, conda.Conda)
					i++
					b.StartTimer()
					start := time.Now()
					want(b, uploadTo(b, adm, "big", "", p.Filename(conda.Conda), file), http.StatusCreated)
					want(b, adm.Get("/api/repo/big/linux-64/repodata_shards.msgpack.zst"), http.StatusOK)
					want(b, adm.Do(http.MethodHead, "/api/repo/big/linux-64/repodata.json", nil, "", false), http.StatusOK)
					lats = append(lats, time.Since(start))
				}
				reportP50(b, lats)
			})
		}
	}
}

// BenchmarkColdShardIndex builds a subdir of n artifacts from an empty
// cache: every row read, every shard, the index and repodata.json's blocks
// encoded (what the first request after a start waits for).
func BenchmarkColdShardIndex(b *testing.B) {
	for _, backend := range modeltest.Backends(b) {
		for _, n := range bigSizes {
			b.Run(fmt.Sprintf("%s/%d", backend, n), func(b *testing.B) {
				s, ch := bigChannel(b, backend, n)
				var lats []time.Duration
				for b.Loop() {
					start := time.Now()
					if _, _, err := handlers.NewRepodataCache().Get(b.Context(), s, ch, 0, "linux-64"); err != nil {
						b.Fatal(err)
					}
					lats = append(lats, time.Since(start))
				}
				reportP50(b, lats)
			})
		}
	}
}
