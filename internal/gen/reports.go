package gen

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// ReportOptions describe a synthetic set of threat reports, written by
// WriteReports (the reports format) or WriteSTIX (one STIX 2.1 bundle).
type ReportOptions struct {
	// Reports is the number of reports (100 if 0).
	Reports int
	// Indicators is the number of address indicators per report (20 if
	// 0); each report also names a few networks, domains, web addresses
	// and hashes.
	Indicators int
	// Seed selects one of the possible sets.
	Seed int64
	// Now is the present: reports are published up to two years before it
	// (time.Now truncated to the hour if zero).
	Now time.Time
	// Files gives the reports of WriteReports their files: YARA rules
	// (inline) for every report, and for every fourth a PDF named
	// ReportPDFName, which WriteReportPDFs writes.
	Files bool
}

func (o ReportOptions) withDefaults() ReportOptions {
	if o.Reports <= 0 {
		o.Reports = 100
	}
	if o.Indicators <= 0 {
		o.Indicators = 20
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC().Truncate(time.Hour)
	}
	return o
}

// publicOctets are first octets of public unicast IPv4 space.
var publicOctets = []int{5, 31, 45, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 176, 185, 193, 194, 195, 212, 213, 217}

// genReport is one synthetic report with its indicators.
type genReport struct {
	id, typ, title string
	published      time.Time
	industries     []string
	geo            []string
	actors         []string
	ips            []string
	cidrs          []string
	domains        []string
	urls           []string
	md5s           []string
}

var (
	reportTypes       = []string{intel.ReportAPT, intel.ReportAPT, intel.ReportCrimeware, intel.ReportICS}
	reportIndustries  = []string{"Energy", "Finance", "Government", "Healthcare", "Manufacturing", "Telecommunications", "Transportation"}
	reportGeo         = []string{"DE", "FR", "NL", "PL", "RO", "SE", "UA", "US"}
	reportActorPrefix = []string{"Amber", "Cobalt", "Granite", "Indigo", "Saffron", "Umber"}
)

func makeReport(o ReportOptions, n int) genReport {
	r := newRNG(o.Seed, 0x7265706f7274, uint64(n))
	g := genReport{
		id:        fmt.Sprintf("rpt-gen-%06d", n),
		typ:       pick(r, reportTypes),
		published: o.Now.Add(-time.Duration(r.intn(730*24)) * time.Hour),
	}
	g.title = fmt.Sprintf("Synthetic %s campaign %d", g.typ, n)
	g.industries = []string{pick(r, reportIndustries)}
	g.geo = []string{pick(r, reportGeo)}
	if g.typ != intel.ReportCrimeware {
		g.actors = []string{pick(r, reportActorPrefix) + " " + strconv.Itoa(r.intn(50))}
	}
	for range o.Indicators {
		g.ips = append(g.ips, fmt.Sprintf("%d.%d.%d.%d", pick(r, publicOctets), r.intn(256), r.intn(256), 1+r.intn(254)))
	}
	g.cidrs = append(g.cidrs, fmt.Sprintf("%d.%d.%d.0/24", pick(r, publicOctets), r.intn(256), r.intn(256)))
	for k := range 3 {
		g.domains = append(g.domains, fmt.Sprintf("c%d-%s.campaign-%d.test", k, base36(int(r.next()%1e6)), n))
	}
	g.urls = append(g.urls, "http://"+g.ips[0]+"/stage"+strconv.Itoa(r.intn(9))+".bin", "https://"+g.domains[0]+"/gate.php")
	for range 2 {
		g.md5s = append(g.md5s, fmt.Sprintf("%016x%016x", r.next(), r.next()))
	}
	return g
}

// WriteReports writes o.Reports reports in the reports import format
// (newline-delimited JSON). The same options give the same bytes.
func WriteReports(w io.Writer, o ReportOptions) error {
	o = o.withDefaults()
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	type record struct {
		ID          string            `json:"id"`
		Type        string            `json:"type"`
		Title       string            `json:"title"`
		Published   string            `json:"published"`
		Description string            `json:"description"`
		Industries  []string          `json:"industries"`
		Geo         []string          `json:"geo"`
		Actors      []string          `json:"actors,omitempty"`
		Tags        []string          `json:"tags"`
		IPs         []string          `json:"ips"`
		CIDRs       []string          `json:"cidrs"`
		Domains     []string          `json:"domains"`
		URLs        []string          `json:"urls"`
		Hashes      []string          `json:"hashes"`
		Updated     string            `json:"updated,omitempty"`
		Detected    map[string]string `json:"detected,omitempty"`
		YARA        string            `json:"yara,omitempty"`
		PDF         string            `json:"pdf,omitempty"`
	}
	for n := range o.Reports {
		g := makeReport(o, n)
		rec := record{ID: g.id, Type: g.typ, Title: g.title, Published: g.published.Format(time.RFC3339),
			Description: "Invented for tests and benchmarks.", Industries: g.industries, Geo: g.geo, Actors: g.actors,
			Tags: []string{"synthetic"}, IPs: g.ips, CIDRs: g.cidrs, Domains: g.domains, URLs: g.urls, Hashes: g.md5s}
		if o.Files {
			if n%3 == 1 { // updated some days after it was published
				upd := g.published.Add(time.Duration(1+n%30) * 24 * time.Hour)
				if upd.After(o.Now) {
					upd = o.Now
				}
				rec.Updated = upd.Format(time.RFC3339)
			}
			// The report's first address and first hash were detected
			// days before it was published.
			rec.Detected = map[string]string{}
			for i, x := range [][]string{g.ips, g.md5s} {
				if len(x) > 0 {
					rec.Detected[x[0]] = g.published.Add(-time.Duration(1+(n+i)%20) * 24 * time.Hour).Format(time.DateOnly)
				}
			}
			// A SHA-1 and a SHA-256 besides the MD5s: every kind of
			// indicator the format takes.
			sha1Sum, sha256Sum := sha1.Sum([]byte(g.id)), sha256.Sum256([]byte(g.id))
			rec.Hashes = append(slices.Clip(rec.Hashes), hex.EncodeToString(sha1Sum[:]), hex.EncodeToString(sha256Sum[:]))
			rec.YARA = reportYARA(&g, n)
			if hasReportPDF(n) {
				rec.PDF = ReportPDFName(g.id)
			}
		}
		err := enc.Encode(rec)
		if err != nil {
			return fmt.Errorf("write reports: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write reports: %w", err)
	}
	return nil
}

// reportYARA is a YARA rule of report n, matching its domains and hashes.
func reportYARA(g *genReport, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule Synthetic_%s_%d\n{\n    meta:\n        description = \"Invented for tests and benchmarks\"\n        report = \"%s\"\n    strings:\n",
		g.typ, n, g.id)
	for i, d := range g.domains {
		fmt.Fprintf(&b, "        $d%d = \"%s\" ascii wide\n", i, d)
	}
	for i, h := range g.md5s {
		fmt.Fprintf(&b, "        $h%d = {", i)
		for j := 0; j+2 <= 16; j += 2 {
			b.WriteString(" " + strings.ToUpper(h[j:j+2]))
		}
		b.WriteString(" }\n")
	}
	b.WriteString("    condition:\n        any of them\n}\n")
	return b.String()
}

// hasReportPDF reports whether report n of WriteReports with Files has a
// PDF: every fourth.
func hasReportPDF(n int) bool { return n%4 == 0 }

// ReportPDFName is the file name, relative to the reports file, of the PDF
// of the report id.
func ReportPDFName(id string) string { return "pdf/" + id + ".pdf" }

// WriteReportPDFs writes, under dir, the PDFs that the reports of
// WriteReports with o.Files name (ReportPDFName): one-page documents (PDF)
// with the report's title and a few lines about it. The same options give
// the same bytes.
func WriteReportPDFs(dir string, o ReportOptions) error {
	o = o.withDefaults()
	for n := range o.Reports {
		if !hasReportPDF(n) {
			continue
		}
		g := makeReport(o, n)
		path := filepath.Join(dir, filepath.FromSlash(ReportPDFName(g.id)))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write report PDFs: %w", err)
		}
		doc := PDF(g.title, "Report "+g.id+", published "+g.published.Format("2006-01-02")+".",
			"Invented for tests and benchmarks: nothing in it is true.",
			fmt.Sprintf("Indicators: %d addresses, %d domains, %d web addresses, %d hashes.", len(g.ips), len(g.domains), len(g.urls), len(g.md5s)))
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			return fmt.Errorf("write report PDFs: %w", err)
		}
	}
	return nil
}

// WriteSTIX writes the same reports as WriteReports as one STIX 2.1 bundle:
// per report an intrusion set (APT, ICS) or a malware (crimeware), one
// indicator per address, domain, URL and hash with an "indicates"
// relationship to it, a sighting of the first address, and the report
// referring to all of them. Object ids are derived from the options, so the
// same options give the same bytes.
func WriteSTIX(w io.Writer, o ReportOptions) error {
	o = o.withDefaults()
	bw := bufio.NewWriterSize(w, 64<<10)
	first := true
	obj := func(v map[string]any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if !first {
			bw.WriteString(",\n")
		}
		first = false
		_, err = bw.Write(b)
		return err
	}
	id := func(typ string, n, k int) string {
		h := hash(o.Seed, uint64(n), uint64(k))
		return fmt.Sprintf("%s--%08x-%04x-4%03x-8%03x-%012x", typ, uint32(h>>32), uint16(h>>16), h&0xfff, (h>>12)&0xfff, h&0xffffffffffff)
	}
	fmt.Fprintf(bw, "{\"type\":\"bundle\",\"id\":%q,\"objects\":[\n", id("bundle", -1, 0))
	for n := range o.Reports {
		g := makeReport(o, n)
		ts := g.published.Format(time.RFC3339)
		common := func(typ, oid string) map[string]any {
			return map[string]any{"type": typ, "spec_version": "2.1", "id": oid, "created": ts, "modified": ts}
		}
		var target map[string]any
		if g.typ == intel.ReportCrimeware {
			target = common("malware", id("malware", n, 0))
			target["name"] = "SynthLoader " + strconv.Itoa(n)
			target["is_family"] = true
		} else {
			target = common("intrusion-set", id("intrusion-set", n, 0))
			target["name"] = g.actors[0]
		}
		if err := obj(target); err != nil {
			return fmt.Errorf("write stix: %w", err)
		}
		refs := []string{target["id"].(string)}
		k := 1
		indicator := func(pattern string) error {
			ind := common("indicator", id("indicator", n, k))
			ind["pattern"] = pattern
			ind["pattern_type"] = "stix"
			ind["valid_from"] = ts
			ind["indicator_types"] = []string{"malicious-activity"}
			rel := common("relationship", id("relationship", n, k))
			rel["relationship_type"] = "indicates"
			rel["source_ref"] = ind["id"]
			rel["target_ref"] = target["id"]
			k++
			refs = append(refs, ind["id"].(string))
			if err := obj(ind); err != nil {
				return err
			}
			return obj(rel)
		}
		for _, ip := range g.ips {
			if err := indicator(fmt.Sprintf("[ipv4-addr:value = '%s']", ip)); err != nil {
				return fmt.Errorf("write stix: %w", err)
			}
		}
		for _, d := range g.domains {
			if err := indicator(fmt.Sprintf("[domain-name:value = '%s']", d)); err != nil {
				return fmt.Errorf("write stix: %w", err)
			}
		}
		for _, u := range g.urls {
			if err := indicator(fmt.Sprintf("[url:value = '%s']", u)); err != nil {
				return fmt.Errorf("write stix: %w", err)
			}
		}
		for _, h := range g.md5s {
			if err := indicator(fmt.Sprintf("[file:hashes.MD5 = '%s']", h)); err != nil {
				return fmt.Errorf("write stix: %w", err)
			}
		}
		s := common("sighting", id("sighting", n, 0))
		s["sighting_of_ref"] = refs[1]
		s["count"] = 1 + n%50
		s["first_seen"], s["last_seen"] = ts, ts
		if err := obj(s); err != nil {
			return fmt.Errorf("write stix: %w", err)
		}
		rep := common("report", id("report", n, 0))
		rep["name"] = g.title
		rep["published"] = ts
		rep["report_types"] = []string{"threat-report"}
		rep["description"] = "Invented for tests and benchmarks."
		rep["object_refs"] = refs
		if err := obj(rep); err != nil {
			return fmt.Errorf("write stix: %w", err)
		}
	}
	bw.WriteString("\n]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write stix: %w", err)
	}
	return nil
}
