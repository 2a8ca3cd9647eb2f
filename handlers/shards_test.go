package handlers_test

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

type shardIndex struct {
	Version int               `msgpack:"version"`
	Info    map[string]string `msgpack:"info"`
	Shards  map[string][]byte `msgpack:"shards"`
}

func unzstd(t testing.TB, b string) []byte {
	t.Helper()
	d, _ := zstd.NewReader(nil)
	defer d.Close()
	out, err := d.DecodeAll([]byte(b), nil)
	if err != nil {
		t.Fatalf("not zstd: %v", err)
	}
	return out
}

func fetchIndex(t testing.TB, c *handlertest.Client, base string) (shardIndex, *handlertest.Response) {
	t.Helper()
	r := c.Get(base + "repodata_shards.msgpack.zst")
	want(t, r, http.StatusOK)
	var idx shardIndex
	if err := msgpack.Unmarshal(unzstd(t, r.Body), &idx); err != nil {
		t.Fatalf("shard index: %v", err)
	}
	return idx, r
}

// shardRecords fetches every shard the index names and returns their
// records as repodata.json shows them (hashes back in hex).
func shardRecords(t testing.TB, c *handlertest.Client, base string, idx shardIndex) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{"packages": {}, "packages.conda": {}}
	for name, h := range idx.Shards {
		if len(h) != 32 {
			t.Fatalf("hash of %s has %d bytes", name, len(h))
		}
		r := c.Get(base + idx.Info["shards_base_url"][2:] + hex.EncodeToString(h) + ".msgpack.zst")
		want(t, r, http.StatusOK)
		var shard map[string]any
		dec := msgpack.NewDecoder(bytes.NewReader(unzstd(t, r.Body)))
		dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeMap() })
		if err := dec.Decode(&shard); err != nil {
			t.Fatal(err)
		}
		for key := range out {
			recs, _ := shard[key].(map[string]any)
			for fn, rec := range recs {
				m := rec.(map[string]any)
				for k, v := range m {
					if b, ok := v.([]byte); ok {
						m[k] = hex.EncodeToString(b)
					}
				}
				if m["name"] != name {
					t.Errorf("shard %s holds %v", name, m["name"])
				}
				out[key][fn] = jsonRoundTrip(t, m)
			}
		}
	}
	return out
}

// jsonRoundTrip makes msgpack-decoded values compare like JSON-decoded ones.
func jsonRoundTrip(t testing.TB, v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func TestShardsHoldWhatRepodataHolds(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "big", "private")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/big/subchannels", map[string]any{"name": "dev"}), http.StatusCreated)
		pkgs := []condatest.Pkg{
			{Name: "tool", Version: "1.0", Build: "h1_0"},
			{Name: "tool", Version: "1.1", Build: "h1_0", Depends: []string{"c++_odd.name-x >=2"}},
			{Name: "c++_odd.name-x", Version: "2.0", Build: "h2_0", Depends: []string{}},
			{Name: "pure", Version: "3", Build: "pyh_0", Subdir: "noarch", Noarch: "python", Depends: []string{"python"}},
		}
		for i, p := range pkgs {
			for _, sub := range []string{"", "?subchannel=dev"} {
				f := conda.Conda
				if i%2 == 1 {
					f = conda.TarBz2
				}
				want(t, uploadTo(t, adm, "big", sub, p.Filename(f), condatest.Build(t, p, f)), http.StatusCreated)
			}
		}
		secret := mustToken(t, srv.Store, handlertest.Admin, "reader", access.TokenGrant{Resources: []access.Resource{{Channel: "big", Level: access.Read}}})
		clients := map[string]*handlertest.Client{"path": srv.Anonymous(), "bearer": withToken(srv, secret), "x-auth": srv.Anonymous()}
		clients["x-auth"].Header.Set("X-Auth", secret)
		for how, c := range clients {
			for _, place := range []string{"big", "big/dev"} {
				for _, subdir := range []string{"linux-64", "noarch"} {
					base := "/api/repo/" + place + "/" + subdir + "/"
					if how == "path" {
						base = "/t/" + secret + base
					}
					idx, r := fetchIndex(t, c, base)
					if idx.Version != 1 || idx.Info["subdir"] != subdir || idx.Info["base_url"] != "./" || idx.Info["shards_base_url"] != "./shards/" || idx.Info["created_at"] == "" {
						t.Fatalf("%s index: %+v", how, idx)
					}
					if cc := r.Header.Get("Cache-Control"); cc != "private, max-age=60" || r.Header.Get("ETag") == "" {
						t.Errorf("index Cache-Control %q, ETag %q", cc, r.Header.Get("ETag"))
					}
					got := shardRecords(t, c, base, idx)
					rd := repodata(t, c, base+"repodata.json")
					for _, key := range []string{"packages", "packages.conda"} {
						if !reflect.DeepEqual(got[key], rd[key]) {
							t.Errorf("%s %s: shards' %s differ from repodata.json's:\n%v\n%v", how, base, key, got[key], rd[key])
						}
					}
				}
			}
		}
		// One shard: immutable and private; the index: 304 on its ETag.
		c := withToken(srv, secret)
		idx, r := fetchIndex(t, c, "/api/repo/big/linux-64/")
		h := idx.Shards["c++_odd.name-x"]
		if h == nil {
			t.Fatalf("odd package name missing from the index: %v", idx.Shards)
		}
		shard := c.Get("/api/repo/big/linux-64/shards/" + hex.EncodeToString(h) + ".msgpack.zst")
		if cc := shard.Header.Get("Cache-Control"); cc != "private, max-age=31536000, immutable" {
			t.Errorf("shard Cache-Control %q", cc)
		}
		c.Header.Set("If-None-Match", r.Header.Get("ETag"))
		want(t, c.Get("/api/repo/big/linux-64/repodata_shards.msgpack.zst"), http.StatusNotModified)
	})
}

func TestShardsBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "secret", "private")
		mustChannel(t, adm, "open", "public")
		p := condatest.Pkg{Name: "x"}
		for _, ch := range []string{"secret", "open"} {
			want(t, uploadTo(t, adm, ch, "", p.Filename(conda.Conda), condatest.Build(t, p, conda.Conda)), http.StatusCreated)
		}
		idx, _ := fetchIndex(t, adm, "/api/repo/secret/linux-64/")
		real := hex.EncodeToString(idx.Shards["x"])
		anon := srv.Anonymous()
		missing := anon.Get("/api/repo/nothing-here/linux-64/shards/" + real + ".msgpack.zst")
		want(t, missing, http.StatusNotFound)
		for _, path := range []string{
			"/api/repo/secret/linux-64/repodata_shards.msgpack.zst",
			"/api/repo/secret/linux-64/shards/" + real + ".msgpack.zst",
			"/api/repo/nothing-here/linux-64/repodata_shards.msgpack.zst",
		} {
			r := anon.Get(path)
			if r.StatusCode != http.StatusNotFound || r.Body != missing.Body {
				t.Errorf("anonymous %s: %d %q (a missing channel: %q)", path, r.StatusCode, r.Body, missing.Body)
			}
		}
		// Unknown and malformed hashes in a channel one may read.
		for _, name := range []string{
			strings.Repeat("0", 64) + ".msgpack.zst", strings.ToUpper(real) + ".msgpack.zst", real[:63] + ".msgpack.zst",
			real + ".msgpack", real, "..%2F..%2Frepodata.json", real + ".msgpack.zst.zst",
		} {
			for _, c := range []string{"secret", "open"} {
				want(t, adm.Get("/api/repo/"+c+"/linux-64/shards/"+name), http.StatusNotFound)
			}
		}
		want(t, adm.Get("/api/repo/open/linux-64/shards/%00"+real[1:]+".msgpack.zst"), http.StatusBadRequest) // refused at the edge
		// A subdir with no packages has a valid, empty index.
		empty, _ := fetchIndex(t, anon, "/api/repo/open/osx-arm64/")
		if empty.Version != 1 || len(empty.Shards) != 0 || empty.Info["subdir"] != "osx-arm64" {
			t.Errorf("empty index: %+v", empty)
		}
		// Public channels' shards may be kept by shared caches.
		pub, _ := fetchIndex(t, anon, "/api/repo/open/linux-64/")
		r := anon.Get("/api/repo/open/linux-64/shards/" + hex.EncodeToString(pub.Shards["x"]) + ".msgpack.zst")
		if want(t, r, http.StatusOK); r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("public shard Cache-Control %q", r.Header.Get("Cache-Control"))
		}
	})
}

// An upload or delete changes the index and only the touched name's shard;
// a replaced shard stays fetchable for clients holding the older index.
func TestShardIndexFollowsChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "ch", "public")
		a1, a2, b := condatest.Pkg{Name: "a", Version: "1"}, condatest.Pkg{Name: "a", Version: "2"}, condatest.Pkg{Name: "b"}
		for _, p := range []condatest.Pkg{a1, b} {
			want(t, uploadTo(t, adm, "ch", "", p.Filename(conda.Conda), condatest.Build(t, p, conda.Conda)), http.StatusCreated)
		}
		base := "/api/repo/ch/linux-64/"
		before, r1 := fetchIndex(t, adm, base)
		want(t, uploadTo(t, adm, "ch", "", a2.Filename(conda.Conda), condatest.Build(t, a2, conda.Conda)), http.StatusCreated)
		after, r2 := fetchIndex(t, adm, base)
		if r1.Header.Get("ETag") == r2.Header.Get("ETag") || bytes.Equal(before.Shards["a"], after.Shards["a"]) {
			t.Fatal("the index did not change with an upload")
		}
		if !bytes.Equal(before.Shards["b"], after.Shards["b"]) {
			t.Error("an upload of a changed b's shard")
		}
		want(t, adm.Get(base+"shards/"+hex.EncodeToString(before.Shards["a"])+".msgpack.zst"), http.StatusOK)
		if recs := shardRecords(t, adm, base, after)["packages.conda"]; len(recs) != 3 {
			t.Errorf("%d records after the upload", len(recs))
		}
		want(t, adm.Do(http.MethodDelete, "/api/channels/ch/artifacts/linux-64/"+b.Filename(conda.Conda), nil, "", false), http.StatusNoContent)
		gone, _ := fetchIndex(t, adm, base)
		if _, ok := gone.Shards["b"]; ok || len(gone.Shards) != 1 {
			t.Errorf("after deleting b: %v", gone.Shards)
		}
	})
}

func TestRepodataGzipAndChanneldata(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "ch", "private")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/ch/subchannels", map[string]any{"name": "dev"}), http.StatusCreated)
		about := func(summary, home string) []condatest.Entry {
			b, _ := json.Marshal(map[string]string{"summary": summary, "home": home})
			return []condatest.Entry{{Name: "info/about.json", Body: b}}
		}
		pkgs := []condatest.Pkg{{Name: "a", Version: "1.9", InfoFiles: about("old summary", "https://old.example")},
			{Name: "a", Version: "1.10", License: "BSD-3-Clause", InfoFiles: about("A library.", "https://a.example")},
			{Name: "a", Version: "1.2", Subdir: "noarch", Noarch: "generic"}, {Name: "b", InfoFiles: []condatest.Entry{{Name: "info/about.json", Body: []byte("{not json")}}}}
		for _, p := range pkgs {
			want(t, uploadTo(t, adm, "ch", "", p.Filename(conda.Conda), condatest.Build(t, p, conda.Conda)), http.StatusCreated)
		}
		// gzip: the same document, its own ETag, Vary.
		adm.Header.Set("Accept-Encoding", "identity") // Go's client would ask for gzip and unpack it unseen
		plain := adm.Get("/api/repo/ch/linux-64/repodata.json")
		adm.Header.Del("Accept-Encoding")
		want(t, plain, http.StatusOK)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/repo/ch/linux-64/repodata.json", nil)
		req.Header.Set("Accept-Encoding", "gzip, br;q=0.5")
		secret := mustToken(t, srv.Store, handlertest.Admin, "gz", access.TokenGrant{Resources: []access.Resource{{Channel: "ch", Level: access.Read}}})
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Accept-Encoding") || res.Header.Get("ETag") == plain.Header.Get("ETag") {
			t.Fatalf("gzip response headers: %v", res.Header)
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		unzipped, _ := io.ReadAll(zr)
		if string(unzipped) != plain.Body {
			t.Error("gzip-encoded repodata.json differs from the plain one")
		}
		if vary := strings.Join(plain.Header.Values("Vary"), ","); !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("plain Vary %q", vary)
		}
		// channeldata.json of the channel and of a subchannel.
		var cd conda.Channeldata
		r := adm.Get("/api/repo/ch/channeldata.json")
		want(t, r, http.StatusOK)
		r.JSON(t, &cd)
		a := cd.Packages["a"]
		if cd.ChanneldataVersion != 1 || a.Version != "1.10" || a.License != "BSD-3-Clause" || fmt.Sprint(a.Subdirs) != "[linux-64 noarch]" || fmt.Sprint(cd.Subdirs) != "[linux-64 noarch]" {
			t.Errorf("channeldata: %+v", cd)
		}
		// Summary and home are the latest version's, from its info/about.json;
		// a malformed about.json leaves them out and refuses nothing.
		if a.Summary != "A library." || a.Home != "https://a.example" || cd.Packages["b"].Summary != "" {
			t.Errorf("channeldata about: %+v", cd.Packages)
		}
		r = adm.Get("/api/repo/ch/dev/channeldata.json")
		want(t, r, http.StatusOK)
		cd = conda.Channeldata{}
		r.JSON(t, &cd)
		if len(cd.Packages) != 0 {
			t.Errorf("subchannel channeldata: %+v", cd)
		}
		want(t, srv.Anonymous().Get("/api/repo/ch/channeldata.json"), http.StatusNotFound)
		want(t, withToken(srv, secret).Get("/api/repo/ch/channeldata.json"), http.StatusOK)
	})
}
