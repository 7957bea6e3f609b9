package report

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store/mem"
)

// A feed listing a special-purpose address never makes it Red: the lookup
// answers Grey without reading the store, and Explain lists the stored
// evidence as ignored.
func TestReservedEvidenceIgnored(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.7")
	st := mem.New()
	seen := clock().Add(-time.Hour)
	err := st.Apply(context.Background(), &intel.Batch{
		Listings: []intel.Listing{
			{IP: ip, Category: intel.CatMalware, Feed: "Feed A", FirstSeen: seen, LastSeen: seen},
			{IP: ip, Category: intel.CatBotnetCNC, Feed: "Feed B", FirstSeen: seen, LastSeen: seen},
		},
		Reports:     []intel.Report{{ID: "rpt-1", Type: intel.ReportAPT, Title: "T", Published: seen}},
		ReportLinks: []intel.ReportLink{{IP: ip, ReportID: "rpt-1"}},
		Sightings:   []intel.Sighting{{IP: ip, Day: seen.Truncate(24 * time.Hour), Hits: 1000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Store: st, Net: netdata.NewHolder(), Now: clock}
	r, err := b.IP(context.Background(), ip, AllIPSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Zone != intel.ZoneGrey || r.General.ThreatScore != 0 || r.General.HasAPT || len(r.General.Reports) != 0 {
		t.Errorf("got zone %s score %d HasApt %v reports %v, want Grey, 0, nothing", r.Zone, r.General.ThreatScore, r.General.HasAPT, r.General.Reports)
	}
	ex, err := b.Explain(context.Background(), ip)
	if err != nil {
		t.Fatal(err)
	}
	want := []score.Contribution{
		{Evidence: "special-purpose address 192.0.2.0/24", Source: "RFC 5737", Note: "Documentation (TEST-NET-1): reserved addresses are Grey and never looked up",
			Rule: score.RuleReserved},
		{Evidence: "listing CATEGORY_MALWARE", Source: "Feed A", Note: "ignored: special-purpose address", Rule: score.RuleIgnored, RecencyDate: seen},
		{Evidence: "listing CATEGORY_BOTNET_CNC", Source: "Feed B", Note: "ignored: special-purpose address", Rule: score.RuleIgnored, RecencyDate: seen},
		{Evidence: "report link", Source: "rpt-1", Note: "ignored: special-purpose address", Rule: score.RuleIgnored},
		{Evidence: "sightings (1000 hits)", Note: "ignored: special-purpose address", Rule: score.RuleIgnored, RecencyDate: seen},
	}
	got := ex.Result.Contributions
	if ex.Result.Zone != intel.ZoneGrey || ex.Result.Score != 0 || len(got) != len(want) {
		t.Fatalf("got %s %d %+v, want Grey 0 %+v", ex.Result.Zone, ex.Result.Score, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("contribution %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// A warninglisted address is Green whatever feeds say; its listings are
// explained as suppressed and its network masks are not shown.
func TestWarninglistedIsGreen(t *testing.T) {
	ip := netip.MustParseAddr("9.9.9.9")
	seen := clock().Add(-time.Hour)
	b, _ := newBuilder(t, &intel.Batch{
		Allows: []intel.Allow{{Prefix: netip.MustParsePrefix("9.9.9.0/24"), List: "Public resolvers"}},
		Listings: []intel.Listing{
			{IP: ip, Category: intel.CatMalware, Feed: "Feed A", FirstSeen: seen, LastSeen: seen},
			{IP: ip, Category: intel.CatScanner, Feed: "Feed B", FirstSeen: seen, LastSeen: seen},
		},
		NetListings: []intel.NetListing{{Prefix: netip.MustParsePrefix("9.9.0.0/16"), Category: intel.CatSpam, Zone: intel.ZoneOrange, Feed: "Example DROP"}},
	})
	r, err := b.IP(context.Background(), ip, AllIPSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Zone != intel.ZoneGreen || r.General.ThreatScore != 0 || len(r.General.Categories) != 1 || r.General.Categories[0].Name != intel.CatBenign {
		t.Errorf("got %s %d %+v, want Green 0 [CATEGORY_KNOWN_BENIGN]", r.Zone, r.General.ThreatScore, r.General.Categories)
	}
	if m := r.AllFeedMasks(); len(m) != 0 {
		t.Errorf("got feed masks %+v, want the network listing suppressed", m)
	}
	ex, err := b.Explain(context.Background(), ip)
	if err != nil {
		t.Fatal(err)
	}
	suppressed := 0
	for _, c := range ex.Result.Contributions {
		if c.Points != 0 {
			t.Errorf("contribution %+v has points", c)
		}
		if c.Note == "suppressed: the address is allow-listed" {
			suppressed++
		}
	}
	if suppressed != 3 {
		t.Errorf("got %d suppressed listings in %+v, want 3", suppressed, ex.Result.Contributions)
	}
}
