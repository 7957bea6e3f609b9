// Package stix imports STIX 2.1 bundles (-format stix) as exported by
// other threat-intelligence platforms: indicators with simple patterns,
// cyber observables (ipv4-addr, ipv6-addr, domain-name, url, file),
// relationships to malware, threat actors and intrusion sets, sightings and
// reports; passive DNS (resolves-to), autonomous systems (belongs-to) and
// countries (located-at) of addresses. docs/import-format.md documents the
// mapping. tipd's own bundles are read back with their x_tipd_ properties
// (tipd.go; docs/stix.md, "Import of tipd's own bundles").
//
// A bundle is one JSON document: it is read object by object with a
// streaming decoder, never as a whole. STIX objects refer to each other by
// id in any order (a relationship may come before the indicator it names),
// so the parser writes a compact index of the objects it can use (ids,
// values, dates, names; never whole objects) and of the references between
// them to sorted runs in temporary files (Options.TempDir), and derives the
// evidence once the bundle ends by merging the runs in id order (index.go).
// Memory is bounded by the sorters' buffers and the largest single object,
// not by the bundle. Objects of other types (identities, attack patterns,
// marking definitions, …) are passed over without being kept.
package stix

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// DefaultFeed is the feed of the listings a bundle makes when the import
// names none (-feed).
const DefaultFeed = "STIX"

// Widest networks an ipv4-addr or ipv6-addr value may name.
const (
	MinBits4 = importer.MinNetBits4
	MinBits6 = importer.MinNetBits6
)

// Parser parses STIX 2.1 bundles. It is used for one pass over one file.
type Parser struct {
	feed     string
	tempDir  string
	runBytes int // memory of each sorter of the index (runBytes if 0)
	ignored  importer.IgnoreCounter
	// direct holds the records an object makes by itself (the feed masks
	// and WHOIS network of a tipd observable); they are emitted with it.
	direct intel.Batch
}

// New returns a parser; o.Feed names the feed of the listings (DefaultFeed
// if empty).
func New(o importer.ParserConfig) *Parser {
	feed := o.Feed
	if feed == "" {
		feed = DefaultFeed
	}
	return &Parser{feed: feed, tempDir: o.TempDir}
}

// Ignored implements importer.Ignorer: valid objects that make no evidence
// (unsupported patterns, indicators of nothing known, other object types).
func (p *Parser) Ignored() []importer.Ignored { return p.ignored.Ignored() }

// Parse implements importer.Parser for a bundle written on one line;
// Import uses ParseStream instead.
func (p *Parser) Parse(line []byte, _ int, b *intel.Batch) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	var first error
	err := p.ParseStream(bytes.NewReader(line), func(n int, parse func(*intel.Batch) error) error {
		if err := parse(b); err != nil && first == nil {
			first = fmt.Errorf("object %d: %w", n, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return first
}

// object holds the fields of any STIX object that the importer reads.
type object struct {
	Type             string            `json:"type"`
	ID               string            `json:"id"`
	Created          string            `json:"created"`
	Modified         string            `json:"modified"`
	Revoked          bool              `json:"revoked"`
	Name             string            `json:"name"`
	Description      string            `json:"description"`
	Labels           []string          `json:"labels"`
	Pattern          string            `json:"pattern"`
	PatternType      string            `json:"pattern_type"`
	ValidFrom        string            `json:"valid_from"`
	IndicatorTypes   []string          `json:"indicator_types"`
	Value            string            `json:"value"`
	Hashes           map[string]string `json:"hashes"`
	RelationshipType string            `json:"relationship_type"`
	SourceRef        string            `json:"source_ref"`
	TargetRef        string            `json:"target_ref"`
	SightingOfRef    string            `json:"sighting_of_ref"`
	FirstSeen        string            `json:"first_seen"`
	LastSeen         string            `json:"last_seen"`
	Count            *int64            `json:"count"`
	Published        string            `json:"published"`
	ReportTypes      []string          `json:"report_types"`
	ObjectRefs       []string          `json:"object_refs"`
	Country          string            `json:"country"`
	Number           *int64            `json:"number"`
	Size             *int64            `json:"size"`
	StartTime        string            `json:"start_time"`
	StopTime         string            `json:"stop_time"`
	ExternalRefs     []externalRef     `json:"external_references"`
	tipdProps
}

type externalRef struct {
	SourceName string `json:"source_name"`
	ExternalID string `json:"external_id"`
}

// ioc is an indicator or observable of the index.
type ioc struct {
	n           int // object number
	kind        string
	value       string       // normalised: address, prefix, URL key, domain, upper-case hash
	prefix      netip.Prefix // kind ip: the network (a single address has all bits)
	truncated   bool         // URL: private data was cut
	first, last time.Time
	types       []intel.Category // from indicator_types (or x_tipd_categories), used when it indicates nothing
	cats        []intel.Category // from relationships
	// Written by tipd (tipd.go): the object carries x_tipd_zone; an
	// indicator's categories are then on its observable.
	tipd      bool
	zone      intel.Zone // x_tipd_zone ("" if absent)
	hits      int64      // x_tipd_hits
	detection string     // x_tipd_detection_name (files)
}

// threat is a malware, threat actor or intrusion set.
type threat struct {
	typ, name string
}

type report struct {
	n      int
	rep    intel.Report
	refs   []string
	labels []string // report_types and labels, lower case
}

// ParseStream implements importer.StreamParser. Bad objects are reported
// as they are read; the evidence is emitted, numbered by the object it
// derives from, once the bundle ends.
func (p *Parser) ParseStream(r io.Reader, emit func(int, func(*intel.Batch) error) error) (err error) {
	x := p.newBundle()
	defer func() {
		if cerr := x.close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	dec := json.NewDecoder(r)
	n := 0
	each := func() error {
		for dec.More() {
			n++
			var o object
			p.direct.Reset()
			derr := dec.Decode(&o)
			var syn *json.SyntaxError
			if errors.As(derr, &syn) || errors.Is(derr, io.ErrUnexpectedEOF) || errors.Is(derr, io.EOF) {
				return errors.New(jsonReason(derr))
			}
			err := derr
			if err != nil {
				err = errors.New(jsonReason(err))
			} else {
				err = p.index(x, n, &o)
				if x.err != nil {
					return x.err
				}
			}
			d := &p.direct
			if err := emit(n, func(b *intel.Batch) error {
				if err != nil {
					return err
				}
				b.Masks = append(b.Masks, d.Masks...)
				b.WhoisNets = append(b.WhoisNets, d.WhoisNets...)
				b.FileHashes = append(b.FileHashes, d.FileHashes...)
				b.ObjectInfos = append(b.ObjectInfos, d.ObjectInfos...)
				b.Links = append(b.Links, d.Links...)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not a STIX bundle: %s", jsonReason(err))
	}
	switch tok {
	case json.Delim('['): // a bare list of objects
		if err := each(); err != nil {
			return err
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("after object %d: %s", n, jsonReason(err))
		}
	case json.Delim('{'):
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("bundle: %s", jsonReason(err))
			}
			switch kt {
			case "objects":
				if t, err := dec.Token(); err != nil || t != json.Delim('[') {
					return errors.New(`bundle: "objects" is not a list`)
				}
				if err := each(); err != nil {
					return err
				}
				if _, err := dec.Token(); err != nil {
					return fmt.Errorf("after object %d: %s", n, jsonReason(err))
				}
			case "type":
				var typ string
				if err := dec.Decode(&typ); err != nil || typ != "bundle" {
					return fmt.Errorf("not a STIX bundle: type %q", clip(typ))
				}
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return fmt.Errorf("bundle: %s", jsonReason(err))
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("bundle: %s", jsonReason(err))
		}
	default:
		return errors.New("not a STIX bundle: want a JSON object")
	}
	return p.derive(x, emit)
}

// index checks one object and keeps what the evidence needs.
func (p *Parser) index(x *bundle, n int, o *object) error {
	if o.Type == "" {
		return fmt.Errorf("missing field %q", "type")
	}
	if o.ID == "" {
		return fmt.Errorf("%s: missing field %q", o.Type, "id")
	}
	if !strings.HasPrefix(o.ID, o.Type+"--") {
		return fmt.Errorf("%s: id %q does not start with %q", o.Type, clip(o.ID), o.Type+"--")
	}
	if strings.IndexByte(o.ID, 0) >= 0 || strings.IndexByte(o.Name, 0) >= 0 || strings.IndexByte(o.Description, 0) >= 0 {
		return fmt.Errorf("%s: a string holds a NUL character", o.Type)
	}
	if o.Revoked {
		p.ignored.Add("revoked " + o.Type)
		return nil
	}
	created, err := stamp("created", o.Created)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Type, err)
	}
	modified, err := stamp("modified", o.Modified)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Type, err)
	}
	switch o.Type {
	case "indicator":
		return p.indicator(x, n, o, created, modified)
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "file":
		return p.observable(x, n, o)
	case "malware", "threat-actor", "intrusion-set":
		if o.Name == "" {
			return fmt.Errorf("%s: missing field %q", o.Type, "name")
		}
		x.addThreat(n, o.ID, threat{typ: o.Type, name: o.Name})
	case "location":
		if o.Country != "" {
			if len(o.Country) != 2 || !isLetter(o.Country[0]) || !isLetter(o.Country[1]) {
				return fmt.Errorf("location: bad country %q", clip(o.Country))
			}
			x.addCountry(n, o.ID, strings.ToUpper(o.Country))
		}
	case "autonomous-system":
		if o.Number == nil || *o.Number < 0 || *o.Number > 1<<32-1 {
			return errors.New(`autonomous-system: missing or bad "number"`)
		}
		x.addAS(n, o.ID, uint32(*o.Number), o.Name)
	case "relationship":
		if o.SourceRef == "" || o.TargetRef == "" {
			return errors.New(`relationship: missing "source_ref" or "target_ref"`)
		}
		switch o.RelationshipType {
		case "indicates", "communicates-with", "uses", "attributed-to":
		case "related-to", "resolves-to", "belongs-to", "located-at", "based-on":
			rd, err := relDataOf(o, created, modified)
			if err != nil {
				return fmt.Errorf("relationship: %w", err)
			}
			x.addRelData(n, rd)
		default:
			p.ignored.Add("relationship " + clip(o.RelationshipType))
			return nil
		}
		x.addRel(n, o.SourceRef, o.TargetRef)
	case "sighting":
		if o.SightingOfRef == "" {
			return fmt.Errorf("sighting: missing field %q", "sighting_of_ref")
		}
		first, err := stamp("first_seen", o.FirstSeen)
		if err != nil {
			return fmt.Errorf("sighting: %w", err)
		}
		last, err := stamp("last_seen", o.LastSeen)
		if err != nil {
			return fmt.Errorf("sighting: %w", err)
		}
		day := firstOf(last, first, created)
		if day.IsZero() {
			return errors.New(`sighting: no date ("last_seen", "first_seen" or "created")`)
		}
		hits := int64(1)
		if o.Count != nil {
			if *o.Count < 0 {
				return fmt.Errorf("sighting: negative count %d", *o.Count)
			}
			hits = *o.Count
		}
		x.addSighting(n, o.SightingOfRef, day.Truncate(24*time.Hour), hits)
	case "report":
		if o.Name == "" {
			return fmt.Errorf("report: missing field %q", "name")
		}
		pub, err := stamp("published", o.Published)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if pub.IsZero() {
			return fmt.Errorf("report: missing field %q", "published")
		}
		var refs []string
		for _, ref := range o.ObjectRefs {
			t, _, _ := strings.Cut(ref, "--")
			switch t {
			case "indicator", "ipv4-addr", "ipv6-addr", "domain-name", "url", "file",
				"malware", "threat-actor", "intrusion-set", "location":
				refs = append(refs, ref)
			}
		}
		var labels []string
		for _, l := range append(slices.Clone(o.ReportTypes), o.Labels...) {
			labels = append(labels, strings.ToLower(l))
		}
		upd := time.Time{}
		if modified.After(pub) {
			upd = modified
		}
		id, typ := tipdReport(o)
		x.addReport(&report{n: n, refs: refs, labels: labels, rep: intel.Report{
			ID: id, Type: typ, Title: o.Name, Description: o.Description, Published: pub, Updated: upd, Tags: nilIfEmpty(o.Labels)}})
	default:
		p.ignored.Add("object type " + clip(o.Type))
	}
	return nil
}

func (p *Parser) indicator(x *bundle, n int, o *object, created, modified time.Time) error {
	if o.PatternType != "" && o.PatternType != "stix" {
		p.ignored.Add("pattern type " + clip(o.PatternType))
		return nil
	}
	if o.Pattern == "" {
		return fmt.Errorf("indicator: missing field %q", "pattern")
	}
	validFrom, err := stamp("valid_from", o.ValidFrom)
	if err != nil {
		return fmt.Errorf("indicator: %w", err)
	}
	kind, raw, err := parsePattern(o.Pattern)
	var u *unsupported
	if errors.As(err, &u) {
		p.ignored.Add("indicator with an unsupported pattern (" + u.reason + ")")
		return nil
	}
	if err != nil {
		return fmt.Errorf("indicator: %w", err)
	}
	c := &ioc{n: n, kind: kind}
	if err := c.setValue(raw); err != nil {
		return fmt.Errorf("indicator: %w", err)
	}
	c.first = firstOf(validFrom, created, modified)
	c.last = latest(modified, created, validFrom)
	if o.XZone != "" {
		// tipd's verdict: the categories are on the observable it is
		// based on, its indicator types would only blur them.
		c.tipd = true
		x.addIOC(o.ID, c)
		return nil
	}
	for _, t := range o.IndicatorTypes {
		if cat, ok := indicatorTypes[strings.ToLower(t)]; ok && !slices.Contains(c.types, cat) {
			c.types = append(c.types, cat)
		}
	}
	x.addIOC(o.ID, c)
	return nil
}

func (p *Parser) observable(x *bundle, n int, o *object) error {
	c := &ioc{n: n}
	switch o.Type {
	case "ipv4-addr", "ipv6-addr":
		c.kind = kindIP
	case "domain-name":
		c.kind = kindDomain
	case "url":
		c.kind = kindURL
	case "file":
		c.kind = kindHash
		h, err := fileHashes(o.Hashes)
		if err != nil {
			return fmt.Errorf("file: %w", err)
		}
		o.Value = cmp.Or(h.MD5, h.SHA256, h.SHA1)
		if o.Value == "" {
			p.ignored.Add("file without an MD5, SHA-1 or SHA-256")
			return nil
		}
		if o.Size != nil && *o.Size < 0 {
			return fmt.Errorf("file: negative size %d", *o.Size)
		}
		p.fileFacts(o, h)
	}
	if o.Value == "" {
		return fmt.Errorf("%s: missing field %q", o.Type, "value")
	}
	if err := c.setValue(o.Value); err != nil {
		return fmt.Errorf("%s: %w", o.Type, err)
	}
	if o.XZone != "" {
		if err := p.tipdObservable(x, n, o, c); err != nil {
			return fmt.Errorf("%s: %w", o.Type, err)
		}
	}
	x.addIOC(o.ID, c)
	return nil
}

// fileHashes reads the MD5, SHA-1 and SHA-256 of a file's hashes ("SHA256"
// and "SHA1" spellings too); other algorithms are passed over.
func fileHashes(hashes map[string]string) (intel.FileHashes, error) {
	var h intel.FileHashes
	for _, a := range []struct {
		names []string
		dst   *string
	}{{[]string{"MD5"}, &h.MD5}, {[]string{"SHA-1", "SHA1"}, &h.SHA1}, {[]string{"SHA-256", "SHA256"}, &h.SHA256}} {
		for _, n := range a.names {
			v := strings.TrimSpace(hashes[n])
			if v == "" {
				continue
			}
			k, err := intel.NormalizeHash(v)
			if err != nil || intel.HashKind(k) != a.names[0] {
				return h, fmt.Errorf("bad %s hash %q", a.names[0], clip(v))
			}
			*a.dst = k
			break
		}
	}
	return h, nil
}

// fileFacts keeps what a file observable says of the file itself, keyed
// by its first hash of MD5, SHA-256, SHA-1: its hashes tied together, its
// size and its name.
func (p *Parser) fileFacts(o *object, h intel.FileHashes) {
	key := o.Value
	d := &p.direct
	if len(h.Hashes()) > 1 {
		d.FileHashes = append(d.FileHashes, h)
	}
	if o.Size != nil && *o.Size > 0 {
		d.ObjectInfos = append(d.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectFile, Key: key, Size: *o.Size})
	}
	if name := strings.TrimSpace(o.Name); name != "" {
		d.Links = append(d.Links, intel.Link{List: intel.LinkFileNames, Owner: key, Item: name, Hits: 1})
	}
}

// setValue checks and normalises the value of a kind.
func (c *ioc) setValue(raw string) error {
	s := strings.TrimSpace(raw)
	switch c.kind {
	case kindIP:
		pfx, minBits, wide, ok := importer.Network(s)
		if !ok {
			return fmt.Errorf("bad address %q", clip(raw))
		}
		if wide {
			return fmt.Errorf("network %s is wider than /%d", pfx, minBits)
		}
		c.prefix = pfx
		if pfx.IsSingleIP() {
			c.value = pfx.Addr().String()
		} else {
			c.value = pfx.String()
		}
	case kindURL:
		key, truncated, err := intel.NormalizeURL(s)
		if err != nil {
			return fmt.Errorf("bad web address %q: %v", clip(raw), err)
		}
		c.value, c.truncated = key, truncated
	case kindDomain:
		if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
			return fmt.Errorf("bad domain %q: an address", clip(raw))
		}
		key, err := intel.NormalizeDomain(s)
		if err != nil {
			return fmt.Errorf("bad domain %q", clip(raw))
		}
		c.value = key
	case kindHash:
		h, err := intel.NormalizeHash(s)
		if err != nil {
			return fmt.Errorf("bad hash %q", clip(raw))
		}
		c.value = h
	}
	return nil
}

// indicatorTypes maps STIX indicator types to categories; they are used
// only for indicators that indicate no malware, threat actor or intrusion
// set of the bundle. "benign" is deliberately absent: a bundle from
// elsewhere never makes an address Green.
var indicatorTypes = map[string]intel.Category{
	"malicious-activity": intel.CatBadReputation,
	"compromised":        intel.CatCompromised,
	"attribution":        intel.CatAPT,
}

// threatCategory is the category a threat object gives the indicators of it.
func threatCategory(typ string) intel.Category {
	if typ == "malware" {
		return intel.CatMalware
	}
	return intel.CatAPT
}

// evidence appends what one categorised indicator or observable makes.
func (p *Parser) evidence(c *ioc, cats []intel.Category, b *intel.Batch) {
	zone := intel.ZoneGrey
	for _, cat := range cats {
		if z, ok := intel.CategoryZone(cat); ok {
			zone = intel.MaxZone(zone, z)
		}
	}
	if c.zone != "" {
		zone = c.zone // tipd's verdict also counts masks and related objects
	}
	hits := int64(1)
	if c.hits > 0 {
		hits = c.hits
	}
	switch c.kind {
	case kindIP:
		for _, cat := range cats {
			if c.prefix.IsSingleIP() {
				b.Listings = append(b.Listings, intel.Listing{IP: c.prefix.Addr(), Category: cat, Feed: p.feed, FirstSeen: c.first, LastSeen: c.last})
			} else {
				b.NetListings = append(b.NetListings, intel.NetListing{Prefix: c.prefix, Category: cat, Zone: zone, Feed: p.feed, FirstSeen: c.first, LastSeen: c.last})
			}
		}
	case kindURL:
		var ip netip.Addr
		if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(intel.URLHost(c.value), "["), "]")); err == nil {
			ip = a.Unmap()
		}
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: c.value, Zone: zone, Categories: slices.Clone(cats),
			Hits: hits, Truncated: c.truncated, FirstSeen: c.first, LastSeen: c.last})
		p.objectListings(intel.ObjectURL, c, cats, b)
	case kindDomain:
		// The listings derived from the DomainInfo (under its source's feed,
		// intel.Batch.AddObjects) merge into the dated ones below.
		b.Domains = append(b.Domains, intel.DomainInfo{Domain: c.value, Zone: zone, Categories: slices.Clone(cats),
			Source: intel.Source{Feed: p.feed}})
		p.objectListings(intel.ObjectHost, c, cats, b)
	case kindHash:
		p.objectListings(intel.ObjectFile, c, cats, b)
	}
}

// objectListings lists a domain, web address or file in each category, for
// the domain, URL and hash lookups.
func (p *Parser) objectListings(kind intel.ObjectKind, c *ioc, cats []intel.Category, b *intel.Batch) {
	for _, cat := range cats {
		b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: kind, Key: c.value, Category: cat, Feed: p.feed,
			FirstSeen: c.first, LastSeen: c.last})
	}
}

// stamp parses a STIX timestamp (RFC 3339, UTC); empty is zero.
func stamp(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad timestamp %q in %q", clip(s), field)
	}
	return t.UTC(), nil
}

// firstOf returns the first non-zero time.
func firstOf(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// latest returns the latest time.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q: want %s, not %s", te.Field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, se)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "the document ends early"
	}
	return err.Error()
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// clip shortens a value for an error message.
var clip = importer.Clip
