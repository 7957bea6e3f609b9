package store_test

import (
	"testing"
	"time"

	"github.com/tipd/tipd/internal/store"
)

// cursors in the order of the lists: most severe zone first, newest
// LastSeen first (undated last), most hits first, then by key.
var orderedCursors = []store.ListCursor{
	{Sev: 4, Key: "a"},
	{Sev: 3, Hits: 9, Key: "a"},
	{LastSeen: time.Date(2026, 11, 28, 0, 0, 0, 1, time.UTC), Key: "z"},
	{LastSeen: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), Hits: 7, Key: "z"},
	{LastSeen: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), Hits: 7, Key: "z\x00a"},
	{LastSeen: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), Hits: -1, Key: ""},
	{LastSeen: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), Hits: 1 << 62, Key: "a"},
	{Hits: 3, Key: "b"},
	{Key: "a"},
}

func TestCompareCursors(t *testing.T) {
	for i, a := range orderedCursors {
		for j, b := range orderedCursors {
			got := store.CompareCursors(a, b)
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if (got < 0) != (want < 0) || (got > 0) != (want > 0) {
				t.Errorf("CompareCursors(%d, %d): got %d, want the sign of %d", i, j, got, want)
			}
		}
	}
}

// Every cursor survives its token; the zero cursor is "".
func TestListCursorString(t *testing.T) {
	if got := (store.ListCursor{}).String(); got != "" {
		t.Errorf("zero cursor: got %q, want \"\"", got)
	}
	for _, c := range orderedCursors {
		s := c.String()
		got, err := store.ParseListCursor(s)
		if err != nil || !got.LastSeen.Equal(c.LastSeen) || got.Sev != c.Sev || got.Hits != c.Hits || got.Key != c.Key {
			t.Errorf("%+v: token %q read back as %+v, %v", c, s, got, err)
		}
	}
	for _, bad := range []string{"!", "AA", "AQ", "Ag", "AQAC", "AQAB", "AQAA", "AQAAAA", "AQAAAA=", "====", "AQACAgA"} {
		if c, err := store.ParseListCursor(bad); err == nil {
			t.Errorf("%q: got %+v, want an error", bad, c)
		}
	}
}

// FuzzParseListCursor: a token is read only if it is the one String writes
// for what it reads.
func FuzzParseListCursor(f *testing.F) {
	for _, c := range orderedCursors {
		f.Add(c.String())
	}
	f.Add("")
	f.Add("AQAB")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseListCursor(s)
		if err != nil {
			return
		}
		if got := c.String(); got != s {
			t.Errorf("%q read as %+v, which writes %q", s, c, got)
		}
	})
}
