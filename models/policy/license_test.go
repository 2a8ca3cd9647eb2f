package policy

import "testing"

func TestNormalizeLicense(t *testing.T) {
	for in, want := range map[string]string{
		"MIT":                       "MIT",
		"MIT License":               "MIT",
		"mit":                       "MIT",
		"  MIT  ":                   "MIT",
		"Apache 2.0":                "Apache-2.0",
		"Apache License 2.0":        "Apache-2.0",
		"Apache-2.0":                "Apache-2.0",
		"apache-2.0":                "Apache-2.0",
		"Apache Software License":   "Apache-2.0",
		"BSD 3-Clause":              "BSD-3-Clause",
		"BSD-3-Clause":              "BSD-3-Clause",
		"BSD 3-Clause License":      "BSD-3-Clause",
		"3-clause BSD":              "BSD-3-Clause",
		"BSD 2-Clause":              "BSD-2-Clause",
		"GPL-3.0-or-later":          "GPL-3.0-or-later",
		"GPLv3":                     "GPL-3.0-only",
		"LGPL-2.1-or-later":         "LGPL-2.1-or-later",
		"PSF":                       "PSF-2.0",
		"ISC License":               "ISC",
		"MPL 2.0":                   "MPL-2.0",
		"mit or apache-2.0":         "MIT OR Apache-2.0",
		"MIT AND BSD-3-Clause":      "MIT AND BSD-3-Clause",
		"Proprietary":               "Proprietary",
		"Some Custom Terms  v1":     "Some Custom Terms v1",
		"":                          "",
		"LicenseRef-Anaconda-Terms": "LicenseRef-Anaconda-Terms",
		"GPL-2.0-only WITH Classpath-exception-2.0": "GPL-2.0-only WITH Classpath-exception-2.0",
	} {
		if got := NormalizeLicense(in); got != want {
			t.Errorf("NormalizeLicense(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLicenseRefusal(t *testing.T) {
	s := New([]string{"GPL-3.0-only", "Proprietary"}, nil)
	for lic, want := range map[string]bool{
		"GPL-3.0-only":                        true,
		"GPLv3":                               true,
		"gpl-3.0-only":                        true,
		"MIT":                                 false,
		"GPL-3.0-or-later":                    false,
		"MIT AND GPL-3.0-only":                true,
		"MIT OR GPL-3.0-only":                 false,
		"GPL-3.0-only OR Proprietary":         false, // not SPDX: blocked only as written
		"(MIT AND GPL-3.0-only) OR ISC":       false,
		"(MIT OR GPL-3.0-only) AND ISC":       false,
		"(MIT AND GPL-3.0-only) AND ISC":      true,
		"GPL-3.0-only WITH GCC-exception-3.1": false, // the exception grants more: block it as written
		"Proprietary":                         true,
		"":                                    false,
	} {
		if got := s.LicenseRefusal(lic) != ""; got != want {
			t.Errorf("LicenseRefusal(%q) refused = %v, want %v", lic, got, want)
		}
	}
	if IsSPDX("Nonsense-9") || !IsSPDX("MIT License") || !IsSPDX("LicenseRef-X") {
		t.Error("IsSPDX")
	}
}
