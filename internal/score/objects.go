package score

import (
	"fmt"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Verdicts on domain names, web addresses and files. Domains and web
// addresses get the address rules (category evidence, report links,
// sightings, the same thresholds) plus floors: a feed mask naming or
// covering the object, the zone a feed recorded for a web address and the
// zone of a web address's host make the zone at least as severe as theirs.
// Files get four zones from evidence about the file itself only.

// AllowRef is an allow list naming a host name: List is the list, Name
// the name it lists (the host or one of its ancestors).
type AllowRef struct {
	List   string
	Name   string
	Source intel.Source // the provenance of the record naming the list, for the explanation only
}

// ObjectInput is the evidence about one domain name or web address.
type ObjectInput struct {
	Kind intel.ObjectKind // intel.ObjectHost or intel.ObjectURL
	// Allows are the allow lists naming the domain or one of its
	// ancestors (for a web address: its host's).
	Allows []AllowRef
	// Listings are the feeds' category listings of the object itself.
	Listings []intel.ObjectListing
	// Masks are the feed masks naming the domain (Host masks of the
	// name) or covering the web address (Host masks of its host,
	// UrlPrefix and Url masks, Network masks of an IP host).
	Masks []intel.FeedMask
	// Recorded is the zone a feed recorded for the web address ("" none).
	Recorded intel.Zone
	// Host and HostZone are a web address's host name and the zone of the
	// host's own lookup ("" for an IP host).
	Host     string
	HostZone intel.Zone
	// ServesRed is set for a domain name one of whose own web addresses a
	// feed recorded as Red (a live payload, an online phishing page): the
	// name is then at least Orange.
	ServesRed bool
	Reports   []ReportRef
	Hits      int64
	LastSeen  time.Time
	Now       time.Time
}

// Object computes the verdict on a domain name or web address with the
// contributions that explain it.
func Object(cfg Config, in *ObjectInput) Result { return objectCompute(cfg, in, true) }

// ObjectVerdict is Object without Contributions.
func ObjectVerdict(cfg Config, in *ObjectInput) Result { return objectCompute(cfg, in, false) }

func objectCompute(cfg Config, in *ObjectInput, explain bool) Result {
	sum := intel.AddressSummary{Hits: in.Hits, LastSeen: in.LastSeen}
	for _, l := range in.Listings {
		sum.Listings = append(sum.Listings, intel.Listing{Category: l.Category, Feed: l.Feed, FirstSeen: l.FirstSeen, LastSeen: l.LastSeen, Source: l.Source})
	}
	hostAllowed := len(in.Allows) > 0
	if in.Kind == intel.ObjectHost && hostAllowed {
		return allowedHost(cfg, in, &sum, explain)
	}
	res := compute(cfg, &Input{Summary: &sum, Reports: in.Reports, Now: in.Now}, explain)
	s := &scorer{res: &res, explain: explain}
	if res.Zone == intel.ZoneGreen { // a CATEGORY_KNOWN_BENIGN listing
		for _, m := range in.Masks {
			s.addf(m, RuleSuppressed, "suppressed: listed as known benign")
		}
		return res
	}
	floor := intel.Zone("")
	raise := func(z intel.Zone) {
		if z.FeedStatus() != "" && z.Severity() > floor.Severity() {
			floor = z
		}
	}
	for _, m := range in.Masks {
		if hostAllowed && (m.MaskType == intel.MaskHost || m.MaskType == intel.MaskNetwork) {
			s.addf(m, RuleSuppressed, "suppressed: the host is allow-listed")
			continue
		}
		if m.Zone.FeedStatus() == "" {
			s.addf(m, RuleMask, "no zone of its own: adds nothing")
			continue
		}
		raise(m.Zone)
		s.addf(m, RuleMask, fmt.Sprintf("%s mask: the zone is at least %s", m.Zone, m.Zone))
	}
	if in.Recorded != "" {
		raise(in.Recorded)
		if explain {
			note := fmt.Sprintf("a feed recorded the web address as %s: the zone is at least %s", in.Recorded, in.Recorded)
			if in.Recorded.FeedStatus() == "" {
				note = fmt.Sprintf("a feed recorded the web address as %s: no floor", in.Recorded)
			}
			s.add(Contribution{Evidence: "recorded zone " + string(in.Recorded), Note: note, Rule: RuleRecordedZone})
		}
	}
	if in.Kind == intel.ObjectHost && in.ServesRed {
		raise(intel.ZoneOrange)
		s.add(Contribution{Evidence: "serves a Red web address", Rule: RuleHostedContent,
			Note: "a name serving live malicious content is at least Orange"})
	}
	if in.Kind == intel.ObjectURL && in.HostZone != "" {
		switch {
		case hostAllowed:
		case in.HostZone.FeedStatus() != "":
			raise(in.HostZone)
			s.add(Contribution{Evidence: "host " + in.Host + " is " + string(in.HostZone), Rule: RuleHostZone,
				Note: s.sprintf("a web address is at least as severe as its host: at least %s", in.HostZone)})
		}
	}
	if floor.Severity() > res.Zone.Severity() {
		if explain {
			s.add(Contribution{Evidence: "zone floor", Rule: RuleZoneFloor, Note: fmt.Sprintf("score %d gives %s; the floor makes it %s", res.Score, res.Zone, floor)})
		}
		res.Zone = floor
	}
	if res.Zone == intel.ZoneGrey {
		switch {
		case hostAllowed:
			res.Zone = intel.ZoneGreen
			for _, a := range in.Allows {
				s.add(Contribution{Evidence: "allow list names " + a.Name, Source: a.List,
					Note: "known benign host: its web addresses without evidence of their own are Green",
					Rule: RuleAllowList, Provenance: a.Source})
			}
		case in.Recorded == intel.ZoneGreen:
			res.Zone = intel.ZoneGreen
		}
	}
	return res
}

// allowedHost is the verdict of an allow-listed domain: Green, score 0,
// every other piece of evidence shown as suppressed.
func allowedHost(cfg Config, in *ObjectInput, sum *intel.AddressSummary, explain bool) Result {
	res := Result{Zone: intel.ZoneGreen, Categories: []CategoryZone{{Name: intel.CatBenign, Zone: intel.ZoneGreen}}}
	if !explain {
		return res
	}
	s := &scorer{res: &res, explain: true}
	for _, a := range in.Allows {
		s.add(Contribution{Evidence: "allow list names " + a.Name, Source: a.List,
			Note: "known benign: the name and every name below it are Green; other evidence is suppressed",
			Rule: RuleAllowList, Provenance: a.Source})
	}
	for _, c := range collectCategories(cfg.WithDefaults(), sum, nil, in.Now) {
		for _, f := range c.feeds {
			s.add(Contribution{Evidence: f.src.String(), Source: f.feed, Note: "suppressed: the name is allow-listed",
				Rule: RuleSuppressed, Provenance: f.origin, RecencyDate: f.last})
		}
	}
	for _, m := range in.Masks {
		s.addf(m, RuleSuppressed, "suppressed: the name is allow-listed")
	}
	for _, r := range in.Reports {
		s.add(Contribution{Evidence: "report " + r.Type, Source: r.ID, Note: "suppressed: the name is allow-listed",
			Rule: RuleSuppressed, Provenance: r.Source, RecencyDate: r.Date})
	}
	return res
}

// addf records a feed mask with 0 points.
func (s *scorer) addf(m intel.FeedMask, rule, note string) {
	if s.explain {
		s.add(Contribution{Evidence: fmt.Sprintf("feed mask %s %s (%s)", m.MaskType, m.Mask, m.Zone),
			Source: strings.Join(m.Feeds, ", "), Note: note, Rule: rule, Provenance: m.Source})
	}
}

// File statuses by zone (FileGeneralInfo.FileStatus).
const (
	FileMalware        = "Malware"
	FileAdware         = "Adware and other"
	FileClean          = "Clean"
	FileNotCategorized = "Not categorized"
)

// FileInput is the evidence about one file, gathered over all its known
// hashes.
type FileInput struct {
	// Detected is the most severe zone of the file's detections (Red,
	// Yellow, or "" for none); Detections are their names, for the
	// explanation only.
	Detected   intel.Zone
	Detections []string
	// DetectionSources, ReportSources and AllowSources, when given, are
	// the provenance of Detections, ReportIDs and Allows, index by index
	// (for the explanation only).
	DetectionSources []intel.Source
	ReportSources    []intel.Source
	AllowSources     []intel.Source
	// Listings are the feeds' category listings of any of its hashes.
	Listings []intel.ObjectListing
	// Reports is how many report links name one of its hashes; ReportIDs
	// some of them, for the explanation only.
	Reports   int64
	ReportIDs []string
	// Allows are the allow lists naming one of its hashes.
	Allows []string
	// RedSources counts Red web addresses the file was downloaded from or
	// contacted: indirect evidence, explained, never scored.
	RedSources int
}

// FileResult is the verdict on a file.
type FileResult struct {
	Zone          intel.Zone // Red, Yellow, Green or Grey: files are never Orange
	Status        string     // FileMalware, FileAdware, FileClean or FileNotCategorized
	Contributions []Contribution
}

// File computes the verdict on a file with the evidence behind it. Only
// evidence about the file itself counts: a detection that is not of an
// adware type, a listing in a Red category or a report naming it make it
// Red; adware-type detections or listings alone Yellow; an allow list or
// a CATEGORY_KNOWN_BENIGN listing Green; anything else (including being
// downloaded from Red web addresses) leaves it Grey.
func File(in *FileInput) FileResult { return fileCompute(in, true) }

// FileVerdict is File without Contributions.
func FileVerdict(in *FileInput) FileResult { return fileCompute(in, false) }

func fileCompute(in *FileInput, explain bool) FileResult {
	var res FileResult
	add := func(c Contribution) {
		if explain {
			res.Contributions = append(res.Contributions, c)
		}
	}
	red, yellow, green := false, false, len(in.Allows) > 0
	switch in.Detected {
	case intel.ZoneRed:
		red = true
	case intel.ZoneYellow:
		yellow = true
	}
	if explain {
		for i, d := range in.Detections {
			c := Contribution{Evidence: "detection " + d, Rule: RuleDetection, Provenance: sourceAt(in.DetectionSources, i),
				Note: "an adware-type detection: Yellow unless other evidence is Red"}
			if intel.DetectionZone(d) == intel.ZoneRed {
				c.Note = "a detection of the file: Red"
			}
			add(c)
		}
		if len(in.Detections) == 0 && in.Detected != "" {
			add(Contribution{Evidence: "detections", Rule: RuleDetection, Note: fmt.Sprintf("the most severe detection is %s", in.Detected)})
		}
	}
	for _, l := range in.Listings {
		z, ok := intel.CategoryZone(l.Category)
		c := Contribution{Evidence: "listing " + string(l.Category), Source: l.Feed, Rule: RuleFileListing, Provenance: l.Source}
		switch {
		case !ok:
			c.Rule, c.Note = RuleIgnored, "unknown category: ignored"
		case z == intel.ZoneRed:
			red = true
			c.Note = "a listing of one of its hashes in a Red category: Red"
		case z == intel.ZoneYellow:
			yellow = true
			c.Note = "an adware-type listing: Yellow unless other evidence is Red"
		case z == intel.ZoneGreen:
			green = true
			c.Rule, c.Note = RuleKnownBenign, "known benign: Green unless a detection, listing or report says otherwise"
		default:
			c.Rule, c.Note = RuleIgnored, "files have no Orange zone: an Orange category is not evidence about the file; ignored"
		}
		add(c)
	}
	if in.Reports > 0 {
		red = true
		if explain {
			const note = "a report naming the file: Red"
			if len(in.ReportIDs) == 0 {
				add(Contribution{Evidence: fmt.Sprintf("%d report links", in.Reports), Rule: RuleFileReport, Note: note})
			}
			for i, id := range in.ReportIDs {
				add(Contribution{Evidence: "report link", Source: id, Rule: RuleFileReport, Provenance: sourceAt(in.ReportSources, i), Note: note})
			}
		}
	}
	for i, a := range in.Allows {
		add(Contribution{Evidence: "allow list", Source: a, Rule: RuleAllowList, Provenance: sourceAt(in.AllowSources, i),
			Note: "known benign: Green unless a detection, listing or report says otherwise"})
	}
	switch {
	case red:
		res.Zone, res.Status = intel.ZoneRed, FileMalware
	case yellow:
		res.Zone, res.Status = intel.ZoneYellow, FileAdware
	case green:
		res.Zone, res.Status = intel.ZoneGreen, FileClean
	default:
		res.Zone, res.Status = intel.ZoneGrey, FileNotCategorized
	}
	if in.RedSources > 0 {
		note := "indirect evidence: a file is not convicted by where it was seen; without a detection, listing or report it stays Grey"
		if res.Zone != intel.ZoneGrey {
			note = "indirect evidence: not counted"
		}
		add(Contribution{Evidence: fmt.Sprintf("%d Red web addresses it was downloaded from or contacted", in.RedSources), Rule: RuleIndirect, Note: note})
	}
	return res
}

// sourceAt is srcs[i], or the zero Source when srcs is shorter.
func sourceAt(srcs []intel.Source, i int) intel.Source {
	if i < len(srcs) {
		return srcs[i]
	}
	return intel.Source{}
}
