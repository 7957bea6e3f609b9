package score

import (
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// rules are the Rule constants, as documented in docs/scoring.md.
var rules = []string{
	RuleListing, RuleIndependentFeeds, RuleHostedContent, RuleResolvingDomains, RuleReport, RuleFurtherReport,
	RuleSightings, RuleCap, RuleAllowList, RuleKnownBenign, RuleSuppressed, RuleReserved, RuleIgnored,
	RuleMask, RuleRecordedZone, RuleHostZone, RuleZoneFloor,
	RuleDetection, RuleFileListing, RuleFileReport, RuleIndirect,
}

func src(feed, file string) intel.Source {
	return intel.Source{Feed: feed, File: file, Imported: time.Date(2026, 5, 31, 23, 0, 0, 0, time.UTC)}
}

// TestContributionData checks the data each piece of evidence carries:
// its rule, the provenance of its record, and the date and weight of its
// recency.
func TestContributionData(t *testing.T) {
	a, b, r, w := src("A", "a.csv"), src("B", "b.csv"), src("Reports", "r.json"), src("WL", "cdn.json")
	listed := &intel.AddressSummary{Hits: 2000, LastSeen: daysAgo(1), Listings: []intel.Listing{
		{Category: intel.CatMalware, Feed: "A", FirstSeen: daysAgo(20), LastSeen: daysAgo(2), Source: a},
		{Category: intel.CatMalware, Feed: "B", FirstSeen: daysAgo(45), Source: b},
	}, Spam: intel.SpamSummary{Attacks: 3, Last: daysAgo(3)}}
	netListing := intel.NetListing{Prefix: netip.MustParsePrefix("45.95.0.0/16"), Category: intel.CatBotnetCNC, Feed: "Drop", Source: src("Drop", "drop.txt")}
	tests := []struct {
		name string
		res  Result
		want []Contribution // Points, Rule, Provenance, RecencyDate, RecencyWeight (Weight -1: any non-zero)
	}{
		{"listings, activity, related, report, sightings, caps", Score(Config{}, &Input{
			Summary: listed, NetListings: []intel.NetListing{netListing},
			Related: Related{RedURLs: 64, RedFiles: 64, RedDomains: 64, Sites: SharedHostingSites},
			Reports: []ReportRef{{ID: "r1", Type: intel.ReportAPT, Date: daysAgo(10), Source: r}, {ID: "r2", Source: r}},
			Now:     now,
		}), []Contribution{
			{Rule: RuleListing, Provenance: a, RecencyDate: daysAgo(2), RecencyWeight: -1},
			{Rule: RuleIndependentFeeds, Provenance: b, RecencyDate: daysAgo(45), RecencyWeight: -1},
			{Rule: RuleListing, Provenance: netListing.Source, RecencyWeight: unknownDateWeight},
			{Rule: RuleListing, RecencyDate: daysAgo(3), RecencyWeight: -1},
			{Rule: RuleCap},
			{Rule: RuleHostedContent}, {Rule: RuleHostedContent}, {Rule: RuleResolvingDomains}, {Rule: RuleCap},
			{Rule: RuleReport, Provenance: r, RecencyDate: daysAgo(10), RecencyWeight: -1},
			{Rule: RuleFurtherReport, Provenance: r, RecencyWeight: unknownDateWeight},
			{Rule: RuleSightings, RecencyDate: daysAgo(1), RecencyWeight: -1},
			{Rule: RuleCap},
		}},
		{"allow-listed address", Score(Config{}, &Input{
			Summary: listed, Allows: []intel.Allow{{Prefix: netip.MustParsePrefix("45.95.147.0/24"), List: "cdn", Source: w}}, Now: now,
		}), []Contribution{
			{Rule: RuleAllowList, Provenance: w},
			{Rule: RuleSuppressed, Provenance: a, RecencyDate: daysAgo(2)},
			{Rule: RuleSuppressed, Provenance: b, RecencyDate: daysAgo(45)},
			{Rule: RuleSuppressed, RecencyDate: daysAgo(3)},
		}},
		{"known-benign listing", Score(Config{}, &Input{Summary: &intel.AddressSummary{Listings: []intel.Listing{
			{Category: intel.CatBenign, Feed: "A", LastSeen: daysAgo(1), Source: a}}}, Now: now,
		}), []Contribution{{Rule: RuleKnownBenign, Provenance: a, RecencyDate: daysAgo(1)}}},
		{"web address: masks, recorded zone, host zone, floor", Object(Config{}, &ObjectInput{
			Kind: intel.ObjectURL, Host: "c2.example", HostZone: intel.ZoneRed, Recorded: intel.ZoneOrange,
			Masks: []intel.FeedMask{{Mask: "c2.example/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed, Feeds: []string{"M"}, Source: src("M", "m.csv")},
				{Mask: "c2.example", MaskType: intel.MaskHost, Zone: intel.ZoneGrey, Feeds: []string{"M"}, Source: src("M", "m.csv")}},
			Now: now,
		}), []Contribution{
			{Rule: RuleMask, Provenance: src("M", "m.csv")}, {Rule: RuleMask, Provenance: src("M", "m.csv")},
			{Rule: RuleRecordedZone}, {Rule: RuleHostZone}, {Rule: RuleZoneFloor},
		}},
		{"allow-listed domain", Object(Config{}, &ObjectInput{
			Kind: intel.ObjectHost, Allows: []AllowRef{{List: "top", Name: "example.com", Source: w}},
			Listings: []intel.ObjectListing{{Category: intel.CatPhishing, Feed: "A", LastSeen: daysAgo(4), Source: a}},
			Reports:  []ReportRef{{ID: "r1", Type: intel.ReportAPT, Date: daysAgo(10), Source: r}},
			Masks:    []intel.FeedMask{{Mask: "example.com", MaskType: intel.MaskHost, Zone: intel.ZoneRed, Source: b}},
			Now:      now,
		}), []Contribution{
			{Rule: RuleAllowList, Provenance: w},
			{Rule: RuleSuppressed, Provenance: a, RecencyDate: daysAgo(4)},
			{Rule: RuleSuppressed, Provenance: b},
			{Rule: RuleSuppressed, Provenance: r, RecencyDate: daysAgo(10)},
		}},
		{"web address on an allow-listed host", Object(Config{}, &ObjectInput{
			Kind: intel.ObjectURL, Host: "cdn.example", HostZone: intel.ZoneGreen,
			Allows: []AllowRef{{List: "top", Name: "cdn.example", Source: w}}, Now: now,
		}), []Contribution{{Rule: RuleAllowList, Provenance: w}}},
	}
	for _, tt := range tests {
		got := tt.res.Contributions
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %d pieces, want %d: %+v", tt.name, len(got), len(tt.want), got)
			continue
		}
		for i, w := range tt.want {
			g := got[i]
			weightOK := g.RecencyWeight == w.RecencyWeight || w.RecencyWeight == -1 && g.RecencyWeight > 0
			if g.Rule != w.Rule || g.Provenance != w.Provenance || !g.RecencyDate.Equal(w.RecencyDate) || !weightOK {
				t.Errorf("%s: piece %d (%s): got %s %+v %v %v, want %s %+v %v %v", tt.name, i, g.Evidence,
					g.Rule, g.Provenance, g.RecencyDate, g.RecencyWeight, w.Rule, w.Provenance, w.RecencyDate, w.RecencyWeight)
			}
			if w.RecencyWeight == -1 && g.Rule != RuleSuppressed && strings.Contains(g.Note, "recency") {
				if want := Decay(g.RecencyDate, now, g.weightHalfLife()); g.RecencyWeight != want {
					t.Errorf("%s: piece %d: got weight %v, want %v", tt.name, i, g.RecencyWeight, want)
				}
			}
		}
	}
}

// weightHalfLife is the default half-life of the piece's rule.
func (c Contribution) weightHalfLife() time.Duration {
	if c.Rule == RuleReport || c.Rule == RuleFurtherReport {
		return DefaultReportHalfLife
	}
	return DefaultHalfLife
}

// TestFileContributionData: file evidence carries its rule and the
// provenance given for detections, report links and allow lists.
func TestFileContributionData(t *testing.T) {
	d, r, w, l := src("Sandbox", "det.jsonl"), src("Reports", "r.json"), src("WL", "hashes.json"), src("A", "a.csv")
	res := File(&FileInput{
		Detected: intel.ZoneRed, Detections: []string{"HEUR:Trojan.Win32.Generic"}, DetectionSources: []intel.Source{d},
		Listings: []intel.ObjectListing{{Category: intel.CatMalware, Feed: "A", Source: l}, {Category: intel.CatScanner, Feed: "A", Source: l},
			{Category: intel.CatBenign, Feed: "A", Source: l}},
		Reports: 1, ReportIDs: []string{"r1"}, ReportSources: []intel.Source{r},
		Allows: []string{"known-good"}, AllowSources: []intel.Source{w},
		RedSources: 2,
	})
	want := []struct {
		rule string
		src  intel.Source
	}{
		{RuleDetection, d}, {RuleFileListing, l}, {RuleIgnored, l}, {RuleKnownBenign, l},
		{RuleFileReport, r}, {RuleAllowList, w}, {RuleIndirect, intel.Source{}},
	}
	if len(res.Contributions) != len(want) {
		t.Fatalf("got %+v, want %d pieces", res.Contributions, len(want))
	}
	for i, c := range res.Contributions {
		if c.Rule != want[i].rule || c.Provenance != want[i].src || !c.RecencyDate.IsZero() || c.RecencyWeight != 0 {
			t.Errorf("piece %d (%s): got %s %+v %v %v, want %s %+v, undated, unweighted", i, c.Evidence, c.Rule, c.Provenance,
				c.RecencyDate, c.RecencyWeight, want[i].rule, want[i].src)
		}
	}
}

// TestRulesDocumented: every rule is named in docs/scoring.md's table of
// rules, and no piece of evidence the scorer gives is without one.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scoring.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if !strings.Contains(string(doc), "| `"+r+"` |") {
			t.Errorf("rule %q: got no row in docs/scoring.md, want one", r)
		}
	}
	res := Score(Config{}, &Input{Summary: sum(listing(intel.CatMalware, "A", now), listing(intel.CatScanner, "B", daysAgo(3))),
		Related: Related{RedURLs: 3}, Reports: []ReportRef{{ID: "r1"}}, Now: now})
	for _, c := range res.Contributions {
		if !slices.Contains(rules, c.Rule) {
			t.Errorf("%s: got rule %q, want one of %v", c.Evidence, c.Rule, rules)
		}
	}
}
