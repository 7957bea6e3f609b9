package stix

// tipd's own bundles (internal/render/stix.go, docs/stix.md) carry their
// verdicts and list sections in x_tipd_ custom properties and in
// relationships other producers seldom write (resolves-to, related-to
// between a web address or a file and an address, based-on). This file
// maps them back to evidence, as far as the store's records can hold them;
// docs/stix.md ("Import of tipd's own bundles") lists what survives.
//
// An object is tipd's when it carries x_tipd_zone: tipd writes it on every
// observable and indicator it makes. Standard relationships that mean the
// same from any producer (resolves-to, belongs-to, located-at) are read
// from every bundle.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// tipdProps are the custom properties of tipd's objects that the importer
// reads.
type tipdProps struct {
	XZone       string      `json:"x_tipd_zone"`
	XHits       *int64      `json:"x_tipd_hits"`
	XFirstSeen  string      `json:"x_tipd_first_seen"`
	XLastSeen   string      `json:"x_tipd_last_seen"`
	XTruncated  bool        `json:"x_tipd_is_truncated"`
	XDetection  string      `json:"x_tipd_detection_name"`
	XCategories xCategories `json:"x_tipd_categories"`
	XMasks      []xMask     `json:"x_tipd_feed_masks"`
	XWhois      *xWhois     `json:"x_tipd_whois"`
	XSpam       *xActivity  `json:"x_tipd_spam"`
	XPhishing   *xActivity  `json:"x_tipd_phishing"`
	XDownload   string      `json:"x_tipd_download_url"`
	XRelation   string      `json:"x_tipd_relation"`
	XDailyPeak  *int64      `json:"x_tipd_daily_peak"`
	XPeakDate   string      `json:"x_tipd_peak_date"`
	XReportType string      `json:"x_tipd_report_type"`
}

// xCategories is x_tipd_categories: category names (domain names) or
// {name, zone} objects (addresses, web addresses).
type xCategories []string

func (c *xCategories) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New(`field "x_tipd_categories": want a list`)
	}
	for _, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil {
			*c = append(*c, s)
			continue
		}
		var o struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(r, &o); err != nil || o.Name == "" {
			return errors.New(`field "x_tipd_categories": want names or {"name", "zone"} objects`)
		}
		*c = append(*c, o.Name)
	}
	return nil
}

type xMask struct {
	Mask     string   `json:"mask"`
	MaskType string   `json:"mask_type"`
	Zone     string   `json:"zone"`
	Feeds    []string `json:"feeds"`
	LastSeen string   `json:"last_seen"`
}

type xWhois struct {
	Type string `json:"type"`
	Net  *struct {
		RangeStart  string `json:"range_start"`
		RangeEnd    string `json:"range_end"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Created     string `json:"created"`
		Changed     string `json:"changed"`
	} `json:"net"`
	Contacts []struct {
		Name           string   `json:"name"`
		OrganizationID string   `json:"organization_id"`
		Role           string   `json:"role"`
		Type           string   `json:"type"`
		Email          string   `json:"email"`
		Phone          string   `json:"phone"`
		Fax            string   `json:"fax"`
		Address        []string `json:"address"`
	} `json:"contacts"`
}

// xActivity is the date of x_tipd_spam and x_tipd_phishing, the only part
// the importer uses (their events are not in the bundle).
type xActivity struct {
	LastAttack string `json:"last_attack"`
}

// tipdZone parses x_tipd_zone. Green becomes Grey: a bundle never makes
// anything Green (see indicatorTypes).
func tipdZone(s string) (intel.Zone, error) {
	z := intel.Zone(s)
	if !z.Valid() {
		return "", fmt.Errorf("bad x_tipd_zone %q", clip(s))
	}
	if z == intel.ZoneGreen {
		z = intel.ZoneGrey
	}
	return z, nil
}

// tipdObservable reads the custom properties of an observable tipd wrote
// into c, and puts what the object makes by itself (its feed masks, its
// WHOIS network, its hits as a sighting) in the direct records.
func (p *Parser) tipdObservable(x *bundle, n int, o *object, c *ioc) error {
	zone, err := tipdZone(o.XZone)
	if err != nil {
		return err
	}
	c.tipd, c.zone = true, zone
	if o.XHits != nil {
		if *o.XHits < 0 {
			return fmt.Errorf("negative x_tipd_hits %d", *o.XHits)
		}
		c.hits = *o.XHits
	}
	first, err := stamp("x_tipd_first_seen", o.XFirstSeen)
	if err != nil {
		return err
	}
	last, err := stamp("x_tipd_last_seen", o.XLastSeen)
	if err != nil {
		return err
	}
	if strings.IndexByte(o.XDetection, 0) >= 0 {
		return errors.New("a string holds a NUL character")
	}
	c.truncated = c.truncated || o.XTruncated
	c.detection = o.XDetection
	for _, name := range o.XCategories {
		cat := intel.Category(name)
		z, ok := intel.CategoryZone(cat)
		switch {
		case !ok:
			p.ignored.Add("unknown category in x_tipd_categories")
		case z == intel.ZoneGreen:
			p.ignored.Add("Green category in x_tipd_categories")
		case !slices.Contains(c.types, cat):
			c.types = append(c.types, cat)
		}
	}
	var ip netip.Addr
	if c.kind == kindIP && c.prefix.IsSingleIP() {
		ip = c.prefix.Addr()
	}
	for i := range o.XMasks {
		m, err := p.tipdMask(&o.XMasks[i], ip)
		if err != nil {
			return err
		}
		if m != nil {
			p.direct.Masks = append(p.direct.Masks, *m)
			last = latest(last, m.LastSeen)
		}
	}
	for _, a := range []*xActivity{o.XSpam, o.XPhishing} {
		if a == nil {
			continue
		}
		t, err := stamp("last_attack", a.LastAttack)
		if err != nil {
			return err
		}
		last = latest(last, t)
	}
	c.first, c.last = firstOf(first, last), latest(first, last)
	if c.kind != kindIP {
		return nil
	}
	if o.XWhois != nil {
		if err := p.tipdWhois(o.XWhois); err != nil {
			return err
		}
	}
	// The hits of the address, as one sighting on the day of its first
	// sighting: a later export of the same address replaces it.
	if ip.IsValid() && c.hits > 0 && !first.IsZero() {
		x.addObsSighting(n, ip, first.Truncate(24*time.Hour), c.hits)
	}
	return nil
}

// tipdMask maps an item of x_tipd_feed_masks to a feed mask of ip (of the
// mask's host when ip is not valid). Network masks stand for network
// listings whose category the bundle does not give: they are left out.
func (p *Parser) tipdMask(m *xMask, ip netip.Addr) (*intel.FeedMask, error) {
	switch m.MaskType {
	case intel.MaskHost, intel.MaskURLPrefix, intel.MaskURL:
	case intel.MaskNetwork:
		p.ignored.Add("network feed mask (its category is not in the bundle)")
		return nil, nil
	default:
		return nil, fmt.Errorf("x_tipd_feed_masks: bad mask_type %q", clip(m.MaskType))
	}
	key, truncated, err := intel.NormalizeURL(m.Mask)
	if err != nil || truncated {
		return nil, fmt.Errorf("x_tipd_feed_masks: bad mask %q", clip(m.Mask))
	}
	if m.MaskType == intel.MaskHost && key != intel.URLHost(key) && key != "["+intel.URLHost(key)+"]" {
		return nil, fmt.Errorf("x_tipd_feed_masks: mask %q of type Host is not a bare host", clip(m.Mask))
	}
	if m.MaskType == intel.MaskURLPrefix && strings.HasSuffix(m.Mask, "/") && !strings.HasSuffix(key, "/") {
		key += "/"
	}
	zone := intel.Zone(m.Zone)
	if !zone.Valid() || zone.FeedStatus() == "" {
		return nil, fmt.Errorf("x_tipd_feed_masks: zone %q is not a feed zone", clip(m.Zone))
	}
	last, err := stamp("last_seen", m.LastSeen)
	if err != nil {
		return nil, fmt.Errorf("x_tipd_feed_masks: %w", err)
	}
	var feeds []string
	for _, f := range m.Feeds {
		if f != "" && strings.IndexByte(f, 0) < 0 && !slices.Contains(feeds, f) {
			feeds = append(feeds, f)
		}
	}
	if len(feeds) == 0 {
		return nil, errors.New("x_tipd_feed_masks: a mask without feeds")
	}
	return &intel.FeedMask{IP: ip, Mask: key, MaskType: m.MaskType, Zone: zone, Feeds: feeds, LastSeen: last}, nil
}

// tipdWhois maps x_tipd_whois to the WHOIS network of its range (one record
// per CIDR of the range). Special-purpose blocks are not stored.
func (p *Parser) tipdWhois(w *xWhois) error {
	if w.Net == nil || (w.Type != "inetnum" && w.Type != "inet6num") {
		if w.Type != "reserved" {
			p.ignored.Add("x_tipd_whois without a network")
		}
		return nil
	}
	start, err1 := netip.ParseAddr(w.Net.RangeStart)
	end, err2 := netip.ParseAddr(w.Net.RangeEnd)
	if err1 != nil || err2 != nil || start.Is4() != end.Is4() || end.Less(start) {
		return fmt.Errorf("x_tipd_whois: bad range %q - %q", clip(w.Net.RangeStart), clip(w.Net.RangeEnd))
	}
	created, err := stamp("created", w.Net.Created)
	if err != nil {
		return fmt.Errorf("x_tipd_whois: %w", err)
	}
	changed, err := stamp("changed", w.Net.Changed)
	if err != nil {
		return fmt.Errorf("x_tipd_whois: %w", err)
	}
	var contacts []intel.Contact
	for _, c := range w.Contacts {
		contacts = append(contacts, intel.Contact{Address: c.Address, OrganizationID: c.OrganizationID, Name: c.Name,
			Role: c.Role, Type: c.Type, Fax: c.Fax, Phone: c.Phone, Email: c.Email})
	}
	for _, pfx := range importer.SplitRange(start, end) {
		p.direct.WhoisNets = append(p.direct.WhoisNets, intel.WhoisNet{Prefix: pfx, Type: w.Type, Start: start, End: end,
			Name: w.Net.Name, Description: w.Net.Description, Created: created, Changed: changed, Contacts: contacts})
	}
	return nil
}

// tipdReport returns the id and type of a report: tipd names its reports
// by their own id in an external reference (source "tipd") and gives their
// type in x_tipd_report_type.
func tipdReport(o *object) (id, typ string) {
	id = o.ID
	for _, r := range o.ExternalRefs {
		if r.SourceName == identityName && r.ExternalID != "" && strings.IndexByte(r.ExternalID, 0) < 0 {
			id = r.ExternalID
			break
		}
	}
	switch o.XReportType {
	case intel.ReportAPT, intel.ReportCrimeware, intel.ReportICS:
		typ = o.XReportType
	}
	return id, typ
}

// identityName is the name of tipd's identity and the source name of its
// external references.
const identityName = "tipd"

// relData is what the importer keeps of a relationship that may make
// evidence by itself (not through a malware or threat actor).
type relData struct {
	typ         string
	first, last time.Time
	hits        int64
	dailyPeak   int64
	peakDate    time.Time
	download    string
}

func relDataOf(o *object, created, modified time.Time) (*relData, error) {
	d := &relData{typ: o.RelationshipType, download: o.XDownload}
	if o.XRelation != "" {
		// tipd's link of another list section (accessed, refers-to,
		// started-by, …): not a download or a hosted web address, and not
		// evidence this importer keeps.
		d.typ += "/" + o.XRelation
	}
	var ts [4]time.Time
	for i, f := range []struct{ name, v string }{{"start_time", o.StartTime}, {"stop_time", o.StopTime},
		{"x_tipd_first_seen", o.XFirstSeen}, {"x_tipd_last_seen", o.XLastSeen}} {
		t, err := stamp(f.name, f.v)
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	d.first = firstOf(ts[2], ts[0], created)
	d.last = latest(ts[3], ts[1], d.first, modified)
	if o.XHits != nil {
		if *o.XHits < 0 {
			return nil, fmt.Errorf("negative x_tipd_hits %d", *o.XHits)
		}
		d.hits = *o.XHits
	}
	if o.XDailyPeak != nil && *o.XDailyPeak > 0 {
		d.dailyPeak = *o.XDailyPeak
	}
	if o.XPeakDate != "" {
		t, err := time.Parse("2006-01-02", o.XPeakDate)
		if err != nil {
			return nil, fmt.Errorf("bad date %q in %q", clip(o.XPeakDate), "x_tipd_peak_date")
		}
		d.peakDate = t
	}
	if strings.IndexByte(d.download, 0) >= 0 {
		return nil, errors.New("a string holds a NUL character")
	}
	return d, nil
}

func (d *relData) encode(b []byte) []byte {
	b = appendStr(b, d.typ)
	b = appendTime(b, d.first)
	b = appendTime(b, d.last)
	b = binary.AppendVarint(b, d.hits)
	b = binary.AppendVarint(b, d.dailyPeak)
	b = appendTime(b, d.peakDate)
	return appendStr(b, d.download)
}

func decodeRelData(b []byte) (*relData, error) {
	dec := decoder{b: b}
	d := &relData{typ: dec.str(), first: dec.time(), last: dec.time(), hits: dec.int(), dailyPeak: dec.int(),
		peakDate: dec.time(), download: dec.str()}
	if dec.bad {
		return nil, errCorrupt
	}
	return d, nil
}

// relEnd is one resolved end of a relationship.
type relEnd struct {
	ioc     *ioc
	id      []byte // of the indicator or observable
	threat  string // type of a malware, threat actor or intrusion set
	asn     uint32
	asName  string
	isAS    bool
	country string
}

func decodeEnd(v []byte) (relEnd, error) {
	var e relEnd
	if len(v) == 0 {
		return e, errCorrupt
	}
	d := decoder{b: v[1:]}
	switch v[0] {
	case recIOC:
		e.id = []byte(d.str())
		if d.bad {
			return e, errCorrupt
		}
		c, err := decodeIOC(d.b)
		if err != nil {
			return e, err
		}
		e.ioc = c
	case recThreat:
		e.threat = string(v[1:])
	case recAS:
		e.asn, e.asName, e.isAS = uint32(d.uint()), d.str(), true
	case recCountry:
		e.country = d.str()
	case recNone:
	default:
		return e, errCorrupt
	}
	if d.bad {
		return e, errCorrupt
	}
	return e, nil
}

// relEvidence is the evidence of one relationship between an indicator or
// observable and another object that is not a threat.
type relEvidence struct {
	Listings   []intel.Listing     `json:",omitempty"`
	HostedURL  *intel.HostedURL    `json:",omitempty"`
	File       *intel.FileDownload `json:",omitempty"`
	Resolution *intel.Resolution   `json:",omitempty"`
	AS         *intel.ASRange      `json:",omitempty"`
	Country    *intel.CountryRange `json:",omitempty"`
}

func (r *relEvidence) appendTo(b *intel.Batch) {
	b.Listings = append(b.Listings, r.Listings...)
	if r.HostedURL != nil {
		b.HostedURLs = append(b.HostedURLs, *r.HostedURL)
	}
	if r.File != nil {
		b.Files = append(b.Files, *r.File)
	}
	if r.Resolution != nil {
		b.Resolutions = append(b.Resolutions, *r.Resolution)
	}
	if r.AS != nil {
		b.ASRanges = append(b.ASRanges, *r.AS)
	}
	if r.Country != nil {
		b.Countries = append(b.Countries, *r.Country)
	}
}

// singleIP returns the address of an end that is one address.
func (e *relEnd) singleIP() (netip.Addr, bool) {
	if e.ioc == nil || e.ioc.kind != kindIP || !e.ioc.prefix.IsSingleIP() {
		return netip.Addr{}, false
	}
	return e.ioc.prefix.Addr(), true
}

// relationEvidence derives the evidence of a relationship d between src
// and tgt; nil when the pair makes none.
func (p *Parser) relationEvidence(d *relData, src, tgt relEnd) *relEvidence {
	switch d.typ {
	case "resolves-to":
		ip, ok := tgt.singleIP()
		if src.ioc == nil || src.ioc.kind != kindDomain || !ok {
			return nil
		}
		return &relEvidence{Resolution: &intel.Resolution{IP: ip, Domain: src.ioc.value, FirstSeen: d.first, LastSeen: d.last,
			Hits: d.hits, DailyPeak: d.dailyPeak, PeakDate: d.peakDate}}
	case "belongs-to":
		if src.ioc == nil || src.ioc.kind != kindIP || !tgt.isAS {
			return nil
		}
		as := &intel.ASRange{Prefix: src.ioc.prefix, ASN: tgt.asn}
		if tgt.asName != "" {
			as.Description = []string{tgt.asName}
		}
		return &relEvidence{AS: as}
	case "located-at":
		if src.ioc == nil || src.ioc.kind != kindIP || tgt.country == "" {
			return nil
		}
		return &relEvidence{Country: &intel.CountryRange{Prefix: src.ioc.prefix, Country: tgt.country}}
	case "based-on":
		// tipd's indicator of a verdict: the categories of the address,
		// seen until the indicator's latest evidence.
		ip, ok := tgt.singleIP()
		if src.ioc == nil || !src.ioc.tipd || !ok || len(tgt.ioc.types) == 0 {
			return nil
		}
		c := tgt.ioc
		out := &relEvidence{}
		for _, cat := range c.types {
			out.Listings = append(out.Listings, intel.Listing{IP: ip, Category: cat, Feed: p.feed,
				FirstSeen: firstOf(c.first, src.ioc.first), LastSeen: latest(c.last, src.ioc.last)})
		}
		return out
	case "related-to":
		if _, ok := src.singleIP(); ok {
			src, tgt = tgt, src
		}
		if src.ioc == nil || !src.ioc.tipd {
			return nil
		}
		c := src.ioc
		ip, isIP := tgt.singleIP()
		switch {
		case c.kind == kindURL && isIP:
			return &relEvidence{HostedURL: &intel.HostedURL{IP: ip, URL: c.value, Zone: c.zone, Categories: c.types,
				Hits: c.hits, Truncated: c.truncated, FirstSeen: c.first, LastSeen: c.last}}
		case c.kind == kindHash && len(c.value) == 32 && (isIP || tgt.ioc != nil && tgt.ioc.kind == kindURL):
			url := d.download
			if url == "" && !isIP {
				url = "http://" + tgt.ioc.value
			}
			if url == "" {
				p.ignored.Add("file without the web address it was downloaded from")
				return nil
			}
			first, last := c.first, c.last
			if first.IsZero() {
				first, last = d.first, latest(last, d.last)
			}
			return &relEvidence{File: &intel.FileDownload{IP: ip, MD5: c.value, URL: url, Zone: c.zone,
				DetectionName: c.detection, Hits: c.hits, FirstSeen: first, LastSeen: last}}
		}
	}
	return nil
}
