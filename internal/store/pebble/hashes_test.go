package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

// tempStore opens a store in a directory of the test's, closed when the
// test ends.
func tempStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rewriteRange rewrites the store s under its feet, as an older binary
// would have left it: fn sees every key in [lower, upper) and its value
// and writes what it makes of them to b, which is committed at the end.
// A nil upper is no bound.
func rewriteRange(t *testing.T, s *Store, lower, upper []byte, fn func(b *pebble.Batch, k, v []byte)) {
	t.Helper()
	s.recent.invalidate() // a raw write, outside Apply
	b := s.db.NewBatch()
	defer b.Close()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		t.Fatal(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		fn(b, it.Key(), it.Value())
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(nil); err != nil {
		t.Fatal(err)
	}
}

// legacyHashes rewrites the file summaries of s as stores kept them before
// summaries held the FileHashes under their hash: the FileHashes under F
// hash with the object's stamp, the summary without them, and no summary
// at all for a file that had nothing else.
func legacyHashes(t *testing.T, s *Store) {
	t.Helper()
	empty, _ := encObjSum(nil, &objSum{})
	rewriteRange(t, s, []byte{tObject, byte(intel.ObjectFile)}, []byte{tObject, byte(intel.ObjectFile) + 1}, func(b *pebble.Batch, k, v []byte) {
		var sum objSum
		if err := decObjSum(&dec{s: string(v), names: s.names, own: string(k[2:])}, &sum); err != nil || !sum.stamped {
			t.Fatalf("%q: %v, stamped %v", k, err, sum.stamped)
		}
		sum.names = nil // older formats wrote sources in full
		if !sum.hasHashes {
			return
		}
		if err := b.Set(hashesKey(string(k[2:])), encHashes(nil, &sum.hashes, sum.stamp), nil); err != nil {
			t.Fatal(err)
		}
		sum.hashes, sum.hasHashes = intel.FileHashes{}, false
		w, err := encObjSum(nil, &sum)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(valueContent(w, true), valueContent(empty, true)) {
			err = b.Delete(k, nil)
		} else {
			err = b.Set(k, w, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	s.hashKeys.Store(true)
}

// legacyLinks rewrites the summaries of s that hold list items as
// stores kept them before summaries held any: the items under primary and
// index keys.
func legacyLinks(t *testing.T, s *Store) {
	t.Helper()
	n := 0
	rewriteRange(t, s, []byte{tObject}, []byte{tObject + 1}, func(b *pebble.Batch, key, v []byte) {
		var sum objSum
		if err := decObjSum(&dec{s: string(v), names: s.names, own: string(key[2:])}, &sum); err != nil {
			t.Fatalf("%q: %v", key, err)
		}
		sum.names = nil // older formats wrote sources in full
		if sum.inline == nil {
			return
		}
		for _, l := range sum.inline {
			o := linkOwner(nil, l.list, string(key[2:]))
			for i := range l.links {
				k := &l.links[i]
				sort := linkSortKey(nil, k)
				if err := errors.Join(b.Set(primaryKey(lLinks, o, []byte(k.Item)), sort, nil),
					b.Set(indexKey(lLinks, o, sort, []byte(k.Item)), encLink(nil, k), nil)); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
		sum.inline = nil
		w, err := encObjSum(nil, &sum)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Set(key, w, nil); err != nil {
			t.Fatal(err)
		}
	})
	if n == 0 {
		t.Fatal("no list items held inline")
	}
}

// hashRecords makes FileHashes records over a few files whose hashes meet
// again with other partners (conflicts), with object records of the same
// files.
func hashRecords(rng *rand.Rand, src intel.Source, n int) *intel.Batch {
	b := &intel.Batch{}
	day := time.Date(2026, 3, 1+rng.IntN(20), 0, 0, 0, 0, time.UTC)
	for range n {
		h := intel.FileHashes{Source: src}
		if rng.IntN(4) > 0 {
			h.MD5 = testHash(rng.IntN(5))
		}
		if rng.IntN(2) == 0 {
			h.SHA1 = fmt.Sprintf("%040X", rng.IntN(4))
		}
		if rng.IntN(3) > 0 || h.MD5 == "" && h.SHA1 == "" {
			h.SHA256 = fmt.Sprintf("%064X", rng.IntN(4))
		}
		b.FileHashes = append(b.FileHashes, h)
		switch key := h.Hashes()[0]; rng.IntN(3) {
		case 0:
			b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectFile, Key: key, Hits: 1, FirstSeen: day, LastSeen: day, Type: "exe", Source: src})
		case 1:
			b.Links = append(b.Links, intel.Link{List: intel.LinkFileNames, Owner: key, Item: fmt.Sprint("n", rng.IntN(3)), Hits: 1,
				FirstSeen: day, LastSeen: day, Source: src})
		}
	}
	return b
}

// hashWorld makes 12 batches of hashRecords from the seed (s1, s2) and
// the answers of a reference store that applied them all.
func hashWorld(t *testing.T, s1, s2 uint64) ([]*intel.Batch, map[string]any) {
	t.Helper()
	var batches []*intel.Batch
	rng := rand.New(rand.NewPCG(s1, s2))
	for i := range 12 {
		batches = append(batches, hashRecords(rng, intel.Source{Feed: "test", File: fmt.Sprint("f", i)}, 1+rng.IntN(6)))
	}
	ref := mem.New()
	for _, b := range batches {
		if err := ref.Apply(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	return batches, hashAnswers(t, ref)
}

// allHashes are the hashes hashRecords names.
func allHashes() []string {
	var out []string
	for i := range 5 {
		out = append(out, testHash(i), fmt.Sprintf("%040X", i), fmt.Sprintf("%064X", i))
	}
	return out
}

// hashAnswers reads the FileHashes and file summaries of every hash.
func hashAnswers(t *testing.T, s store.Store) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	for _, h := range allHashes() {
		fh, ok, err := s.FileHashes(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		out["hashes "+h] = []any{fh, ok}
		o, err := s.Object(ctx, intel.ObjectFile, h)
		if err != nil {
			t.Fatal(err)
		}
		out["object "+h] = o
		ls, err := s.Links(ctx, intel.LinkFileNames, h, 10)
		if err != nil {
			t.Fatal(err)
		}
		out["names "+h] = ls
	}
	return out
}

// changeOrder lists the object change log as kind, key and the rank of its
// stamp among the log's stamps.
func changeOrder(t *testing.T, s *Store) []string {
	t.Helper()
	got, err := s.Changes(context.Background(), store.ChangedObjects, store.Change{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var stamps []time.Time
	for _, c := range got {
		if !slices.Contains(stamps, c.At) {
			stamps = append(stamps, c.At)
		}
	}
	var out []string
	for _, c := range got {
		out = append(out, fmt.Sprintf("%d %s %d", c.Kind, c.Key, slices.Index(stamps, c.At)))
	}
	return out
}

// A store that keeps FileHashes under F keys and the items of file lists
// under primary and index keys (as stores written before file summaries
// held them did, with or without the stamps in values)
// answers as the reference store as batches merge into it, logs the
// same changes as a store that never had F keys, and loses the F key of
// a file once its summary changes.
func TestLegacyFileHashes(t *testing.T) {
	ctx := context.Background()
	batches, want := hashWorld(t, 7, 8)
	const half = 6
	var moved []string // the F keys of the legacy store
	run := func(name string, legacy func(*testing.T, *Store)) ([]string, *Store) {
		s := tempStore(t)
		for i, b := range batches {
			if i == half && legacy != nil {
				legacy(t, s)
				if moved = hashKeys(t, s); len(moved) == 0 {
					t.Fatalf("%s: no F keys", name)
				}
			}
			if err := s.Apply(ctx, b); err != nil {
				t.Fatalf("%s, batch %d: %v", name, i, err)
			}
		}
		sameAnswers(t, hashAnswers(t, s), want)
		order := changeOrder(t, s)
		// Applying the last batch again changes nothing.
		if err := s.Apply(ctx, batches[len(batches)-1]); err != nil {
			t.Fatal(err)
		}
		if again := changeOrder(t, s); !slices.Equal(again, order) {
			t.Errorf("%s: applying a batch again changed the log:\n%v\nto\n%v", name, order, again)
		}
		return order, s
	}
	wantOrder, _ := run("new", nil)
	for name, legacy := range map[string]func(*testing.T, *Store){
		"hashes":                       legacyHashes,
		"hashes and stamps":            func(t *testing.T, s *Store) { legacyHashes(t, s); legacyStamps(t, s) },
		"links and hashes":             func(t *testing.T, s *Store) { legacyLinks(t, s); legacyHashes(t, s) },
		"hashes in format 7 summaries": func(t *testing.T, s *Store) { legacySummaries(t, s); legacyHashes(t, s) },
	} {
		order, s := run(name, legacy)
		if !slices.Equal(order, wantOrder) {
			t.Errorf("%s: changes\n%v\nwant\n%v", name, order, wantOrder)
		}
		// The F keys left are those of files whose summaries hold no
		// FileHashes; the later batches moved most.
		left := hashKeys(t, s)
		for _, h := range left {
			if o, err := s.Object(ctx, intel.ObjectFile, h); err != nil {
				t.Fatal(err)
			} else if o.Known() {
				var sum objSum
				if _, err := getFn(s.db, objectKey(intel.ObjectFile, h), func(v []byte) error { return decObjSum(&dec{s: string(v), names: s.names, own: h}, &sum) }); err != nil || sum.hasHashes {
					t.Errorf("%s: %s has an F key and FileHashes in its summary (%v)", name, h, err)
				}
			}
		}
		if len(left) >= len(moved) {
			t.Errorf("%s: %d F keys before the later batches, %d after", name, len(moved), len(left))
		}
	}
}

// A store whose summaries are in the encoding of format 7 answers as the
// reference store as batches merge into it, and logs the same changes as a
// store written in format 8 throughout: a summary this build would only
// encode differently is not rewritten, nor its object stamped.
func TestFormat7Summaries(t *testing.T) {
	ctx := context.Background()
	batches, want := hashWorld(t, 7, 8)
	const half = 6
	run := func(legacy bool) []string {
		s := tempStore(t)
		for i, b := range batches {
			if i == half && legacy {
				legacySummaries(t, s)
			}
			if err := s.Apply(ctx, b); err != nil {
				t.Fatalf("batch %d: %v", i, err)
			}
		}
		sameAnswers(t, hashAnswers(t, s), want)
		order := changeOrder(t, s)
		// Applying the last batch again changes nothing.
		if err := s.Apply(ctx, batches[len(batches)-1]); err != nil {
			t.Fatal(err)
		}
		if again := changeOrder(t, s); !slices.Equal(again, order) {
			t.Errorf("applying batches again changed the log:\n%v\nto\n%v", order, again)
		}
		return order
	}
	if got, want := run(true), run(false); !slices.Equal(got, want) {
		t.Errorf("changes\n%v\nwant\n%v", got, want)
	}
}

// legacySummaries rewrites every object summary of s in the encoding of
// format 7 (sources repeated, no bare form), as a store written by an
// older binary and opened by this one holds them.
func legacySummaries(t *testing.T, s *Store) {
	t.Helper()
	n, shorter := 0, 0
	rewriteRange(t, s, []byte{tObject}, []byte{tObject + 1}, func(b *pebble.Batch, k, v []byte) {
		var sum objSum
		if err := decObjSum(&dec{s: string(v), names: s.names, own: string(k[2:])}, &sum); err != nil {
			t.Fatal(err)
		}
		w, err := encSum(nil, &sum, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(w) > len(v) {
			shorter++
		}
		if err := b.Set(k, w, nil); err != nil {
			t.Fatal(err)
		}
		n++
	})
	if shorter == 0 {
		t.Fatalf("none of %d summaries is shorter in format 8", n)
	}
	s.olderValues = true
}

// hashKeys lists the hashes with an F key.
func hashKeys(t *testing.T, s *Store) []string {
	t.Helper()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tHashes}, UpperBound: []byte{tHashes + 1}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, string(it.Key()[1:]))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A store whose lists are all under primary and index keys (as stores
// written before summaries held list items) answers as the reference store
// as more batches merge into it.
func TestLegacyLinks(t *testing.T) {
	ctx := context.Background()
	s := tempStore(t)
	ref := mem.New()
	rng := rand.New(rand.NewPCG(5, 6))
	r := &objectRecords{rng: rng}
	for round := range 40 {
		if round == 20 {
			legacyLinks(t, s)
		}
		b := &intel.Batch{}
		r.src = intel.Source{Feed: "test", File: fmt.Sprint("f", round)}
		for range rng.IntN(20) + 1 {
			r.add(b, 4) // links
		}
		if err := s.Apply(ctx, b); err != nil {
			t.Fatalf("batch %d: %v", round, err)
		}
		if err := ref.Apply(ctx, b); err != nil {
			t.Fatalf("reference, batch %d: %v", round, err)
		}
	}
	sameAnswers(t, objectAnswers(t, s), objectAnswers(t, ref))
}

// TestMigrateFileHashes turns stores into each layout of the FileHashes
// that stores written before file summaries held them had, runs the
// file-hashes upgrade, and checks that it moved every F key (and the
// stamp keys of values without stamps) into the summaries without
// changing an answer or the change log, and that Apply then merges as
// into a store that never had them.
func TestMigrateFileHashes(t *testing.T) {
	ctx := context.Background()
	batches, want := hashWorld(t, 9, 10)
	const half = 8
	open := func() *Store {
		s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	fresh := open()
	for _, b := range batches {
		if err := fresh.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	wantOrder := changeOrder(t, fresh)
	for name, legacy := range map[string]func(*testing.T, *Store){
		"hashes":                       legacyHashes,
		"hashes and stamps":            func(t *testing.T, s *Store) { legacyHashes(t, s); legacyStamps(t, s) },
		"links and hashes":             func(t *testing.T, s *Store) { legacyLinks(t, s); legacyHashes(t, s) },
		"hashes in format 7 summaries": func(t *testing.T, s *Store) { legacySummaries(t, s); legacyHashes(t, s) },
	} {
		s := open()
		for _, b := range batches[:half] {
			if err := s.Apply(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		legacy(t, s)
		if len(hashKeys(t, s)) == 0 || !s.hashKeys.Load() {
			t.Fatalf("%s: no F keys to move", name)
		}
		answers, order := hashAnswers(t, s), changeOrder(t, s)
		p, err := s.Pending(ctx)
		if err != nil || !slices.Contains(p, upgradeFileHashes) {
			t.Fatalf("%s: pending %v, %v; want %s among them", name, p, err, upgradeFileHashes)
		}
		if _, err := s.Migrate(ctx, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if left := hashKeys(t, s); len(left) > 0 || s.hashKeys.Load() {
			t.Errorf("%s: F keys left after the upgrade: %v (reading them: %v)", name, left, s.hashKeys.Load())
		}
		if n := countKeys(t, s, []byte{tChange, cObjStamp}); n > 0 {
			t.Errorf("%s: %d stamp keys left after the upgrade", name, n)
		}
		if p, err := s.Pending(ctx); err != nil || slices.Contains(p, upgradeFileHashes) {
			t.Errorf("%s: pending after the upgrade %v, %v", name, p, err)
		}
		sameAnswers(t, hashAnswers(t, s), answers)
		if got := changeOrder(t, s); !slices.Equal(got, order) {
			t.Errorf("%s: the upgrade changed the log:\n%v\nto\n%v", name, order, got)
		}
		for _, b := range batches[half:] {
			if err := s.Apply(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		sameAnswers(t, hashAnswers(t, s), want)
		if got := changeOrder(t, s); !slices.Equal(got, wantOrder) {
			t.Errorf("%s: changes after the upgrade and the later batches\n%v\nwant\n%v", name, got, wantOrder)
		}
	}
}

// countKeys counts the keys of s under prefix.
func countKeys(t *testing.T, s *Store, prefix []byte) int {
	t.Helper()
	upper := append(bytes.Clone(prefix[:len(prefix)-1]), prefix[len(prefix)-1]+1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

// A batch planned before the store's F keys changed (PrepareBatch, then
// ApplyPlanned) merges as one planned after: the merge plans its reads
// again. A batch that does not validate is refused by PrepareBatch.
func TestApplyPlanned(t *testing.T) {
	ctx := context.Background()
	batches, want := hashWorld(t, 7, 8)
	const half = 6
	s := tempStore(t)
	for i, b := range batches {
		plan, err := s.PrepareBatch(b)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if i == half {
			legacyHashes(t, s)
			if bp := plan.(*batchPlan); bp.legacy || !s.hashKeys.Load() {
				t.Fatalf("planned with F keys %v, store has F keys %v; want false, true", bp.legacy, s.hashKeys.Load())
			}
		}
		done := make(chan error, 1)
		if err := s.ApplyPlanned(ctx, b, plan, func(err error) { done <- err }); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if err := <-done; err != nil {
			t.Fatalf("batch %d: commit: %v", i, err)
		}
	}
	sameAnswers(t, hashAnswers(t, s), want)

	bad := &intel.Batch{FileHashes: []intel.FileHashes{{MD5: "not a hash"}}}
	if _, err := s.PrepareBatch(bad); intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("PrepareBatch of an invalid batch: got %v, want an invalid-input error", err)
	}
	if _, err := s.PrepareBatch(&intel.Batch{}); err != nil {
		t.Errorf("PrepareBatch of an empty batch: %v", err)
	}
}
