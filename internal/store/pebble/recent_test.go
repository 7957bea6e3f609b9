package pebble

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

func TestRecentKeys(t *testing.T) {
	var r recentKeys
	r.limit = 150_000
	r.reset()
	const n = 100_000
	for i := range n {
		r.add(fmt.Sprintf("O\x03%064X", i))
	}
	for i := range n {
		if k := fmt.Sprintf("O\x03%064X", i); !r.mayHold([]byte(k)) {
			t.Fatalf("key %d added but not held", i)
		}
	}
	fp := 0
	for i := range n {
		if r.mayHold(fmt.Appendf(nil, "O\x03%064X", n+i)) {
			fp++
		}
	}
	// 100,000 keys in 4 MiB: about 335 bits a key, so false positives
	// are rare; at the limit of 2 Mi keys they stay under 1 %.
	if fp > n/1000 {
		t.Errorf("%d false positives in %d keys never added", fp, n)
	}
	if !r.usable() {
		t.Fatal("filter unusable under its limit")
	}
	for i := range 50_000 {
		r.add(fmt.Sprintf("k%d", i))
	}
	if r.usable() {
		t.Error("filter usable past its limit")
	}
	r.reset()
	if !r.usable() || r.mayHold([]byte("O\x03"+fmt.Sprintf("%064X", 1))) {
		t.Error("reset did not empty the filter")
	}
	r.invalidate()
	if r.usable() {
		t.Error("filter usable after invalidate")
	}
}

// TestReadsAfterReopen checks that Apply merges into what a store held in
// its write-ahead log but not in its tables when it was opened: the
// memtable replayed from the log holds keys the filter of Apply's reads
// (recent.go) never saw.
func TestReadsAfterReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	key := fmt.Sprintf("%064X", 7)
	listing := func(feed string) *intel.Batch {
		return &intel.Batch{ObjectListings: []intel.ObjectListing{{Kind: intel.ObjectFile, Key: key, Feed: feed,
			Category: "CATEGORY_MALWARE", FirstSeen: day, LastSeen: day, Source: intel.Source{Feed: feed}}}}
	}
	for i, feed := range []string{"feed-a", "feed-b", "feed-c"} {
		s, err := Open(dir, Options{CacheSize: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(ctx, listing(feed)); err != nil {
			t.Fatal(err)
		}
		sum, err := s.Object(ctx, intel.ObjectFile, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Listings) != i+1 {
			t.Errorf("after opening %d times: %d listings, want %d: %+v", i+1, len(sum.Listings), i+1, sum.Listings)
		}
		// Close without flushing: the last batch is in the log only.
		if err := s.db.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.lock.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
