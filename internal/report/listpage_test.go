package report

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// The FeedMasks section of an address merges the store's masks with the
// masks of its network listings: its pages go through that merge, every
// mask once and in the answer's order, and its total counts both.
func TestIPPageFeedMasks(t *testing.T) {
	ip := netip.MustParseAddr("45.95.147.10")
	b := &intel.Batch{}
	zones := []intel.Zone{intel.ZoneRed, intel.ZoneOrange, intel.ZoneYellow}
	for i := range 20 {
		b.Masks = append(b.Masks, intel.FeedMask{IP: ip, Mask: fmt.Sprintf("m%02d.example", i), MaskType: intel.MaskHost,
			Zone: zones[i%3], Feeds: []string{"Feed"}, LastSeen: daysAgo(1)})
	}
	for i, p := range []string{"45.95.147.0/24", "45.95.0.0/16", "45.0.0.0/8"} {
		b.NetListings = append(b.NetListings, intel.NetListing{Prefix: netip.MustParsePrefix(p), Category: intel.CatBotnetCNC,
			Zone: zones[i], Feed: "Net feed", FirstSeen: daysAgo(5), LastSeen: daysAgo(2)})
	}
	bld, _ := newBuilder(t, b)
	whole, err := bld.IP(t.Context(), ip, SecFeedMasks, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := whole.AllFeedMasks()
	if len(want) != 23 {
		t.Fatalf("fixture: got %d masks, want 23", len(want))
	}
	for _, size := range []int{1, 2, 5, 23, 30} {
		var got []intel.FeedMask
		after := store.ListCursor{}
		for pages := 0; ; pages++ {
			if pages > 30 {
				t.Fatalf("size %d: too many pages", size)
			}
			r, pg, err := bld.IPPage(t.Context(), ip, SecFeedMasks, after, size)
			if err != nil {
				t.Fatal(err)
			}
			if pg.Total != 23 {
				t.Errorf("size %d, page %d: got Total %d, want 23", size, pages, pg.Total)
			}
			got = append(got, r.AllFeedMasks()...)
			if pg.Next.IsZero() {
				break
			}
			after = pg.Next
		}
		if len(got) != len(want) {
			t.Fatalf("size %d: got %d masks, want %d", size, len(got), len(want))
		}
		for i := range want {
			if got[i].Mask != want[i].Mask || got[i].MaskType != want[i].MaskType {
				t.Fatalf("size %d: mask %d: got %s %s, want %s %s", size, i, got[i].Mask, got[i].MaskType, want[i].Mask, want[i].MaskType)
			}
		}
	}
}

// A page of a section that does not page is refused as invalid.
func TestPageSections(t *testing.T) {
	bld, _ := newBuilder(t, &intel.Batch{})
	ip := netip.MustParseAddr("45.95.147.10")
	if _, _, err := bld.IPPage(t.Context(), ip, SecZone, store.ListCursor{}, 10); intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("IPPage of Zone: got %v, want an invalid request", err)
	}
	if _, _, err := bld.DomainPage(t.Context(), "a.example", SecDomainGeneralInfo, store.ListCursor{}, 10); intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("DomainPage of DomainGeneralInfo: got %v, want an invalid request", err)
	}
	if _, _, err := bld.FilePage(t.Context(), "0123456789ABCDEF0123456789ABCDEF", SecDetectionsInfo, store.ListCursor{}, 10); intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("FilePage of DetectionsInfo: got %v, want an invalid request", err)
	}
	if _, _, err := bld.URLPage(t.Context(), "http://a.example/x", SecFeedMasks, store.ListCursor{}, 10); intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("URLPage of FeedMasks: got %v, want an invalid request", err)
	}
}
