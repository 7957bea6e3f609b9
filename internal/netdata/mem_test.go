package netdata

import (
	"context"
	"net/netip"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store/mem"
)

// TestHolderWithMemStore refreshes from the in-memory store backend: a
// snapshot follows what is applied, and an unchanged store is not rebuilt.
func TestHolderWithMemStore(t *testing.T) {
	ctx := context.Background()
	st := mem.New()
	h := NewHolder()
	ip := netip.MustParseAddr("45.95.147.10")

	apply := func(b *intel.Batch) {
		t.Helper()
		if err := st.Apply(ctx, b); err != nil {
			t.Fatalf("Apply: %v", err)
		}
	}
	refresh := func() *Snapshot {
		t.Helper()
		if err := h.Refresh(ctx, st, false); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		return h.Load()
	}

	apply(&intel.Batch{Countries: []intel.CountryRange{
		{Prefix: netip.MustParsePrefix("45.95.0.0/16"), Country: "DE"},
		{Prefix: netip.MustParsePrefix("45.95.147.0/24"), Country: "NL"},
	}})
	first := refresh()
	if got := first.Lookup(ip).Country; got != "NL" {
		t.Errorf("after first import: got country %q, want NL", got)
	}
	if again := refresh(); again != first {
		t.Errorf("refresh of an unchanged store: got a new snapshot, want the same one")
	}

	apply(&intel.Batch{
		ASRanges:    []intel.ASRange{{Prefix: netip.MustParsePrefix("45.95.147.0/24"), ASN: 65001, Description: []string{"EXAMPLE-HOSTING-AS"}}},
		NetListings: []intel.NetListing{{Prefix: netip.MustParsePrefix("45.95.0.0/16"), Feed: "DROP", Category: intel.CatSpam, Zone: intel.ZoneRed}},
	})
	second := refresh()
	if second == first {
		t.Fatalf("refresh after a network import: got the old snapshot, want a new one")
	}
	info := second.Lookup(ip)
	if info.Country != "NL" || len(info.AS) != 1 || info.AS[0].ASN != 65001 || len(info.Listings) != 1 || info.Listings[0].Feed != "DROP" {
		t.Errorf("after second import: got %+v, want NL, AS65001, one DROP listing", info)
	}
}
