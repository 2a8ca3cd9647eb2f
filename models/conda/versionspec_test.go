package conda

import "testing"

func TestVersionSpecMatch(t *testing.T) {
	cases := []struct {
		spec string
		yes  []string
		no   []string
	}{
		{"", []string{"0.1", "99"}, nil},
		{"*", []string{"1.0"}, nil},
		{">=1.2,<2", []string{"1.2", "1.2.0", "1.10", "1.99.9"}, []string{"1.1.9", "2", "2.0.0", "0.9"}},
		{"1.2.*", []string{"1.2", "1.2.0", "1.2.17"}, []string{"1.20", "1.3", "1.1.9"}},
		{"1.2*", []string{"1.2", "1.2.5"}, []string{"1.20"}},
		{"=1.2", []string{"1.2", "1.2.9"}, []string{"1.21", "1.3"}},
		{"==1.2.3", []string{"1.2.3", "1.2.3.0"}, []string{"1.2.4", "1.2"}},
		{"1.2.3", []string{"1.2.3"}, []string{"1.2.30"}},
		{"!=1.3", []string{"1.2", "1.4"}, []string{"1.3", "1.3.0"}},
		{"!=1.3.*", []string{"1.2", "1.4"}, []string{"1.3", "1.3.7"}},
		{"1.2.*|>=2.1", []string{"1.2.5", "2.1", "3"}, []string{"1.3", "2.0"}},
		{">1.0,<=1.5|==3", []string{"1.0.1", "1.5", "3"}, []string{"1.0", "1.6", "2"}},
		{"~=1.2.3", []string{"1.2.3", "1.2.9"}, []string{"1.2.2", "1.3.0"}},
		{">=1.0a1", []string{"1.0", "1.0b1"}, []string{"1.0dev"}},
		{"<1!0", []string{"5.0"}, []string{"1!0.1"}},
		{" >= 2 ", []string{"2"}, []string{"1.9"}},
	}
	for _, c := range cases {
		vs, err := ParseVersionSpec(c.spec)
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		for _, v := range c.yes {
			if !vs.Match(v) {
				t.Errorf("%q should match %s", c.spec, v)
			}
		}
		for _, v := range c.no {
			if vs.Match(v) {
				t.Errorf("%q should not match %s", c.spec, v)
			}
		}
	}
}

func TestVersionSpecRefused(t *testing.T) {
	for _, s := range []string{">=", "1.2,,2", "|1", ">=1 2", "1.2;rm", "~=1.*", "<>1", "(1.2)", string(make([]byte, 501))} {
		if _, err := ParseVersionSpec(s); err == nil {
			t.Errorf("%q was accepted", s)
		}
	}
}
