// Package reports parses threat reports with their indicators
// (-format reports): newline-delimited JSON, one report per line, as
// documented in docs/import-formats.md. A report becomes a Report record
// (with its indicators, YARA rules and PDF document, for
// /api/publications; the files by a name relative to the input's
// directory, Options.Dir), report links for the
// addresses it names (directly, through small networks, through the web
// addresses on IP literals it names, and through passive DNS for its
// domains), a network listing for each wider network it names, and a hosted
// web address for each URL. The domain, URL and hash lookups find the
// report too: each domain, web address and file hash it names is linked to
// it (the host, URL and file report lists), and each web address is listed
// in the report's category.
package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// DefaultFeed is the feed of the network listings a report makes when the
// import names none (-feed).
const DefaultFeed = "Threat reports"

// Widest networks a report may name: a wider one is a bad line (a report
// naming a /8 would put millions of addresses in a category).
const (
	MinBits4 = importer.MinNetBits4
	MinBits6 = importer.MinNetBits6
)

// Record is one line of the format. Writers (the generator) fill it and
// encode it with json.Marshal.
type Record struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Published   string          `json:"published"`
	Updated     string          `json:"updated,omitempty"`
	Description json.RawMessage `json:"description,omitempty"` // a string or a list of lines
	Industries  []string        `json:"industries,omitempty"`
	Geo         []string        `json:"geo,omitempty"`
	Actors      []string        `json:"actors,omitempty"`
	Tags        []string        `json:"tags,omitempty"`
	IPs         []string        `json:"ips,omitempty"`
	CIDRs       []string        `json:"cidrs,omitempty"`
	Domains     []string        `json:"domains,omitempty"`
	URLs        []string        `json:"urls,omitempty"`
	Hashes      []string        `json:"hashes,omitempty"`
	// Detected gives indicators their own detection dates: the indicator
	// as written in ips, cidrs, domains, urls or hashes -> a date or time
	// (as published). The others were detected at the report's date.
	Detected map[string]string `json:"detected,omitempty"`
	// YARA is the report's YARA rules as text; YARAFile (instead) names a
	// file holding them, and PDF a PDF document of the report, by a name
	// relative to the import file's directory (FileName).
	YARA     string `json:"yara,omitempty"`
	YARAFile string `json:"yara_file,omitempty"`
	PDF      string `json:"pdf,omitempty"`
}

// Parser parses the format. It keeps no state between lines.
type Parser struct {
	feed string
	dir  string // of the files records name; "" for none (SetDir)
	// skipFiles: records that name files are read without them
	// (SkipFiles).
	skipFiles bool
	rec       Record
}

var _ importer.DirParser = (*Parser)(nil)

// SetDir implements importer.DirParser: the directory of the files that
// yara_file and pdf name ("" for an input without one, where naming a file
// makes the line bad).
func (p *Parser) SetDir(dir string) { p.dir = dir }

// SkipFiles implements importer.FileSkipper: records that name files
// (yara_file, pdf) are read without reading the files, which a guess of
// a file's format (standard input, say) has no directory for.
func (p *Parser) SkipFiles() { p.skipFiles = true }

// New returns a parser; o.Feed names the feed of the network listings
// (DefaultFeed if empty).
func New(o importer.ParserConfig) *Parser {
	feed := o.Feed
	if feed == "" {
		feed = DefaultFeed
	}
	return &Parser{feed: feed}
}

// Category is the category a report of type typ gives the networks and web
// addresses it names: CATEGORY_APT for APT and ICS reports,
// CATEGORY_MALWARE for crimeware.
func Category(typ string) intel.Category {
	if typ == intel.ReportCrimeware {
		return intel.CatMalware
	}
	return intel.CatAPT
}

// Parse implements importer.Parser.
func (p *Parser) Parse(line []byte, _ int, b *intel.Batch) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	p.rec = Record{}
	r := &p.rec
	if err := json.Unmarshal(line, r); err != nil {
		return fmt.Errorf("report: %s", jsonReason(err))
	}
	rep, err := p.report(r)
	if err == nil {
		err = p.files(r, &rep)
	}
	if err != nil {
		if r.ID != "" {
			return fmt.Errorf("report %q: %w", clip(r.ID), err)
		}
		return fmt.Errorf("report: %w", err)
	}
	return p.indicators(r, rep, b)
}

func (p *Parser) report(r *Record) (intel.Report, error) {
	if r.ID == "" {
		return intel.Report{}, fmt.Errorf("missing field %q", "id")
	}
	typ, err := reportType(r.Type)
	if err != nil {
		return intel.Report{}, err
	}
	if r.Title == "" {
		return intel.Report{}, fmt.Errorf("missing field %q", "title")
	}
	desc, err := description(r.Description)
	if err != nil {
		return intel.Report{}, err
	}
	pub, err := date("published", r.Published, true)
	if err != nil {
		return intel.Report{}, err
	}
	upd, err := date("updated", r.Updated, false)
	if err != nil {
		return intel.Report{}, err
	}
	if !upd.IsZero() && upd.Before(pub) {
		return intel.Report{}, fmt.Errorf("updated %s before published %s", r.Updated, r.Published)
	}
	geo := make([]string, 0, len(r.Geo))
	for _, g := range r.Geo {
		if len(g) != 2 || !isLetter(g[0]) || !isLetter(g[1]) {
			return intel.Report{}, fmt.Errorf("bad country code %q in %q: want ISO 3166-1 alpha-2", clip(g), "geo")
		}
		geo = append(geo, strings.ToUpper(g))
	}
	for _, s := range [][]string{{r.ID, r.Title, desc}, r.Industries, r.Actors, r.Tags} {
		for _, x := range s {
			if strings.IndexByte(x, 0) >= 0 {
				return intel.Report{}, errors.New("a string holds a NUL character")
			}
		}
	}
	return intel.Report{ID: r.ID, Type: typ, Title: r.Title, Description: desc, Published: pub, Updated: upd,
		Tags: nilIfEmpty(r.Tags), Industries: nilIfEmpty(r.Industries), Geo: nilIfEmpty(geo), Actors: nilIfEmpty(r.Actors)}, nil
}

// indicators appends the report and what its indicators make.
func (p *Parser) indicators(r *Record, rep intel.Report, b *intel.Batch) error {
	cat := Category(rep.Type)
	seen := rep.Updated
	if seen.IsZero() {
		seen = rep.Published
	}
	// The detection dates, by indicator as written; each indicator kept
	// takes its own (and its evidence is dated by it).
	detected := map[string]time.Time{}
	for x, v := range r.Detected {
		t, err := date("detected", v, true)
		if err != nil {
			return fmt.Errorf("detection date of %q: %w", clip(x), err)
		}
		detected[strings.TrimSpace(x)] = t
	}
	used := 0
	var ioc []string
	// keep keeps indicator s (normalised), written raw, and returns the
	// date its evidence is seen at.
	keep := func(s, raw string) time.Time {
		t, ok := detected[strings.TrimSpace(raw)]
		if ok {
			used++
		}
		if len(ioc) < intel.MaxReportIndicators {
			ioc = append(ioc, s)
			if ok {
				if rep.Detected == nil {
					rep.Detected = map[string]time.Time{}
				}
				rep.Detected[s] = t
			}
		}
		if ok {
			return t
		}
		return seen
	}
	links := map[netip.Addr]bool{}
	link := func(ip netip.Addr) {
		if !links[ip] {
			links[ip] = true
			b.ReportLinks = append(b.ReportLinks, intel.ReportLink{IP: ip, ReportID: rep.ID})
		}
	}
	for _, s := range r.IPs {
		ip, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || ip.Zone() != "" {
			return fmt.Errorf("bad address %q in %q", clip(s), "ips")
		}
		ip = ip.Unmap()
		keep(ip.String(), s)
		link(ip)
	}
	for _, s := range r.CIDRs {
		pfx, minBits, wide, ok := importer.Network(strings.TrimSpace(s))
		if !ok {
			return fmt.Errorf("bad network %q in %q: want a CIDR", clip(s), "cidrs")
		}
		if wide {
			return fmt.Errorf("network %s in %q is wider than /%d: name narrower networks", pfx, "cidrs", minBits)
		}
		at := keep(pfx.String(), s)
		if pfx.IsSingleIP() {
			link(pfx.Addr())
			continue
		}
		b.NetListings = append(b.NetListings, intel.NetListing{Prefix: pfx, Category: cat, Zone: intel.ZoneRed,
			Feed: p.feed, FirstSeen: at, LastSeen: at})
	}
	for _, s := range r.Domains {
		d, err := domainOf(s)
		if err != nil {
			return err
		}
		keep(d, s)
		b.ReportLinks = append(b.ReportLinks, intel.ReportLink{ReportID: rep.ID, Domain: d})
	}
	for _, s := range r.URLs {
		key, truncated, err := intel.NormalizeURL(s)
		if err != nil {
			return fmt.Errorf("bad web address %q in %q: %v", clip(s), "urls", err)
		}
		at := keep(key, s)
		var ip netip.Addr
		if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(intel.URLHost(key), "["), "]")); err == nil {
			ip = a.Unmap()
			link(ip)
		}
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: key, Zone: intel.ZoneRed,
			Categories: []intel.Category{cat}, Hits: 1, Truncated: truncated, FirstSeen: at, LastSeen: at})
		b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: intel.ObjectURL, Key: key, Category: cat,
			Feed: p.feed, FirstSeen: at, LastSeen: at})
		b.Links = append(b.Links, intel.Link{List: intel.LinkURLReports, Owner: key, Item: rep.ID, FirstSeen: at, LastSeen: at})
	}
	for _, s := range r.Hashes {
		h, err := hashOf(s)
		if err != nil {
			return err
		}
		at := keep(h, s)
		b.Links = append(b.Links, intel.Link{List: intel.LinkFileReports, Owner: h, Item: rep.ID, FirstSeen: at, LastSeen: at})
	}
	if used != len(detected) {
		for x := range detected {
			if !slices.ContainsFunc(slices.Concat(r.IPs, r.CIDRs, r.Domains, r.URLs, r.Hashes), func(s string) bool { return strings.TrimSpace(s) == x }) {
				return fmt.Errorf("%q has a detection date but is not one of the report's indicators", clip(x))
			}
		}
	}
	rep.Indicators = ioc
	b.Reports = append(b.Reports, rep)
	return nil
}

// files reads the report's YARA rules (inline or from yara_file) and its
// PDF (pdf) into rep, each at most its cap (intel.MaxReportYARA,
// intel.MaxReportPDF): YARA rules must be UTF-8 text without NUL, a PDF
// must begin with "%PDF-".
func (p *Parser) files(r *Record, rep *intel.Report) error {
	if p.skipFiles && (r.YARAFile != "" || r.PDF != "") {
		return nil
	}
	switch {
	case r.YARA != "" && r.YARAFile != "":
		return fmt.Errorf("both %q and %q are given: give the rules once", "yara", "yara_file")
	case r.YARAFile != "":
		b, err := p.readFile("yara_file", r.YARAFile, intel.MaxReportYARA)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			return fmt.Errorf("file %q in %q is not UTF-8 text", clip(r.YARAFile), "yara_file")
		}
		rep.YARA = string(b)
	case r.YARA != "":
		if len(r.YARA) > intel.MaxReportYARA {
			return fmt.Errorf("%q holds %d bytes, more than the %d allowed", "yara", len(r.YARA), intel.MaxReportYARA)
		}
		if strings.IndexByte(r.YARA, 0) >= 0 {
			return fmt.Errorf("%q holds a NUL character", "yara")
		}
		rep.YARA = r.YARA
	}
	if r.PDF != "" {
		b, err := p.readFile("pdf", r.PDF, intel.MaxReportPDF)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			return fmt.Errorf("file %q in %q is not a PDF document (it does not begin with %%PDF-)", clip(r.PDF), "pdf")
		}
		rep.PDF = b
	}
	return nil
}

// readFile reads the file that field names, at most limit bytes. The name
// is relative to the parser's directory and may not leave it (no absolute
// name, no "..", no symbolic link out of it).
func (p *Parser) readFile(field, name string, limit int) ([]byte, error) {
	if p.dir == "" {
		return nil, fmt.Errorf("%q names the file %q, but the input has no directory (standard input): give -dir", field, clip(name))
	}
	if !filepath.IsLocal(name) {
		return nil, fmt.Errorf("bad file name %q in %q: want a name relative to the import file's directory, inside it", clip(name), field)
	}
	f, err := os.OpenInRoot(p.dir, name)
	if err != nil {
		return nil, fmt.Errorf("cannot read the file %q of %q: %v", clip(name), field, pathReason(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read the file %q of %q: %v", clip(name), field, pathReason(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the file %q of %q is not a regular file", clip(name), field)
	}
	tooBig := func(n int64) error {
		return fmt.Errorf("the file %q of %q has %d bytes, more than the %d allowed", clip(name), field, n, limit)
	}
	if fi.Size() > int64(limit) {
		return nil, tooBig(fi.Size())
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the file %q of %q: %v", clip(name), field, pathReason(err))
	}
	if len(b) > limit {
		return nil, tooBig(int64(len(b)))
	}
	return b, nil
}

// pathReason is err without the path that *fs.PathError repeats.
func pathReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func reportType(s string) (string, error) {
	for _, t := range []string{intel.ReportAPT, intel.ReportCrimeware, intel.ReportICS} {
		if strings.EqualFold(s, t) {
			return t, nil
		}
	}
	if s == "" {
		return "", fmt.Errorf("missing field %q", "type")
	}
	return "", fmt.Errorf("unknown report type %q (want %s, %s or %s)", clip(s), intel.ReportAPT, intel.ReportCrimeware, intel.ReportICS)
}

// domainOf normalises a domain name (intel.NormalizeDomain: lower case, no
// trailing dot, IDN to punycode); addresses and web addresses are refused.
func domainOf(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("empty domain in %q", "domains")
	}
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return "", fmt.Errorf("bad domain %q in %q: an address (list it in \"ips\")", clip(s), "domains")
	}
	key, err := intel.NormalizeDomain(s)
	if err != nil {
		return "", fmt.Errorf("bad domain %q in %q", clip(s), "domains")
	}
	return key, nil
}

// hashOf accepts an MD5, SHA-1 or SHA-256 in hex and returns it upper-case
// (intel.NormalizeHash).
func hashOf(s string) (string, error) {
	h, err := intel.NormalizeHash(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("bad hash %q in %q: want the hex of an MD5, SHA-1 or SHA-256", clip(s), "hashes")
	}
	return h, nil
}

// date parses a date field (importer.Date).
var date = importer.Date

// description decodes a string or a list of lines, joined with "\n".
func description(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("bad description: %s", jsonReason(err))
		}
		return strings.ReplaceAll(s, "\r\n", "\n"), nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return "", errors.New("bad description: want a string or a list of strings")
	}
	return strings.Join(l, "\n"), nil
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
	return "not a JSON object: " + err.Error()
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
