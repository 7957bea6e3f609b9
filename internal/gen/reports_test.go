package gen_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/reports"
	"github.com/tipd/tipd/internal/importer/stix"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// discard is a store that keeps nothing; every domain resolves to one
// address, so the domain join does its work.
type discard struct{ store.Intel }

func (discard) Apply(context.Context, *intel.Batch) error { return nil }
func (discard) DomainIPs(context.Context, string, int) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("45.95.147.10")}, nil
}

var reportNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestReportsDeterministic(t *testing.T) {
	o := gen.ReportOptions{Reports: 5, Seed: 3, Now: reportNow}
	for _, w := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return gen.WriteReports(b, o) },
		func(b *bytes.Buffer) error { return gen.WriteSTIX(b, o) },
	} {
		var a, b bytes.Buffer
		if err := w(&a); err != nil {
			t.Fatal(err)
		}
		if err := w(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) || a.Len() == 0 {
			t.Errorf("output differs between runs or is empty")
		}
	}
}

// BenchmarkImportReports imports 10,000 generated reports (20 addresses and
// 8 other indicators each) in each format through the pipeline.
func BenchmarkImportReports(b *testing.B) {
	o := gen.ReportOptions{Reports: 10000, Seed: 1, Now: reportNow}
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
		parse func() importer.Parser
	}{
		{"reports", func(w *bytes.Buffer) error { return gen.WriteReports(w, o) }, func() importer.Parser { return reports.New(importer.ParserConfig{}) }},
		{"stix", func(w *bytes.Buffer) error { return gen.WriteSTIX(w, o) }, func() importer.Parser { return stix.New(importer.ParserConfig{}) }},
	} {
		b.Run(f.name, func(b *testing.B) {
			var buf bytes.Buffer
			if err := f.write(&buf); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
			b.ReportAllocs()
			for b.Loop() {
				sum, err := importer.Import(context.Background(), discard{}, bytes.NewReader(buf.Bytes()), f.parse, importer.Options{})
				if err != nil || sum.Skipped != 0 {
					b.Fatalf("%+v %v", sum, err)
				}
				b.ReportMetric(float64(sum.Records), "records/op")
			}
		})
	}
}

// TestReportFiles: with Files, every report has YARA rules and an update
// date on every third, every fourth names a PDF that WriteReportPDFs
// writes next to the file; the reports parser imports them all.
func TestReportFiles(t *testing.T) {
	o := gen.ReportOptions{Reports: 9, Seed: 3, Now: reportNow, Files: true}
	var buf bytes.Buffer
	if err := gen.WriteReports(&buf, o); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := gen.WriteReportPDFs(dir, o); err != nil {
		t.Fatal(err)
	}
	p := reports.New(importer.ParserConfig{})
	b, sum, err := importer.ParseAll(context.Background(), &buf, p, importer.Options{Dir: dir})
	if err != nil || sum.Skipped != 0 || len(b.Reports) != 9 {
		t.Fatalf("got %d reports, %+v, %v; want 9 and no bad line", len(b.Reports), sum.Bad, err)
	}
	for n, r := range b.Reports {
		if !strings.HasPrefix(r.YARA, "rule Synthetic_") || !strings.Contains(r.YARA, r.ID) {
			t.Errorf("%s: got YARA %.60q, want a rule naming the report", r.ID, r.YARA)
		}
		if (r.PDF != nil) != (n%4 == 0) {
			t.Errorf("%s: got a PDF %v, want one on every fourth report", r.ID, r.PDF != nil)
		}
		if r.PDF != nil {
			checkPDF(t, r.ID, r.PDF)
		}
		if (!r.Updated.IsZero()) != (n%3 == 1) || !r.Updated.IsZero() && (r.Updated.Before(r.Published) || r.Updated.After(reportNow)) {
			t.Errorf("%s: updated %v (published %v), want a date after it on every third report", r.ID, r.Updated, r.Published)
		}
	}
	// Without Files: neither rules nor PDFs nor update dates.
	buf.Reset()
	if err := gen.WriteReports(&buf, gen.ReportOptions{Reports: 3, Seed: 3, Now: reportNow}); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.Contains(s, `"yara"`) || strings.Contains(s, `"pdf"`) || strings.Contains(s, `"updated"`) {
		t.Errorf("files without Files: %s", s)
	}
}

// checkPDF checks the structure of a PDF that gen.PDF writes: the header,
// each object at the offset the cross-reference table gives, the stream
// length, startxref at the table, and the end marker.
func checkPDF(t *testing.T, what string, doc []byte) {
	t.Helper()
	s := string(doc)
	if !strings.HasPrefix(s, "%PDF-1.4\n") || !strings.HasSuffix(s, "%%EOF\n") {
		t.Fatalf("%s: no PDF header or end marker", what)
	}
	i := strings.LastIndex(s, "startxref\n")
	var xref int
	if _, err := fmt.Sscanf(s[i+len("startxref\n"):], "%d", &xref); err != nil || !strings.HasPrefix(s[xref:], "xref\n0 6\n") {
		t.Fatalf("%s: startxref does not point at the cross-reference table of 6 entries", what)
	}
	entries := strings.Split(s[xref+len("xref\n0 6\n"):], "\n")[:6]
	for n, e := range entries {
		if len(e)+1 != 20 {
			t.Errorf("%s: entry %d %q is not 20 bytes", what, n, e)
		}
		if n == 0 {
			continue
		}
		var off int
		if _, err := fmt.Sscanf(e, "%d", &off); err != nil || !strings.HasPrefix(s[off:], fmt.Sprintf("%d 0 obj\n", n)) {
			t.Errorf("%s: object %d is not at offset %q", what, n, e)
		}
	}
	j := strings.Index(s, "/Length ")
	var length int
	if _, err := fmt.Sscanf(s[j:], "/Length %d", &length); err != nil {
		t.Fatalf("%s: no stream length", what)
	}
	start := strings.Index(s, "stream\n") + len("stream\n")
	if !strings.HasPrefix(s[start+length:], "endstream") {
		t.Errorf("%s: the stream is not %d bytes long", what, length)
	}
}

func TestPDF(t *testing.T) {
	doc := gen.PDF(`A (title) with \ and é`, "line one", "line (two)")
	checkPDF(t, "PDF", doc)
	if !bytes.Contains(doc, []byte(`(A \(title\) with \\ and ?) Tj`)) || !bytes.Contains(doc, []byte(`(line \(two\)) '`)) {
		t.Errorf("text not escaped:\n%s", doc)
	}
	if !bytes.Equal(doc, gen.PDF(`A (title) with \ and é`, "line one", "line (two)")) {
		t.Error("the same text gives other bytes")
	}
}

// TestWorldReports: the world's reports in the reports format, with YARA
// rules for each and a PDF for every other one, are the reports of the
// world (the same ids and titles) and import without a bad line.
func TestWorldReports(t *testing.T) {
	o := gen.Options{Size: 500, Seed: 2, Now: reportNow}
	var world, buf bytes.Buffer
	if _, err := gen.Write(&world, o); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := gen.WriteWorldReports(&buf, dir, o); err != nil {
		t.Fatal(err)
	}
	b, sum, err := importer.ParseAll(context.Background(), &buf, reports.New(importer.ParserConfig{}), importer.Options{Dir: dir})
	if err != nil || sum.Skipped != 0 || len(b.Reports) != 3 {
		t.Fatalf("got %d reports, %+v, %v; want 3 and no bad line", len(b.Reports), sum.Bad, err)
	}
	for n, r := range b.Reports {
		if !strings.Contains(world.String(), fmt.Sprintf(`"id":%q,"type":%q,"title":%q`, r.ID, r.Type, r.Title)) {
			t.Errorf("%s (%s) is not a report of the world", r.ID, r.Title)
		}
		if !strings.HasPrefix(r.YARA, "rule World_") || (r.PDF != nil) != (n%2 == 0) {
			t.Errorf("%s: YARA %.30q, PDF %v; want rules, and a PDF on every other report", r.ID, r.YARA, r.PDF != nil)
		}
		if r.PDF != nil {
			checkPDF(t, r.ID, r.PDF)
		}
	}
}
