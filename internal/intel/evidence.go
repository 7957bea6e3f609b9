package intel

import (
	"net/netip"
	"time"
)

// The evidence records below are what importers produce and what the store
// keeps. Every record is idempotent by itself: applying the same record twice
// leaves the store as applying it once (merge rules are given per type,
// written once as the type's Merge method in merge.go, and enforced by
// every store backend; the conformance suite checks them). What every
// backend refuses in a batch is Batch.Validate (validate.go).
//
// Times are UTC. A zero time means unknown.

// Source says where a piece of evidence came from (provenance).
type Source struct {
	Feed     string    `json:"feed,omitempty"`    // feed or source name, e.g. "URLhaus"
	File     string    `json:"file,omitempty"`    // base name of the imported file
	Imported time.Time `json:"imported,omitzero"` // when the import ran
}

// Sighting is telemetry: how often an address was seen on one UTC day.
// Merge: keyed by (IP, Day); the newest record's Hits replace the old ones.
type Sighting struct {
	IP   netip.Addr
	Day  time.Time // midnight UTC
	Hits int64
}

// Listing says a feed or detection put an address in a category.
// Merge: keyed by (IP, Feed, Category); FirstSeen = min, LastSeen = max,
// Source = the latest applied.
type Listing struct {
	IP        netip.Addr
	Category  Category
	Feed      string
	FirstSeen time.Time
	LastSeen  time.Time
	Source    Source
}

// HostedURL is a web address seen on an address (its host is the address
// itself or a domain that resolved to it).
// Merge: keyed by (IP, URL); Hits = max, FirstSeen = min, LastSeen = max,
// Zone = the more severe, Truncated = or, Categories = union.
type HostedURL struct {
	IP         netip.Addr
	URL        string // normalised, without scheme: "45.95.147.10/bins/x86"
	Zone       Zone
	Categories []Category
	Hits       int64
	Truncated  bool
	FirstSeen  time.Time
	LastSeen   time.Time
	Source     Source
}

// FileDownload is a file downloaded from a web address on an address.
// Merge: keyed by (IP, MD5, URL); as HostedURL; DetectionName = the latest
// non-empty one.
type FileDownload struct {
	IP            netip.Addr
	MD5           string // upper-case hex
	URL           string // the full web address it was downloaded from
	Zone          Zone
	DetectionName string
	Hits          int64
	FirstSeen     time.Time
	LastSeen      time.Time
	Source        Source
}

// Resolution is a passive-DNS observation: Domain resolved to IP.
// Merge: keyed by (IP, Domain); Hits = max, FirstSeen = min, LastSeen = max,
// (DailyPeak, PeakDate) = the pair with the larger peak (earlier date on ties).
type Resolution struct {
	IP        netip.Addr
	Domain    string // lower case, no trailing dot
	FirstSeen time.Time
	LastSeen  time.Time
	Hits      int64
	DailyPeak int64
	PeakDate  time.Time // midnight UTC
	Source    Source

	// Filled by the store when reading, from the domain's DomainInfo.
	Zone       Zone
	Categories []Category
}

// DomainInfo is what is known of a domain itself.
// Merge: keyed by Domain; Zone = the latest applied, Categories = union.
type DomainInfo struct {
	Domain     string
	Zone       Zone
	Categories []Category
	Source     Source
}

// Mask types of FeedMasks.
const (
	MaskNetwork   = "Network"   // a CIDR: "45.95.147.0/24"
	MaskHost      = "Host"      // every URL of a host: "45.95.147.10" or "bad.example"
	MaskURLPrefix = "UrlPrefix" // "45.95.147.10/bins/"
	MaskURL       = "Url"       // one exact URL
)

// FeedMask is a mask published in a feed. Host-, URL- and prefix-masks are
// kept per address (IP is the address they cover); network masks are
// network-keyed data (see NetListing).
// Merge: keyed by (IP, Mask, MaskType); Feeds = union, Zone = the more severe.
type FeedMask struct {
	IP       netip.Addr
	Mask     string
	MaskType string
	Zone     Zone
	Feeds    []string
	LastSeen time.Time
	Source   Source
}

// SpamEvent is one spam attack sent from an address.
// Merge: keyed by (IP, ID); a known ID changes nothing.
type SpamEvent struct {
	IP     netip.Addr
	ID     string
	Time   time.Time
	Type   string // e.g. "Malware", "Phishing", "Advertising"
	Source Source
}

// PhishingEvent is one phishing attack involving an address.
// Merge: keyed by (IP, ID); a known ID changes nothing.
type PhishingEvent struct {
	IP           netip.Addr
	ID           string
	Time         time.Time
	Region       string // ISO 3166-1 alpha-2 of the affected region
	Kit          string
	StolenData   []string
	Industry     string
	Organization string
	Source       Source

	// Domain, when IP is not set, is the domain of the phishing web
	// address: the importer replaces the event by one event per address
	// the domain resolved to (passive DNS) before it reaches the store.
	Domain string `json:",omitempty"`
}

// Report types.
const (
	ReportAPT       = "APT"
	ReportCrimeware = "Crimeware"
	ReportICS       = "ICS"
)

// MaxReportIndicators is the most indicators a Report keeps.
const MaxReportIndicators = 10000

// Largest files of a report: its YARA rules (text) and its PDF document.
// A batch with a larger one is invalid; the importer refuses the record.
const (
	MaxReportYARA = 1 << 20
	MaxReportPDF  = 16 << 20
)

// Report is a threat report (APT, crimeware, ICS).
// Merge: keyed by ID; the latest applied replaces the whole report.
type Report struct {
	ID          string
	Type        string
	Title       string
	Description string
	Published   time.Time
	Updated     time.Time
	Tags        []string
	Industries  []string
	Geo         []string
	Actors      []string
	// Indicators are the report's indicators of compromise as published
	// (addresses, networks, domains, web addresses, hashes), in the order
	// given, at most MaxReportIndicators.
	Indicators []string `json:",omitempty"`
	// Detected are the detection dates the report gives its indicators,
	// by indicator (a value of Indicators); an indicator without one was
	// detected when the report was last updated (Updated, else Published).
	Detected map[string]time.Time `json:",omitempty"`
	Source   Source
	// YARA is the report's YARA rules as text ("" when it has none, at
	// most MaxReportYARA bytes) and PDF its document (nil when it has
	// none, at most MaxReportPDF bytes). Stores keep them apart from the
	// report and replace them with it: Report and the listings leave them
	// empty; the store's ReportFilesReader reads them.
	YARA string `json:"-"`
	PDF  []byte `json:"-"`
}

// ReportLink ties an address to a report that names it as an indicator.
// Merge: keyed by (IP, ReportID).
type ReportLink struct {
	IP       netip.Addr
	ReportID string
	// Domain, when IP is not set, is a domain the report names: the
	// importer replaces the link by one link per address the domain
	// resolved to (passive DNS) before it reaches the store.
	Domain string `json:",omitempty"`
	Source Source
}

// Network-keyed records. A range that is not a CIDR is split into CIDRs by
// the importer; Start/End keep the range as published.

// CountryRange says which country an address range is delegated to.
// Merge: keyed by Prefix; the latest applied wins.
type CountryRange struct {
	Prefix  netip.Prefix
	Country string // ISO 3166-1 alpha-2, upper case
	Source  Source
}

// ASRange says which autonomous system originates a range.
// Merge: keyed by (Prefix, ASN); the latest applied wins.
type ASRange struct {
	Prefix      netip.Prefix
	ASN         uint32
	Description []string
	Source      Source
}

// WhoisNet is a WHOIS network object (inetnum / inet6num).
// Merge: keyed by Prefix; the latest applied wins.
type WhoisNet struct {
	Prefix      netip.Prefix // one CIDR of the object's range
	Type        string       // "inetnum" or "inet6num"
	Start, End  netip.Addr   // the object's whole range as published
	Name        string
	Description string // lines joined with "\r\n"
	Created     time.Time
	Changed     time.Time
	Country     string
	Contacts    []Contact
	Source      Source
}

// Contact is a WHOIS contact of a network.
type Contact struct {
	Address        []string
	OrganizationID string
	Name           string
	Role           string // ContactRole: "owner", "abuse", "admin", "tech"
	Type           string // ContactType: "organisation", "role", "person"
	Fax            string
	Phone          string
	Email          string
}

// NetListing is a feed listing a whole network (DROP, block lists): it puts
// every address inside in Category and is shown as a Network feed mask.
// Merge: keyed by (Prefix, Feed, Category); FirstSeen = min, LastSeen = max.
type NetListing struct {
	Prefix    netip.Prefix
	Category  Category
	Zone      Zone
	Feed      string
	FirstSeen time.Time
	LastSeen  time.Time
	Source    Source
}

// Allow marks a network as known benign (warninglists): Green, and feed
// listings inside it are shown as suppressed.
// Merge: keyed by (Prefix, List).
type Allow struct {
	Prefix netip.Prefix
	List   string
	Source Source
}

// Batch is a set of records applied to the store atomically.
type Batch struct {
	Sightings      []Sighting
	Listings       []Listing
	HostedURLs     []HostedURL
	Files          []FileDownload
	Resolutions    []Resolution
	Domains        []DomainInfo
	Masks          []FeedMask
	SpamEvents     []SpamEvent
	PhishingEvents []PhishingEvent
	Reports        []Report
	ReportLinks    []ReportLink
	Countries      []CountryRange
	ASRanges       []ASRange
	WhoisNets      []WhoisNet
	NetListings    []NetListing
	Allows         []Allow

	// Domains, web addresses and files (object.go).
	ObjectInfos    []ObjectInfo
	ObjectListings []ObjectListing
	Links          []Link
	FileHashes     []FileHashes
	Whois          []DomainWhois
}

// Len is the number of records in the batch.
func (b *Batch) Len() int {
	return len(b.Sightings) + len(b.Listings) + len(b.HostedURLs) + len(b.Files) +
		len(b.Resolutions) + len(b.Domains) + len(b.Masks) + len(b.SpamEvents) +
		len(b.PhishingEvents) + len(b.Reports) + len(b.ReportLinks) + len(b.Countries) +
		len(b.ASRanges) + len(b.WhoisNets) + len(b.NetListings) + len(b.Allows) +
		len(b.ObjectInfos) + len(b.ObjectListings) + len(b.Links) + len(b.FileHashes) + len(b.Whois)
}

// EachAddress calls fn with the address of every record that belongs to an
// address (sightings, listings, hosted URLs, files, resolutions, masks,
// spam and phishing events, report links), as the record holds it, in that
// order; an address is passed once per record.
func (b *Batch) EachAddress(fn func(netip.Addr)) {
	for i := range b.Sightings {
		fn(b.Sightings[i].IP)
	}
	for i := range b.Listings {
		fn(b.Listings[i].IP)
	}
	for i := range b.HostedURLs {
		fn(b.HostedURLs[i].IP)
	}
	for i := range b.Files {
		fn(b.Files[i].IP)
	}
	for i := range b.Resolutions {
		fn(b.Resolutions[i].IP)
	}
	for i := range b.Masks {
		fn(b.Masks[i].IP)
	}
	for i := range b.SpamEvents {
		fn(b.SpamEvents[i].IP)
	}
	for i := range b.PhishingEvents {
		fn(b.PhishingEvents[i].IP)
	}
	for i := range b.ReportLinks {
		fn(b.ReportLinks[i].IP)
	}
}

// HasNetworkData reports whether the batch changes network-keyed data.
func (b *Batch) HasNetworkData() bool {
	return len(b.Countries)+len(b.ASRanges)+len(b.WhoisNets)+len(b.NetListings)+len(b.Allows) > 0
}

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() {
	b.Sightings = b.Sightings[:0]
	b.Listings = b.Listings[:0]
	b.HostedURLs = b.HostedURLs[:0]
	b.Files = b.Files[:0]
	b.Resolutions = b.Resolutions[:0]
	b.Domains = b.Domains[:0]
	b.Masks = b.Masks[:0]
	b.SpamEvents = b.SpamEvents[:0]
	b.PhishingEvents = b.PhishingEvents[:0]
	b.Reports = b.Reports[:0]
	b.ReportLinks = b.ReportLinks[:0]
	b.Countries = b.Countries[:0]
	b.ASRanges = b.ASRanges[:0]
	b.WhoisNets = b.WhoisNets[:0]
	b.NetListings = b.NetListings[:0]
	b.Allows = b.Allows[:0]
	b.ObjectInfos = b.ObjectInfos[:0]
	b.ObjectListings = b.ObjectListings[:0]
	b.Links = b.Links[:0]
	b.FileHashes = b.FileHashes[:0]
	b.Whois = b.Whois[:0]
}

// URLKey is the key a web address is stored under: the normalised URL
// without its "http://" or "https://" scheme (the HostedUrls form).
func URLKey(u string) string {
	for _, p := range []string{"http://", "https://"} {
		if len(u) >= len(p) && equalFold(u[:len(p)], p) {
			return u[len(p):]
		}
	}
	return u
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// DetectedOn is the detection date of indicator x of r: its own, else the
// report's Updated, else its Published date.
func (r *Report) DetectedOn(x string) time.Time {
	if t, ok := r.Detected[x]; ok {
		return t
	}
	if !r.Updated.IsZero() {
		return r.Updated
	}
	return r.Published
}
