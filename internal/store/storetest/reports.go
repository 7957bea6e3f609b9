package storetest

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// testReportsByDate checks Reports: the half-open date range, newest first
// with ties by id, the limit, reports without a date, a re-imported report
// that changed its date, indicators kept, and persistence.
func testReportsByDate(t *testing.T, f Factory) {
	s := open(t, f)
	ids := func(rs []intel.Report) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	list := func(from, to time.Time, limit int) []string {
		t.Helper()
		rs, err := s.Reports(ctx(t), from, to, limit)
		if err != nil {
			t.Fatal(err)
		}
		return ids(rs)
	}
	rep := func(id string, pub time.Time) intel.Report {
		return intel.Report{ID: id, Type: intel.ReportAPT, Title: "Report " + id, Published: pub}
	}
	withIoC := rep("R-3", at(2024, 3, 1, 12, 0))
	withIoC.Indicators = []string{"45.95.147.10", "c2.badcorp.example", "45.95.147.0/24"}
	apply(t, s, &intel.Batch{Reports: []intel.Report{
		rep("R-1", day(2024, 1, 1)),
		rep("R-2", day(2024, 2, 1)),
		withIoC,
		rep("R-4", day(2024, 2, 1)), // same date as R-2
		rep("R-5", time.Time{}),     // undated: never listed
		rep("R-6", day(2023, 12, 31)),
	}})
	all := []string{"R-3", "R-2", "R-4", "R-1", "R-6"}
	check(t, "all", list(day(2000, 1, 1), day(2100, 1, 1), 100), all)
	check(t, "limit 2", list(day(2000, 1, 1), day(2100, 1, 1), 2), []string{"R-3", "R-2"})
	check(t, "limit 3 cuts ties by id", list(day(2000, 1, 1), day(2100, 1, 1), 3), []string{"R-3", "R-2", "R-4"})
	check(t, "from is inclusive, to exclusive", list(day(2024, 1, 1), day(2024, 3, 1).Add(12*time.Hour), 100), []string{"R-2", "R-4", "R-1"})
	check(t, "empty range", list(day(2024, 2, 2), day(2024, 2, 3), 100), []string{})
	check(t, "reversed range", list(day(2100, 1, 1), day(2000, 1, 1), 100), []string{})
	check(t, "limit 0", list(day(2000, 1, 1), day(2100, 1, 1), 0), []string{})

	rs, err := s.Reports(ctx(t), day(2024, 3, 1), day(2024, 3, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("got %d reports, want R-3", len(rs))
	}
	check(t, "listed report", rs[0], withIoC)

	// Re-imported with another date: listed under the new date only.
	apply(t, s, &intel.Batch{Reports: []intel.Report{rep("R-1", day(2025, 6, 1)), rep("R-2", time.Time{})}})
	check(t, "moved", list(day(2000, 1, 1), day(2100, 1, 1), 100), []string{"R-1", "R-3", "R-4", "R-6"})
	check(t, "old date gone", list(day(2024, 1, 1), day(2024, 1, 2), 100), []string{})
	// Applying the same report again changes nothing.
	apply(t, s, &intel.Batch{Reports: []intel.Report{rep("R-1", day(2025, 6, 1))}})
	check(t, "idempotent", list(day(2000, 1, 1), day(2100, 1, 1), 100), []string{"R-1", "R-3", "R-4", "R-6"})

	if f.Reopen == nil {
		return
	}
	s = f.Reopen(t, s)
	check(t, "after reopen", list(day(2000, 1, 1), day(2100, 1, 1), 100), []string{"R-1", "R-3", "R-4", "R-6"})
}

// testReportsByID checks store.ReportsByID (the backend's ReportsReader,
// or Report one by one) against Report.
func testReportsByID(t *testing.T, f Factory) {
	s := open(t, f)
	var b intel.Batch
	for i := range 5 {
		b.Reports = append(b.Reports, intel.Report{ID: fmt.Sprintf("rep-%d", i), Type: intel.ReportAPT, Title: fmt.Sprintf("Report %d", i),
			Published: day(2024, 5, 1+i), Tags: []string{"t"}, Source: src("Reports", i)})
	}
	apply(t, s, &b)
	ids := []string{"rep-3", "missing", "rep-0", "rep-4", "bad\x00id"}
	got, err := store.ReportsByID(ctx(t), s, ids)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
	var want []intel.Report
	for _, id := range []string{"rep-0", "rep-3", "rep-4"} {
		r, err := s.Report(ctx(t), id)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	check(t, "reports by id", got, want)
	if l, err := store.ReportsByID(ctx(t), s, nil); err != nil || len(l) != 0 {
		t.Errorf("no ids: %v, %v", l, err)
	}
}
