package pebble

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// TestNetIndexUpgrade: a store whose summaries predate the network index
// lists nothing and has the upgrade pending; Migrate, in batches smaller
// than the store, fills the index, and the pages are those of a store
// written with it.
func TestNetIndexUpgrade(t *testing.T) {
	ctx := context.Background()
	s := upgradeStore(t)
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var b intel.Batch
	for i := range 10 {
		ip := netip.MustParseAddr(fmt.Sprintf("192.0.2.%d", i+1))
		b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: base.AddDate(0, 0, i%4), Hits: int64(i)})
	}
	// An address without a LastSeen is not indexed.
	b.ReportLinks = append(b.ReportLinks, intel.ReportLink{IP: netip.MustParseAddr("192.0.2.200"), ReportID: "R-1"})
	if err := s.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	q := store.NetworkQuery{Networks: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, Limit: 100}
	want, err := s.NetworkAddresses(ctx, q)
	if err != nil || len(want.Items) != 10 {
		t.Fatalf("before: got %v, %v, want 10 addresses", want.Items, err)
	}
	calls := undoIndex(t, s, tNetIndex, upgradeNetIndex, func() bool {
		p, _ := s.NetworkAddresses(ctx, q)
		return len(p.Items) == 0
	})
	if calls != 4 {
		t.Errorf("got %d batches, want 4 of at most 3 summaries", calls)
	}
	got, err := s.NetworkAddresses(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Items) != fmt.Sprint(want.Items) {
		t.Errorf("after the upgrade:\ngot  %v\nwant %v", got.Items, want.Items)
	}
	if p, err := s.Pending(ctx); err != nil || len(p) != 0 {
		t.Errorf("after: pending %v, %v; want none", p, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkNetworkAddresses reads pages of 100 addresses of a /24, a /20
// (16 buckets of /24), a /16 and a /8 (256 buckets of /16) of a store
// holding 200,000 addresses spread over 10.0.0.0/8, flushed to sstables.
func BenchmarkNetworkAddresses(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 200000
	for start := 0; start < n; start += 10000 {
		var batch intel.Batch
		for i := start; i < start+10000; i++ {
			// Addresses spread over the /8: 10.(i%256).(i/256%256).(i*7%256).
			ip := netip.AddrFrom4([4]byte{10, byte(i % 256), byte(i / 256 % 256), byte(i * 7 % 256)})
			batch.Sightings = append(batch.Sightings, intel.Sighting{IP: ip, Day: base.AddDate(0, 0, i%300), Hits: int64(i%5 + 1)})
		}
		if err := s.Apply(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	for _, net := range []string{"10.1.2.0/24", "10.1.0.0/20", "10.1.0.0/16", "10.0.0.0/8"} {
		b.Run(net, func(b *testing.B) {
			q := store.NetworkQuery{Networks: []netip.Prefix{netip.MustParsePrefix(net)}, Limit: 100}
			for b.Loop() {
				p, err := s.NetworkAddresses(ctx, q)
				if err != nil || len(p.Items) == 0 {
					b.Fatalf("%v, %d items", err, len(p.Items))
				}
			}
		})
	}
}
