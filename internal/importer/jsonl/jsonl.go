// Package jsonl parses tipd's native import format (-format jsonl): one JSON
// object per line, whose "kind" field selects the record type. It covers
// every kind of evidence tipd keeps, including telemetry that has no public
// format. docs/import-format.md documents every kind and field.
package jsonl

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// The record kinds.
const (
	KindSighting   = "sighting"
	KindListing    = "listing"
	KindURL        = "url"
	KindFile       = "file"
	KindResolution = "resolution"
	KindDomain     = "domain"
	KindMask       = "mask"
	KindSpam       = "spam"
	KindPhishing   = "phishing"
	KindReport     = "report"
	KindReportLink = "report_link"
	KindCountry    = "country"
	KindASN        = "asn"
	KindWhois      = "whois"
	KindNetListing = "netlisting"
	KindAllow      = "allow"

	// Domains, web addresses and files (objects.go).
	KindObject        = "object"
	KindObjectListing = "object_listing"
	KindLink          = "link"
	KindFileInfo      = "file_info"
	KindFileAccess    = "file_access"
	KindFileRelation  = "file_relation"
	KindReferral      = "referral"
	KindDomainWhois   = "domain_whois"
	KindDetection     = "detection"
	KindCertificate   = "certificate"
)

// Kinds lists every record kind.
func Kinds() []string {
	return []string{KindSighting, KindListing, KindURL, KindFile, KindResolution, KindDomain,
		KindMask, KindSpam, KindPhishing, KindReport, KindReportLink, KindCountry, KindASN,
		KindWhois, KindNetListing, KindAllow, KindObject, KindObjectListing, KindLink, KindFileInfo,
		KindFileAccess, KindFileRelation, KindReferral, KindDomainWhois, KindDetection, KindCertificate}
}

// Record is one line of the format: the union of the fields of every kind.
// Which fields a kind reads is documented in docs/import-format.md; fields a
// kind does not read are ignored. Writers (the generator) fill it and encode
// it with json.Marshal.
type Record struct {
	Kind string `json:"kind"`

	IP  string   `json:"ip,omitempty"`
	IPs []string `json:"ips,omitempty"` // report: addresses named as indicators

	Range string `json:"range,omitempty"` // CIDR, "start - end" or one address

	Day  string `json:"day,omitempty"`  // sighting
	Hits *int64 `json:"hits,omitempty"` // sighting, url, file, resolution

	Category   string   `json:"category,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Zone       string   `json:"zone,omitempty"`
	Feed       string   `json:"feed,omitempty"`
	Feeds      []string `json:"feeds,omitempty"`
	List       string   `json:"list,omitempty"` // allow

	FirstSeen string `json:"first_seen,omitempty"`
	LastSeen  string `json:"last_seen,omitempty"`

	URL       string `json:"url,omitempty"`
	MD5       string `json:"md5,omitempty"`
	Detection string `json:"detection,omitempty"`

	Domain    string `json:"domain,omitempty"`
	DailyPeak *int64 `json:"daily_peak,omitempty"`
	PeakDate  string `json:"peak_date,omitempty"`

	Mask     string `json:"mask,omitempty"`
	MaskType string `json:"mask_type,omitempty"`

	ID           string   `json:"id,omitempty"` // spam, phishing, report
	Time         string   `json:"time,omitempty"`
	Type         string   `json:"type,omitempty"` // spam type, report type, whois type
	Region       string   `json:"region,omitempty"`
	Kit          string   `json:"kit,omitempty"`
	StolenData   []string `json:"stolen_data,omitempty"`
	Industry     string   `json:"industry,omitempty"`
	Organization string   `json:"organization,omitempty"`

	Report      string          `json:"report,omitempty"` // report_link: the report id
	Title       string          `json:"title,omitempty"`
	Description json.RawMessage `json:"description,omitempty"` // a string or a list of lines
	Published   string          `json:"published,omitempty"`
	Updated     string          `json:"updated,omitempty"`
	Tags        []string        `json:"tags,omitempty"`
	Industries  []string        `json:"industries,omitempty"`
	Geo         []string        `json:"geo,omitempty"`
	Actors      []string        `json:"actors,omitempty"`

	Country  string    `json:"country,omitempty"`
	ASN      *uint32   `json:"asn,omitempty"`
	Name     string    `json:"name,omitempty"`
	Created  string    `json:"created,omitempty"`
	Changed  string    `json:"changed,omitempty"`
	Contacts []Contact `json:"contacts,omitempty"`

	// Domains, web addresses and files (objects.go).
	Hash         string   `json:"hash,omitempty"` // MD5, SHA-1 or SHA-256
	SHA1         string   `json:"sha1,omitempty"`
	SHA256       string   `json:"sha256,omitempty"`
	Owner        string   `json:"owner,omitempty"` // link
	Item         string   `json:"item,omitempty"`  // link
	Attrs        []string `json:"attrs,omitempty"` // link
	Size         *int64   `json:"size,omitempty"`  // file_info
	Packer       string   `json:"packer,omitempty"`
	Signer       string   `json:"signer,omitempty"`
	SignerStatus string   `json:"signer_status,omitempty"`
	Names        []string `json:"names,omitempty"`    // file_info: names the file was seen under
	Relation     string   `json:"relation,omitempty"` // file_relation, certificate
	TargetMD5    string   `json:"target_md5,omitempty"`
	TargetURL    string   `json:"target_url,omitempty"`
	Location     string   `json:"location,omitempty"`
	Path         string   `json:"path,omitempty"`
	Method       string   `json:"method,omitempty"`          // detection
	DescURL      string   `json:"description_url,omitempty"` // detection
	Serial       string   `json:"serial,omitempty"`          // certificate
	Vendor       string   `json:"vendor,omitempty"`
	Publisher    string   `json:"publisher,omitempty"`
	TimeStamp    string   `json:"time_stamp,omitempty"`
	Issued       string   `json:"issued,omitempty"`
	Expires      string   `json:"expires,omitempty"` // certificate, domain_whois

	NameServers     []string `json:"name_servers,omitempty"` // domain_whois
	Status          []string `json:"status,omitempty"`
	Registrar       string   `json:"registrar,omitempty"`
	RegistrarID     string   `json:"registrar_id,omitempty"`
	RegistrarEmail  string   `json:"registrar_email,omitempty"`
	RegistrationOrg string   `json:"registration_organization,omitempty"`
}

// Contact is a WHOIS contact inside a whois or domain_whois record; the
// fields after Email are read by domain_whois only.
type Contact struct {
	Address        []string `json:"address,omitempty"`
	OrganizationID string   `json:"organization_id,omitempty"`
	Name           string   `json:"name,omitempty"`
	Role           string   `json:"role,omitempty"`
	Type           string   `json:"type,omitempty"`
	Fax            string   `json:"fax,omitempty"`
	Phone          string   `json:"phone,omitempty"`
	Email          string   `json:"email,omitempty"`
	Organization   string   `json:"organization,omitempty"`
	City           string   `json:"city,omitempty"`
	State          string   `json:"state,omitempty"`
	PostalCode     string   `json:"postal_code,omitempty"`
	CountryCode    string   `json:"country_code,omitempty"`
}

// Description builds the description field from lines (one line: a string).
func Description(lines ...string) json.RawMessage {
	var v any = lines
	if len(lines) == 1 {
		v = lines[0]
	}
	b, _ := json.Marshal(v)
	return b
}

// Parser parses the native format. The zero value is not ready: use New.
type Parser struct {
	feed     string
	category intel.Category
	rec      Record
}

// New returns a parser; o.Feed and o.Category are the feed and category of
// listing records that name none.
func New(o importer.ParserConfig) *Parser {
	return &Parser{feed: o.Feed, category: o.Category}
}

// Parse implements importer.Parser. Blank lines and lines starting with '#'
// hold no record.
func (p *Parser) Parse(line []byte, _ int, b *intel.Batch) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	if bytes.Contains(line, []byte(`\u0000`)) {
		return fmt.Errorf("NUL character in a string")
	}
	r := &p.rec
	*r = Record{}
	if err := decode(line, r); err != nil {
		return fmt.Errorf("not a JSON object of the format: %w", err)
	}
	if err := p.record(r, b); err != nil {
		if r.Kind != "" {
			return fmt.Errorf("%s: %w", r.Kind, err)
		}
		return err
	}
	return nil
}

func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if ok := asType(err, &te); ok && te.Field != "" {
		return fmt.Sprintf("field %q: want %s, got %s", te.Field, te.Type, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func asType(err error, te **json.UnmarshalTypeError) bool {
	e, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = e
	}
	return ok
}

// record converts one decoded line with the method named after its kind
// (sighting, listing, …).
func (p *Parser) record(r *Record, b *intel.Batch) error {
	if conv := converters[r.Kind]; conv != nil {
		return conv(p, r, b)
	}
	if r.Kind == "" {
		return fmt.Errorf("missing field %q", "kind")
	}
	return fmt.Errorf("unknown kind %q (want one of %s)", clip(r.Kind), strings.Join(Kinds(), ", "))
}

// converters maps each kind to its method.
var converters = map[string]func(*Parser, *Record, *intel.Batch) error{
	KindSighting: (*Parser).sighting, KindListing: (*Parser).listing, KindURL: (*Parser).url,
	KindFile: (*Parser).file, KindResolution: (*Parser).resolution, KindDomain: (*Parser).domain,
	KindMask: (*Parser).mask, KindSpam: (*Parser).spam, KindPhishing: (*Parser).phishing,
	KindReport: (*Parser).report, KindReportLink: (*Parser).reportLink, KindCountry: (*Parser).country,
	KindASN: (*Parser).asn, KindWhois: (*Parser).whois, KindNetListing: (*Parser).netListing,
	KindAllow: (*Parser).allow, KindObject: (*Parser).object, KindObjectListing: (*Parser).objectListing,
	KindLink: (*Parser).link, KindFileInfo: (*Parser).fileInfo, KindFileAccess: (*Parser).fileAccess,
	KindFileRelation: (*Parser).fileRelation, KindReferral: (*Parser).referral, KindDomainWhois: (*Parser).domainWhois,
	KindDetection: (*Parser).detection, KindCertificate: (*Parser).certificate,
}

func (p *Parser) sighting(r *Record, b *intel.Batch) error {
	var f fields
	ip := f.addr("ip", r.IP)
	day := f.date("day", r.Day, true)
	f.require(r.Hits != nil, "hits")
	hits := f.count("hits", r.Hits, 0)
	if f.err != nil {
		return f.err
	}
	b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: day.Truncate(24 * time.Hour), Hits: hits})
	return nil
}

func (p *Parser) listing(r *Record, b *intel.Batch) error {
	var f fields
	ip := f.addr("ip", r.IP)
	cat := f.category(p, r.Category)
	feed := f.feed(p, r.Feed)
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	b.Listings = append(b.Listings, intel.Listing{IP: ip, Category: cat, Feed: feed, FirstSeen: first, LastSeen: last})
	return nil
}

func (p *Parser) url(r *Record, b *intel.Batch) error {
	var f fields
	key, truncated, host := f.webAddress(r.URL)
	ip := f.hostAddr(r.IP, host)
	cats := f.categories(r.Categories)
	zone := f.zone(r.Zone, cats)
	hits := f.count("hits", r.Hits, 1)
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: key, Zone: zone, Categories: cats,
		Hits: hits, Truncated: truncated, FirstSeen: first, LastSeen: last})
	p.objectCategories(intel.ObjectURL, key, cats, r.Feed, first, last, b)
	return nil
}

// objectCategories lists the web address of a url record in its
// categories for the URL lookup, under the record's feed (or -feed; none:
// no feed name).
func (p *Parser) objectCategories(kind intel.ObjectKind, key string, cats []intel.Category, feed string, first, last time.Time, b *intel.Batch) {
	feed = cmp.Or(strings.TrimSpace(feed), p.feed)
	for _, c := range cats {
		b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: kind, Key: key, Category: c, Feed: feed,
			FirstSeen: first, LastSeen: last})
	}
}

func (p *Parser) file(r *Record, b *intel.Batch) error {
	var f fields
	md5 := f.md5(r.MD5)
	key, _, host := f.webAddress(r.URL)
	ip := f.hostAddr(r.IP, host)
	zone := f.zone(r.Zone, nil)
	hits := f.count("hits", r.Hits, 1)
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: md5, URL: schemeOf(r.URL) + "://" + key, Zone: zone,
		DetectionName: strings.TrimSpace(r.Detection), Hits: hits, FirstSeen: first, LastSeen: last})
	return nil
}

func (p *Parser) resolution(r *Record, b *intel.Batch) error {
	var f fields
	ip := f.addr("ip", r.IP)
	d := f.domain(r.Domain)
	hits := f.count("hits", r.Hits, 1)
	peak := f.count("daily_peak", r.DailyPeak, 0)
	peakDate := f.date("peak_date", r.PeakDate, false)
	if f.err == nil && peak > hits {
		f.err = fmt.Errorf("daily_peak %d larger than hits %d", peak, hits)
	}
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: d, FirstSeen: first, LastSeen: last,
		Hits: hits, DailyPeak: peak, PeakDate: truncDay(peakDate)})
	return nil
}

func (p *Parser) domain(r *Record, b *intel.Batch) error {
	var f fields
	d := f.domain(r.Domain)
	cats := f.categories(r.Categories)
	zone := f.zone(r.Zone, cats)
	if f.err != nil {
		return f.err
	}
	// The domain lookup's listings derive from it (intel.Batch.AddObjects),
	// under its feed.
	b.Domains = append(b.Domains, intel.DomainInfo{Domain: d, Zone: zone, Categories: cats,
		Source: intel.Source{Feed: cmp.Or(strings.TrimSpace(r.Feed), p.feed)}})
	return nil
}

func (p *Parser) spam(r *Record, b *intel.Batch) error {
	var f fields
	ip := f.addr("ip", r.IP)
	f.require(r.ID != "", "id")
	t := f.date("time", r.Time, true)
	if f.err != nil {
		return f.err
	}
	b.SpamEvents = append(b.SpamEvents, intel.SpamEvent{IP: ip, ID: r.ID, Time: t, Type: strings.TrimSpace(r.Type)})
	return nil
}

func (p *Parser) phishing(r *Record, b *intel.Batch) error {
	var f fields
	ip := f.addr("ip", r.IP)
	f.require(r.ID != "", "id")
	t := f.date("time", r.Time, true)
	region := f.country("region", r.Region, false)
	if f.err != nil {
		return f.err
	}
	b.PhishingEvents = append(b.PhishingEvents, intel.PhishingEvent{IP: ip, ID: r.ID, Time: t, Region: region,
		Kit: r.Kit, StolenData: r.StolenData, Industry: r.Industry, Organization: r.Organization})
	return nil
}

func (p *Parser) reportLink(r *Record, b *intel.Batch) error {
	var f fields
	ip := f.addr("ip", r.IP)
	f.require(r.Report != "", "report")
	if f.err != nil {
		return f.err
	}
	b.ReportLinks = append(b.ReportLinks, intel.ReportLink{IP: ip, ReportID: r.Report})
	return nil
}

func (p *Parser) country(r *Record, b *intel.Batch) error {
	var f fields
	_, _, prefixes := f.rangeOf(r.Range)
	cc := f.country("country", r.Country, true)
	if f.err != nil {
		return f.err
	}
	for _, pf := range prefixes {
		b.Countries = append(b.Countries, intel.CountryRange{Prefix: pf, Country: cc})
	}
	return nil
}

func (p *Parser) asn(r *Record, b *intel.Batch) error {
	var f fields
	_, _, prefixes := f.rangeOf(r.Range)
	f.require(r.ASN != nil, "asn")
	desc := f.lines(r.Description)
	if f.err != nil {
		return f.err
	}
	for _, pf := range prefixes {
		b.ASRanges = append(b.ASRanges, intel.ASRange{Prefix: pf, ASN: *r.ASN, Description: desc})
	}
	return nil
}

func (p *Parser) netListing(r *Record, b *intel.Batch) error {
	var f fields
	_, _, prefixes := f.rangeOf(r.Range)
	cat := f.category(p, r.Category)
	czone, _ := intel.CategoryZone(cat)
	zone := f.zone(r.Zone, []intel.Category{cat})
	if r.Zone == "" {
		zone = czone
	}
	feed := f.feed(p, r.Feed)
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	for _, pf := range prefixes {
		b.NetListings = append(b.NetListings, intel.NetListing{Prefix: pf, Category: cat, Zone: zone, Feed: feed,
			FirstSeen: first, LastSeen: last})
	}
	return nil
}

func (p *Parser) allow(r *Record, b *intel.Batch) error {
	var f fields
	_, _, prefixes := f.rangeOf(r.Range)
	list := r.List
	if list == "" {
		list = r.Feed
	}
	if list == "" {
		list = p.feed
	}
	f.require(list != "", "list")
	if f.err != nil {
		return f.err
	}
	for _, pf := range prefixes {
		b.Allows = append(b.Allows, intel.Allow{Prefix: pf, List: list})
	}
	return nil
}

func (p *Parser) mask(r *Record, b *intel.Batch) error {
	mt := r.MaskType
	if mt == "" {
		return fmt.Errorf("missing field %q", "mask_type")
	}
	var mask, host string
	switch mt {
	case intel.MaskHost:
		key, _, h, err := webAddress(r.Mask)
		if err != nil {
			return fmt.Errorf("mask: %w", err)
		}
		if key != h && !(strings.HasPrefix(key, "[") && key == "["+h+"]") {
			return fmt.Errorf("mask %q of type Host is not a bare host", clip(r.Mask))
		}
		mask, host = key, h
	case intel.MaskURLPrefix, intel.MaskURL:
		key, truncated, h, err := webAddress(r.Mask)
		if err != nil {
			return fmt.Errorf("mask: %w", err)
		}
		if truncated {
			return fmt.Errorf("mask %q holds private data (user, token or e-mail)", clip(r.Mask))
		}
		if mt == intel.MaskURLPrefix && strings.HasSuffix(r.Mask, "/") && !strings.HasSuffix(key, "/") {
			key += "/"
		}
		mask, host = key, h
	case intel.MaskNetwork:
		return fmt.Errorf("mask_type %q: publish networks as kind %q", mt, KindNetListing)
	default:
		return fmt.Errorf("unknown mask_type %q (want %s, %s or %s)", clip(mt), intel.MaskHost, intel.MaskURLPrefix, intel.MaskURL)
	}
	var f fields
	ip := f.hostAddr(r.IP, host)
	zone := f.zone(r.Zone, nil)
	if f.err == nil && zone.FeedStatus() == "" {
		return fmt.Errorf("zone %q is not a feed zone (want Red, Orange or Yellow)", zone)
	}
	feeds := r.Feeds
	if r.Feed != "" {
		feeds = append(feeds, r.Feed)
	}
	if len(feeds) == 0 {
		f.require(p.feed != "", "feeds")
		feeds = []string{p.feed}
	}
	last := f.date("last_seen", r.LastSeen, false)
	if f.err != nil {
		return f.err
	}
	b.Masks = append(b.Masks, intel.FeedMask{IP: ip, Mask: mask, MaskType: mt, Zone: zone, Feeds: feeds, LastSeen: last})
	return nil
}

func (p *Parser) report(r *Record, b *intel.Batch) error {
	if r.ID == "" {
		return fmt.Errorf("missing field %q", "id")
	}
	switch r.Type {
	case intel.ReportAPT, intel.ReportCrimeware, intel.ReportICS:
	case "":
		return fmt.Errorf("missing field %q", "type")
	default:
		return fmt.Errorf("unknown report type %q (want %s, %s or %s)", clip(r.Type), intel.ReportAPT, intel.ReportCrimeware, intel.ReportICS)
	}
	var f fields
	f.require(r.Title != "", "title")
	desc := f.lines(r.Description)
	pub := f.date("published", r.Published, true)
	upd := f.date("updated", r.Updated, false)
	geo := make([]string, 0, len(r.Geo))
	for _, g := range r.Geo {
		geo = append(geo, f.country("geo", g, true))
	}
	ips := make([]netip.Addr, 0, len(r.IPs))
	var indicators []string
	for _, s := range r.IPs {
		ip := f.addr("ips", s)
		ips = append(ips, ip)
		if len(indicators) < intel.MaxReportIndicators {
			indicators = append(indicators, ip.String())
		}
	}
	if f.err != nil {
		return f.err
	}
	b.Reports = append(b.Reports, intel.Report{ID: r.ID, Type: r.Type, Title: r.Title,
		Description: strings.Join(desc, "\n"), Published: pub, Updated: upd, Tags: r.Tags,
		Industries: r.Industries, Geo: geo, Actors: r.Actors, Indicators: indicators})
	for _, ip := range ips {
		b.ReportLinks = append(b.ReportLinks, intel.ReportLink{IP: ip, ReportID: r.ID})
	}
	return nil
}

func (p *Parser) whois(r *Record, b *intel.Batch) error {
	start, end, prefixes, err := rangeOf(r.Range)
	if err != nil {
		return err
	}
	typ := r.Type
	switch typ {
	case "":
		typ = "inetnum"
		if start.Is6() {
			typ = "inet6num"
		}
	case "inetnum", "inet6num":
		if (typ == "inetnum") != start.Is4() {
			return fmt.Errorf("type %q does not match the range's address family", typ)
		}
	default:
		return fmt.Errorf("unknown whois type %q (want inetnum or inet6num)", clip(typ))
	}
	var f fields
	f.require(r.Name != "", "name")
	desc := f.lines(r.Description)
	created := f.date("created", r.Created, false)
	changed := f.date("changed", r.Changed, false)
	cc := f.country("country", r.Country, false)
	if f.err != nil {
		return f.err
	}
	contacts := make([]intel.Contact, 0, len(r.Contacts))
	for i, c := range r.Contacts {
		if c.Name == "" && c.OrganizationID == "" {
			return fmt.Errorf("contact %d: missing field %q", i+1, "name")
		}
		contacts = append(contacts, intel.Contact{Address: c.Address, OrganizationID: c.OrganizationID, Name: c.Name,
			Role: c.Role, Type: c.Type, Fax: c.Fax, Phone: c.Phone, Email: c.Email})
	}
	for _, pf := range prefixes {
		b.WhoisNets = append(b.WhoisNets, intel.WhoisNet{Prefix: pf, Type: typ, Start: start, End: end, Name: r.Name,
			Description: strings.Join(desc, "\r\n"), Created: created, Changed: changed, Country: cc, Contacts: contacts})
	}
	return nil
}

// fields reads the fields of one record, keeping the first error: a kind's
// method calls its readers in the order of its checks and tests f.err once.
// A reader called after an error returns its zero value.
type fields struct{ err error }

// fail records err unless an earlier error is kept.
func (f *fields) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// require fails with "missing field" when ok is false.
func (f *fields) require(ok bool, field string) {
	if !ok && f.err == nil {
		f.err = fmt.Errorf("missing field %q", field)
	}
}

func (f *fields) category(p *Parser, s string) intel.Category {
	if f.err != nil {
		return ""
	}
	if s == "" {
		f.require(p.category != "", "category")
		return p.category
	}
	c := intel.Category(s)
	if _, ok := intel.CategoryZone(c); !ok {
		f.fail(fmt.Errorf("unknown category %q", clip(s)))
	}
	return c
}

func (f *fields) feed(p *Parser, s string) string {
	if s = strings.TrimSpace(s); s != "" || f.err != nil {
		return s
	}
	if p.feed == "" {
		f.fail(fmt.Errorf("missing field %q (or -feed)", "feed"))
	}
	return p.feed
}

func (f *fields) categories(in []string) []intel.Category {
	if len(in) == 0 || f.err != nil {
		return nil
	}
	out := make([]intel.Category, 0, len(in))
	for _, s := range in {
		c := intel.Category(s)
		if _, ok := intel.CategoryZone(c); !ok {
			f.fail(fmt.Errorf("unknown category %q", clip(s)))
			return nil
		}
		out = append(out, c)
	}
	return out
}

// zone validates a zone; without one, the most severe zone of the
// categories, or Grey.
func (f *fields) zone(s string, cats []intel.Category) intel.Zone {
	if s != "" {
		z := intel.Zone(s)
		if !z.Valid() {
			f.fail(fmt.Errorf("zone %q not valid (want Red, Orange, Yellow, Grey or Green)", clip(s)))
		}
		return z
	}
	z := intel.ZoneGrey
	for _, c := range cats {
		if cz, ok := intel.CategoryZone(c); ok && cz != intel.ZoneGreen {
			z = intel.MaxZone(z, cz)
		}
	}
	return z
}

func (f *fields) addr(field, s string) netip.Addr {
	if f.err != nil {
		return netip.Addr{}
	}
	if s == "" {
		f.require(false, field)
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		f.fail(fmt.Errorf("bad address %q in %q", clip(s), field))
	} else if a.Zone() != "" {
		f.fail(fmt.Errorf("bad address %q in %q: has a zone", clip(s), field))
	}
	return a.Unmap()
}

// hostAddr is the address a web address is seen on: the "ip" field, else
// the host when it is an IP literal, else none (the importer attaches it to
// the domain's addresses).
func (f *fields) hostAddr(ipField, host string) netip.Addr {
	if f.err != nil {
		return netip.Addr{}
	}
	hostIP, herr := netip.ParseAddr(host)
	if ipField == "" {
		if herr == nil {
			return hostIP.Unmap()
		}
		return netip.Addr{}
	}
	ip := f.addr("ip", ipField)
	if f.err == nil && herr == nil && hostIP.Unmap() != ip {
		f.fail(fmt.Errorf("ip %s is not the web address's host %s", ip, hostIP))
	}
	return ip
}

func (f *fields) webAddress(s string) (key string, truncated bool, host string) {
	key, truncated, host, err := webAddress(s)
	f.fail(err)
	return key, truncated, host
}

func webAddress(s string) (key string, truncated bool, host string, err error) {
	if s == "" {
		return "", false, "", fmt.Errorf("missing field %q", "url")
	}
	key, truncated, err = intel.NormalizeURL(s)
	if err != nil {
		return "", false, "", err
	}
	return key, truncated, intel.URLHost(key), nil
}

// schemeOf is the lower-cased scheme of a web address ("http" if absent).
func schemeOf(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 8 && strings.EqualFold(s[:8], "https://") {
		return "https"
	}
	return "http"
}

func (f *fields) domain(s string) string {
	if f.err != nil {
		return ""
	}
	if s == "" {
		f.require(false, "domain")
		return ""
	}
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		f.fail(fmt.Errorf("bad domain %q: an address", clip(s)))
		return ""
	}
	key, err := intel.NormalizeDomain(s)
	if err != nil {
		f.fail(fmt.Errorf("bad domain %q", clip(s)))
	}
	return key
}

func (f *fields) md5(s string) string {
	if s == "" {
		f.require(false, "md5")
		return ""
	}
	bad := len(s) != 32
	out := []byte(s)
	for i, c := range out {
		switch {
		case bad:
		case '0' <= c && c <= '9', 'A' <= c && c <= 'F':
		case 'a' <= c && c <= 'f':
			out[i] = c - 'a' + 'A'
		default:
			bad = true
		}
	}
	if bad {
		f.fail(fmt.Errorf("bad md5 %q: want 32 hex digits", clip(s)))
	}
	return string(out)
}

func (f *fields) country(field, s string, required bool) string {
	if s == "" || f.err != nil {
		f.require(!required, field)
		return ""
	}
	if len(s) != 2 || !isLetter(s[0]) || !isLetter(s[1]) {
		f.fail(fmt.Errorf("bad country code %q in %q: want ISO 3166-1 alpha-2", clip(s), field))
	}
	return strings.ToUpper(s)
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func (f *fields) count(field string, v *int64, def int64) int64 {
	if v == nil {
		return def
	}
	if *v < 0 {
		f.fail(fmt.Errorf("negative %s %d", field, *v))
	}
	return *v
}

// date parses a date field (importer.Date).
func (f *fields) date(field, s string, required bool) time.Time {
	if f.err != nil {
		return time.Time{}
	}
	t, err := importer.Date(field, s, required)
	f.fail(err)
	return t
}

func truncDay(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// seen parses first_seen and last_seen; one given alone stands for both.
func (f *fields) seen(r *Record) (first, last time.Time) {
	first = f.date("first_seen", r.FirstSeen, false)
	last = f.date("last_seen", r.LastSeen, false)
	switch {
	case f.err != nil:
	case first.IsZero():
		first = last
	case last.IsZero():
		last = first
	case last.Before(first):
		f.fail(fmt.Errorf("last_seen %s before first_seen %s", r.LastSeen, r.FirstSeen))
	}
	return first, last
}

func (f *fields) rangeOf(s string) (start, end netip.Addr, prefixes []netip.Prefix) {
	start, end, prefixes, err := rangeOf(s)
	f.fail(err)
	return start, end, prefixes
}

func rangeOf(s string) (netip.Addr, netip.Addr, []netip.Prefix, error) {
	if s == "" {
		return netip.Addr{}, netip.Addr{}, nil, fmt.Errorf("missing field %q", "range")
	}
	return importer.ParseRange(s)
}

// lines decodes a description: a string (split at line breaks) or a list.
func (f *fields) lines(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" || f.err != nil {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			f.fail(fmt.Errorf("bad description: %s", jsonReason(err)))
			return nil
		}
		s = strings.ReplaceAll(s, "\r\n", "\n")
		return strings.Split(s, "\n")
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		f.fail(fmt.Errorf("bad description: want a string or a list of strings"))
	}
	return l
}

// clip shortens a value for an error message.
var clip = importer.Clip
