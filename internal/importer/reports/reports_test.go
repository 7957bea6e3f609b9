package reports_test

import (
	"bytes"
	"context"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/importer/reports"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// parseFile parses path with a new parser as the pipeline does and returns
// the batch and the bad lines (line number -> reason).
func parseFile(t testing.TB, path string) (*intel.Batch, map[int]string) {
	t.Helper()
	return importtest.ParseFile(t, path, reports.New(importer.ParserConfig{}))
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	importtest.Golden(t, name, v, *update)
}

func TestGolden(t *testing.T) {
	b, bad := parseFile(t, "testdata/reports.jsonl")
	if len(bad) != 0 {
		t.Fatalf("bad lines in the golden fixture: %v", bad)
	}
	golden(t, "reports.golden", b)
	if len(b.Reports) != 3 {
		t.Fatalf("got %d reports, want 3", len(b.Reports))
	}
	r := b.Reports[0]
	want := []string{"45.95.147.10", "91.92.109.43", "192.0.2.7", "185.220.100.0/24", "45.95.147.11/32",
		"c2.badcorp.example", "45.95.147.10/bins/x86", "cdn.badcorp.example/a.js",
		"0F343B0931126A20F133D67C2B018A3B", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}
	if !slices.Equal(r.Indicators, want) {
		t.Errorf("got indicators %q, want %q", r.Indicators, want)
	}
	if b.Reports[1].Type != intel.ReportCrimeware || b.Reports[1].Description != "One line.\nTwo lines." {
		t.Errorf("got %+v, want type Crimeware and two description lines", b.Reports[1])
	}
}

func TestMixed(t *testing.T) {
	b, bad := parseFile(t, "testdata/mixed.jsonl")
	want := map[int]string{
		2:  `bad address "45.95.147.300" in "ips"`,
		3:  `unknown report type "Espionage"`,
		4:  "not valid JSON",
		6:  "wider than /16",
		7:  `missing field "published"`,
		9:  `bad hash "xyz"`,
		10: `field "ips": want []string, not string`,
		11: "an address",
		12: `cannot read the file "missing.pdf" of "pdf"`,
		13: `bad file name "../testdata/rpt-2026-0117.pdf" in "pdf"`,
		14: `file "not-a.pdf" in "pdf" is not a PDF document`,
		15: `both "yara" and "yara_file" are given`,
		16: `bad file name "/etc/hostname" in "yara_file"`,
	}
	importtest.CheckBad(t, bad, want)
	var ids []string
	for _, r := range b.Reports {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"rpt-ok-1", "rpt-ok-8", "rpt-ok-17"}) {
		t.Errorf("got reports %v, want rpt-ok-1, rpt-ok-8 and rpt-ok-17", ids)
	}
	if r := b.Reports[2]; r.YARA == "" || !bytes.HasPrefix(r.PDF, []byte("%PDF-")) {
		t.Errorf("rpt-ok-17: got %d bytes of YARA and PDF %.20q, want both files", len(r.YARA), r.PDF)
	}
}

// TestFiles: the YARA rules (inline and from a file) and the PDF next to
// the input are read as they are; a file over its cap, or an input
// without a directory, makes the line bad.
func TestFiles(t *testing.T) {
	b, bad := parseFile(t, "testdata/reports.jsonl")
	if len(bad) != 0 {
		t.Fatalf("bad lines: %v", bad)
	}
	pdf, err := os.ReadFile("testdata/rpt-2026-0117.pdf")
	if err != nil {
		t.Fatal(err)
	}
	yar, err := os.ReadFile("testdata/rpt-2026-0200.yar")
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Reports[0]; !bytes.Equal(r.PDF, pdf) || !strings.HasPrefix(r.YARA, "rule Example_Campaign_Telecoms\n{") {
		t.Errorf("rpt-2026-0117: got PDF of %d bytes and YARA %.40q, want the PDF file (%d bytes) and the inline rules", len(r.PDF), r.YARA, len(pdf))
	}
	if r := b.Reports[1]; r.YARA != string(yar) || r.PDF != nil {
		t.Errorf("rpt-2026-0200: got YARA %.40q and %d bytes of PDF, want the rules file and no PDF", r.YARA, len(r.PDF))
	}
	if r := b.Reports[2]; r.YARA != "" || r.PDF != nil {
		t.Errorf("rpt-2026-0301: got files, want none")
	}

	dir := t.TempDir()
	big := append([]byte("%PDF-1.4\n"), make([]byte, intel.MaxReportPDF)...)
	if err := os.WriteFile(filepath.Join(dir, "big.pdf"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.yar"), bytes.Repeat([]byte("x"), intel.MaxReportYARA+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin.yar"), []byte("rule \xff\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir, line, want string
	}{
		{dir, `{"id":"r","type":"APT","title":"t","published":"2026-11-01","pdf":"big.pdf"}`, `the file "big.pdf" of "pdf" has 16777225 bytes, more than the 16777216 allowed`},
		{dir, `{"id":"r","type":"APT","title":"t","published":"2026-11-01","yara_file":"big.yar"}`, `the file "big.yar" of "yara_file" has 1048577 bytes, more than the 1048576 allowed`},
		{dir, `{"id":"r","type":"APT","title":"t","published":"2026-11-01","yara_file":"bin.yar"}`, `file "bin.yar" in "yara_file" is not UTF-8 text`},
		{dir, `{"id":"r","type":"APT","title":"t","published":"2026-11-01","yara_file":"."}`, `the file "." of "yara_file" is not a regular file`},
		{"", `{"id":"r","type":"APT","title":"t","published":"2026-11-01","pdf":"a.pdf"}`, `the input has no directory (standard input): give -dir`},
		{dir, `{"id":"r","type":"APT","title":"t","published":"2026-11-01","yara":"rule a\u0000"}`, `"yara" holds a NUL character`},
	} {
		p := reports.New(importer.ParserConfig{})
		p.SetDir(c.dir)
		var b intel.Batch
		err := p.Parse([]byte(c.line), 1, &b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want %q", c.line, err, c.want)
		}
	}
}

// TestFilesImported: the files reach the store with the report, and a
// report imported again without them loses them.
func TestFilesImported(t *testing.T) {
	w := importtest.NewWorld()
	newP := func() importer.Parser { return reports.New(importer.ParserConfig{}) }
	w.Import(t, "testdata/reports.jsonl", newP, importer.Options{})
	pdf, err := os.ReadFile("testdata/rpt-2026-0117.pdf")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := store.ReportPDF(ctx, w.Store, "rpt-2026-0117")
	if err != nil || !bytes.Equal(got, pdf) {
		t.Errorf("stored PDF: got %d bytes (%v), want %d", len(got), err, len(pdf))
	}
	yara, err := store.ReportYARA(ctx, w.Store, []string{"rpt-2026-0117", "rpt-2026-0200", "rpt-2026-0301"})
	if err != nil || len(yara) != 2 {
		t.Errorf("stored YARA: got %d reports' rules (%v), want 2", len(yara), err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "again.jsonl")
	if err := os.WriteFile(file, []byte(`{"id":"rpt-2026-0117","type":"APT","title":"Again","published":"2026-11-10"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.Import(t, file, newP, importer.Options{})
	if got, err := store.ReportPDF(ctx, w.Store, "rpt-2026-0117"); err != nil || got != nil {
		t.Errorf("PDF after a re-import without it: got %d bytes (%v), want none", len(got), err)
	}
}

func TestEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	w.Import(t, "testdata/world.jsonl", func() importer.Parser { return jsonl.New(importer.ParserConfig{}) }, importer.Options{})
	newP := func() importer.Parser { return reports.New(importer.ParserConfig{}) }
	sum := w.Import(t, "testdata/reports.jsonl", newP, importer.Options{})
	if sum.Read != 3 || sum.Applied != 3 || sum.Skipped != 0 {
		t.Errorf("got %+v, want 3 reports read and applied", sum)
	}
	apt := []report.ReportRef{{ID: "rpt-2026-0117", Type: intel.ReportAPT, Title: "Example campaign against telecoms",
		Published: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), Updated: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}}
	industries := []string{"Government", "Telecommunications"}
	for _, c := range []struct {
		ip      string
		why     string
		reports []report.ReportRef
		hosted  []string
		cat     intel.Category
	}{
		{"45.95.147.10", "named in ips, URL on it", apt, []string{"45.95.147.10/bins/x86"}, ""},
		{"91.92.109.43", "named as IPv4-mapped", apt, nil, ""},
		{"45.95.147.11", "a /32 in cidrs", apt, nil, ""},
		{"91.92.109.50", "its domain is named (passive DNS)", apt, nil, ""},
		{"91.92.109.51", "a URL on its domain is named", nil, []string{"cdn.badcorp.example/a.js"}, ""},
		{"185.220.100.77", "inside a named /24", nil, nil, intel.CatAPT},
	} {
		r := w.Report(t, c.ip)
		g := r.General
		if hasAPT := c.reports != nil || c.cat == intel.CatAPT; g.HasAPT != hasAPT {
			t.Errorf("%s (%s): HasApt = %v, want %v", c.ip, c.why, g.HasAPT, hasAPT)
		}
		if c.hosted != nil && !r.HasRedZone {
			t.Errorf("%s (%s): HasRedZone = false with a red hosted URL", c.ip, c.why)
		}
		if !slices.Equal(g.Reports, c.reports) {
			t.Errorf("%s (%s): got RelatedAptReports %+v, want %+v", c.ip, c.why, g.Reports, c.reports)
		}
		if c.reports != nil && !slices.Equal(r.Industries, industries) {
			t.Errorf("%s (%s): got Industries %v, want %v", c.ip, c.why, r.Industries, industries)
		}
		var hosted []string
		for _, u := range r.HostedURLs {
			hosted = append(hosted, u.URL)
			if u.Zone != intel.ZoneRed {
				t.Errorf("%s: hosted URL %s zone %s, want Red", c.ip, u.URL, u.Zone)
			}
		}
		if !slices.Equal(hosted, c.hosted) {
			t.Errorf("%s (%s): got HostedUrls %v, want %v", c.ip, c.why, hosted, c.hosted)
		}
		if c.cat != "" && !slices.ContainsFunc(g.Categories, func(cz score.CategoryZone) bool { return cz.Name == c.cat }) {
			t.Errorf("%s (%s): got categories %+v, want %s", c.ip, c.why, g.Categories, c.cat)
		}
	}
	// The crimeware report names the address; the ICS report names its
	// /48, which puts it in CATEGORY_APT without linking the report.
	if r := w.Report(t, "2a03:b0c0:3:d0::1a2b:1"); !r.General.HasAPT || len(r.General.Reports) != 1 ||
		r.General.Reports[0].ID != "rpt-2026-0200" || !slices.Equal(r.Industries, []string{"Finance"}) ||
		len(r.General.Categories) != 1 || r.General.Categories[0].Name != intel.CatAPT {
		t.Errorf("got %+v, industries %v; want the crimeware report linked and CATEGORY_APT", r.General, r.Industries)
	}
	// A documentation address named in a report is answered as Reserved.
	if r := w.Report(t, "192.0.2.7"); !r.Reserved || r.Zone != intel.ZoneGrey || r.General.HasAPT {
		t.Errorf("192.0.2.7: got reserved %v zone %s HasApt %v, want a Grey reserved answer", r.Reserved, r.Zone, r.General.HasAPT)
	}
	rep, err := w.Store.Report(context.Background(), "rpt-2026-0117")
	if err != nil || len(rep.Indicators) != 10 || rep.Source.File != "reports.jsonl" {
		t.Errorf("got %+v, %v; want the report with its 10 indicators", rep, err)
	}
	// The domain, URL and hash lookups find the report through what it
	// names.
	for _, c := range []struct {
		list  intel.LinkList
		owner string
	}{
		{intel.LinkHostReports, "c2.badcorp.example"},
		{intel.LinkURLReports, "45.95.147.10/bins/x86"},
		{intel.LinkURLReports, "cdn.badcorp.example/a.js"},
		{intel.LinkFileReports, "0F343B0931126A20F133D67C2B018A3B"},
		{intel.LinkFileReports, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
	} {
		if got := w.LinkItems(t, c.list, c.owner); !slices.Equal(got, []string{"rpt-2026-0117"}) {
			t.Errorf("%s: got reports %v, want rpt-2026-0117", c.owner, got)
		}
	}
	if u := w.Object(t, intel.ObjectURL, "cdn.badcorp.example/a.js"); !importtest.HasListing(u, intel.CatAPT, reports.DefaultFeed) {
		t.Errorf("cdn.badcorp.example/a.js: got listings %+v, want APT", u.Listings)
	}

	// Importing again changes nothing a user sees.
	ips := []string{"45.95.147.10", "45.95.147.11", "91.92.109.50", "91.92.109.51", "185.220.100.77", "2a03:b0c0:3:d0::1a2b:1"}
	before := w.Dump(t, ips...)
	w.Import(t, "testdata/reports.jsonl", newP, importer.Options{})
	importtest.SameSnapshots(t, before, w.Dump(t, ips...))
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("testdata/reports.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(l)
	}
	mixed, _ := os.ReadFile("testdata/mixed.jsonl")
	for _, l := range bytes.Split(mixed, []byte("\n")) {
		f.Add(l)
	}
	f.Add([]byte(`{"id":"x","type":"APT","title":"t","published":"2026-11-01","yara_file":"rpt-2026-0200.yar","pdf":"rpt-2026-0117.pdf"}`))
	f.Add([]byte(`{"id":"x","type":"APT","title":"t","published":"2026-11-01","pdf":"testdata/../rpt-2026-0117.pdf"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var b intel.Batch
		p := reports.New(importer.ParserConfig{})
		p.SetDir("testdata") // file names resolve next to the fixtures
		if err := p.Parse(line, 1, &b); err != nil {
			return // the pipeline discards what a bad line appended
		}
		for _, r := range b.Reports {
			if r.ID == "" || r.Published.IsZero() || len(r.Indicators) > intel.MaxReportIndicators {
				t.Fatalf("accepted an invalid report %+v", r)
			}
			if len(r.YARA) > intel.MaxReportYARA || len(r.PDF) > intel.MaxReportPDF ||
				strings.IndexByte(r.YARA, 0) >= 0 || !utf8.ValidString(r.YARA) ||
				r.PDF != nil && !bytes.HasPrefix(r.PDF, []byte("%PDF-")) {
				t.Fatalf("accepted files the stores refuse: %d bytes of YARA, PDF %.20q", len(r.YARA), r.PDF)
			}
		}
		if err := (&intel.Batch{Reports: b.Reports}).Validate(); err != nil {
			t.Fatalf("accepted a report the stores refuse: %v", err)
		}
		for _, l := range b.ReportLinks {
			if !l.IP.IsValid() && l.Domain == "" {
				t.Fatalf("link without address or domain: %+v", l)
			}
		}
		for _, n := range b.NetListings {
			if n.Prefix != n.Prefix.Masked() {
				t.Fatalf("unmasked prefix %s", n.Prefix)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	if err := gen.WriteReports(&buf, gen.ReportOptions{Reports: 200, Seed: 1, Now: now}); err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	p := reports.New(importer.ParserConfig{})
	var batch intel.Batch
	b.SetBytes(int64(buf.Len() / len(lines)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		batch.Reset()
		if err := p.Parse(lines[i%len(lines)], i, &batch); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDetected: the detection dates a report gives its indicators are
// kept by the normalised indicator, date its evidence, and leave the
// others at the report's date; a date of something that is not one of
// its indicators, or a malformed date, makes the line bad.
func TestDetected(t *testing.T) {
	p := reports.New(importer.ParserConfig{})
	var b intel.Batch
	line := `{"id":"rpt-d","type":"APT","title":"Dated","published":"2026-06-10","ips":["::ffff:45.95.147.10","91.92.109.43"],` +
		`"urls":["HTTP://C2.Dated.example/gate"],"hashes":["0f343b0931126a20f133d67c2b018a3b"],` +
		`"detected":{"::ffff:45.95.147.10":"2026-05-30","HTTP://C2.Dated.example/gate":"2026-06-01T08:30:00Z","0f343b0931126a20f133d67c2b018a3b":"2026-06-02"}}`
	if err := p.Parse([]byte(line), 1, &b); err != nil {
		t.Fatal(err)
	}
	r := b.Reports[0]
	d := func(s string) time.Time { x, _ := time.Parse(time.RFC3339, s); return x }
	want := map[string]time.Time{
		"45.95.147.10":                     d("2026-05-30T00:00:00Z"),
		"c2.dated.example/gate":            d("2026-06-01T08:30:00Z"),
		"0F343B0931126A20F133D67C2B018A3B": d("2026-06-02T00:00:00Z"),
	}
	if !maps.EqualFunc(r.Detected, want, time.Time.Equal) {
		t.Errorf("Detected = %v, want %v", r.Detected, want)
	}
	if got := r.DetectedOn("91.92.109.43"); !got.Equal(d("2026-06-10T00:00:00Z")) {
		t.Errorf("an undated indicator detected %s, want the report's date", got)
	}
	if l := b.ObjectListings[0]; !l.LastSeen.Equal(d("2026-06-01T08:30:00Z")) {
		t.Errorf("the web address's listing is seen %s, want its detection date", l.LastSeen)
	}
	if err := (&intel.Batch{Reports: b.Reports}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	bad := r
	bad.Detected = map[string]time.Time{"198.51.100.1": d("2026-05-30T00:00:00Z")}
	if err := (&intel.Batch{Reports: []intel.Report{bad}}).Validate(); err == nil {
		t.Error("Validate takes a detection date of no indicator")
	}
	for _, tc := range []struct{ detected, want string }{
		{`{"45.95.147.11":"2026-05-30"}`, `"45.95.147.11" has a detection date but is not one of the report's indicators`},
		{`{"91.92.109.43":"yesterday"}`, `detection date of "91.92.109.43"`},
	} {
		var b intel.Batch
		line := `{"id":"rpt-e","type":"APT","title":"Bad","published":"2026-06-10","ips":["91.92.109.43"],"detected":` + tc.detected + `}`
		if err := p.Parse([]byte(line), 1, &b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("detected %s: got %v, want an error with %q", tc.detected, err, tc.want)
		}
	}
}
