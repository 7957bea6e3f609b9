package storetest

import (
	"maps"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/store"
)

// testFeedVersions: each feed keeps the latest version date given, across
// calls and a reopen.
func testFeedVersions(t *testing.T, f Factory) {
	s := f.New(t)
	defer func() { s.Close() }()
	if _, ok := s.(store.FeedVersioner); !ok {
		t.Fatal("the backend keeps no feed versions (store.FeedVersioner)")
	}
	ctx := t.Context()
	d := func(day int) time.Time { return time.Date(2026, 11, day, 12, 0, 0, 123000, time.UTC) }
	got, err := store.FeedVersions(ctx, s)
	if err != nil || len(got) != 0 {
		t.Fatalf("an empty store: got %v, %v", got, err)
	}
	if err := store.PutFeedVersions(ctx, s, map[string]time.Time{"Spamhaus-DROP": d(10), "OpenPhish": d(12)}); err != nil {
		t.Fatal(err)
	}
	// An older version of DROP (a file imported out of order) does not
	// move it back; a newer OpenPhish moves it on.
	if err := store.PutFeedVersions(ctx, s, map[string]time.Time{"Spamhaus-DROP": d(9), "OpenPhish": d(14), "Example List": d(1)}); err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"Spamhaus-DROP": d(10), "OpenPhish": d(14), "Example List": d(1)}
	check := func(when string) {
		t.Helper()
		got, err := store.FeedVersions(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.EqualFunc(got, want, time.Time.Equal) {
			t.Errorf("%s: got %v, want %v", when, got, want)
		}
	}
	check("after two calls")
	if f.Reopen != nil {
		s = f.Reopen(t, s)
		check("after a reopen")
	}
}
