package score

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func daysAgo(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }

func listing(cat intel.Category, feed string, last time.Time) intel.Listing {
	return intel.Listing{Category: cat, Feed: feed, FirstSeen: last, LastSeen: last}
}

func sum(ls ...intel.Listing) *intel.AddressSummary {
	return &intel.AddressSummary{IP: netip.MustParseAddr("45.95.147.10"), Listings: ls}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		in        Input
		wantScore int
		wantZone  intel.Zone
		wantCats  []CategoryZone
	}{
		{name: "nothing known", in: Input{}, wantScore: 0, wantZone: intel.ZoneGrey},
		{name: "empty summary", in: Input{Summary: sum()}, wantScore: 0, wantZone: intel.ZoneGrey},
		{
			name:      "one red feed today",
			in:        Input{Summary: sum(listing(intel.CatMalware, "A", now))},
			wantScore: 70, wantZone: intel.ZoneOrange,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "one red feed a week ago",
			in:        Input{Summary: sum(listing(intel.CatMalware, "A", daysAgo(7)))},
			wantScore: 66, wantZone: intel.ZoneOrange, // 70 * 2^(-7/90) = 66.3
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "one red feed a month ago",
			in:        Input{Summary: sum(listing(intel.CatMalware, "A", daysAgo(30)))},
			wantScore: 56, wantZone: intel.ZoneOrange, // 70 * 0.794 = 55.6
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "one red feed one half-life ago",
			in:        Input{Summary: sum(listing(intel.CatMalware, "A", daysAgo(90)))},
			wantScore: 35, wantZone: intel.ZoneGrey,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "custom half-life",
			cfg:       Config{HalfLife: 30 * 24 * time.Hour},
			in:        Input{Summary: sum(listing(intel.CatMalware, "A", daysAgo(30)))},
			wantScore: 35, wantZone: intel.ZoneGrey,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "undated listing weighs half",
			in:        Input{Summary: sum(intel.Listing{Category: intel.CatMalware, Feed: "A"})},
			wantScore: 35, wantZone: intel.ZoneGrey,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "future-dated listing weighs fully",
			in:        Input{Summary: sum(listing(intel.CatMalware, "A", now.Add(48*time.Hour)))},
			wantScore: 70, wantZone: intel.ZoneOrange,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "two independent red feeds today",
			in:        Input{Summary: sum(listing(intel.CatMalware, "A", now), listing(intel.CatMalware, "B", now))},
			wantScore: 95, wantZone: intel.ZoneRed,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "two independent red feeds a week ago",
			in:        Input{Summary: sum(listing(intel.CatMalware, "A", daysAgo(7)), listing(intel.CatMalware, "B", daysAgo(7)))},
			wantScore: 90, wantZone: intel.ZoneRed, // 66 + 24
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name: "three and four red feeds: diminishing, capped",
			in: Input{Summary: sum(listing(intel.CatMalware, "A", daysAgo(60)), listing(intel.CatMalware, "B", daysAgo(60)),
				listing(intel.CatMalware, "C", daysAgo(60)), listing(intel.CatMalware, "D", daysAgo(60)))},
			// w = 2^(-60/90) = 0.630: 44 + 16 + 8 + 4 = 72
			wantScore: 72, wantZone: intel.ZoneOrange,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name: "three red feeds today capped at 100",
			in: Input{Summary: sum(listing(intel.CatMalware, "A", now), listing(intel.CatMalware, "B", now),
				listing(intel.CatMalware, "C", now))},
			wantScore: 100, wantZone: intel.ZoneRed, // 70 + 25 + 13 = 108
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name: "same feed repeating itself counts once",
			in: Input{
				Summary: sum(listing(intel.CatMalware, "A", daysAgo(10))),
				NetListings: []intel.NetListing{{
					Prefix: netip.MustParsePrefix("45.95.147.0/24"), Category: intel.CatMalware, Zone: intel.ZoneRed,
					Feed: "a", LastSeen: now,
				}},
			},
			wantScore: 70, wantZone: intel.ZoneOrange,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name: "network listing is an independent feed",
			in: Input{
				Summary: sum(listing(intel.CatMalware, "A", now)),
				NetListings: []intel.NetListing{{
					Prefix: netip.MustParsePrefix("45.95.147.0/24"), Category: intel.CatMalware, Zone: intel.ZoneRed,
					Feed: "DROP", LastSeen: now,
				}},
			},
			wantScore: 95, wantZone: intel.ZoneRed,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "one orange feed today",
			in:        Input{Summary: sum(listing(intel.CatScanner, "A", now))},
			wantScore: 65, wantZone: intel.ZoneOrange,
			wantCats: []CategoryZone{{intel.CatScanner, intel.ZoneOrange}},
		},
		{
			name:      "one orange feed a month ago",
			in:        Input{Summary: sum(listing(intel.CatScanner, "A", daysAgo(30)))},
			wantScore: 52, wantZone: intel.ZoneOrange, // 65 * 0.794 = 51.6
			wantCats: []CategoryZone{{intel.CatScanner, intel.ZoneOrange}},
		},
		{
			name:      "orange categories stay below red",
			in:        Input{Summary: sum(listing(intel.CatScanner, "A", now), listing(intel.CatScanner, "B", now), listing(intel.CatBruteforce, "A", now))},
			wantScore: 74, wantZone: intel.ZoneOrange, // 65 + 10 + 16 = 91, capped at 74
			wantCats: []CategoryZone{{intel.CatScanner, intel.ZoneOrange}, {intel.CatBruteforce, intel.ZoneOrange}},
		},
		{
			name:      "red and orange category",
			in:        Input{Summary: sum(listing(intel.CatScanner, "A", now), listing(intel.CatMalware, "B", now))},
			wantScore: 86, wantZone: intel.ZoneRed, // 70 + 65/4
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}, {intel.CatScanner, intel.ZoneOrange}},
		},
		{
			name:      "adware only",
			in:        Input{Summary: sum(listing(intel.CatAdware, "A", now))},
			wantScore: 40, wantZone: intel.ZoneYellow,
			wantCats: []CategoryZone{{intel.CatAdware, intel.ZoneYellow}},
		},
		{
			name:      "adware only, old: still yellow",
			in:        Input{Summary: sum(listing(intel.CatPornware, "A", daysAgo(400)))},
			wantScore: 2, wantZone: intel.ZoneYellow,
			wantCats: []CategoryZone{{intel.CatPornware, intel.ZoneYellow}},
		},
		{
			name: "adware with red objects on shared hosting: yellow below 75",
			in: Input{Summary: sum(listing(intel.CatAdware, "A", now), listing(intel.CatRiskware, "B", now)),
				Related: Related{RedURLs: 4, Sites: SharedHostingSites}},
			wantScore: 74, wantZone: intel.ZoneYellow, // 40 + 10 capped at 49, + 25
			wantCats: []CategoryZone{{intel.CatAdware, intel.ZoneYellow}, {intel.CatRiskware, intel.ZoneYellow}},
		},
		{
			name: "adware with live payloads of its own: red",
			in: Input{Summary: sum(listing(intel.CatAdware, "A", now), listing(intel.CatRiskware, "B", now)),
				Related: Related{RedURLs: 4, Sites: 1}},
			wantScore: 99, wantZone: intel.ZoneRed, // 40 + 10 capped at 49, + 50
			wantCats: []CategoryZone{{intel.CatAdware, intel.ZoneYellow}, {intel.CatRiskware, intel.ZoneYellow}},
		},
		{
			name: "adware with APT report: red at 75",
			in: Input{Summary: sum(listing(intel.CatAdware, "A", now)),
				Reports: []ReportRef{{ID: "r1", Type: intel.ReportAPT, Date: now}}},
			wantScore: 100, wantZone: intel.ZoneRed,
			wantCats: []CategoryZone{{intel.CatAdware, intel.ZoneYellow}},
		},
		{
			name:      "one red hosted URL on shared hosting",
			in:        Input{Summary: sum(), Related: Related{RedURLs: 1, Sites: SharedHostingSites}},
			wantScore: 15, wantZone: intel.ZoneGrey,
		},
		{
			name:      "one live payload on an address of one site",
			in:        Input{Summary: sum(), Related: Related{RedURLs: 1, Sites: 1}},
			wantScore: 50, wantZone: intel.ZoneOrange,
		},
		{
			name:      "one live payload on an address without names",
			in:        Input{Summary: sum(), Related: Related{RedFiles: 1}},
			wantScore: 50, wantZone: intel.ZoneOrange,
		},
		{
			name:      "red URLs, files and domains on shared hosting",
			in:        Input{Summary: sum(), Related: Related{RedURLs: 3, RedFiles: 2, RedDomains: 1, Sites: 7}},
			wantScore: 50, wantZone: intel.ZoneOrange, // 23 + 20 + 10, capped at 50
		},
		{
			name:      "many red objects capped",
			in:        Input{Related: Related{RedURLs: 1000, RedFiles: 1000, RedDomains: 1000}},
			wantScore: 50, wantZone: intel.ZoneOrange,
		},
		{
			name:      "APT report today",
			in:        Input{Reports: []ReportRef{{ID: "r1", Type: intel.ReportAPT, Date: now}}},
			wantScore: 60, wantZone: intel.ZoneOrange,
		},
		{
			name: "reports: strongest plus further, decayed",
			in: Input{Reports: []ReportRef{
				{ID: "r1", Type: intel.ReportCrimeware, Date: daysAgo(365)},
				{ID: "r2", Type: intel.ReportICS},
				{ID: "r3", Type: "Other", Date: now},
			}},
			// other 40 x 1 = 40 (strongest); crimeware 5 x 0.5 = 3 (2.5 rounds up); ICS 5 x 0.5 = 3
			wantScore: 46, wantZone: intel.ZoneGrey,
		},
		{
			name: "red listing with APT report",
			in: Input{Summary: sum(listing(intel.CatMalware, "A", now)),
				Reports: []ReportRef{{ID: "r1", Type: intel.ReportAPT, Date: now}}},
			wantScore: 100, wantZone: intel.ZoneRed,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name: "sightings add a little",
			in: Input{Summary: &intel.AddressSummary{Hits: 12345, LastSeen: now,
				Listings: []intel.Listing{listing(intel.CatMalware, "A", now)}}},
			wantScore: 74, wantZone: intel.ZoneOrange,
			wantCats: []CategoryZone{{intel.CatMalware, intel.ZoneRed}},
		},
		{
			name:      "sightings alone are no evidence",
			in:        Input{Summary: &intel.AddressSummary{Hits: 10_000_000, LastSeen: now}},
			wantScore: 0, wantZone: intel.ZoneGrey,
		},
		{
			name:      "spam activity is an orange source",
			in:        Input{Summary: &intel.AddressSummary{Spam: intel.SpamSummary{Attacks: 3, Last: now}}},
			wantScore: 65, wantZone: intel.ZoneOrange,
			wantCats: []CategoryZone{{intel.CatSpam, intel.ZoneOrange}},
		},
		{
			name: "phishing activity is an independent red source",
			in: Input{Summary: &intel.AddressSummary{
				Phishing: intel.PhishingSummary{Attacks: 1, Last: now},
				Listings: []intel.Listing{listing(intel.CatPhishing, "OpenPhish", now)},
			}},
			wantScore: 95, wantZone: intel.ZoneRed,
			wantCats: []CategoryZone{{intel.CatPhishing, intel.ZoneRed}},
		},
		{
			name:      "unknown categories are ignored",
			in:        Input{Summary: sum(listing("CATEGORY_WHATEVER", "A", now))},
			wantScore: 0, wantZone: intel.ZoneGrey,
		},
		{
			name: "allow list wins",
			in: Input{
				Summary: sum(listing(intel.CatMalware, "A", now), listing(intel.CatMalware, "B", now)),
				Allows:  []intel.Allow{{Prefix: netip.MustParsePrefix("45.95.0.0/16"), List: "cdn"}},
				Related: Related{RedURLs: 10},
			},
			wantScore: 0, wantZone: intel.ZoneGreen,
			wantCats: []CategoryZone{{intel.CatBenign, intel.ZoneGreen}},
		},
		{
			name: "network listing of an unknown category counts by its zone",
			in: Input{NetListings: []intel.NetListing{
				{Prefix: netip.MustParsePrefix("45.95.0.0/16"), Category: "CATEGORY_CUSTOM", Zone: intel.ZoneOrange, Feed: "X", LastSeen: now},
				{Prefix: netip.MustParsePrefix("45.95.0.0/16"), Category: "CATEGORY_OTHER", Zone: intel.ZoneGrey, Feed: "Y", LastSeen: now},
			}},
			wantScore: 65, wantZone: intel.ZoneOrange,
			wantCats: []CategoryZone{{"CATEGORY_CUSTOM", intel.ZoneOrange}},
		},
		{
			name: "known-benign network listing is an allow list",
			in: Input{Summary: sum(listing(intel.CatMalware, "A", now)), NetListings: []intel.NetListing{
				{Prefix: netip.MustParsePrefix("45.95.0.0/16"), Category: intel.CatBenign, Feed: "cdn list", LastSeen: now},
			}},
			wantScore: 0, wantZone: intel.ZoneGreen,
			wantCats: []CategoryZone{{intel.CatBenign, intel.ZoneGreen}},
		},
		{
			name:      "known-benign listing is an allow list",
			in:        Input{Summary: sum(listing(intel.CatBenign, "A", now), listing(intel.CatScanner, "B", now))},
			wantScore: 0, wantZone: intel.ZoneGreen,
			wantCats: []CategoryZone{{intel.CatBenign, intel.ZoneGreen}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Now = now
			got := Score(tt.cfg, &in)
			if got.Score != tt.wantScore {
				t.Errorf("score: got %d, want %d; contributions %+v", got.Score, tt.wantScore, got.Contributions)
			}
			if got.Zone != tt.wantZone {
				t.Errorf("zone: got %s, want %s", got.Zone, tt.wantZone)
			}
			if len(got.Categories) != len(tt.wantCats) {
				t.Fatalf("categories: got %v, want %v", got.Categories, tt.wantCats)
			}
			for i := range got.Categories {
				if got.Categories[i] != tt.wantCats[i] {
					t.Errorf("category %d: got %v, want %v", i, got.Categories[i], tt.wantCats[i])
				}
			}
			total := 0
			for _, c := range got.Contributions {
				total += c.Points
				if c.Evidence == "" || c.Note == "" {
					t.Errorf("contribution without evidence or note: %+v", c)
				}
			}
			if total != got.Score {
				t.Errorf("contributions add up to %d, score is %d", total, got.Score)
			}
			v := Verdict(tt.cfg, &in)
			if v.Score != got.Score || v.Zone != got.Zone || len(v.Categories) != len(got.Categories) || v.Contributions != nil {
				t.Errorf("Verdict: got %+v, want %d %s %v without contributions", v, got.Score, got.Zone, got.Categories)
			}
			again := Score(tt.cfg, &in)
			if again.Score != got.Score || len(again.Contributions) != len(got.Contributions) {
				t.Errorf("not deterministic: %+v then %+v", got, again)
			}
			for i := range again.Contributions {
				if again.Contributions[i] != got.Contributions[i] {
					t.Errorf("contribution %d differs: %+v then %+v", i, got.Contributions[i], again.Contributions[i])
				}
			}
		})
	}
}

func TestAllowListSuppressesListings(t *testing.T) {
	in := Input{
		Summary: sum(listing(intel.CatMalware, "A", now)),
		Allows:  []intel.Allow{{Prefix: netip.MustParsePrefix("45.95.0.0/16"), List: "cdn"}},
		Now:     now,
	}
	got := Score(Config{}, &in)
	if len(got.Contributions) != 2 {
		t.Fatalf("got %d contributions, want 2: %+v", len(got.Contributions), got.Contributions)
	}
	if c := got.Contributions[0]; c.Source != "cdn" || c.Points != 0 {
		t.Errorf("allow contribution: got %+v", c)
	}
	if c := got.Contributions[1]; c.Source != "A" || c.Points != 0 || c.Note != "suppressed: the address is allow-listed" {
		t.Errorf("listing contribution: got %+v", c)
	}
}

func TestContributionsExplainFeeds(t *testing.T) {
	in := Input{
		Summary: sum(listing(intel.CatMalware, "B", daysAgo(30)), listing(intel.CatMalware, "A", now)),
		Now:     now,
	}
	got := Score(Config{}, &in)
	want := []Contribution{
		{Evidence: "listing CATEGORY_MALWARE", Source: "A", Points: 70,
			Note: "first feed, Red category: 70 x recency 1.000 (last seen 2026-06-01)",
			Rule: RuleListing, RecencyDate: now, RecencyWeight: 1},
		{Evidence: "listing CATEGORY_MALWARE", Source: "B", Points: 20,
			Note: "independent feed #2: 25 x recency 0.794 (last seen 2026-05-02)",
			Rule: RuleIndependentFeeds, RecencyDate: daysAgo(30), RecencyWeight: Decay(daysAgo(30), now, DefaultHalfLife)},
	}
	if len(got.Contributions) != len(want) {
		t.Fatalf("got %+v, want %+v", got.Contributions, want)
	}
	for i := range want {
		if got.Contributions[i] != want[i] {
			t.Errorf("contribution %d: got %+v, want %+v", i, got.Contributions[i], want[i])
		}
	}
}

func TestDecay(t *testing.T) {
	h := 90 * 24 * time.Hour
	tests := []struct {
		t    time.Time
		want float64
	}{
		{now, 1},
		{now.Add(time.Hour), 1},
		{daysAgo(90), 0.5},
		{daysAgo(180), 0.25},
		{time.Time{}, 0.5},
	}
	for _, tt := range tests {
		if got := Decay(tt.t, now, h); got != tt.want {
			t.Errorf("Decay(%v): got %g, want %g", tt.t, got, tt.want)
		}
	}
}

func BenchmarkScore(b *testing.B) {
	in := Input{
		Summary: &intel.AddressSummary{Hits: 5000, LastSeen: now, Listings: []intel.Listing{
			listing(intel.CatMalware, "A", now), listing(intel.CatMalware, "B", daysAgo(3)),
			listing(intel.CatBotnetCNC, "C", daysAgo(20)), listing(intel.CatScanner, "D", daysAgo(40)),
		}},
		Related: Related{RedURLs: 20, RedFiles: 5},
		Reports: []ReportRef{{ID: "r1", Type: intel.ReportAPT, Date: daysAgo(100)}},
		Now:     now,
	}
	b.Run("Score", func(b *testing.B) {
		for b.Loop() {
			Score(Config{}, &in)
		}
	})
	b.Run("Verdict", func(b *testing.B) {
		for b.Loop() {
			Verdict(Config{}, &in)
		}
	})
}

// TestWorkedExample is the arithmetic example of docs/scoring.md.
func TestWorkedExample(t *testing.T) {
	in := Input{
		Summary: &intel.AddressSummary{
			Hits: 2500, LastSeen: daysAgo(1),
			Listings: []intel.Listing{listing(intel.CatScanner, "Scanners", daysAgo(14))},
			Spam:     intel.SpamSummary{Attacks: 4, Last: daysAgo(200)},
		},
		Related: Related{RedURLs: 2, Sites: 4},
		Now:     now,
	}
	got := Score(Config{}, &in)
	var points []int
	for _, c := range got.Contributions {
		points = append(points, c.Points)
	}
	if got.Score != 84 || got.Zone != intel.ZoneRed || fmt.Sprint(points) != "[58 3 20 3]" {
		t.Errorf("got %d %s %v, want 84 Red [58 3 20 3]: %+v", got.Score, got.Zone, points, got.Contributions)
	}
	in.Related = Related{}
	if got := Score(Config{}, &in); got.Score != 64 || got.Zone != intel.ZoneOrange {
		t.Errorf("without red URLs: got %d %s, want 64 Orange", got.Score, got.Zone)
	}
	in.Now = now.Add(30 * 24 * time.Hour)
	if got := Score(Config{}, &in); got.Score != 51 || got.Zone != intel.ZoneOrange {
		t.Errorf("a month later: got %d %s %+v", got.Score, got.Zone, got.Contributions)
	}
	in.Now = now.Add(60 * 24 * time.Hour)
	if got := Score(Config{}, &in); got.Score != 41 || got.Zone != intel.ZoneGrey {
		t.Errorf("two months later: got %d %s %+v", got.Score, got.Zone, got.Contributions)
	}
}
