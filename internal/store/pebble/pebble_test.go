package pebble

import (
	"errors"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Factory{
		New: func(t *testing.T) store.Store {
			s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			dir := s.(*Store).dir
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := Open(dir, Options{CacheSize: 8 << 20})
			if err != nil {
				t.Fatal(err)
			}
			return s2
		},
	})
}

func TestOpenInUse(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(dir, Options{})
	if err == nil {
		t.Fatal("second Open of an open store: got nil error, want store_in_use")
	}
	var e *intel.Error
	if !errors.As(err, &e) || e.Kind != intel.KindUnavailable || e.Code != "store_in_use" {
		t.Fatalf("second Open: got %v, want a KindUnavailable store_in_use error", err)
	}
}

// storeStamped makes a store stamped with format f and returns its
// directory.
func storeStamped(t *testing.T, f byte) string {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(keyFormat, []byte{f}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOpenOtherFormat(t *testing.T) {
	dir := storeStamped(t, 1)
	if s, err := Open(dir, Options{}); err == nil {
		s.Close()
		t.Fatal("Open of a format 1 store: got nil error")
	}
}

// A format 6 to 10 store (written before domain WHOIS had its compact
// encoding, before summaries wrote repeated sources once, before the hash
// index, before sources by number, or before files in the change log by
// their hash as bytes) opens, and is stamped 11 at once, so that an older
// binary refuses it rather than failing on a record it cannot decode. Its
// summaries may be in older encodings unless it is format 10.
func TestOpenOlderFormats(t *testing.T) {
	for _, f := range []byte{6, 7, 8, 9, 10} {
		s, err := Open(storeStamped(t, f), Options{})
		if err != nil {
			t.Fatalf("Open of a format %d store: %v", f, err)
		}
		v, found, err := get(s.db, keyFormat)
		if err != nil || !found || len(v) != 1 || v[0] != 11 {
			t.Errorf("format %d: stamp after Open: %v %v %v, want 11", f, v, found, err)
		}
		if want := f < 10; s.olderValues != want {
			t.Errorf("format %d: olderValues %v after Open, want %v (summaries in older encodings)", f, s.olderValues, want)
		}
		dir := s.dir
		s.Close()
		// Still after the store is stamped 11.
		if s, err = Open(dir, Options{}); err != nil {
			t.Fatal(err)
		}
		if want := f < 10; s.olderValues != want {
			t.Errorf("format %d: olderValues %v after a second Open, want %v", f, s.olderValues, want)
		}
		s.Close()
	}
	for _, f := range []byte{5, 12} {
		if s, err := Open(storeStamped(t, f), Options{}); err == nil {
			s.Close()
			t.Errorf("Open of a format %d store: got nil error", f)
		}
	}
}
