package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGenEveryFormat writes every import format with `tipd gen -formats all`
// and imports each file with the command it prints: no bad line anywhere
// (the reports' PDFs are found next to their file).
func TestGenEveryFormat(t *testing.T) {
	dir := t.TempDir()
	out := mustTipd(t, "gen", "-size", "300", "-seed", "7", "-formats", "all", "-out", dir)
	st := filepath.Join(dir, "store")
	n := 0
	for _, line := range strings.Split(out, "\n") {
		_, cmd, ok := strings.Cut(line, ": tipd import ")
		if !ok || !strings.HasPrefix(line, "wrote ") {
			continue
		}
		n++
		args := append([]string{"import", "-store", st, "-q"}, strings.Fields(cmd)...)
		got := mustTipd(t, args...)
		if !strings.Contains(got, " 0 skipped") || strings.Contains(got, " 0 records read") {
			t.Errorf("tipd %s: %s", strings.Join(args, " "), got)
		}
	}
	if want := len(genFormats()); n != want {
		t.Errorf("gen wrote %d formats, want %d:\n%s", n, want, out)
	}
	// The reports name PDFs next to reports.jsonl: one in four of the
	// three reports of a world of 300 addresses.
	if pdfs, _ := filepath.Glob(filepath.Join(dir, "pdf", "*.pdf")); len(pdfs) != 1 {
		t.Errorf("gen wrote the PDFs %v, want one", pdfs)
	}
}
