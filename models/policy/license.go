package policy

import (
	"regexp"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// licenseAliases maps the free text packages commonly carry (lower case,
// spaces collapsed, a trailing "license" dropped) to SPDX identifiers.
var licenseAliases = map[string]string{
	"mit":                              "MIT",
	"the mit":                          "MIT",
	"expat":                            "MIT",
	"apache":                           "Apache-2.0",
	"apache 2":                         "Apache-2.0",
	"apache 2.0":                       "Apache-2.0",
	"apache v2":                        "Apache-2.0",
	"apache-2":                         "Apache-2.0",
	"apache2":                          "Apache-2.0",
	"apache software":                  "Apache-2.0",
	"apache software 2.0":              "Apache-2.0",
	"apache license 2.0":               "Apache-2.0",
	"apache, version 2.0":              "Apache-2.0",
	"apache version 2.0":               "Apache-2.0",
	"asl 2.0":                          "Apache-2.0",
	"bsd 3-clause":                     "BSD-3-Clause",
	"bsd 3 clause":                     "BSD-3-Clause",
	"bsd-3":                            "BSD-3-Clause",
	"bsd 3":                            "BSD-3-Clause",
	"3-clause bsd":                     "BSD-3-Clause",
	"new bsd":                          "BSD-3-Clause",
	"modified bsd":                     "BSD-3-Clause",
	"revised bsd":                      "BSD-3-Clause",
	"bsd 2-clause":                     "BSD-2-Clause",
	"bsd 2 clause":                     "BSD-2-Clause",
	"bsd-2":                            "BSD-2-Clause",
	"2-clause bsd":                     "BSD-2-Clause",
	"simplified bsd":                   "BSD-2-Clause",
	"freebsd":                          "BSD-2-Clause",
	"isc":                              "ISC",
	"gplv2":                            "GPL-2.0-only",
	"gpl-2":                            "GPL-2.0-only",
	"gpl 2":                            "GPL-2.0-only",
	"gpl v2":                           "GPL-2.0-only",
	"gplv2+":                           "GPL-2.0-or-later",
	"gpl-2+":                           "GPL-2.0-or-later",
	"gplv3":                            "GPL-3.0-only",
	"gpl-3":                            "GPL-3.0-only",
	"gpl 3":                            "GPL-3.0-only",
	"gpl v3":                           "GPL-3.0-only",
	"gplv3+":                           "GPL-3.0-or-later",
	"gpl-3+":                           "GPL-3.0-or-later",
	"lgplv2.1":                         "LGPL-2.1-only",
	"lgpl-2.1":                         "LGPL-2.1-only",
	"lgpl 2.1":                         "LGPL-2.1-only",
	"lgplv2.1+":                        "LGPL-2.1-or-later",
	"lgplv3":                           "LGPL-3.0-only",
	"lgpl-3":                           "LGPL-3.0-only",
	"lgpl 3":                           "LGPL-3.0-only",
	"lgplv3+":                          "LGPL-3.0-or-later",
	"agplv3":                           "AGPL-3.0-only",
	"agpl-3":                           "AGPL-3.0-only",
	"mpl 2":                            "MPL-2.0",
	"mpl 2.0":                          "MPL-2.0",
	"mpl-2":                            "MPL-2.0",
	"mozilla public 2.0":               "MPL-2.0",
	"psf":                              "PSF-2.0",
	"psf 2":                            "PSF-2.0",
	"python software foundation":       "PSF-2.0",
	"python software foundation (psf)": "PSF-2.0",
	"zlib":                             "Zlib",
	"boost":                            "BSL-1.0",
	"boost software":                   "BSL-1.0",
	"unlicense":                        "Unlicense",
	"the unlicense":                    "Unlicense",
	"public domain":                    "LicenseRef-Public-Domain",
	"cc0":                              "CC0-1.0",
	"epl 2.0":                          "EPL-2.0",
}

var (
	spaces    = regexp.MustCompile(`\s+`)
	operators = regexp.MustCompile(`(?i) (or|and|with) `)
)

// NormalizeLicense turns a package's license text into its SPDX identifier
// or expression where one is recognised ("MIT License" → "MIT", "Apache
// 2.0" → "Apache-2.0", "mit or apache-2.0" → "MIT OR Apache-2.0"), and
// otherwise returns it trimmed, as written.
func NormalizeLicense(s string) string {
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if s == "" {
		return ""
	}
	if id, ok := spdxNormal(operators.ReplaceAllStringFunc(s, strings.ToUpper)); ok {
		return id
	}
	key := strings.ToLower(s)
	key = strings.TrimPrefix(key, "the ")
	key = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(key, " license"), " licence"))
	key = strings.TrimSpace(strings.ReplaceAll(key, "license", ""))
	key = spaces.ReplaceAllString(key, " ")
	if id, ok := licenseAliases[key]; ok {
		return id
	}
	if id, ok := spdxNormal(strings.ReplaceAll(key, " ", "-")); ok && !strings.Contains(id, " ") {
		return id
	}
	return s
}

// spdxNormal is s as the SPDX list spells it, when s is a known
// identifier or a valid expression of known identifiers.
func spdxNormal(s string) (string, bool) {
	if len(s) > 255 {
		return "", false
	}
	norm, bad := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{s}, spdxexp.ValidateLicensesOptions{})
	if len(bad) > 0 || len(norm) != 1 {
		return "", false
	}
	return norm[0], true
}

// IsSPDX reports whether s (normalised) is a known SPDX identifier or a
// valid expression of them, or a LicenseRef.
func IsSPDX(s string) bool {
	s = NormalizeLicense(s)
	if strings.HasPrefix(s, "LicenseRef-") && !strings.ContainsAny(s, " ()") {
		return true
	}
	_, ok := spdxNormal(s)
	return ok
}

// refused reports whether every way of choosing a license under the
// expression id includes a blocked one: "MIT OR GPL-3.0-only" may be taken
// as MIT, "MIT AND GPL-3.0-only" may not. Text that is no SPDX expression
// is refused only when blocked as written.
func refused(id string, blocked map[string]bool) (string, bool) {
	if blocked[id] {
		return id, true
	}
	if !strings.Contains(id, " ") {
		return "", false
	}
	ids, err := spdxexp.ExtractLicenses(id)
	if err != nil {
		return "", false
	}
	var allowed []string
	which := ""
	for _, l := range ids {
		if blocked[l] || blocked[strings.TrimSuffix(l, "+")] {
			if which == "" {
				which = l
			}
		} else {
			allowed = append(allowed, l)
		}
	}
	if which == "" {
		return "", false
	}
	if len(allowed) == 0 {
		return which, true
	}
	ok, err := spdxexp.Satisfies(id, allowed)
	if err != nil || ok {
		return "", false
	}
	return which, true
}
