package pebble

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/tipd/tipd/internal/intel"
)

// TestReportAddrsUpgrade: a store whose report links predate their index
// by report lists no addresses for a report and has the upgrade pending;
// Migrate, in batches smaller than the store, fills the index, and a
// store created by this version has nothing to upgrade.
func TestReportAddrsUpgrade(t *testing.T) {
	ctx := context.Background()
	s := upgradeStore(t)
	if p, err := s.Pending(ctx); err != nil || len(p) != 0 {
		t.Fatalf("new store: pending %v, %v; want none", p, err)
	}
	b := &intel.Batch{Reports: []intel.Report{{ID: "R-1", Type: intel.ReportAPT, Title: "r"}}}
	var want []netip.Addr
	for i := range 10 {
		ip := netip.MustParseAddr(fmt.Sprintf("10.0.0.%d", i+1))
		want = append(want, ip)
		b.ReportLinks = append(b.ReportLinks, intel.ReportLink{IP: ip, ReportID: "R-1"}, intel.ReportLink{IP: ip, ReportID: fmt.Sprintf("R-x%d", i)})
	}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	calls := undoIndex(t, s, tReportAddr, upgradeReportAddrs, func() bool {
		got, _ := s.ReportAddresses(ctx, "R-1", 100)
		return len(got) == 0
	})
	if calls != 4 {
		t.Errorf("got %d batches, want 4 of at most 3 summaries", calls)
	}
	ips, err := s.ReportAddresses(ctx, "R-1", 100)
	if err != nil || !slices.Equal(ips, want) {
		t.Errorf("after the upgrade: got %v, %v, want %v", ips, err, want)
	}
	if ips, _ := s.ReportAddresses(ctx, "R-x4", 100); len(ips) != 1 || ips[0] != want[4] {
		t.Errorf("R-x4: got %v, want [%s]", ips, want[4])
	}
	if p, err := s.Pending(ctx); err != nil || len(p) != 0 {
		t.Errorf("after: pending %v, %v; want none", p, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// upgradeStore opens a new store in which the in-place upgrades run in
// batches of three, smaller than the tests' stores.
func upgradeStore(t *testing.T) *Store {
	t.Helper()
	old := backfillBatch
	backfillBatch = 3
	t.Cleanup(func() { backfillBatch = old })
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// undoIndex makes s as a binary before an index upgrade left it (the
// index keys, which start with the byte index, and the upgrade's state
// removed), checks that empty reports the index empty and the upgrade
// pending, runs Migrate and returns how many batches it reported.
func undoIndex(t *testing.T, s *Store, index byte, name string, empty func() bool) int {
	t.Helper()
	ctx := context.Background()
	s.recent.invalidate() // a raw write, outside Apply
	if err := s.db.DeleteRange([]byte{index}, []byte{index + 1}, nil); err != nil {
		t.Fatal(err)
	}
	s.recent.invalidate() // a raw write, outside Apply
	if err := s.db.Delete(indexUpgrades[name].state, nil); err != nil {
		t.Fatal(err)
	}
	if !empty() {
		t.Fatal("before the upgrade: the index is not empty")
	}
	if p, err := s.Pending(ctx); err != nil || !slices.Equal(p, []string{name}) {
		t.Fatalf("pending %v, %v; want [%s]", p, err, name)
	}
	var calls int
	got, err := s.Migrate(ctx, func(up string, n int64) {
		if up != name {
			t.Errorf("progress of %q", up)
		}
		calls++
	})
	if err != nil || !slices.Equal(got, []string{name}) {
		t.Fatalf("Migrate: %v, %v", got, err)
	}
	return calls
}
