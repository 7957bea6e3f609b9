package pebble

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
)

// fileBatch is a batch of one file's info and hashes from src.
func fileBatch(n int, src intel.Source) *intel.Batch {
	sha256 := fmt.Sprintf("%064X", n)
	return &intel.Batch{
		ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: sha256, FirstSeen: src.Imported, LastSeen: src.Imported, Type: "exe", Source: src}},
		FileHashes:  []intel.FileHashes{{MD5: testHash(n), SHA1: fmt.Sprintf("%040X", n), SHA256: sha256, Source: src}},
	}
}

// storeOfFiles opens a store in a new directory and applies a file's
// batch for each source, the i-th file numbered i+1. The store is closed
// at the test's end (Close runs once).
func storeOfFiles(t *testing.T, sources ...intel.Source) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i, src := range sources {
		if err := s.Apply(context.Background(), fileBatch(i+1, src)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// reopen closes s and opens its directory again, closed at the test's end.
func reopen(t *testing.T, s *Store) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(s.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawValue is the value of key in s (nil: none).
func rawValue(t *testing.T, s *Store, key []byte) []byte {
	t.Helper()
	v, found, err := get(s.db, key)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return nil
	}
	return bytes.Clone(v)
}

// A summary and a hash index record write their source's feed and file
// as the number the store gave the pair, which survives a reopen; the
// answers are the same as with sources in full.
func TestNamesSourcesByReference(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 10, 30, 0, 123, time.UTC)
	mb := intel.Source{Feed: "MalwareBazaar", File: "full_2026-12-07.csv", Imported: at}
	uh := intel.Source{Feed: "URLhaus", File: "payloads.csv", Imported: at.Add(time.Hour)}
	// Later and earlier imports of the pair of mb: times before and after
	// its base, nanoseconds below and above.
	later, earlier := mb, mb
	later.Imported = at.Add(25*time.Hour - 100*time.Nanosecond)
	earlier.Imported = at.Add(-time.Hour + 7*time.Nanosecond)
	sources := []intel.Source{mb, uh, mb, later, earlier}
	s := storeOfFiles(t, sources...)
	for id, want := range map[uint32]intel.Source{1: mb, 2: uh} {
		v := rawValue(t, s, nameKey(id))
		d := dec{s: string(v)}
		if got := (intel.Source{Feed: d.str(), File: d.str(), Imported: d.time()}); got != want || d.err != nil {
			t.Errorf("pair %d: %+v (%v), want %+v as the base", id, got, d.err, want)
		}
	}
	if v := rawValue(t, s, nameKey(3)); v != nil {
		t.Errorf("a third pair: %q; the third batch has the first one's", v)
	}
	sum := rawValue(t, s, objectKey(intel.ObjectFile, fmt.Sprintf("%064X", 3)))
	idx := rawValue(t, s, mustKey(t, testHash(3)))
	for name, v := range map[string][]byte{"summary": sum, "index record": idx} {
		// Pair 1 at its base time: five bytes.
		if !bytes.Contains(v, []byte(nameRef+"\x01\x00\x00")) || bytes.Contains(v, []byte(mb.File)) {
			t.Errorf("%s %q: want the source as pair 1 at its base time, without its file name", name, v)
		}
	}
	check := func(s *Store) {
		t.Helper()
		for i, src := range sources {
			sha256 := fmt.Sprintf("%064X", i+1)
			o, err := s.Object(ctx, intel.ObjectFile, sha256)
			if err != nil || o.Info.Source != src || o.Info.Type != "exe" {
				t.Errorf("file %d: %+v, %v; want source %+v", i+1, o.Info, err, src)
			}
			for _, h := range []string{testHash(i + 1), fmt.Sprintf("%040X", i+1), sha256} {
				got, ok, err := s.FileHashes(ctx, h)
				if err != nil || !ok || got.Source != src || got.SHA256 != sha256 {
					t.Errorf("FileHashes(%s): %+v, %v, %v; want source %+v", h, got, ok, err, src)
				}
			}
		}
	}
	check(s)
	s = reopen(t, s)
	check(s)
	// The same batch again changes nothing: the summary is encoded as it
	// was, so it is neither rewritten nor stamped again.
	key1 := objectKey(intel.ObjectFile, fmt.Sprintf("%064X", 1))
	before := rawValue(t, s, key1)
	if err := s.Apply(ctx, fileBatch(1, mb)); err != nil {
		t.Fatal(err)
	}
	if after := rawValue(t, s, key1); !bytes.Equal(after, before) {
		t.Errorf("summary after the same batch again: %q, want %q", after, before)
	}
	// A new pair after the reopen takes the next number.
	other := intel.Source{Feed: "ThreatFox", File: "full.csv", Imported: at}
	if err := s.Apply(ctx, fileBatch(4, other)); err != nil {
		t.Fatal(err)
	}
	if v := rawValue(t, s, nameKey(3)); !strings.Contains(string(v), "ThreatFox") {
		t.Errorf("pair 3: %q, want ThreatFox's", v)
	}
}

// A table that is full leaves new pairs in full, as formats before 10
// wrote them; the pairs it has keep their numbers.
func TestNamesFull(t *testing.T) {
	defer func(n int) { maxNames = n }(maxNames)
	maxNames = 1
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	a := intel.Source{Feed: "A feed", File: "a.csv", Imported: at}
	b := intel.Source{Feed: "B feed", File: "b.csv", Imported: at}
	s := storeOfFiles(t, a, b)
	if v := rawValue(t, s, nameKey(2)); v != nil {
		t.Errorf("pair 2 in a table of one: %q", v)
	}
	if v := rawValue(t, s, objectKey(intel.ObjectFile, fmt.Sprintf("%064X", 2))); !bytes.Contains(v, []byte("b.csv")) {
		t.Errorf("summary of the second file %q: want its source in full", v)
	}
	if v := rawValue(t, s, objectKey(intel.ObjectFile, fmt.Sprintf("%064X", 1))); bytes.Contains(v, []byte("a.csv")) {
		t.Errorf("summary of the first file %q: want its source by reference", v)
	}
	s = reopen(t, s)
	for i, src := range []intel.Source{a, b} {
		if o, err := s.Object(ctx, intel.ObjectFile, fmt.Sprintf("%064X", i+1)); err != nil || o.Info.Source != src {
			t.Errorf("file %d: source %+v, %v; want %+v", i+1, o.Info.Source, err, src)
		}
	}
}

// A reference to a pair the table does not have is a corrupt value, not
// a source with empty names; and a table with a gap is refused at open.
func TestNamesUnknown(t *testing.T) {
	e := enc{}
	e.b = append(e.b, nameRef...)
	e.uvarint(7)
	e.time(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	for name, n := range map[string]*names{"no table": nil, "unknown number": emptyNames()} {
		d := dec{s: string(e.b), names: n}
		if src := d.source(); d.err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, src)
		}
	}

	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(nameKey(2), []byte("\x01a\x01b"), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "out of sequence") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open with pair 2 and no pair 1: %v, want an error", err)
	}
}

// The merger folds records whose sources are references once the table
// is there, and leaves them as they are while it is not (a flush while the
// database opens).
func TestNamesMerger(t *testing.T) {
	s := tempStore(t)
	src := func(i int) intel.Source {
		return intel.Source{Feed: "MalwareBazaar", File: "full.csv", Imported: time.Date(2026, 12, i, 0, 0, 0, 0, time.UTC)}
	}
	if _, _, ok := s.names.id(src(1), true); !ok {
		t.Fatal("no number for the pair")
	}
	md5, sha256 := testHash(1), fmt.Sprintf("%064X", 1)
	r1 := indexRecord(nil, intel.FileHashes{MD5: md5, SHA256: sha256, Source: src(1)}, 0, s.names, false)
	r2 := indexRecord(nil, intel.FileHashes{MD5: md5, SHA256: sha256, Source: src(2)}, 0, s.names, false)
	key := mustKey(t, md5)
	for name, loaded := range map[string]*names{"table read": s.names, "table not read yet": nil} {
		var p atomic.Pointer[names]
		p.Store(loaded)
		m, err := newHashMerger(&p).Merge(key, r1)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.MergeNewer(r2); err != nil {
			t.Fatal(err)
		}
		v, _, err := m.Finish(true)
		if err != nil {
			t.Fatal(err)
		}
		want := append(bytes.Clone(r1), r2...)
		if loaded != nil {
			want = r2 // the fold: the latest record's source
		}
		if !bytes.Equal(v, want) {
			t.Errorf("%s: %q, want %q", name, v, want)
		}
	}
}

// A source without feed and file is written as before (four bytes), so
// that an empty summary still takes its one-byte form.
func TestNamesEmptySource(t *testing.T) {
	s := tempStore(t)
	with, err := encObjSum(nil, &objSum{names: s.names})
	if err != nil {
		t.Fatal(err)
	}
	without, _ := encObjSum(nil, &objSum{})
	if !bytes.Equal(with, without) || with[0] != valueFormatBare {
		t.Errorf("empty summary: %q, want %q", with, without)
	}
	if v := rawValue(t, s, nameKey(1)); v != nil {
		t.Errorf("a pair numbered for an empty source: %q", v)
	}
}

func emptyNames() *names {
	n := &names{}
	n.t.Store(&nameTable{ids: map[namePair]uint32{}})
	return n
}

// Reading the table never waits for an addition: the write of a new pair
// may wait for a flush, and a flush runs the merger, which reads it.
func TestNamesReadWhileAdding(t *testing.T) {
	s := tempStore(t)
	a := intel.Source{Feed: "A feed", File: "a.csv"}
	if _, _, ok := s.names.id(a, true); !ok {
		t.Fatal("no number for the pair")
	}
	s.names.addMu.Lock() // an addition under way
	defer s.names.addMu.Unlock()
	done := make(chan bool)
	go func() {
		_, _, merger := s.names.id(a, false)
		_, _, known := s.names.id(a, true)
		_, ok := s.names.entry(1)
		done <- merger && known && ok
	}()
	select {
	case ok := <-done:
		if !ok {
			t.Error("pair 1 not found while another was being added")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a reader of the table waited for an addition")
	}
}
