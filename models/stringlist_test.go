package models

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestStringListReadsWhatJSONStores(t *testing.T) {
	for _, in := range [][]string{
		{}, {"python >=3.12,<3.13.0a0", "a & b", `q"uote`, `back\slash`, "tab\there", "ünï 🐍", "\u2028", ""},
		{"x"}, {"", ""}, {"\x01"},
	} {
		b, _ := json.Marshal(in)
		if got := stringList(string(b)); !reflect.DeepEqual(got, in) {
			t.Errorf("%s: got %q", b, got)
		}
	}
	for _, odd := range []string{"", "[", `["a",]`, `["a"`, `[1]`, `["\/"]`, `["\ud83d\udc0d"]`, ` ["a"]`} {
		want := []string{} // what encoding/json alone made of it
		_ = json.Unmarshal([]byte(odd), &want)
		if got := stringList(odd); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q, want %q", odd, got, want)
		}
	}
}
