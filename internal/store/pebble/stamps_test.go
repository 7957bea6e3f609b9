package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// legacyStamps rewrites the object values of s as stores kept them before
// summaries and FileHashes values held their object's change stamp:
// values without it, the stamp under the object's own key.
func legacyStamps(t *testing.T, s *Store) {
	t.Helper()
	stamps := map[string]time.Time{}
	rewriteRange(t, s, nil, nil, func(b *pebble.Batch, k, v []byte) {
		var obj string
		switch k[0] {
		case tObject:
			obj = string(k[1:])
		case tHashes:
			obj = string(byte(intel.ObjectFile)) + string(k[1:])
		default:
			return
		}
		d := &dec{s: string(v), names: s.names, own: obj[1:]}
		var st time.Time
		if k[0] == tObject {
			var sum objSum
			if err := decObjSum(d, &sum); err != nil || !sum.stamped {
				t.Fatalf("%q: %v, stamped %v", k, err, sum.stamped)
			}
			st = sum.stamp
		} else {
			var h intel.FileHashes
			var stamped bool
			var err error
			if st, stamped, err = decHashesStamp(d, &h); err != nil || !stamped {
				t.Fatalf("%q: %v, stamped %v", k, err, stamped)
			}
		}
		if st.After(stamps[obj]) {
			stamps[obj] = st
		}
		if err := b.Set(k, valueContent(v, true), nil); err != nil {
			t.Fatal(err)
		}
	})
	b := s.db.NewBatch()
	defer b.Close()
	for obj, st := range stamps {
		if err := b.Set(objStampKey(obj), binary.BigEndian.AppendUint64(nil, uint64(st.UnixMicro())), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(nil); err != nil {
		t.Fatal(err)
	}
}

// TestLegacyObjectStamps checks that a store whose object values predate
// stamps in values (stamps under their own keys) keeps one change log
// entry per object, at its latest stamp, as batches restamp its objects.
func TestLegacyObjectStamps(t *testing.T) {
	ctx := context.Background()
	md5a, sha256a, sha1a := testHash(1), fmt.Sprintf("%064X", 2), fmt.Sprintf("%040X", 3)
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	src := intel.Source{Feed: "test", File: "f"}
	first := &intel.Batch{
		ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: md5a, Hits: 2, FirstSeen: day(1), LastSeen: day(2), Source: src}},
		Links: []intel.Link{
			{List: intel.LinkHostURLs, Owner: "evil.example", Item: "evil.example/a", Zone: intel.ZoneRed, Hits: 3,
				FirstSeen: day(1), LastSeen: day(2), Source: src},
			{List: intel.LinkHostURLs, Owner: "other.example", Item: "other.example/a", Hits: 1, FirstSeen: day(1), LastSeen: day(2), Source: src},
		},
		FileHashes: []intel.FileHashes{{MD5: md5a, SHA256: sha256a, Source: src}},
		Whois:      []intel.DomainWhois{{Domain: "reg.example", Registrar: "Example Registrar", Source: src}},
	}
	second := &intel.Batch{
		// A later link item of evil.example (its summary unchanged), a
		// SHA-1 for the file's hashes (a change of its SHA-256), new WHOIS.
		Links: []intel.Link{{List: intel.LinkHostURLs, Owner: "evil.example", Item: "evil.example/a", Zone: intel.ZoneRed,
			Hits: 3, FirstSeen: day(1), LastSeen: day(5), Source: src}},
		FileHashes: []intel.FileHashes{{MD5: md5a, SHA1: sha1a, SHA256: sha256a, Source: src}},
		Whois:      []intel.DomainWhois{{Domain: "reg.example", Registrar: "Other Registrar", Source: src}},
	}
	all := func(s *Store) []store.Change {
		t.Helper()
		got, err := s.Changes(ctx, store.ChangedObjects, store.Change{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	run := func(legacy bool) (string, *Store) {
		s := tempStore(t)
		if err := s.Apply(ctx, first); err != nil {
			t.Fatal(err)
		}
		at1 := all(s)[0].At
		if legacy {
			legacyStamps(t, s)
		}
		if err := s.Apply(ctx, second); err != nil {
			t.Fatal(err)
		}
		// Applying the second again changes nothing (the first would
		// bring its WHOIS record back).
		before := fmt.Sprint(all(s))
		if err := s.Apply(ctx, second); err != nil {
			t.Fatal(err)
		}
		if again := fmt.Sprint(all(s)); again != before {
			t.Errorf("legacy %v: applying the batches again changed the log:\n%s\nto\n%s", legacy, before, again)
		}
		var b bytes.Buffer
		for _, c := range all(s) {
			when := "first"
			if c.At.After(at1) {
				when = "second"
			}
			fmt.Fprintf(&b, "%d %s %s\n", c.Kind, c.Key, when)
		}
		return b.String(), s
	}
	want, _ := run(false)
	got, s := run(true)
	if got != want {
		t.Errorf("changes of a store with stamps under their own keys:\n%s\nwant\n%s", got, want)
	}
	const wantSecond = "%d evil.example second\n"
	for _, w := range []string{fmt.Sprintf("%d other.example first\n", intel.ObjectHost), fmt.Sprintf(wantSecond, intel.ObjectHost),
		fmt.Sprintf("%d reg.example second\n", intel.ObjectHost), fmt.Sprintf("%d %s first\n", intel.ObjectFile, md5a),
		fmt.Sprintf("%d %s second\n", intel.ObjectFile, sha256a)} {
		if !bytes.Contains([]byte(want), []byte(w)) {
			t.Errorf("missing %q in\n%s", w, want)
		}
	}
	// The restamped objects' own stamp keys are gone; the others stay.
	for obj, want := range map[string]bool{
		string(byte(intel.ObjectHost)) + "evil.example":  false,
		string(byte(intel.ObjectHost)) + "other.example": true,
		string(byte(intel.ObjectFile)) + md5a:            true,
		string(byte(intel.ObjectFile)) + sha256a:         false,
	} {
		if _, found, err := get(s.db, objStampKey(obj)); err != nil || found != want {
			t.Errorf("stamp key of %q: found %v, %v; want %v", obj[1:], found, err, want)
		}
	}
}
