package pebble

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// objSumSamples are summaries with and without FileHashes and inline
// lists, the hashes in the forms encFileHashes stores as bytes and as
// text.
func objSumSamples() []objSum {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	src := intel.Source{Feed: "f", File: "x.csv", Imported: day}
	link := func(list intel.LinkList, item string, hits int64) intel.Link {
		return intel.Link{List: list, Item: item, Hits: hits, FirstSeen: day, LastSeen: day.Add(time.Duration(hits) * time.Hour), Source: src}
	}
	whois := whoisSample()
	whois.Contacts[1].Email = "abuse@example.com" // valid UTF-8: the round trip keeps it
	return []objSum{
		{stamped: true},
		{whois: &whois, lists: []listCount{{intel.LinkHostIPv4, intel.ListCount{Items: 2, Hits: 3}}}, stamp: day, stamped: true},
		{stamp: day, stamped: true},
		{info: intel.ObjectInfo{Hits: 2, Type: "exe", Source: src}, hashes: intel.FileHashes{MD5: testHash(7), SHA1: fmt.Sprintf("%040X", 1), SHA256: fmt.Sprintf("%064X", 2), Source: src},
			hasHashes: true, stamp: day, stamped: true},
		// Hashes that are not upper-case hex of their length.
		{hashes: intel.FileHashes{MD5: "abc", SHA1: fmt.Sprintf("%040x", 1), SHA256: fmt.Sprintf("%063X", 2) + "G"}, hasHashes: true, stamped: true},
		{hashes: intel.FileHashes{SHA256: fmt.Sprintf("%064X", 3)}, hasHashes: true, stamped: true,
			inline: []inlineItems{
				{list: intel.LinkFileURLs, links: []intel.Link{link(intel.LinkFileURLs, "a.example/x", 1)}},
				{list: intel.LinkFileNames, links: []intel.Link{link(intel.LinkFileNames, "b.exe", 3), link(intel.LinkFileNames, "a.exe", 2)}},
			}},
	}
}

func TestObjSumRoundTrip(t *testing.T) {
	for i, s := range objSumSamples() {
		v, err := encObjSum(nil, &s)
		if err != nil {
			t.Fatal(err)
		}
		var got objSum
		if err := decObjSum(&dec{s: string(v)}, &got); err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("sample %d: got %+v, want %+v", i, got, s)
		}
	}
}

// Binary hashes take half the bytes of their hex.
func TestFileHashesRaw(t *testing.T) {
	h := intel.FileHashes{MD5: testHash(7), SHA1: fmt.Sprintf("%040X", 1), SHA256: fmt.Sprintf("%064X", 2)}
	var e enc
	encFileHashes(&e, &h)
	// A form byte per hash, the hashes, an empty source (two empty
	// strings, a zero time).
	if got, want := len(e.b), 3+16+20+32+4; got != want {
		t.Errorf("got %d bytes, want %d", got, want)
	}
}

func FuzzDecodeObjSum(f *testing.F) {
	// A table with a pair of every sample's first source, so that seeds
	// hold sources by reference too.
	t := &nameTable{ids: map[namePair]uint32{}}
	for _, s := range objSumSamples() {
		v, err := encObjSum(nil, &s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
		if p := (namePair{s.info.Source.Feed, s.info.Source.File}); t.ids[p] == 0 {
			t.byID = append(t.byID, nameEntry{p, partsOf(s.info.Source.Imported)})
			t.ids[p] = uint32(len(t.byID))
		}
	}
	n := &names{}
	n.t.Store(t)
	for _, s := range objSumSamples() {
		s.names = n
		if v, err := encObjSum(nil, &s); err == nil {
			f.Add(v)
		}
	}
	// Seeds of a file's summary under its own hash, which it writes as
	// hashOwn.
	own := fmt.Sprintf("%064X", 2)
	for _, s := range objSumSamples() {
		s.names, s.key = n, string(byte(intel.ObjectFile))+own
		if v, err := encObjSum(nil, &s); err == nil {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		s := objSum{key: string(byte(intel.ObjectFile)) + own}
		if decObjSum(&dec{s: string(v), names: n, own: own}, &s) != nil {
			return
		}
		// What decodes encodes back to what decodes the same.
		w, err := encObjSum(nil, &s)
		if err != nil {
			return // a WHOIS record json.Marshal refuses
		}
		again := objSum{key: s.key}
		if err := decObjSum(&dec{s: string(w), names: n, own: own}, &again); err != nil {
			t.Fatalf("%x decoded, its encoding %x does not: %v", v, w, err)
		}
		if w2, _ := encObjSum(nil, &again); !bytes.Equal(w, w2) {
			t.Fatalf("encodings differ: %x, %x", w, w2)
		}
	})
}

// A summary writes a source once and each repeat of it in two bytes, a
// date equal to the one written before it in two bytes, and a summary
// with only sections (a hash's FileHashes) starts with
// valueFormatBare instead of its empty fields, one with an empty info
// (a host) with valueFormatNoInfo instead of the info; they decode as the
// encoding of format 7 does.
func TestObjSumCompact(t *testing.T) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	src := intel.Source{Feed: "MalwareBazaar", File: "full.csv", Imported: day}
	other := intel.Source{Feed: "URLhaus", File: "payloads.csv", Imported: day}
	hashes := intel.FileHashes{MD5: testHash(7), SHA1: fmt.Sprintf("%040X", 1), SHA256: fmt.Sprintf("%064X", 2), Source: src}
	link := func(list intel.LinkList, item string, s intel.Source) intel.Link {
		return intel.Link{List: list, Item: item, Hits: 1, FirstSeen: day, LastSeen: day, Source: s}
	}
	for _, c := range []struct {
		name    string
		s       objSum
		repeats []intel.Source // the sources written as srcRepeat
		dates   int            // the dates written as dateRepeat
		bare    bool
		noInfo  bool
	}{
		{"file", objSum{
			info:      intel.ObjectInfo{Hits: 1, Type: "exe", Source: src},
			listings:  []intel.ObjectListing{{Feed: "MalwareBazaar", Category: intel.Category("malware"), FirstSeen: day, LastSeen: day, Source: src}},
			hashes:    hashes,
			hasHashes: true,
			inline: []inlineItems{
				{list: intel.LinkFileNames, links: []intel.Link{link(intel.LinkFileNames, "a.exe", src), link(intel.LinkFileNames, "b.exe", other)}},
				{list: intel.LinkDetections, links: []intel.Link{link(intel.LinkDetections, "Example", other)}},
			},
			stamp: day, stamped: true,
		}, []intel.Source{src, src, src, other}, 7, false, false}, // listing, hashes, a.exe; the detection after b.exe; every date but the first
		{"hash", objSum{hashes: hashes, hasHashes: true, stamp: day, stamped: true}, nil, 0, true, false},
		{"host", objSum{
			lists: []listCount{{intel.LinkHostFiles, intel.ListCount{Items: 2, Hits: 2}}},
			inline: []inlineItems{
				{list: intel.LinkHostFiles, links: []intel.Link{link(intel.LinkHostFiles, testHash(1), src), link(intel.LinkHostFiles, testHash(2), src)}},
			},
			stamp: day, stamped: true,
		}, []intel.Source{src}, 3, false, true}, // the second file's source; every date but the first
	} {
		v, err := encObjSum(nil, &c.s)
		if err != nil {
			t.Fatal(err)
		}
		old, err := encSum(nil, &c.s, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Count(v, []byte(srcRepeat)); got != len(c.repeats)+c.dates {
			t.Errorf("%s: %d repeated sources and dates, want %d", c.name, got, len(c.repeats)+c.dates)
		}
		want := len(old)
		for _, r := range c.repeats {
			var e enc
			e.source(r)
			want -= len(e.b) - len(srcRepeat)
		}
		var e enc
		e.time(day)
		want -= c.dates * (len(e.b) - len(dateRepeat))
		if c.bare {
			want = len(old) - len(emptySumInfo) - len(emptySumRest)
			if v[0] != valueFormatBare {
				t.Errorf("%s: first byte %d, want %d", c.name, v[0], valueFormatBare)
			}
		}
		if c.noInfo {
			want -= len(emptySumInfo)
			if v[0] != valueFormatNoInfo {
				t.Errorf("%s: first byte %d, want %d", c.name, v[0], valueFormatNoInfo)
			}
		}
		if len(v) != want {
			t.Errorf("%s: %d bytes (format 7: %d), want %d", c.name, len(v), len(old), want)
		}
		for form, enc := range map[string][]byte{"format 10": v, "format 7": old} {
			var got objSum
			if err := decObjSum(&dec{s: string(enc)}, &got); err != nil {
				t.Fatalf("%s, %s: %v", c.name, form, err)
			}
			if !reflect.DeepEqual(got, c.s) {
				t.Errorf("%s, %s: got %+v, want %+v", c.name, form, got, c.s)
			}
		}
	}
}

// A file's summary writes the hash of its own key as one byte; it decodes
// only with that key.
func TestObjSumOwnHash(t *testing.T) {
	sha256 := fmt.Sprintf("%064X", 9)
	src := intel.Source{Feed: "MalwareBazaar", File: "full.csv", Imported: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	s := objSum{
		info:   intel.ObjectInfo{Hits: 1, Type: "exe", Source: src},
		hashes: intel.FileHashes{MD5: testHash(9), SHA1: fmt.Sprintf("%040X", 9), SHA256: sha256, Source: src}, hasHashes: true,
		stamp: src.Imported, stamped: true,
	}
	anon, err := encObjSum(nil, &s)
	if err != nil {
		t.Fatal(err)
	}
	s.key = string(byte(intel.ObjectFile)) + sha256
	v, err := encObjSum(nil, &s)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != len(anon)-32 {
		t.Errorf("summary under its SHA-256: %d bytes, want %d (the SHA-256 as one byte)", len(v), len(anon)-32)
	}
	got := objSum{key: s.key}
	if err := decObjSum(&dec{s: string(v), own: sha256}, &got); err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("decoded %+v, %v; want %+v", got, err, s)
	}
	if err := decObjSum(&dec{s: string(v)}, &objSum{}); err == nil {
		t.Error("decoded without its key: want an error")
	}
	// Encoded under its MD5 (a summary older formats kept), the MD5 is
	// the byte instead.
	s.key = string(byte(intel.ObjectFile)) + s.hashes.MD5
	if w, _ := encObjSum(nil, &s); len(w) != len(anon)-16 {
		t.Errorf("summary under its MD5: %d bytes, want %d", len(w), len(anon)-16)
	}
}
