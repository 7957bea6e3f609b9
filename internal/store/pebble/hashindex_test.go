package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

func mustKey(t *testing.T, hash string) []byte {
	t.Helper()
	k, ok := hashIndexKey(nil, hash)
	if !ok {
		t.Fatalf("no index key for %q", hash)
	}
	return k
}

// The merger folds the operands it has, in order, into one record; a
// value it cannot decode is left as it is.
func TestHashMerger(t *testing.T) {
	src := func(i int) intel.Source {
		return intel.Source{Feed: "test", File: fmt.Sprint("f", i), Imported: time.Date(2026, 12, i, 0, 0, 0, 0, time.UTC)}
	}
	md5, sha1 := testHash(1), fmt.Sprintf("%040X", 1)
	sha256a, sha256b := fmt.Sprintf("%064X", 1), fmt.Sprintf("%064X", 2)
	r1 := indexRecord(nil, intel.FileHashes{MD5: md5, SHA256: sha256a, Source: src(1)}, 0, nil, false)
	r2 := indexRecord(nil, intel.FileHashes{MD5: md5, SHA256: sha256b, Source: src(2)}, 0, nil, false) // conflicts: keeps the first pairing
	r3 := indexRecord(nil, intel.FileHashes{MD5: md5, SHA1: sha1, Source: src(3)}, 0, nil, false)
	key := mustKey(t, md5)
	if len(key) != 17 || r1[0] != hashAbsent {
		t.Fatalf("key %x, record %x: want the MD5 as 16 bytes in the key only", key, r1)
	}

	hashMerger := newHashMerger(new(atomic.Pointer[names]))
	// One operand is kept as it is.
	m, err := hashMerger.Merge(key, r1)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, err := m.Finish(false); err != nil || !bytes.Equal(v, r1) {
		t.Fatalf("one operand: %x, %v; want it as it is", v, err)
	}

	m, _ = hashMerger.Merge(key, r2)
	if err := m.MergeOlder(r1); err != nil {
		t.Fatal(err)
	}
	if err := m.MergeNewer(r3); err != nil {
		t.Fatal(err)
	}
	v, _, err := m.Finish(false)
	want := intel.FileHashes{MD5: md5, SHA1: sha1, SHA256: sha256a, Source: src(3)}
	if err != nil || !bytes.Equal(v, indexRecord(nil, want, 0, nil, false)) {
		t.Fatalf("merge of some operands: %x, %v; want their fold %+v", v, err, want)
	}
	// The fold is associative: folding a fold with the rest is the fold
	// of all.
	m, _ = hashMerger.Merge(key, r1)
	_ = m.MergeNewer(r2)
	part, _, _ := m.Finish(false)
	m, _ = hashMerger.Merge(key, part)
	_ = m.MergeNewer(r3)
	if v, _, err = m.Finish(true); err != nil || !bytes.Equal(v, indexRecord(nil, want, 0, nil, false)) {
		t.Fatalf("merge in parts: %x, %v; want the fold %+v", v, err, want)
	}

	bad := append(bytes.Clone(r1), 0xff)
	m, _ = hashMerger.Merge(key, bad)
	_ = m.MergeNewer(r2)
	bad = append(bad, r2...)
	if v, _, err = m.Finish(true); err != nil || !bytes.Equal(v, bad) {
		t.Errorf("a value that does not decode: %x, %v; want it as it is", v, err)
	}
	// Keys outside the index are concatenated, never folded.
	m, _ = hashMerger.Merge([]byte{tObject, 3}, r1)
	_ = m.MergeNewer(r1)
	if v, _, _ = m.Finish(true); !bytes.Equal(v, append(bytes.Clone(r1), r1...)) {
		t.Errorf("another table: %x, want the concatenation", v)
	}
}

// An MD5 named by a file feed imported again and again keeps one record
// under its index key once compacted, and FileHashes reads the fold of
// every import; its object is never stamped for it.
func TestHashIndexFolds(t *testing.T) {
	ctx := context.Background()
	s := tempStore(t)
	md5, sha1, sha256 := testHash(7), fmt.Sprintf("%040X", 7), fmt.Sprintf("%064X", 7)
	var last intel.Source
	for i := range 40 {
		last = intel.Source{Feed: "MalwareBazaar", File: "full.csv", Imported: time.Date(2026, 11, 1, i, 0, 0, 0, time.UTC)}
		b := &intel.Batch{FileHashes: []intel.FileHashes{
			{MD5: md5, SHA1: sha1, SHA256: sha256, Source: last},
			{MD5: md5, SHA256: fmt.Sprintf("%064X", 100+i), Source: last}, // a second SHA-256: ignored
		}}
		if err := s.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := intel.FileHashes{MD5: md5, SHA1: sha1, SHA256: sha256, Source: last}
	for _, h := range []string{md5, sha1, sha256} {
		if got, ok, err := s.FileHashes(ctx, h); err != nil || !ok || !equalHashes(got, want) {
			t.Errorf("FileHashes(%s): %+v, %v, %v; want %+v", h, got, ok, err, want)
		}
	}
	if err := s.db.Compact(ctx, []byte{tHashIndex}, []byte{tHashIndex + 1}, true); err != nil {
		t.Fatal(err)
	}
	// The raw value at rest: one record.
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: mustKey(t, md5), UpperBound: append(mustKey(t, md5), 0)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !it.First() {
		t.Fatal("no index key for the MD5")
	}
	// Its source by reference: the pair MalwareBazaar, full.csv has a
	// number (names.go), and its import time is 39 hours after the
	// pair's base time: 7 bytes instead of 30.
	full := indexRecord(nil, want, 0, nil, false)
	if v := it.Value(); !bytes.Equal(v, indexRecord(nil, want, 0, s.names, false)) || len(v) != len(full)-23 {
		t.Errorf("index value after compaction: %d bytes, want the one record of %d (%d with its source in full)", len(v), len(indexRecord(nil, want, 0, s.names, false)), len(full))
	}
	for _, h := range []string{md5, sha1} {
		if _, found, err := get(s.db, objectKey(intel.ObjectFile, h)); err != nil || found {
			t.Errorf("summary of %s: found %v, %v; want none (its hashes are in the index)", h, found, err)
		}
	}
	got, err := s.Changes(ctx, store.ChangedObjects, store.Change{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got {
		if c.Key == md5 || c.Key == sha1 {
			t.Errorf("change log: %v stamped for its hashes", c)
		}
	}
}

func equalHashes(a, b intel.FileHashes) bool {
	return a.MD5 == b.MD5 && a.SHA1 == b.SHA1 && a.SHA256 == b.SHA256 && a.Source.Feed == b.Source.Feed &&
		a.Source.File == b.Source.File && a.Source.Imported.Equal(b.Source.Imported)
}

// A store of format 8 held the records of an MD5 or SHA-1 in the summary
// of its object: batches applied on top of it answer as the reference
// store, the summary's records read before those of the index.
func TestFormat8WeakHashes(t *testing.T) {
	ctx := context.Background()
	batches, want := hashWorld(t, 9, 10)
	s := tempStore(t)
	const half = 6
	for i, b := range batches {
		if i == half {
			if n := weakHashesInSummaries(t, s); n == 0 {
				t.Fatal("no index keys to move into summaries")
			}
		}
		if err := s.Apply(ctx, b); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	sameAnswers(t, hashAnswers(t, s), want)
}

// weakHashesInSummaries moves the records of every index key into the
// summary of its hash, as format 8 kept them, and returns how many keys it
// moved.
func weakHashesInSummaries(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	rewriteRange(t, s, []byte{tHashIndex}, []byte{tHashIndex + 1}, func(b *pebble.Batch, k, v []byte) {
		own, hash, _ := ownHash(k)
		key := objectKey(intel.ObjectFile, hash)
		var sum objSum
		if _, err := getFn(s.db, key, func(v []byte) error { return decObjSum(&dec{s: string(v), names: s.names, own: hash}, &sum) }); err != nil {
			t.Fatal(err)
		}
		if _, err := foldHashRecords(v, own, hash, &sum.hashes, s.names); err != nil {
			t.Fatal(err)
		}
		// Format 8 wrote sources in full.
		sum.hasHashes, sum.names = true, nil
		w, err := encObjSum(nil, &sum)
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(b.Set(key, w, nil), b.Delete(k, nil)); err != nil {
			t.Fatal(err)
		}
		n++
	})
	return n
}
