package pebble

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// A file's change log entry holds its hash as bytes (format 11), and a
// store whose log values hold hashes in hex (format 10 and before) is read
// the same: its entries come back as the same changes, a cursor inside
// such a value pages on from the right entry, and a file changed again
// leaves the old value in either form.
func TestChangeLogFileEntries(t *testing.T) {
	ctx := context.Background()
	s := tempStore(t)
	hashes := []string{strings.Repeat("1A", 32), strings.Repeat("2B", 32), strings.Repeat("3C", 32), strings.Repeat("4D", 16)}
	b := &intel.Batch{ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectHost, Key: "files.example", Source: intel.Source{Feed: "f"}}}}
	for _, h := range hashes {
		b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectFile, Key: h, Type: "exe", Source: intel.Source{Feed: "f"}})
	}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	all := func() []store.Change {
		t.Helper()
		l, err := s.Changes(ctx, store.ChangedObjects, store.Change{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	first := all()
	keys := func(l []store.Change) (out []string) {
		for _, c := range l {
			out = append(out, c.Kind.String()+" "+c.Key)
		}
		return out
	}
	want := []string{"host files.example", "file " + hashes[0], "file " + hashes[1], "file " + hashes[2], "file " + hashes[3]}
	if got := keys(first); !slices.Equal(got, want) {
		t.Fatalf("changes: %q, want %q", got, want)
	}
	logKey := changeLogKey(cObject, first[0].At)
	v, _, err := get(s.db, logKey)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + 1 + len("files.example") + 3*(1+1+32) + (1 + 1 + 16); len(v) != want {
		t.Errorf("log value: %d bytes, want %d (files by their hash as bytes)", len(v), want)
	}

	// The value as format 10 wrote it: the same entries, hashes in hex.
	rewriteRange(t, s, logKey, append(slices.Clone(logKey), 0), func(pb *pebble.Batch, k, v []byte) {
		var old []byte
		for _, c := range first {
			old = appendChangeURL(old, string(byte(c.Kind))+c.Key)
		}
		if err := pb.Set(k, old, nil); err != nil {
			t.Fatal(err)
		}
	})
	if got := keys(all()); !slices.Equal(got, want) {
		t.Errorf("changes of the hex value: %q, want %q", got, want)
	}
	for i, c := range first[:len(first)-1] {
		l, err := s.Changes(ctx, store.ChangedObjects, c, 100)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(l); !slices.Equal(got, want[i+1:]) {
			t.Errorf("after %s: %q, want %q", c.Key, got, want[i+1:])
		}
	}

	// The second and fourth files change again: their entries leave the
	// hex value, and the new value has them as bytes.
	time.Sleep(time.Millisecond)
	again := &intel.Batch{ObjectInfos: []intel.ObjectInfo{
		{Kind: intel.ObjectFile, Key: hashes[1], Type: "dll", Source: intel.Source{Feed: "f"}},
		{Kind: intel.ObjectFile, Key: hashes[3], Type: "dll", Source: intel.Source{Feed: "f"}},
	}}
	if err := s.Apply(ctx, again); err != nil {
		t.Fatal(err)
	}
	l := all()
	want = []string{"host files.example", "file " + hashes[0], "file " + hashes[2], "file " + hashes[1], "file " + hashes[3]}
	if got := keys(l); !slices.Equal(got, want) || !l[3].At.After(l[2].At) || !l[2].At.Equal(first[0].At) {
		t.Errorf("changes after the second batch: %q at %v, want %q, the last two later", got, l, want)
	}
	// A cursor inside a value of hashes as bytes.
	if l2, err := s.Changes(ctx, store.ChangedObjects, l[3], 100); err != nil || !slices.Equal(keys(l2), want[4:]) {
		t.Errorf("after %s: %q, %v; want %q", l[3].Key, keys(l2), err, want[4:])
	}
	v, _, err = get(s.db, logKey)
	if err != nil {
		t.Fatal(err)
	}
	var rest []byte
	for _, c := range []store.Change{first[0], first[1], first[3]} {
		rest = appendChangeURL(rest, string(byte(c.Kind))+c.Key)
	}
	if !bytes.Equal(v, rest) {
		t.Errorf("hex value after the second batch: %q, want %q", v, rest)
	}
}

// Entries with a file's hash as bytes sort among the others as their hex
// does, and an object that is not a hash keeps the text form.
func TestChangeEntryOrder(t *testing.T) {
	objs := []string{"\x01a.example", "\x02a.example/x", "\x03" + strings.Repeat("0F", 16), "\x03" + strings.Repeat("0F", 32), "\x03" + strings.Repeat("A0", 20), "\x03NOTAHASH"}
	for _, x := range objs {
		for _, y := range objs {
			ex, ey := appendChangeObject(nil, x), appendChangeObject(nil, y)
			if got, want := cmpEntryKey(cObject, entryKey(cObject, ex), entryKey(cObject, ey)), strings.Compare(x, y); got != want {
				t.Errorf("cmpEntryKey(%q, %q) = %d, want %d", x, y, got, want)
			}
			if ch, err := changeOf(cObject, time.Time{}, ex); err != nil || string(byte(ch.Kind))+ch.Key != x {
				t.Errorf("entry of %q reads as %v, %v", x, ch, err)
			}
		}
	}
	if e := appendChangeObject(nil, "\x03NOTAHASH"); e[1] != byte(intel.ObjectFile) {
		t.Errorf("entry of a file key that is no hash: %q, want the text form", e)
	}
}
