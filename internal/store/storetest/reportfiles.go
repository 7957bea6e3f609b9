package storetest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// testReportFiles checks the files of reports (store.ReportYARA,
// store.ReportPDF): kept with the report and replaced with it, never in
// what Report and Reports read, refused over their caps with nothing
// stored, and persistent.
func testReportFiles(t *testing.T, f Factory) {
	s := open(t, f)
	if _, ok := s.(store.ReportFilesReader); !ok {
		t.Fatalf("%T keeps no report files (store.ReportFilesReader)", s)
	}
	pdf := []byte("%PDF-1.4\n\x00\xff binary\n%%EOF\n")
	yara := "rule one { strings: $a = \"x\" condition: $a }\n"
	r1 := intel.Report{ID: "R-1", Type: intel.ReportAPT, Title: "One", Published: day(2024, 1, 1), YARA: yara, PDF: pdf}
	r2 := intel.Report{ID: "R-2", Type: intel.ReportCrimeware, Title: "Two", Published: day(2024, 1, 2), YARA: "rule two { condition: true }"}
	r3 := intel.Report{ID: "R-3", Type: intel.ReportICS, Title: "Three", Published: day(2024, 1, 3)}
	apply(t, s, &intel.Batch{Reports: []intel.Report{r1, r2, r3}})

	files := func(what string, wantYARA map[string]string, wantPDF map[string][]byte) {
		t.Helper()
		got, err := store.ReportYARA(ctx(t), s, []string{"R-1", "R-2", "R-3", "R-9"})
		if err != nil {
			t.Fatal(err)
		}
		check(t, what+": YARA", got, wantYARA)
		for _, id := range []string{"R-1", "R-2", "R-3", "R-9"} {
			p, err := store.ReportPDF(ctx(t), s, id)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p, wantPDF[id]) || (p == nil) != (wantPDF[id] == nil) {
				t.Errorf("%s: PDF of %s: got %q, want %q", what, id, p, wantPDF[id])
			}
		}
	}
	files("applied", map[string]string{"R-1": yara, "R-2": r2.YARA}, map[string][]byte{"R-1": pdf})

	// The reports are read without their files.
	got, err := s.Report(ctx(t), "R-1")
	if err != nil {
		t.Fatal(err)
	}
	bare := r1
	bare.YARA, bare.PDF = "", nil
	check(t, "report without files", got, bare)
	list, err := s.Reports(ctx(t), day(2000, 1, 1), day(2100, 1, 1), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.YARA != "" || r.PDF != nil {
			t.Errorf("Reports: %s carries its files", r.ID)
		}
	}

	// A re-imported report replaces its files: R-1 loses its rules and
	// keeps a new PDF, R-2 loses its rules, R-3 gains a PDF; in one batch
	// the latest applied wins.
	pdf2 := []byte("%PDF-1.7\nsecond\n%%EOF\n")
	r1b, r2b, r3b := r1, r2, r3
	r1b.YARA, r1b.PDF = "", pdf2
	r2b.YARA = ""
	r3a, r3b2 := r3b, r3b
	r3a.PDF = []byte("%PDF-1.0 first")
	r3b2.PDF = pdf
	apply(t, s, &intel.Batch{Reports: []intel.Report{r1b, r2b, r3a, r3b2}})
	files("replaced", map[string]string{}, map[string][]byte{"R-1": pdf2, "R-3": pdf})

	// Over the caps: the batch is refused, nothing of it stored.
	for _, big := range []intel.Report{
		{ID: "R-1", Type: intel.ReportAPT, Title: "Big", YARA: strings.Repeat("x", intel.MaxReportYARA+1)},
		{ID: "R-1", Type: intel.ReportAPT, Title: "Big", PDF: make([]byte, intel.MaxReportPDF+1)},
	} {
		if err := s.Apply(ctx(t), &intel.Batch{Reports: []intel.Report{big}}); err == nil {
			t.Errorf("Apply of a report with %d bytes of YARA and %d of PDF: no error", len(big.YARA), len(big.PDF))
		}
	}
	files("after refused batches", map[string]string{}, map[string][]byte{"R-1": pdf2, "R-3": pdf})
	if got, err := s.Report(ctx(t), "R-1"); err != nil || got.Title != "One" {
		t.Errorf("after refused batches: R-1 is %q (%v), want One", got.Title, err)
	}

	// Idempotent, and persistent.
	apply(t, s, &intel.Batch{Reports: []intel.Report{r1b, r2b, r3b2}})
	files("applied again", map[string]string{}, map[string][]byte{"R-1": pdf2, "R-3": pdf})
	if f.Reopen == nil {
		return
	}
	s = f.Reopen(t, s)
	files("after reopen", map[string]string{}, map[string][]byte{"R-1": pdf2, "R-3": pdf})
}
