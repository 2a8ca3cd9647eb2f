package models_test

import (
	"fmt"
	"testing"
	"time"

	"gatehouse/models/modeltest"
	"gatehouse/models/policy"
)

// manyRecords makes n records, one per package pkg%05d, each with two
// ranges, as a large OSV export looks.
func manyRecords(n int) []policy.Record {
	out := make([]policy.Record, n)
	for i := range out {
		out[i] = policy.Record{ID: fmt.Sprintf("GHSA-bench-%05d", i), Summary: "bench", Severity: policy.Severity(1 + i%4), Rated: true,
			Affected: []policy.Affected{{Package: fmt.Sprintf("pkg%05d", i), Ranges: []policy.Range{
				{Type: "ECOSYSTEM", Events: []policy.Event{{Introduced: "0"}, {Fixed: "1.1"}}},
				{Type: "ECOSYSTEM", Events: []policy.Event{{Introduced: "1.3"}, {LastAffected: "1.3.5"}}},
			}}}}
	}
	return out
}

// BenchmarkPolicy reports what importing 5,000 records, building the
// snapshot from them and asking it about one package cost.
func BenchmarkPolicy(b *testing.B) {
	for _, be := range modeltest.Backends(b) {
		b.Run(string(be), func(b *testing.B) {
			s := modeltest.Open(b, be)
			ctx := b.Context()
			recs := manyRecords(5000)
			start := time.Now()
			if _, err := s.ImportVulnerabilities(ctx, recs, "bench"); err != nil {
				b.Fatal(err)
			}
			b.Logf("import of 5,000 new records: %s", time.Since(start))
			start = time.Now()
			if _, err := s.ImportVulnerabilities(ctx, recs, "bench"); err != nil {
				b.Fatal(err)
			}
			b.Logf("re-import of 5,000 records: %s", time.Since(start))
			start = time.Now()
			if err := s.DB().Exec("UPDATE vulnerabilities SET summary = 'x' WHERE id = 1").Error; err != nil { // drops the kept snapshot
				b.Fatal(err)
			}
			snap, err := s.PolicySnapshot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("snapshot built from 5,000 records: %s", time.Since(start))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				p, _ := s.PolicySnapshot(ctx) // kept: what each upload pays
				_ = p.Worst(fmt.Sprintf("pkg%05d", i%5000), "1.3.2")
			}
			if snap.Worst("pkg00001", "1.0") == policy.None {
				b.Fatal("the snapshot knows no records")
			}
		})
	}
}
