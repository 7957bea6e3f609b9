package abusech

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/csvline"
	"github.com/tipd/tipd/internal/importer/urlfeed"
	"github.com/tipd/tipd/internal/intel"
)

// threatfoxHeader is the documented column order of the ThreatFox CSV export.
const threatfoxHeader = `"first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"`

// ThreatFox parses the ThreatFox CSV export and its JSON export
// (-format threatfox); which one a file holds is told by its first
// character ('{' for JSON).
//
// The JSON export is one object keyed by IOC id, each holding an array of
// records, usually pretty-printed over many lines. The parser reads it with
// a small incremental scanner, one line at a time: a record is decoded when
// its closing brace is read, and a bad record is reported on that line with
// its IOC id and the line it starts on. Any layout works as long as no
// single line is longer than the pipeline's line limit (1 MiB).
type ThreatFox struct {
	importer.IgnoreCounter
	feed string
	mode byte // 0: not known yet, 'c': CSV, 'j': JSON
	csvRows
	js  jsonScan
	rec tfRecord
}

// NewThreatFox returns a ThreatFox parser; o.Feed replaces the feed name
// "ThreatFox".
func NewThreatFox(o importer.ParserConfig) *ThreatFox {
	cols, _ := csvline.ParseHeader([]byte(threatfoxHeader))
	return &ThreatFox{feed: cmp.Or(o.Feed, FeedThreatFox), csvRows: csvRows{cols: cols}}
}

// tfRecord is one IOC of either export.
type tfRecord struct {
	ID        string          `json:"-"`
	Value     string          `json:"ioc_value"`
	Type      string          `json:"ioc_type"`
	Threat    string          `json:"threat_type"`
	Printable string          `json:"malware_printable"`
	Malware   string          `json:"malware"`
	Malpedia  string          `json:"malware_malpedia"`
	First     string          `json:"first_seen_utc"`
	Last      string          `json:"last_seen_utc"`
	TagsJSON  json.RawMessage `json:"tags"`
	Tags      string          `json:"-"`
}

// Parse implements importer.Parser.
func (p *ThreatFox) Parse(line []byte, lineNo int, b *intel.Batch) error {
	if p.mode == 0 {
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0:
			return nil
		case t[0] == '{':
			p.mode = 'j'
		default:
			p.mode = 'c'
		}
	}
	if p.mode == 'j' {
		return p.js.feed(line, lineNo, func(id string, rec []byte, start int) error {
			r := &p.rec
			*r = tfRecord{}
			if err := json.Unmarshal(rec, r); err != nil {
				return fmt.Errorf("ioc %s (from line %d): %s", clip(id), start, strings.TrimPrefix(err.Error(), "json: "))
			}
			r.ID = id
			tags, err := jsonTags(r.TagsJSON)
			if err != nil {
				return fmt.Errorf("ioc %s (from line %d): %w", clip(id), start, err)
			}
			r.Tags = tags
			if err := p.record(r, b); err != nil {
				return fmt.Errorf("ioc %s (from line %d): %w", clip(id), start, err)
			}
			return nil
		})
	}
	f, ok, err := p.row(line, func(h []byte) bool { return bytes.Contains(h, []byte("ioc_value")) }, nil)
	if !ok {
		return err
	}
	c := p.cols
	p.rec = tfRecord{
		ID: c.Get(f, "ioc_id"), Value: c.Get(f, "ioc_value"), Type: c.Get(f, "ioc_type"),
		Threat: c.Get(f, "threat_type"), Printable: c.Get(f, "malware_printable"),
		Malware: c.Get(f, "fk_malware", "malware"), Malpedia: c.Get(f, "malware_malpedia"),
		First: c.Get(f, "first_seen_utc"), Last: c.Get(f, "last_seen_utc"), Tags: c.Get(f, "tags"),
	}
	return p.record(&p.rec, b)
}

// Flush reports a JSON export that ends before its closing brace.
func (p *ThreatFox) Flush(*intel.Batch) error {
	if p.mode == 'j' && p.js.broken == "" && !p.js.done {
		return fmt.Errorf("JSON export ends before its closing brace (truncated file?)")
	}
	return nil
}

func jsonTags(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '[' {
		var l []string
		if err := json.Unmarshal(raw, &l); err != nil {
			return "", fmt.Errorf("tags: want a string or a list of strings")
		}
		return strings.Join(l, ","), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("tags: want a string or a list of strings")
	}
	return s, nil
}

// threatCategory maps threat_type to a category.
func threatCategory(t string) (intel.Category, error) {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "botnet_cc":
		return intel.CatBotnetCNC, nil
	case "payload_delivery", "payload", "cc_skimming":
		return intel.CatMalware, nil
	}
	return "", fmt.Errorf("unknown threat_type %q", clip(t))
}

// record turns one IOC into evidence.
func (p *ThreatFox) record(r *tfRecord, b *intel.Batch) error {
	value := strings.TrimSpace(r.Value)
	if none(value) {
		return fmt.Errorf("empty ioc_value")
	}
	cat, err := threatCategory(r.Threat)
	if err != nil {
		return err
	}
	cats := []intel.Category{cat}
	for tag := range strings.SplitSeq(r.Tags, ",") {
		if c, ok := tagCategory(tag); ok {
			cats = urlfeed.AddCategory(cats, c)
		}
	}
	first, err := parseTime("first_seen_utc", r.First)
	if err != nil {
		return err
	}
	last, err := parseTime("last_seen_utc", r.Last)
	if err != nil {
		return err
	}
	first, last = seen(first, last)
	src := intel.Source{Feed: withFamily(p.feed, r.Printable)}
	zone, _ := intel.CategoryZone(cat)
	switch typ := strings.ToLower(strings.TrimSpace(r.Type)); typ {
	case "ip:port":
		ip, err := iocAddr(value)
		if err != nil {
			return err
		}
		for _, c := range cats {
			b.Listings = append(b.Listings, intel.Listing{IP: ip, Category: c, Feed: p.feed, FirstSeen: first, LastSeen: last, Source: src})
		}
	case "domain":
		key, err := intel.NormalizeDomain(value)
		if err != nil {
			if _, aerr := netip.ParseAddr(strings.Trim(value, "[]")); aerr == nil {
				return fmt.Errorf("bad domain %q: an address", clip(value))
			}
			return fmt.Errorf("bad domain %q", clip(value))
		}
		// The domain lookup lists the domain in its categories under the
		// feed's name (not the family's: one feed counts once), dated by the
		// row: the listings derived from the DomainInfo (under its source's
		// feed, intel.Batch.AddObjects) merge into these.
		b.Domains = append(b.Domains, intel.DomainInfo{Domain: key, Zone: zone, Categories: cats, Source: intel.Source{Feed: p.feed}})
		for _, c := range cats {
			b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: intel.ObjectHost, Key: key, Category: c,
				Feed: p.feed, FirstSeen: first, LastSeen: last, Source: src})
		}
	case "url":
		_, err := urlfeed.Append(b, &urlfeed.Entry{URL: value, Categories: cats, Zone: zone, Feed: p.feed,
			Source: src.Feed, FirstSeen: first, LastSeen: last})
		return err
	case "md5_hash", "sha1_hash", "sha256_hash":
		h, err := intel.NormalizeHash(value)
		if err != nil || hashTypes[intel.HashKind(h)] != typ {
			return fmt.Errorf("bad %s %q", typ, clip(value))
		}
		p.file(h, r, first, last, src, b)
	case "sha3_384_hash":
		if !isHex(value) {
			return fmt.Errorf("bad %s %q", typ, clip(value))
		}
		p.Add(IgnoredSHA3)
	case "":
		return fmt.Errorf("empty ioc_type")
	default:
		p.Add(IgnoredUnsupported)
	}
	return nil
}

// hashTypes maps the hash kinds (intel.HashKind) to their ioc_type.
var hashTypes = map[string]string{"MD5": "md5_hash", "SHA-1": "sha1_hash", "SHA-256": "sha256_hash"}

// file keeps a file hash: the file in CATEGORY_MALWARE (and the categories
// of its tags), dated by the row, with a detection named after the malware
// family that links to the family's Malpedia page.
func (p *ThreatFox) file(h string, r *tfRecord, first, last time.Time, src intel.Source, b *intel.Batch) {
	cats := []intel.Category{intel.CatMalware}
	for tag := range strings.SplitSeq(r.Tags, ",") {
		if c, ok := tagCategory(tag); ok {
			cats = urlfeed.AddCategory(cats, c)
		}
	}
	for _, c := range cats {
		b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: intel.ObjectFile, Key: h, Category: c,
			Feed: p.feed, FirstSeen: first, LastSeen: last, Source: src})
	}
	b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectFile, Key: h, FirstSeen: first, LastSeen: last, Source: src})
	name := strings.TrimSpace(r.Printable)
	if none(name) {
		name = strings.TrimSpace(r.Malware)
	}
	if none(name) || strings.EqualFold(name, "unknown") || strings.EqualFold(name, "unknown malware") {
		return
	}
	var attrs []string
	if u := malpedia(r.Malpedia, r.Malware); u != "" {
		attrs = []string{"", u}
	}
	b.Links = append(b.Links, intel.Link{List: intel.LinkDetections, Owner: h, Item: name, Zone: intel.DetectionZone(name),
		FirstSeen: first, LastSeen: last, Attrs: attrs, Source: src})
}

// MalpediaBase is the address of Malpedia's family pages: the family id
// ("elf.mirai") is appended.
const MalpediaBase = "https://malpedia.caad.fkie.fraunhofer.de/details/"

// malpedia is the Malpedia page of a family: the given address when it is
// one, else the page of the family id ("<platform>.<name>"), else "".
func malpedia(given, id string) string {
	given = strings.TrimSpace(given)
	if strings.HasPrefix(given, "https://") && !strings.ContainsAny(given, " \t\"<>") {
		return given
	}
	id = strings.ToLower(strings.TrimSpace(id))
	dot := strings.IndexByte(id, '.')
	if dot <= 0 || dot == len(id)-1 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return ""
		}
	}
	return MalpediaBase + id
}

// iocAddr reads "45.95.147.10:443", "[2a0e:97c0::1]:443" or a bare address.
func iocAddr(s string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("bad ip:port %q", clip(s))
	}
	return a.Unmap(), nil
}

func isHex(s string) bool {
	if len(s) == 0 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// jsonScan follows the structure of a ThreatFox JSON export line by line:
// {"<id>": [ {record}, … ], …}. It collects the bytes of each record and
// hands them over when the record's closing brace is read.
type jsonScan struct {
	stack   []byte // open '{' and '['
	inStr   bool
	esc     bool
	keyOpen bool
	key     []byte
	id      string
	inRec   bool
	rec     []byte
	recLine int
	done    bool
	broken  string // set after a syntax error: the rest of the file is not read
}

// feed scans one line; emit is called for every record completed in it.
// The first error emit returns is returned after the line was scanned to
// its end (the structure stays in step); a syntax error stops the scan.
func (s *jsonScan) feed(line []byte, lineNo int, emit func(id string, rec []byte, start int) error) error {
	if s.broken != "" {
		return fmt.Errorf("not read: %s", s.broken)
	}
	var first error
	fail := func(format string, a ...any) error {
		msg := fmt.Sprintf(format, a...)
		s.broken = fmt.Sprintf("%s at line %d", msg, lineNo)
		return fmt.Errorf("%s", msg)
	}
	for _, c := range line {
		if s.inRec {
			s.rec = append(s.rec, c)
			if len(s.rec) > importer.MaxLineLength {
				return fail("ioc %s: record longer than 1 MiB", clip(s.id))
			}
		}
		if s.inStr {
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
				if s.keyOpen {
					s.keyOpen = false
					s.id = string(s.key)
				}
				continue
			}
			if s.keyOpen {
				s.key = append(s.key, c)
			}
			continue
		}
		depth := len(s.stack)
		switch c {
		case ' ', '\t', '\r', '\n':
		case '"':
			if depth == 0 || depth == 2 && !s.inRec {
				return fail("unexpected string")
			}
			s.inStr = true
			if depth == 1 {
				s.keyOpen = true
				s.key = s.key[:0]
			}
		case '{':
			switch {
			case s.done:
				return fail("data after the end of the export")
			case depth == 0:
			case depth == 2 && !s.inRec:
				s.inRec = true
				s.rec = append(s.rec[:0], c)
				s.recLine = lineNo
			case !s.inRec:
				return fail("ioc %s: want an array of records", clip(s.id))
			}
			s.stack = append(s.stack, c)
		case '[':
			if depth != 1 && !s.inRec {
				return fail("unexpected '['")
			}
			s.stack = append(s.stack, c)
		case '}', ']':
			open := byte('{')
			if c == ']' {
				open = '['
			}
			if depth == 0 || s.stack[depth-1] != open {
				return fail("unexpected %q", c)
			}
			s.stack = s.stack[:depth-1]
			if s.inRec && depth == 3 {
				s.inRec = false
				if err := emit(s.id, s.rec, s.recLine); err != nil && first == nil {
					first = err
				}
			}
			if len(s.stack) == 0 {
				s.done = true
			}
		case ':', ',':
			if depth == 0 {
				return fail("unexpected %q", c)
			}
		default:
			if !s.inRec {
				if depth == 0 && !s.done {
					return fail("not a ThreatFox JSON export (want an object keyed by ioc id)")
				}
				if depth == 0 {
					return fail("data after the end of the export")
				}
				return fail("ioc %s: want an array of records", clip(s.id))
			}
		}
	}
	return first
}
