package conda

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"
)

func testFile(name, version string, n int, ext string) File {
	fn := fmt.Sprintf("%s-%s-h%d_0%s", name, version, n, ext)
	return File{Filename: fn, Added: time.Unix(int64(1700000000+n), 0), Record: Record{
		Build: fmt.Sprintf("h%d_0", n), BuildNumber: n % 3, Depends: []string{"python >=3.12", fmt.Sprintf("dep%d", n%5)},
		License: "MIT", MD5: fmt.Sprintf("%032x", n), Name: name, SHA256: fmt.Sprintf("%064x", n+7), Size: int64(1000 + n),
		Subdir: "linux-64", Timestamp: int64(1700000000000 + n), Version: version,
	}}
}

// changes groups files by name, each sorted by file name.
func changes(files []File) map[string][]File {
	out := map[string][]File{}
	for _, f := range files {
		out[f.Record.Name] = append(out[f.Record.Name], f)
	}
	for _, fs := range out {
		slices.SortFunc(fs, func(a, b File) int { return bytes.Compare([]byte(a.Filename), []byte(b.Filename)) })
	}
	return out
}

func decodeJSON(t *testing.T, s *Subdir) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != s.JSONSize() {
		t.Fatalf("JSONSize %d, wrote %d", s.JSONSize(), buf.Len())
	}
	var out map[string]any
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("repodata.json does not parse: %v\n%.300s", err, buf.String())
	}
	return out
}

func unzst(t *testing.T, b []byte) []byte {
	t.Helper()
	d, _ := zstd.NewReader(nil)
	defer d.Close()
	out, err := d.DecodeAll(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// shardRecords decodes every shard named in the index into one
// repodata-like map, hashes turned back into hex, for comparison.
func shardRecords(t *testing.T, s *Subdir) map[string]any {
	t.Helper()
	var idx struct {
		Version int               `msgpack:"version"`
		Info    map[string]string `msgpack:"info"`
		Shards  map[string][]byte `msgpack:"shards"`
	}
	if err := msgpack.Unmarshal(unzst(t, s.Index), &idx); err != nil {
		t.Fatal(err)
	}
	if idx.Version != 1 || idx.Info["subdir"] != s.subdir || idx.Info["shards_base_url"] != "./shards/" || idx.Info["base_url"] != "./" {
		t.Fatalf("index header: %+v", idx)
	}
	byHash := map[[32]byte]*Name{}
	for _, nm := range s.names {
		byHash[nm.Hash] = nm
	}
	pk, pc := map[string]any{}, map[string]any{}
	for name, h := range idx.Shards {
		if len(h) != 32 {
			t.Fatalf("hash of %s is %d bytes", name, len(h))
		}
		nm := byHash[[32]byte(h)]
		if nm == nil || nm.Name != name {
			t.Fatalf("index names %s with a hash no shard has", name)
		}
		var shard map[string]any
		dec := msgpack.NewDecoder(bytes.NewReader(unzst(t, nm.Shard)))
		dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeUntypedMap() })
		if err := dec.Decode(&shard); err != nil {
			t.Fatal(err)
		}
		if rm, ok := shard["removed"].([]any); !ok || len(rm) != 0 {
			t.Fatalf("shard %s: removed = %#v", name, shard["removed"])
		}
		for key, dst := range map[string]map[string]any{"packages": pk, "packages.conda": pc} {
			recs, ok := shard[key].(map[any]any)
			if !ok {
				t.Fatalf("shard %s lacks %q: %#v", name, key, shard)
			}
			for fn, r := range recs {
				rec := map[string]any{}
				for k, v := range r.(map[any]any) {
					if b, ok := v.([]byte); ok {
						v = hex.EncodeToString(b)
					}
					rec[k.(string)] = normalise(v)
				}
				if rec["name"] != name {
					t.Fatalf("shard %s holds %v", name, rec["name"])
				}
				dst[fn.(string)] = rec
			}
		}
	}
	return map[string]any{"packages": pk, "packages.conda": pc}
}

// normalise makes msgpack values compare like JSON-decoded ones.
func normalise(v any) any {
	switch x := v.(type) {
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64, int, uint:
		var f float64
		fmt.Sscan(fmt.Sprint(x), &f)
		return f
	case []any:
		for i := range x {
			x[i] = normalise(x[i])
		}
	}
	return v
}

func checkSubdir(t *testing.T, s *Subdir, want []File) {
	t.Helper()
	got := decodeJSON(t, s)
	ref := map[string]any{}
	var refBuf bytes.Buffer
	enc, err := Encode(BuildRepodata(s.subdir, want))
	if err != nil {
		t.Fatal(err)
	}
	refBuf.Write(enc.JSON)
	if err := json.Unmarshal(refBuf.Bytes(), &ref); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ref) {
		t.Fatalf("repodata.json differs from a full build:\n got %d/%d records\nwant %d/%d", len(got["packages"].(map[string]any)), len(got["packages.conda"].(map[string]any)),
			len(ref["packages"].(map[string]any)), len(ref["packages.conda"].(map[string]any)))
	}
	sh := shardRecords(t, s)
	for _, key := range []string{"packages", "packages.conda"} {
		if !reflect.DeepEqual(sh[key], got[key]) {
			t.Fatalf("shards' %s differ from repodata.json's", key)
		}
	}
	if s.Records() != len(want) {
		t.Fatalf("Records() = %d, want %d", s.Records(), len(want))
	}
}

func TestSubdirIncrementalEqualsFullBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var all []File
	names := []string{"a", "b-c", "ü-odd", "x.y_z", "zzz", "pkg+plus", "emoji-🐍"}
	for i := range 600 {
		names = append(names, fmt.Sprintf("n%04d", i))
	}
	for i := range 3000 {
		ext := ".conda"
		if i%4 == 0 {
			ext = ".tar.bz2"
		}
		all = append(all, testFile(names[rng.IntN(len(names))], fmt.Sprintf("1.%d", i%9), i, ext))
	}
	full, err := NewSubdir("linux-64").Apply(changes(all))
	if err != nil {
		t.Fatal(err)
	}
	if len(full.blocks) < 3 {
		t.Fatalf("only %d blocks: the test should cover several", len(full.blocks))
	}
	checkSubdir(t, full, all)

	// Change names one by one: add builds, replace, remove names entirely.
	cur := full
	state := changes(all)
	for step := range 60 {
		name := names[rng.IntN(len(names))]
		var files []File
		switch step % 3 {
		case 0: // a new build
			files = append(slices.Clone(state[name]), testFile(name, "9.9", 100000+step, ".conda"))
		case 1: // one build fewer
			if fs := state[name]; len(fs) > 0 {
				files = slices.Clone(fs[1:])
			}
		case 2: // gone
		}
		state[name] = changes(files)[name]
		if cur, err = cur.Apply(map[string][]File{name: state[name]}); err != nil {
			t.Fatal(err)
		}
	}
	var want []File
	for _, k := range slices.Sorted(maps.Keys(state)) {
		want = append(want, state[k]...)
	}
	checkSubdir(t, cur, want)
	rebuilt, _ := NewSubdir("linux-64").Apply(changes(want))
	if !bytes.Equal(rebuilt.Index, cur.Index) {
		t.Error("the index after changes differs from a fresh build's")
	}
}

func TestEmptySubdirIsValid(t *testing.T) {
	s := NewSubdir("noarch")
	checkSubdir(t, s, nil)
	if len(s.Index) == 0 {
		t.Fatal("no index")
	}
}

func TestParseShardName(t *testing.T) {
	good := fmt.Sprintf("%064x.msgpack.zst", 12345)
	if _, ok := ParseShardName(good); !ok {
		t.Error("a good name is refused")
	}
	for _, bad := range []string{"", ".msgpack.zst", good[1:], "X" + good[1:], "../" + good, good + ".zst", fmt.Sprintf("%064X.msgpack.zst", 12345)[:0] + "ABCDEF" + good[6:]} {
		if _, ok := ParseShardName(bad); ok {
			t.Errorf("%q taken for a shard name", bad)
		}
	}
}
