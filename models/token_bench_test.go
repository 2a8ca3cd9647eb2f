package models_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

// BenchmarkTokenCheck measures the token check with 100,000 tokens stored
// (spec §10: under 100 µs added per request at p50). "lookup" is what a
// token adds to a request (checksum, SHA-256, one indexed lookup); "with-owner"
// adds loading the owner's roles and teams, which a session does as well.
func BenchmarkTokenCheck(b *testing.B) {
	for _, be := range modeltest.Backends(b) {
		s := modeltest.Open(b, be)
		secrets := modeltest.SeedTokens(b, s, modeltest.MustUser(b, s, "bench@example.com"), 100_000, 1000)
		ctx := b.Context()
		run := func(name string, check func(string) error) {
			b.Run(string(be)+"/"+name, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				i := 0
				for b.Loop() {
					start := time.Now()
					if err := check(secrets[i%len(secrets)]); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
					i++
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			})
		}
		run("lookup", func(sec string) error { _, err := s.TokenBySecret(ctx, sec); return err })
		run("with-owner", func(sec string) error { _, err := s.AuthenticateToken(ctx, sec); return err })
		run("unknown", func(sec string) error {
			if _, err := s.TokenBySecret(ctx, models.NewTokenSecret()); err != models.ErrTokenUnknown {
				return fmt.Errorf("unknown token: %v", err)
			}
			return nil
		})
	}
}
