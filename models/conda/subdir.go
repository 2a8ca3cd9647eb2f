package conda

import (
	"encoding/json"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Subdir is the served form of one subdir of a channel, kept so that a
// change re-encodes only the package names it touches: each name's shard,
// and repodata.json's records in blocks of a few hundred KB that are
// rebuilt only when one of their names changes. A Subdir is immutable;
// Apply returns a new one sharing everything untouched.
type Subdir struct {
	subdir  string
	names   []*Name  // sorted by name
	blocks  []*block // repodata.json records, by name range
	Index   []byte   // repodata_shards.msgpack.zst
	Created time.Time
	records int
	changed []string  // the names the Apply that made it touched, sorted
	raw     *rawIndex // Index before compression, patched by later changes
}

// Name is one package name's shard.
type Name struct {
	Name   string
	Shard  []byte // zstd msgpack
	Hash   [32]byte
	newest time.Time
	count  int
}

// File is a record with the file name it is listed under.
type File struct {
	Filename string
	Record   Record
	Added    time.Time // when it was uploaded
}

// blockTarget is the size a repodata.json block aims for: big enough that
// a response is a few large writes, small enough to rebuild in microseconds.
const blockTarget = 128 << 10

// block holds repodata.json's records of consecutive names: each name's
// `"file":{record},` run in tar (for "packages") and conda (for
// "packages.conda"), ends[i] marking where name i's run stops.
type block struct {
	names     []string
	tar       []byte
	tarEnds   []int
	conda     []byte
	condaEnds []int
}

// NewSubdir is an empty subdir.
func NewSubdir(subdir string) *Subdir { s, _ := (&Subdir{subdir: subdir}).Apply(nil); return s }

// Records counts the files listed.
func (s *Subdir) Records() int { return s.records }

// Names lists the package names with their shards, sorted.
func (s *Subdir) Names() []*Name { return s.names }

// Changed lists the names the Apply that made this subdir touched (every
// name of a fresh build), sorted: their shards are the new ones.
func (s *Subdir) Changed() []string { return s.changed }

// Lookup finds a name's shard.
func (s *Subdir) Lookup(name string) (*Name, bool) {
	i, ok := slices.BinarySearchFunc(s.names, name, func(n *Name, k string) int { return strings.Compare(n.Name, k) })
	if !ok {
		return nil, false
	}
	return s.names[i], true
}

// Size is the memory the subdir's encoded forms hold.
func (s *Subdir) Size() int {
	n := len(s.Index)
	for _, nm := range s.names {
		n += len(nm.Shard) + len(nm.Name) + 64
	}
	for _, b := range s.blocks {
		n += len(b.tar) + len(b.conda) + 16*len(b.names)
	}
	return n
}

// Apply returns the subdir with the given names' files replaced: every name
// in changes gets exactly its files (none: the name is gone). Files of a
// name must be sorted by file name.
func (s *Subdir) Apply(changes map[string][]File) (*Subdir, error) {
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return s.applyEncoded(keys, encodeNames(keys, changes))
}

// NameFiles is one package name's files, sorted by file name.
type NameFiles struct {
	Name  string
	Files []File
}

// BuildSubdir builds a subdir from every name's files as they arrive on
// names (in any order), encoding on every core while they are still read.
func BuildSubdir(subdir string, names <-chan NameFiles) (*Subdir, error) {
	var (
		mu      sync.Mutex
		keys    []string
		results = map[string]encodedName{}
		wg      sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for nf := range names {
				var e encodedName
				e.nm, e.tar, e.conda, e.err = encodeName(nf.Name, nf.Files)
				mu.Lock()
				keys = append(keys, nf.Name)
				results[nf.Name] = e
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(keys)
	encoded := make([]encodedName, len(keys))
	for i, k := range keys {
		encoded[i] = results[k]
	}
	return (&Subdir{subdir: subdir}).applyEncoded(keys, encoded)
}

// applyEncoded is Apply once the changed names (keys, sorted) are encoded.
func (s *Subdir) applyEncoded(keys []string, encoded []encodedName) (*Subdir, error) {
	fresh := make(map[string]*Name, len(keys))
	frags := make(map[string][2][]byte, len(keys))
	for i, k := range keys {
		e := encoded[i]
		if e.err != nil {
			return nil, e.err
		}
		if e.nm != nil {
			fresh[k], frags[k] = e.nm, [2][]byte{e.tar, e.conda}
		}
	}
	out := &Subdir{subdir: s.subdir, changed: keys}
	out.names = mergeNames(s.names, keys, fresh)
	out.blocks = s.rebuildBlocks(keys, frags)
	for _, nm := range out.names {
		out.records += nm.count
		if nm.newest.After(out.Created) {
			out.Created = nm.newest
		}
	}
	if out.Created.IsZero() {
		out.Created = time.Unix(0, 0)
	}
	if hashes, ok := s.samePlaces(out.names, keys); ok {
		out.raw = s.raw.patched(out.Created, hashes) // the same names: patch the changed hashes
	} else {
		entries := make([]ShardEntry, len(out.names))
		for i, nm := range out.names {
			entries[i] = ShardEntry{Name: nm.Name, Hash: nm.Hash}
		}
		var err error
		if out.raw, err = encodeRawIndex(s.subdir, out.Created, entries); err != nil {
			return nil, err
		}
	}
	out.Index = out.raw.compress()
	return out, nil
}

// samePlaces reports whether names holds exactly the names s holds, in
// the same places (a change only replaced files of existing names), and
// then the new hashes of the changed ones by place.
func (s *Subdir) samePlaces(names []*Name, keys []string) (map[int][32]byte, bool) {
	if s.raw == nil || len(names) != len(s.names) {
		return nil, false
	}
	hashes := make(map[int][32]byte, len(keys))
	for _, k := range keys {
		i, ok := slices.BinarySearchFunc(names, k, func(n *Name, k string) int { return strings.Compare(n.Name, k) })
		if !ok || s.names[i].Name != k {
			return nil, false // a name came or went
		}
		hashes[i] = names[i].Hash
	}
	return hashes, true
}

type encodedName struct {
	nm         *Name
	tar, conda []byte
	err        error
}

// encodeNames encodes the names in keys (none for a name without files),
// on every core when there are many: a cold build encodes them all.
func encodeNames(keys []string, changes map[string][]File) []encodedName {
	out := make([]encodedName, len(keys))
	workers := runtime.GOMAXPROCS(0)
	if len(keys) < 64 {
		workers = 1
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(keys) {
					return
				}
				if files := changes[keys[i]]; len(files) > 0 {
					e := &out[i]
					e.nm, e.tar, e.conda, e.err = encodeName(keys[i], files)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// encodeName builds one name's shard and its repodata.json runs.
func encodeName(name string, files []File) (*Name, []byte, []byte, error) {
	nm := &Name{Name: name, count: len(files)}
	var err error
	if nm.Shard, nm.Hash, err = EncodeShard(files); err != nil {
		return nil, nil, nil, err
	}
	var tar, conda []byte
	for i := range files {
		f := &files[i]
		if f.Added.After(nm.newest) {
			nm.newest = f.Added
		}
		switch FormatOf(f.Filename) {
		case TarBz2:
			tar = appendFileJSON(tar, f)
		case Conda:
			conda = appendFileJSON(conda, f)
		}
	}
	return nm, tar, conda, nil
}

// appendFileJSON appends `"<file>":{record},` as repodata.json lists it.
func appendFileJSON(b []byte, f *File) []byte {
	b = appendJSONString(b, f.Filename)
	b = append(b, ':')
	return append(appendRecordJSON(b, &f.Record), ',')
}

// mergeNames returns old with every name in keys (sorted) replaced by
// fresh[name], or removed when fresh has none.
func mergeNames(old []*Name, keys []string, fresh map[string]*Name) []*Name {
	out := make([]*Name, 0, len(old)+len(fresh))
	i := 0
	for _, k := range keys {
		for i < len(old) && old[i].Name < k {
			out = append(out, old[i])
			i++
		}
		if i < len(old) && old[i].Name == k {
			i++
		}
		if nm := fresh[k]; nm != nil {
			out = append(out, nm)
		}
	}
	return append(out, old[i:]...)
}

// rebuildBlocks re-packs only the blocks whose name range holds a changed name.
func (s *Subdir) rebuildBlocks(keys []string, frags map[string][2][]byte) []*block {
	if len(keys) == 0 {
		return s.blocks
	}
	// Which block each changed name falls in: the last whose first name is
	// not after it (the first block takes names before every block).
	touched := map[int][]string{}
	for _, k := range keys {
		i, _ := slices.BinarySearchFunc(s.blocks, k, func(b *block, k string) int { return strings.Compare(b.names[0], k) })
		if i == len(s.blocks) || s.blocks[i].names[0] != k {
			i--
		}
		touched[max(i, 0)] = append(touched[max(i, 0)], k)
	}
	out := make([]*block, 0, len(s.blocks)+len(touched))
	for i := 0; i < max(len(s.blocks), 1); i++ {
		ks, hit := touched[i]
		if !hit {
			out = append(out, s.blocks[i])
			continue
		}
		var runs []nameRuns
		if i < len(s.blocks) {
			runs = s.blocks[i].runs()
		}
		runs = mergeRuns(runs, ks, frags)
		out = append(out, packBlocks(runs)...)
	}
	return out
}

type nameRuns struct {
	name       string
	tar, conda []byte
}

func (b *block) runs() []nameRuns {
	out := make([]nameRuns, len(b.names))
	ts, cs := 0, 0
	for i, n := range b.names {
		out[i] = nameRuns{name: n, tar: b.tar[ts:b.tarEnds[i]], conda: b.conda[cs:b.condaEnds[i]]}
		ts, cs = b.tarEnds[i], b.condaEnds[i]
	}
	return out
}

func mergeRuns(old []nameRuns, keys []string, frags map[string][2][]byte) []nameRuns {
	out := make([]nameRuns, 0, len(old)+len(keys))
	i := 0
	for _, k := range keys {
		for i < len(old) && old[i].name < k {
			out = append(out, old[i])
			i++
		}
		if i < len(old) && old[i].name == k {
			i++
		}
		if f, ok := frags[k]; ok {
			out = append(out, nameRuns{name: k, tar: f[0], conda: f[1]})
		}
	}
	return append(out, old[i:]...)
}

// packBlocks lays runs (sorted by name) into blocks of about blockTarget.
func packBlocks(runs []nameRuns) []*block {
	var out []*block
	for len(runs) > 0 {
		n, size := 0, 0
		for n < len(runs) && (n == 0 || size+len(runs[n].tar)+len(runs[n].conda) <= blockTarget) {
			size += len(runs[n].tar) + len(runs[n].conda)
			n++
		}
		b := &block{names: make([]string, n), tarEnds: make([]int, n), condaEnds: make([]int, n)}
		var ts, cs int
		for _, r := range runs[:n] {
			ts += len(r.tar)
			cs += len(r.conda)
		}
		b.tar, b.conda = make([]byte, 0, ts), make([]byte, 0, cs)
		for j, r := range runs[:n] {
			b.names[j] = r.name
			b.tar = append(b.tar, r.tar...)
			b.conda = append(b.conda, r.conda...)
			b.tarEnds[j], b.condaEnds[j] = len(b.tar), len(b.conda)
		}
		out = append(out, b)
		runs = runs[n:]
	}
	return out
}

// JSONParts is repodata.json as a list of byte slices to write in order:
// the same document Encode writes, records grouped by package name.
func (s *Subdir) JSONParts() [][]byte {
	head, _ := json.Marshal(RepodataInfo{Subdir: s.subdir})
	parts := [][]byte{[]byte(`{"info":`), head, []byte(`,"packages":{`)}
	parts = appendSection(parts, s.blocks, func(b *block) []byte { return b.tar })
	parts = append(parts, []byte(`},"packages.conda":{`))
	parts = appendSection(parts, s.blocks, func(b *block) []byte { return b.conda })
	return append(parts, []byte("},\"removed\":[],\"repodata_version\":1}\n"))
}

// appendSection adds the blocks' runs, dropping the last run's trailing comma.
func appendSection(parts [][]byte, blocks []*block, runs func(*block) []byte) [][]byte {
	last := -1
	for i, b := range blocks {
		if len(runs(b)) > 0 {
			last = i
		}
	}
	for i, b := range blocks[:last+1] {
		if r := runs(b); i == last {
			parts = append(parts, r[:len(r)-1])
		} else if len(r) > 0 {
			parts = append(parts, r)
		}
	}
	return parts
}

// WriteJSON writes repodata.json.
func (s *Subdir) WriteJSON(w io.Writer) error {
	for _, p := range s.JSONParts() {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// JSONSize is the length of repodata.json.
func (s *Subdir) JSONSize() int {
	n := 0
	for _, p := range s.JSONParts() {
		n += len(p)
	}
	return n
}
