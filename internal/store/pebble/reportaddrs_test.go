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
	old := backfillBatch
	backfillBatch = 3
	t.Cleanup(func() { backfillBatch = old })

	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
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
	// As the binary before the index left it.
	if err := s.db.DeleteRange([]byte{tReportAddr}, []byte{tReportAddr + 1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Delete(keyReportAddrs, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ReportAddresses(ctx, "R-1", 100); len(got) != 0 {
		t.Fatalf("before the upgrade: got %v, want nothing", got)
	}
	if p, err := s.Pending(ctx); err != nil || !slices.Equal(p, []string{upgradeReportAddrs}) {
		t.Fatalf("pending %v, %v; want [%s]", p, err, upgradeReportAddrs)
	}
	var calls int
	got, err := s.Migrate(ctx, func(name string, n int64) {
		if name != upgradeReportAddrs {
			t.Errorf("progress of %q", name)
		}
		calls++
	})
	if err != nil || !slices.Equal(got, []string{upgradeReportAddrs}) {
		t.Fatalf("Migrate: %v, %v", got, err)
	}
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
