package postgres

import (
	"bytes"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// A store upgraded by the report files migration reads the reports it held
// before, without files, and keeps the files of reports imported after.
func TestReportFilesMigration(t *testing.T) {
	u, conn := schemaBefore(t, "0010_report_files")
	if _, err := conn.Exec(t.Context(), `
		INSERT INTO reports (id, type, title, description, published, tags, industries, geo, actors, indicators)
		VALUES ('r1', 'APT', 'Old', '', '2025-01-02T00:00:00Z', '{}', '{}', '{}', '{}', '{45.95.147.10}')`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), u, Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Report(t.Context(), "r1")
	if err != nil || r.Title != "Old" || len(r.Indicators) != 1 {
		t.Fatalf("report stored before the migration: got %+v (%v), want Old with one indicator", r, err)
	}
	if y, err := s.ReportYARAOf(t.Context(), []string{"r1"}); err != nil || len(y) != 0 {
		t.Errorf("YARA of a report stored before the migration: got %v (%v), want none", y, err)
	}
	if p, err := s.ReportPDF(t.Context(), "r1"); err != nil || p != nil {
		t.Errorf("PDF of a report stored before the migration: got %q (%v), want none", p, err)
	}
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	mustApply(t, s, &intel.Batch{Reports: []intel.Report{{ID: "r1", Type: intel.ReportAPT, Title: "New",
		Published: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), YARA: "rule r { condition: true }", PDF: pdf}}})
	if y, err := s.ReportYARAOf(t.Context(), []string{"r1"}); err != nil || y["r1"] != "rule r { condition: true }" {
		t.Errorf("YARA after the migration: got %v (%v)", y, err)
	}
	if p, err := s.ReportPDF(t.Context(), "r1"); err != nil || !bytes.Equal(p, pdf) {
		t.Errorf("PDF after the migration: got %q (%v), want %q", p, err, pdf)
	}
}
