package pebble

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// A page of an address list costs one seek and at most limit+1 steps of
// the iterator, wherever the cursor is in a list of 5,000 items and
// whether the items are in the memtable or flushed to tables.
func TestListPageBounded(t *testing.T) {
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ip := netip.MustParseAddr("192.0.2.7")
	const n = 5000
	b := &intel.Batch{}
	for i := range n {
		seen := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i%97) * time.Hour)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("bounded.example/%05d", i), Hits: int64(i % 5),
			FirstSeen: seen, LastSeen: seen})
	}
	if err := s.Apply(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	all, err := s.HostedURLs(t.Context(), ip, n)
	if err != nil || len(all) != n {
		t.Fatalf("fixture: %d items, %v", len(all), err)
	}
	for _, flushed := range []bool{false, true} {
		if flushed {
			if err := s.db.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		for _, at := range []int{0, 1, 2500, n - 10, n - 1} {
			for _, limit := range []int{1, 7, 50} {
				after := store.ListCursor{}
				if at > 0 {
					after = store.HostedCursor(&all[at-1])
				}
				it, err := s.db.NewIter(nil)
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := pageAddrOn(it, lHosted, recencyKeyLen, ip, after, limit, readHosted, store.HostedCursor)
				st := it.Stats()
				it.Close()
				if err != nil {
					t.Fatal(err)
				}
				want := all[at:min(n, at+limit)]
				if len(got) != len(want) || len(got) > 0 && got[0].URL != want[0].URL {
					t.Fatalf("at %d, limit %d: got %d items, want %d", at, limit, len(got), len(want))
				}
				seeks := st.ForwardSeekCount[pebble.InterfaceCall]
				steps := st.ForwardStepCount[pebble.InterfaceCall]
				if seeks != 1 || steps > limit {
					t.Errorf("flushed %v, at %d, limit %d: %d seeks and %d steps, want 1 seek and at most %d steps", flushed, at, limit, seeks, steps, limit)
				}
			}
		}
	}
}
