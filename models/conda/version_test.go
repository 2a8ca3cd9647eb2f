package conda

import "testing"

func TestCompareVersions(t *testing.T) {
	// Each is older than the next, as conda orders them.
	ordered := []string{"0.4", "0.4.1.rc", "0.4.1.RC", "0.4.1", "0.5a1", "0.5b3", "0.5C1", "0.5", "0.9.6", "0.960923",
		"1.0", "1.1dev1", "1.1a1", "1.1.0dev1", "1.1.a1", "1.1.0rc1", "1.1.0", "1.1.0post1", "1.1post1", "1996.07.12", "1!0.4.1", "1!3.1.1.6"}
	for i := 0; i+1 < len(ordered); i++ {
		a, b := ordered[i], ordered[i+1]
		if c := CompareVersions(a, b); c > 0 {
			t.Errorf("%s > %s", a, b)
		}
		if c := CompareVersions(b, a); c < 0 {
			t.Errorf("%s < %s", b, a)
		}
	}
	for _, eq := range [][2]string{{"1.0", "1.0.0"}, {"1.0", "1.0.0.0"}, {"2.10", "2.10"}, {"1.1-1", "1.1_1"}} {
		if CompareVersions(eq[0], eq[1]) != 0 {
			t.Errorf("%s != %s", eq[0], eq[1])
		}
	}
	if CompareVersions("1.10", "1.9") <= 0 || CompareVersions("10000000000000000000000.1", "9.1") <= 0 {
		t.Error("numbers compare as text")
	}
}

func TestBuildChanneldata(t *testing.T) {
	cd := BuildChanneldata([]PackageSummary{
		{Name: "a", Version: "1.10", Subdir: "linux-64", License: "MIT", Timestamp: 5},
		{Name: "a", Version: "1.9", Subdir: "noarch", License: "BSD", Timestamp: 9},
		{Name: "b", Version: "2", Subdir: "osx-arm64"},
	})
	a := cd.Packages["a"]
	if a.Version != "1.10" || a.License != "MIT" || a.Timestamp != 9 || len(a.Subdirs) != 2 || a.Subdirs[0] != "linux-64" {
		t.Errorf("a: %+v", a)
	}
	if len(cd.Subdirs) != 3 || cd.ChanneldataVersion != 1 {
		t.Errorf("%+v", cd)
	}
}
