package conda

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The hand-written record JSON is byte for byte what encoding/json writes.
func TestAppendRecordJSONMatchesEncodingJSON(t *testing.T) {
	odd := "q\"uote\\ back\n\r\t\x01 <html> & \u2028\u2029 ünï 🐍 \xff bad"
	for _, r := range []Record{
		{Build: "h0", Depends: []string{}, MD5: "m", Name: "n", SHA256: "s", Subdir: "noarch", Version: "1"},
		{Build: odd, BuildNumber: 7, Constrains: []string{odd, "x"}, Depends: []string{"a >=1", odd}, Features: odd, License: odd,
			LicenseFamily: "MIT", MD5: "m", Name: "n", Noarch: json.RawMessage(`"python"`), SHA256: "s", Size: 1 << 40,
			Subdir: "linux-64", Timestamp: 1700000000000, TrackFeatures: "f", Version: "1.0"},
		{Build: "b", Depends: nil, Noarch: json.RawMessage(`true`), Name: "x"},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&r); err != nil {
			t.Fatal(err)
		}
		got := appendRecordJSON(nil, &r)
		if string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("got  %s\nwant %s", got, want.Bytes())
		}
	}
}
