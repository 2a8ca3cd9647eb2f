package models_test

import (
	"errors"
	"slices"
	"testing"

	"gatehouse/models"
	"gatehouse/models/modeltest"
	"gatehouse/models/policy"
)

func mustParseOSV(t *testing.T, doc string) []policy.Record {
	t.Helper()
	recs, err := policy.ParseOSV([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

const osvTwo = `[
 {"id":"GHSA-aaaa","summary":"first","database_specific":{"severity":"HIGH"},
  "affected":[{"package":{"ecosystem":"PyPI","name":"NumPy"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.22"}]}]},
              {"package":{"ecosystem":"PyPI","name":"scipy"},"versions":["1.0"]}]},
 {"id":"CVE-2024-0002","summary":"second","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}],
  "affected":[{"package":{"name":"numpy"},"versions":["1.21.0"]}]}
]`

func TestPolicyImportAnnotateSnapshot(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		admin := modeltest.MustUser(t, s, "admin@example.com", "Admin")

		snap, err := s.PolicySnapshot(ctx)
		if err != nil || snap.Worst("numpy", "1.0") != policy.None || snap.LicenseRefusal("GPL-3.0-only") != "" {
			t.Fatalf("empty snapshot: %v", err)
		}

		res, err := s.ImportVulnerabilities(ctx, mustParseOSV(t, osvTwo), "two.json")
		if err != nil || len(res.Created) != 2 || len(res.Updated) != 0 {
			t.Fatalf("import: %+v %v", res, err)
		}
		snap, err = s.PolicySnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := snap.Vulnerabilities("numpy", "1.21.0"); len(got) != 2 || got[0].ID != "GHSA-aaaa" || got[1].Severity != policy.Medium {
			t.Fatalf("numpy 1.21.0: %+v", got)
		}
		if snap.Worst("numpy", "1.22") != policy.None || snap.Worst("scipy", "1.0") != policy.High {
			t.Fatal("worst after import")
		}

		// Re-importing the same id updates the record: no duplicate.
		res, err = s.ImportVulnerabilities(ctx, mustParseOSV(t, `{"id":"GHSA-aaaa","summary":"revised","database_specific":{"severity":"CRITICAL"},
			"affected":[{"package":{"name":"numpy"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.20"}]}]}]}`), "again.json")
		if err != nil || !slices.Equal(res.Updated, []string{"GHSA-aaaa"}) || len(res.Created) != 0 {
			t.Fatalf("re-import: %+v %v", res, err)
		}
		all, err := s.Vulnerabilities(ctx, models.VulnerabilityFilter{})
		if err != nil || len(all) != 2 || all[0].OSVID != "GHSA-aaaa" || all[0].Summary != "revised" || all[0].Severity != policy.Critical {
			t.Fatalf("after re-import: %+v %v", all, err)
		}
		snap, _ = s.PolicySnapshot(ctx)
		if snap.Worst("numpy", "1.21.0") != policy.Medium || snap.Worst("numpy", "1.19") != policy.Critical || snap.Worst("scipy", "1.0") != policy.None {
			t.Fatal("snapshot after re-import still has the old ranges")
		}
		high, _ := s.Vulnerabilities(ctx, models.VulnerabilityFilter{MinSeverity: policy.High})
		if len(high) != 1 || high[0].OSVID != "GHSA-aaaa" {
			t.Fatalf("severity filter: %+v", high)
		}

		// Annotations: not affected no longer counts; a package the record
		// does not name, an unknown record or no reason is refused.
		if _, _, err := s.AnnotateNotAffected(ctx, "GHSA-aaaa", "pandas", "x", admin.ID); !isInvalid(err, "names no package") {
			t.Fatalf("unnamed package: %v", err)
		}
		if _, _, err := s.AnnotateNotAffected(ctx, "GHSA-nope", "numpy", "x", admin.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown record: %v", err)
		}
		if _, _, err := s.AnnotateNotAffected(ctx, "GHSA-aaaa", "numpy", "  ", admin.ID); !isInvalid(err, "reason") {
			t.Fatalf("no reason: %v", err)
		}
		old, now, err := s.AnnotateNotAffected(ctx, "GHSA-aaaa", "NumPy", "we build without the module", admin.ID)
		if err != nil || old != nil || now.Package != "numpy" {
			t.Fatalf("annotate: %v %v %v", old, now, err)
		}
		snap, _ = s.PolicySnapshot(ctx)
		if snap.Worst("numpy", "1.19") != policy.None || snap.Worst("numpy", "1.21.0") != policy.Medium {
			t.Fatal("annotated record still counts")
		}
		old, _, err = s.AnnotateNotAffected(ctx, "GHSA-aaaa", "numpy", "second reason", admin.ID)
		if err != nil || old == nil || old.Reason != "we build without the module" {
			t.Fatalf("re-annotate: %v %v", old, err)
		}
		if _, err := s.RemoveAnnotation(ctx, "GHSA-aaaa", "numpy"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RemoveAnnotation(ctx, "GHSA-aaaa", "numpy"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second removal: %v", err)
		}
		snap, _ = s.PolicySnapshot(ctx)
		if snap.Worst("numpy", "1.19") != policy.Critical {
			t.Fatal("removed annotation still hides the record")
		}
	})
}

func TestBlockedLicenses(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		admin := modeltest.MustUser(t, s, "admin@example.com", "Admin")
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "lic"})
		if err != nil {
			t.Fatal(err)
		}
		if err := modeltest.SeedArtifacts(ctx, s, ch, "noarch", 3); err != nil { // BSD-3-Clause
			t.Fatal(err)
		}
		if err := s.DB().Model(&models.Artifact{}).Where("id = (SELECT min(id) FROM artifacts)").Update("license", "Our Own Terms").Error; err != nil {
			t.Fatal(err)
		}

		b, err := s.BlockLicense(ctx, "GPLv3", "copyleft", admin.ID)
		if err != nil || b.License != "GPL-3.0-only" {
			t.Fatalf("block: %+v %v", b, err)
		}
		if _, err := s.BlockLicense(ctx, "GPL-3.0-only", "again", admin.ID); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("second block: %v", err)
		}
		if _, err := s.BlockLicense(ctx, "Made-Up-License", "x", admin.ID); !isInvalid(err, "neither an SPDX") {
			t.Fatalf("unknown license: %v", err)
		}
		if _, err := s.BlockLicense(ctx, "MIT", "", admin.ID); !isInvalid(err, "reason") {
			t.Fatalf("no reason: %v", err)
		}
		if _, err := s.BlockLicense(ctx, "Our Own Terms", "not open source", admin.ID); err != nil {
			t.Fatalf("a license artifacts carry: %v", err)
		}
		snap, err := s.PolicySnapshot(ctx)
		if err != nil || snap.LicenseRefusal("GPL-3.0-only") == "" || snap.LicenseRefusal("Our Own Terms") == "" || snap.LicenseRefusal("MIT") != "" {
			t.Fatalf("snapshot refusals wrong: %v", err)
		}

		over, err := s.LicenseOverview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]models.LicenseUse{}
		for _, u := range over {
			byID[u.License] = u
		}
		if u := byID["BSD-3-Clause"]; u.Count != 2 || !u.SPDX || !slices.Equal(u.Channels, []string{"lic"}) {
			t.Errorf("BSD-3-Clause: %+v", u)
		}
		if u := byID["Our Own Terms"]; u.Count != 1 || u.SPDX || u.Blocked == nil {
			t.Errorf("Our Own Terms: %+v", u)
		}
		if u := byID["GPL-3.0-only"]; u.Count != 0 || u.Blocked == nil || u.Blocked.Reason != "copyleft" {
			t.Errorf("GPL-3.0-only: %+v", u)
		}

		if _, err := s.UnblockLicense(ctx, "GPL-3.0-only"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UnblockLicense(ctx, "GPL-3.0-only"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second unblock: %v", err)
		}
		snap, _ = s.PolicySnapshot(ctx)
		if snap.LicenseRefusal("GPL-3.0-only") != "" {
			t.Fatal("unblocked license still refused")
		}
	})
}
