package score

import (
	"math/rand"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// An address two feeds listed two years ago and nobody since is no longer
// Red; the same evidence today is. The half-life is configurable.
func TestOldEvidenceDecays(t *testing.T) {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	twoYears := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) // 730 days before
	in := func(last time.Time) *Input {
		return &Input{Summary: sum(listing(intel.CatMalware, "Feed A", last), listing(intel.CatBotnetCNC, "Feed B", last),
			listing(intel.CatMalware, "Feed B", last)), Now: at}
	}
	for _, c := range []struct {
		name     string
		cfg      Config
		last     time.Time
		score    int
		zone     intel.Zone
		category int // categories still listed (decayed evidence keeps its category)
	}{
		// 70 + 25 = 95, plus the other category at 25 %: 70 x 0.25 = 17.5, capped at 100.
		{"today", Config{}, at, 100, intel.ZoneRed, 2},
		// 2^(-730/90) = 0.00362: every contribution rounds to 0.
		{"two years ago, default half-life", Config{}, twoYears, 0, intel.ZoneGrey, 2},
		// One year half-life: weight 0.25: 70x0.25 = 17.5 -> 18, 25x0.25 = 6.25 -> 6, 70x0.25x0.25 = 4.4 -> 4.
		{"two years ago, half-life one year", Config{HalfLife: 365 * 24 * time.Hour}, twoYears, 28, intel.ZoneGrey, 2},
		// Two years half-life: weight 0.5: 35 + 12.5 -> 13 + 8.75 -> 9.
		{"two years ago, half-life two years", Config{HalfLife: 730 * 24 * time.Hour}, twoYears, 57, intel.ZoneOrange, 2},
	} {
		got := Score(c.cfg, in(c.last))
		if got.Score != c.score || got.Zone != c.zone || len(got.Categories) != c.category {
			t.Errorf("%s: got %d %s %v, want %d %s with %d categories", c.name, got.Score, got.Zone, got.Categories, c.score, c.zone, c.category)
		}
	}
}

// Several independent feeds weigh more than one feed repeating itself.
func TestIndependentSources(t *testing.T) {
	p := netip.MustParsePrefix("45.95.147.0/24")
	repeating := &Input{
		Summary: sum(listing(intel.CatMalware, "Feed A", now), listing(intel.CatMalware, "Feed A", daysAgo(3))),
		NetListings: []intel.NetListing{
			{Prefix: p, Category: intel.CatMalware, Feed: "FEED A", LastSeen: now}, // same feed, other case
		},
		Now: now,
	}
	independent := &Input{
		Summary:     sum(listing(intel.CatMalware, "Feed A", now)),
		NetListings: []intel.NetListing{{Prefix: p, Category: intel.CatMalware, Feed: "Feed B", LastSeen: now}},
		Now:         now,
	}
	r, i := Score(Config{}, repeating), Score(Config{}, independent)
	if r.Score != 70 || r.Zone != intel.ZoneOrange {
		t.Errorf("one feed repeating itself: got %d %s, want 70 Orange", r.Score, r.Zone)
	}
	if i.Score != 95 || i.Zone != intel.ZoneRed {
		t.Errorf("two independent feeds: got %d %s, want 95 Red", i.Score, i.Zone)
	}
}

// The same evidence in any order gives the same verdict and explanation.
func TestReproducible(t *testing.T) {
	ls := []intel.Listing{
		listing(intel.CatMalware, "Feed A", daysAgo(1)),
		listing(intel.CatMalware, "Feed B", daysAgo(10)),
		listing(intel.CatMalware, "Feed C", daysAgo(10)), // ties with Feed B
		listing(intel.CatScanner, "Feed D", daysAgo(2)),
		listing(intel.CatScanner, "Feed A", daysAgo(2)),
		listing(intel.CatAdware, "Feed E", time.Time{}),
		listing(intel.CatMalware, "feed a", daysAgo(40)),
	}
	nets := []intel.NetListing{
		{Prefix: netip.MustParsePrefix("45.95.147.0/24"), Category: intel.CatSpam, Feed: "DROP", LastSeen: daysAgo(5)},
		{Prefix: netip.MustParsePrefix("45.95.0.0/16"), Category: intel.CatSpam, Feed: "DROP", LastSeen: daysAgo(5)},
		{Prefix: netip.MustParsePrefix("45.95.0.0/16"), Category: intel.CatMalware, Feed: "Feed F", LastSeen: daysAgo(5)},
	}
	reps := []ReportRef{{ID: "r1", Type: intel.ReportAPT, Date: daysAgo(30)}, {ID: "r2", Type: intel.ReportICS, Date: daysAgo(30)},
		{ID: "r3", Type: intel.ReportCrimeware, Date: daysAgo(3)}}
	build := func(ls []intel.Listing, nets []intel.NetListing, reps []ReportRef) *Input {
		s := sum(ls...)
		s.Hits, s.LastSeen = 5000, daysAgo(1)
		return &Input{Summary: s, NetListings: nets, Reports: reps, Related: Related{RedURLs: 3}, Now: now}
	}
	want := Score(Config{}, build(ls, nets, reps))
	rng := rand.New(rand.NewSource(1))
	for range 200 {
		l2, n2, r2 := append([]intel.Listing(nil), ls...), append([]intel.NetListing(nil), nets...), append([]ReportRef(nil), reps...)
		rng.Shuffle(len(l2), func(i, j int) { l2[i], l2[j] = l2[j], l2[i] })
		rng.Shuffle(len(n2), func(i, j int) { n2[i], n2[j] = n2[j], n2[i] })
		rng.Shuffle(len(r2), func(i, j int) { r2[i], r2[j] = r2[j], r2[i] })
		if got := Score(Config{}, build(l2, n2, r2)); !reflect.DeepEqual(got, want) {
			t.Fatalf("order changed the verdict:\ngot  %+v\nwant %+v", got, want)
		}
	}
}
