// Package score turns the evidence known about one address into a threat
// score (0-100), a zone and a list of categories with their zones. Every
// point of the score comes from one Contribution, so that the verdict can be
// explained piece by piece. The functions are pure: the same input and the
// same clock give the same result. The rules and their numbers are written
// down in docs/scoring.md; the constants below are the source of truth.
package score

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Zone thresholds.
const (
	RedThreshold    = 75 // score >= 75: Red
	OrangeThreshold = 50 // 50 <= score < 75: Orange
)

// Defaults of Config.
const (
	DefaultHalfLife       = 90 * 24 * time.Hour
	DefaultReportHalfLife = 365 * 24 * time.Hour
)

// Category evidence: the points of the first (strongest) feed of a category,
// the points of the second independent feed (each further feed adds half of
// the previous one), and the cap of a category's points, by category zone.
const (
	redFirst, redFurther, redCap          = 70.0, 25.0, 100
	orangeFirst, orangeFurther, orangeCap = 65.0, 10.0, 74
	yellowFirst, yellowFurther, yellowCap = 40.0, 10.0, 49

	// otherCategoryFactor scales every category but the strongest one.
	otherCategoryFactor = 0.25
)

// Related red objects: base + perDoubling*log2(n), capped per kind; the
// related part as a whole is capped at relatedCap.
const (
	redURLBase, redURLPerDoubling, redURLCap    = 15.0, 5.0, 30.0
	redFileBase, redFilePerDoubling, redFileCap = 15.0, 5.0, 30.0
	// Live (Red) content on an address that is not shared hosting: the
	// address serves the payload itself, a C&C or a dropper's own server.
	dedicatedBase, dedicatedPerDoubling, dedicatedCap = 50.0, 5.0, 50.0
	redDomainBase, redDomainPerDoubling, redDomainCap = 10.0, 5.0, 25.0
	relatedCap                                        = 50
)

// Report links: points of the strongest report by type, points of each
// further report, and the cap of the report part.
const (
	reportAPT, reportICS, reportCrimeware, reportOther = 60.0, 55.0, 50.0, 40.0
	reportFurther                                      = 5.0
	reportCap                                          = 70
)

// Sightings: floor(log10(hits)) points, at most sightingsCap, only when
// other evidence scored.
const sightingsCap = 5

// unknownDateWeight is the recency weight of evidence without a date.
const unknownDateWeight = 0.5

// Pseudo-feeds for spam and phishing activity recorded for the address.
const (
	SpamTelemetry     = "spam activity"
	PhishingTelemetry = "phishing activity"
)

// Config tunes the scoring. The zero value means the defaults.
type Config struct {
	// HalfLife is the age after which listing evidence (and spam or
	// phishing activity) weighs half; default 90 days.
	HalfLife time.Duration
	// ReportHalfLife is the half-life of report links, aged by the report's
	// Updated (else Published) date; default 365 days.
	ReportHalfLife time.Duration
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.HalfLife <= 0 {
		c.HalfLife = DefaultHalfLife
	}
	if c.ReportHalfLife <= 0 {
		c.ReportHalfLife = DefaultReportHalfLife
	}
	return c
}

// Related are facts about objects related to the address, taken from its
// list sections.
type Related struct {
	RedURLs    int64 // Red web addresses hosted on the address
	RedFiles   int64 // Red files downloaded from it
	RedDomains int64 // Red domains among its most recent resolutions
	// Sites is the number of distinct registrable domains among the
	// address's most recent resolutions: SharedHostingSites or more make
	// it shared hosting, where a live payload on one site says little
	// about the address (see relatedPart).
	Sites int
}

// SharedHostingSites is the number of distinct registrable domains seen on
// an address from which it counts as shared hosting.
const SharedHostingSites = 3

// Shared reports whether the address is shared hosting.
func (r Related) Shared() bool { return r.Sites >= SharedHostingSites }

// HasRedZone reports whether some related object is Red.
func (r Related) HasRedZone() bool { return r.RedURLs > 0 || r.RedFiles > 0 || r.RedDomains > 0 }

// ReportRef is a report linked to the address.
type ReportRef struct {
	ID     string
	Type   string       // intel.ReportAPT, ReportCrimeware, ReportICS or other
	Date   time.Time    // Updated, else Published; zero if unknown
	Source intel.Source // the report record's provenance, for the explanation only
}

// Input is the evidence about one address.
type Input struct {
	Summary *intel.AddressSummary // may be nil: nothing known
	// NetListings are the network listings covering the address and
	// Allows the allow-list entries covering it, most specific first.
	NetListings []intel.NetListing
	Allows      []intel.Allow
	Related     Related
	Reports     []ReportRef
	Now         time.Time
}

// CategoryZone is a category and its zone.
type CategoryZone struct {
	Name intel.Category
	Zone intel.Zone
}

// Contribution is one piece of evidence and what it added to the score.
type Contribution struct {
	Evidence string // what: "listing CATEGORY_MALWARE", "red hosted URLs", "cap", ...
	Source   string // where from: feed, allow list, report id
	Points   int    // may be 0 (suppressed, decayed) or negative (caps)
	Note     string // how the points were computed
	// Rule is the scoring rule the piece falls under: one of the Rule
	// constants (docs/scoring.md, "Rules").
	Rule string
	// Provenance is where the record the evidence came from was imported
	// from: its feed, file and import time (intel.Source of the listing,
	// network listing, mask, report, allow list); zero when the evidence
	// has no record of its own (telemetry, related objects, caps).
	Provenance intel.Source
	// RecencyDate is the date the evidence's recency is measured from:
	// LastSeen, else FirstSeen (listings), the last attack (spam and
	// phishing activity), Updated, else Published (reports), the last
	// sighting (sightings). It is given for such evidence even when it is
	// suppressed or ignored; zero when undated and for evidence that does
	// not decay (masks, allow lists, related objects, caps, files).
	RecencyDate time.Time
	// RecencyWeight is the recency weight the points were multiplied by
	// (0.5 for undated evidence); 0 when no weight was applied.
	RecencyWeight float64
	// FeedLatestVersion is, for a listing that its feed's latest version
	// no longer holds, that version's date (the explanation sets it from
	// the store's feed versions; scoring does not read it).
	FeedLatestVersion time.Time
}

// Rules of Contribution.Rule. The names are stable: clients may match
// them.
const (
	// Addresses, domains and web addresses.
	RuleListing          = "listing"           // the first (strongest) feed of a category
	RuleIndependentFeeds = "independent-feeds" // each further independent feed of a category
	RuleHostedContent    = "hosted-content"    // Red web addresses hosted on, Red files downloaded from an address
	RuleResolvingDomains = "resolving-domains" // Red domains among an address's resolutions
	RuleReport           = "report"            // the strongest linked report
	RuleFurtherReport    = "further-report"    // each further linked report
	RuleSightings        = "sightings"         // how often the object was seen
	RuleCap              = "cap"               // a cap of a part or of the score (negative points)
	RuleAllowList        = "allow-list"        // an allow list naming or covering the object: Green
	RuleKnownBenign      = "known-benign"      // a CATEGORY_KNOWN_BENIGN listing: Green
	RuleSuppressed       = "suppressed"        // evidence an allow list or known-benign listing overrides
	RuleReserved         = "reserved"          // a special-purpose address: Grey
	RuleIgnored          = "ignored"           // evidence the rules do not count
	// Domains and web addresses.
	RuleMask         = "mask"          // a feed mask naming or covering the object: a zone floor
	RuleRecordedZone = "recorded-zone" // the zone a feed recorded for a web address: a zone floor
	RuleHostZone     = "host-zone"     // the zone of a web address's host: a zone floor
	RuleZoneFloor    = "zone-floor"    // a floor raised the zone the score gives
	// Files.
	RuleDetection   = "detection"    // a detection of the file
	RuleFileListing = "file-listing" // a listing of one of its hashes
	RuleFileReport  = "file-report"  // a report naming one of its hashes
	RuleIndirect    = "indirect"     // Red web addresses it came from or contacted: never counted
)

// Result is the verdict. The Points of Contributions add up to Score.
type Result struct {
	Score         int
	Zone          intel.Zone
	Categories    []CategoryZone
	Contributions []Contribution
}

// feedEvidence is one independent feed's listing of one category.
type feedEvidence struct {
	feed   string
	src    evidenceSource
	origin intel.Source // the listing's provenance
	last   time.Time
	weight float64
	dupes  []evidenceSource // other listings of the same feed, counted once
}

// evidenceSource describes a listing; its text is built only when the
// verdict is explained.
type evidenceSource struct {
	kind   int // 0: address listing, 1: network listing, 2: activity
	cat    intel.Category
	prefix netip.Prefix
	count  int64
}

func (e evidenceSource) String() string {
	switch e.kind {
	case 1:
		return "network listing " + string(e.cat) + " in " + e.prefix.String()
	case 2:
		if e.cat == intel.CatSpam {
			return fmt.Sprintf("%d spam attacks", e.count)
		}
		return fmt.Sprintf("%d phishing attacks", e.count)
	}
	return "listing " + string(e.cat)
}

// srcLess orders listings of one feed and category: address listings
// first, then network listings from the most specific, then by network.
func srcLess(a, b evidenceSource) bool {
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	if a.prefix.Bits() != b.prefix.Bits() {
		return a.prefix.Bits() > b.prefix.Bits()
	}
	if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
		return c < 0
	}
	return a.count < b.count
}

type categoryEvidence struct {
	cat    intel.Category
	zone   intel.Zone
	feeds  []feedEvidence
	points float64 // before the other-category factor, uncapped
}

// Score computes the verdict for one address with the contributions that
// explain it.
func Score(cfg Config, in *Input) Result { return compute(cfg, in, true) }

// Verdict is Score without Contributions (cheaper: no explanations are
// formatted). Score, Zone and Categories are the same as Score's.
func Verdict(cfg Config, in *Input) Result { return compute(cfg, in, false) }

func compute(cfg Config, in *Input, explain bool) Result {
	cfg = cfg.WithDefaults()
	var sum intel.AddressSummary
	if in.Summary != nil {
		sum = *in.Summary
	}
	res := Result{}
	s := &scorer{res: &res, explain: explain}

	cats := collectCategories(cfg, &sum, in.NetListings, in.Now)

	if allowed(in, &sum) {
		return allowResult(in.Allows, cats, explain)
	}

	total := 0
	total += s.categoryPart(cats)
	total += s.relatedPart(in.Related)
	total += s.reportPart(cfg, in.Reports, in.Now)
	if total > 0 && sum.Hits > 0 {
		total += s.sightingsPart(cfg, &sum, in.Now)
	}
	if total > 100 {
		if explain {
			s.add(Contribution{
				Evidence: "cap", Points: 100 - total, Rule: RuleCap,
				Note: fmt.Sprintf("score %d capped at 100", total),
			})
		}
		total = 100
	}
	res.Score = total

	onlyYellow := len(cats) > 0
	if len(cats) > 0 {
		res.Categories = make([]CategoryZone, 0, len(cats))
	}
	for _, c := range cats {
		res.Categories = append(res.Categories, CategoryZone{Name: c.cat, Zone: c.zone})
		if c.zone != intel.ZoneYellow {
			onlyYellow = false
		}
	}
	switch {
	case total >= RedThreshold:
		res.Zone = intel.ZoneRed
	case onlyYellow:
		res.Zone = intel.ZoneYellow
	case total >= OrangeThreshold:
		res.Zone = intel.ZoneOrange
	default:
		res.Zone = intel.ZoneGrey
	}
	return res
}

// Decay is the recency weight of evidence last seen at t: 2^(-age/halfLife),
// 1 for evidence dated in the future, unknownDateWeight for undated evidence.
func Decay(t, now time.Time, halfLife time.Duration) float64 {
	if t.IsZero() {
		return unknownDateWeight
	}
	age := now.Sub(t)
	if age <= 0 {
		return 1
	}
	return math.Exp2(-float64(age) / float64(halfLife))
}

func allowed(in *Input, sum *intel.AddressSummary) bool {
	if len(in.Allows) > 0 {
		return true
	}
	for i := range sum.Listings {
		if sum.Listings[i].Category == intel.CatBenign {
			return true
		}
	}
	for i := range in.NetListings {
		if in.NetListings[i].Category == intel.CatBenign {
			return true
		}
	}
	return false
}

// allowResult is the verdict of an allow-listed address: Green, score 0,
// every listing shown as suppressed.
func allowResult(allows []intel.Allow, cats []categoryEvidence, explain bool) Result {
	res := Result{Zone: intel.ZoneGreen, Categories: []CategoryZone{{Name: intel.CatBenign, Zone: intel.ZoneGreen}}}
	if !explain {
		return res
	}
	for _, a := range allows {
		res.Contributions = append(res.Contributions, Contribution{
			Evidence: "allow list " + a.Prefix.String(), Source: a.List,
			Note: "known benign: the address is Green and feed listings are suppressed",
			Rule: RuleAllowList, Provenance: a.Source,
		})
	}
	for _, c := range cats {
		for _, f := range c.feeds {
			note, rule := "suppressed: the address is allow-listed", RuleSuppressed
			if c.cat == intel.CatBenign {
				note, rule = "known benign: the address is Green and feed listings are suppressed", RuleKnownBenign
			}
			res.Contributions = append(res.Contributions, Contribution{
				Evidence: f.src.String(), Source: f.feed, Note: note,
				Rule: rule, Provenance: f.origin, RecencyDate: f.last,
			})
		}
	}
	return res
}

// collectCategories groups listings (address listings, network listings,
// spam and phishing activity) by category, one feedEvidence per distinct
// feed, and orders categories by zone severity, points and name.
func collectCategories(cfg Config, sum *intel.AddressSummary, netListings []intel.NetListing, now time.Time) []categoryEvidence {
	var cats []categoryEvidence
	add := func(cat intel.Category, zone intel.Zone, feed string, src evidenceSource, origin intel.Source, last time.Time) {
		i := slices.IndexFunc(cats, func(c categoryEvidence) bool { return c.cat == cat })
		if i < 0 {
			cats = append(cats, categoryEvidence{cat: cat, zone: zone})
			i = len(cats) - 1
		}
		c := &cats[i]
		w := Decay(last, now, cfg.HalfLife)
		for j := range c.feeds {
			f := &c.feeds[j]
			if !strings.EqualFold(f.feed, feed) {
				continue
			}
			// The most recent listing of the feed counts; ties are broken
			// by the listing itself, so that input order never matters.
			if w > f.weight || w == f.weight && (srcLess(src, f.src) || src == f.src && feed < f.feed) {
				f.dupes = append(f.dupes, f.src)
				f.feed, f.src, f.origin, f.last, f.weight = feed, src, origin, last, w
			} else {
				f.dupes = append(f.dupes, src)
			}
			return
		}
		c.feeds = append(c.feeds, feedEvidence{feed: feed, src: src, origin: origin, last: last, weight: w})
	}
	for _, l := range sum.Listings {
		z, ok := intel.CategoryZone(l.Category)
		if !ok {
			continue
		}
		last := l.LastSeen
		if last.IsZero() {
			last = l.FirstSeen
		}
		add(l.Category, z, l.Feed, evidenceSource{cat: l.Category}, l.Source, last)
	}
	for _, l := range netListings {
		z, ok := intel.CategoryZone(l.Category)
		if !ok {
			z = l.Zone
			if z.FeedStatus() == "" {
				continue // unknown category without a Red, Orange or Yellow zone
			}
		}
		last := l.LastSeen
		if last.IsZero() {
			last = l.FirstSeen
		}
		add(l.Category, z, l.Feed, evidenceSource{kind: 1, cat: l.Category, prefix: l.Prefix}, l.Source, last)
	}
	if sum.Spam.Attacks > 0 {
		add(intel.CatSpam, intel.ZoneOrange, SpamTelemetry,
			evidenceSource{kind: 2, cat: intel.CatSpam, count: sum.Spam.Attacks}, intel.Source{}, sum.Spam.Last)
	}
	if sum.Phishing.Attacks > 0 {
		add(intel.CatPhishing, intel.ZoneRed, PhishingTelemetry,
			evidenceSource{kind: 2, cat: intel.CatPhishing, count: sum.Phishing.Attacks}, intel.Source{}, sum.Phishing.Last)
	}
	for i := range cats {
		c := &cats[i]
		for j := range c.feeds {
			slices.SortFunc(c.feeds[j].dupes, func(a, b evidenceSource) int {
				switch {
				case srcLess(a, b):
					return -1
				case srcLess(b, a):
					return 1
				}
				return 0
			})
		}
		slices.SortStableFunc(c.feeds, func(a, b feedEvidence) int {
			if a.weight != b.weight {
				return cmp.Compare(b.weight, a.weight)
			}
			return strings.Compare(a.feed, b.feed)
		})
		first, further, _ := categoryWeights(c.zone)
		for k, f := range c.feeds {
			c.points += feedPoints(k, first, further) * f.weight
		}
	}
	slices.SortStableFunc(cats, func(a, b categoryEvidence) int {
		if d := b.zone.Severity() - a.zone.Severity(); d != 0 {
			return d
		}
		if a.points != b.points {
			return cmp.Compare(b.points, a.points)
		}
		return strings.Compare(string(a.cat), string(b.cat))
	})
	return cats
}

// categoryWeights returns the first-feed points, the second-feed points and
// the cap of a category zone.
func categoryWeights(z intel.Zone) (first, further float64, limit int) {
	switch z {
	case intel.ZoneRed:
		return redFirst, redFurther, redCap
	case intel.ZoneOrange:
		return orangeFirst, orangeFurther, orangeCap
	case intel.ZoneYellow:
		return yellowFirst, yellowFurther, yellowCap
	}
	return 0, 0, 0
}

// feedPoints is the undecayed value of the k-th feed (0-based) of a
// category: first, then further, further/2, further/4, ...
func feedPoints(k int, first, further float64) float64 {
	if k == 0 {
		return first
	}
	return further * math.Exp2(-float64(k-1))
}

// categoryPart adds one contribution per feed and category. The strongest
// category counts in full, every other category at otherCategoryFactor; the
// part is capped by the cap of the most severe category zone.
func (s *scorer) categoryPart(cats []categoryEvidence) int {
	if len(cats) == 0 {
		return 0
	}
	strongest := 0
	for i := range cats {
		if cats[i].points > cats[strongest].points {
			strongest = i
		}
	}
	total := 0
	limit := 0
	for i, c := range cats {
		first, further, capZ := categoryWeights(c.zone)
		limit = max(limit, capZ)
		factor := 1.0
		if i != strongest {
			factor = otherCategoryFactor
		}
		for k, f := range c.feeds {
			raw := feedPoints(k, first, further)
			p := round(raw * f.weight * factor)
			total += p
			if !s.explain {
				continue
			}
			var note strings.Builder
			rule := RuleListing
			if k > 0 {
				rule = RuleIndependentFeeds
			}
			if k == 0 {
				fmt.Fprintf(&note, "first feed, %s category: %g", c.zone, raw)
			} else {
				fmt.Fprintf(&note, "independent feed #%d: %g", k+1, raw)
			}
			fmt.Fprintf(&note, " x recency %.3f (%s)", f.weight, lastSeenText(f.last))
			if factor != 1 {
				fmt.Fprintf(&note, " x %g (not the strongest category)", factor)
			}
			for _, d := range f.dupes {
				fmt.Fprintf(&note, "; same feed also: %s (counted once)", d)
			}
			s.add(Contribution{
				Evidence: f.src.String(), Source: f.feed, Points: p, Note: note.String(),
				Rule: rule, Provenance: f.origin, RecencyDate: f.last, RecencyWeight: f.weight,
			})
		}
	}
	if total > limit {
		s.add(Contribution{
			Evidence: "cap", Points: limit - total, Rule: RuleCap,
			Note: s.sprintf("category evidence %d capped at %d (most severe category zone %s)", total, limit, cats[0].zone),
		})
		total = limit
	}
	return total
}

func lastSeenText(t time.Time) string {
	if t.IsZero() {
		return "undated"
	}
	return "last seen " + t.UTC().Format("2006-01-02")
}

// relatedPart scores Red objects related to the address.
func (s *scorer) relatedPart(r Related) int {
	total := 0
	one := func(n int64, evidence, rule string, base, per, limit float64) {
		if n <= 0 {
			return
		}
		v := math.Min(base+per*math.Log2(float64(n)), limit)
		p := round(v)
		total += p
		if s.explain {
			s.add(Contribution{
				Evidence: evidence, Points: p, Rule: rule,
				Note: fmt.Sprintf("%d: %g + %g x log2(%d), at most %g", n, base, per, n, limit),
			})
		}
	}
	if r.Shared() {
		hosting := fmt.Sprintf(", shared hosting (%d sites)", r.Sites)
		one(r.RedURLs, "red hosted URLs"+hosting, RuleHostedContent, redURLBase, redURLPerDoubling, redURLCap)
		one(r.RedFiles, "red downloaded files"+hosting, RuleHostedContent, redFileBase, redFilePerDoubling, redFileCap)
	} else {
		hosting := fmt.Sprintf(", dedicated hosting (%d sites)", r.Sites)
		one(r.RedURLs+r.RedFiles, "live red content"+hosting, RuleHostedContent, dedicatedBase, dedicatedPerDoubling, dedicatedCap)
	}
	one(r.RedDomains, "red resolving domains", RuleResolvingDomains, redDomainBase, redDomainPerDoubling, redDomainCap)
	if total > relatedCap {
		s.add(Contribution{
			Evidence: "cap", Points: relatedCap - total, Rule: RuleCap,
			Note: s.sprintf("related objects %d capped at %d", total, relatedCap),
		})
		total = relatedCap
	}
	return total
}

func reportWeight(typ string) float64 {
	switch typ {
	case intel.ReportAPT:
		return reportAPT
	case intel.ReportICS:
		return reportICS
	case intel.ReportCrimeware:
		return reportCrimeware
	}
	return reportOther
}

// reportPart scores report links: the strongest report in full, each further
// one reportFurther, all decayed by the report's date.
func (s *scorer) reportPart(cfg Config, reps []ReportRef, now time.Time) int {
	if len(reps) == 0 {
		return 0
	}
	type scored struct {
		ref ReportRef
		w   float64
		v   float64
	}
	all := make([]scored, 0, len(reps))
	for _, r := range reps {
		w := Decay(r.Date, now, cfg.ReportHalfLife)
		all = append(all, scored{ref: r, w: w, v: reportWeight(r.Type) * w})
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		if a.v != b.v {
			return cmp.Compare(b.v, a.v)
		}
		return strings.Compare(a.ref.ID, b.ref.ID)
	})
	total := 0
	for i, r := range all {
		p := round(r.v)
		if i > 0 {
			p = round(reportFurther * r.w)
		}
		total += p
		if !s.explain {
			continue
		}
		typ := r.ref.Type
		if typ == "" {
			typ = "untyped"
		}
		var note string
		rule := RuleReport
		if i > 0 {
			rule = RuleFurtherReport
		}
		if i == 0 {
			note = fmt.Sprintf("strongest report (%s): %g x recency %.3f (%s)",
				typ, reportWeight(r.ref.Type), r.w, dateText(r.ref.Date))
		} else {
			note = fmt.Sprintf("further report (%s): %g x recency %.3f (%s)",
				typ, reportFurther, r.w, dateText(r.ref.Date))
		}
		s.add(Contribution{
			Evidence: "report " + typ, Source: r.ref.ID, Points: p, Note: note,
			Rule: rule, Provenance: r.ref.Source, RecencyDate: r.ref.Date, RecencyWeight: r.w,
		})
	}
	if total > reportCap {
		s.add(Contribution{
			Evidence: "cap", Points: reportCap - total, Rule: RuleCap,
			Note: s.sprintf("report links %d capped at %d", total, reportCap),
		})
		total = reportCap
	}
	return total
}

func dateText(t time.Time) string {
	if t.IsZero() {
		return "undated"
	}
	return "dated " + t.UTC().Format("2006-01-02")
}

// sightingsPart adds a little for an address that is seen often.
func (s *scorer) sightingsPart(cfg Config, sum *intel.AddressSummary, now time.Time) int {
	base := math.Min(math.Floor(math.Log10(float64(sum.Hits))), sightingsCap)
	if base <= 0 {
		return 0
	}
	w := Decay(sum.LastSeen, now, cfg.HalfLife)
	p := round(base * w)
	if s.explain {
		s.add(Contribution{
			Evidence: "sightings", Points: p, Rule: RuleSightings,
			RecencyDate: sum.LastSeen, RecencyWeight: w,
			Note: fmt.Sprintf("%d hits: floor(log10) = %g, at most %d, x recency %.3f (%s)",
				sum.Hits, base, sightingsCap, w, lastSeenText(sum.LastSeen)),
		})
	}
	return p
}

// scorer collects contributions when explaining.
type scorer struct {
	res     *Result
	explain bool
}

// add records c when explaining (caps are cheap enough to build either way).
func (s *scorer) add(c Contribution) {
	if s.explain {
		s.res.Contributions = append(s.res.Contributions, c)
	}
}

// sprintf formats only when explaining.
func (s *scorer) sprintf(format string, args ...any) string {
	if !s.explain {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

// round rounds half away from zero.
func round(v float64) int { return int(math.Round(v)) }
