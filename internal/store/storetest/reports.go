package storetest

import (
	"fmt"
	"net/netip"
	"slices"
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

// testReportsAfter checks ReportsAfter: paging by cursor through reports
// that share a date (never skipping nor repeating one), for every page
// size, the window bounds, and cursors outside the window.
func testReportsAfter(t *testing.T, f Factory) {
	s := open(t, f)
	var b intel.Batch
	var want []string
	// 3 dates, 4 reports each, ids inserted out of order; and one undated.
	for d := 3; d >= 1; d-- {
		for _, n := range []int{2, 0, 3, 1} {
			b.Reports = append(b.Reports, intel.Report{ID: fmt.Sprintf("P-%d-%d", d, n), Type: intel.ReportCrimeware,
				Title: "r", Published: at(2024, 6, d, 12, 0)})
		}
		for n := range 4 {
			want = append(want, fmt.Sprintf("P-%d-%d", d, n))
		}
	}
	b.Reports = append(b.Reports, intel.Report{ID: "P-undated", Type: intel.ReportAPT, Title: "r"})
	apply(t, s, &b)
	from, to := day(2024, 1, 1), day(2025, 1, 1)
	page := func(after store.ReportCursor, limit int) []intel.Report {
		t.Helper()
		rs, err := s.ReportsAfter(ctx(t), from, to, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	for size := 1; size <= 13; size++ {
		got := []string{}
		var c store.ReportCursor
		for range 20 {
			rs := page(c, size)
			if len(rs) > size {
				t.Fatalf("page size %d: got %d reports", size, len(rs))
			}
			if len(rs) == 0 {
				break
			}
			for _, r := range rs {
				got = append(got, r.ID)
			}
			c = store.CursorOf(rs[len(rs)-1])
		}
		check(t, fmt.Sprintf("paged by %d", size), got, want)
	}
	// The zero cursor is Reports.
	first, err := s.Reports(ctx(t), from, to, 5)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "zero cursor", page(store.ReportCursor{}, 5), first)

	ids := func(rs []intel.Report) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	// A cursor naming no stored report still places itself by (date, id).
	check(t, "cursor between ids", ids(page(store.ReportCursor{Published: at(2024, 6, 2, 12, 0), ID: "P-2-1x"}, 3)),
		[]string{"P-2-2", "P-2-3", "P-1-0"})
	// A cursor after the window's end starts at the window's first report.
	check(t, "cursor after window", ids(page(store.ReportCursor{Published: day(2030, 1, 1), ID: "x"}, 2)), []string{"P-3-0", "P-3-1"})
	// A cursor before the window's start ends it.
	check(t, "cursor before window", ids(page(store.ReportCursor{Published: day(2020, 1, 1), ID: "x"}, 2)), []string{})
	// The window bounds hold with a cursor: [day 2, day 3) from within day 2.
	rs, err := s.ReportsAfter(ctx(t), day(2024, 6, 2), day(2024, 6, 3), store.ReportCursor{Published: at(2024, 6, 2, 12, 0), ID: "P-2-2"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "window with cursor", ids(rs), []string{"P-2-3"})
	if rs, err := s.ReportsAfter(ctx(t), from, to, store.ReportCursor{}, 0); err != nil || len(rs) != 0 {
		t.Errorf("limit 0: got %v, %v, want nothing", ids(rs), err)
	}
}

// testReportAddresses checks ReportAddresses: the addresses of every
// ReportLink of a report, in netip.Addr.Compare order, the limit, another
// report's links kept apart, and idempotence.
func testReportAddresses(t *testing.T, f Factory) {
	s := open(t, f)
	addrs := []string{"2001:db8::1", "45.95.147.10", "::ffff:10.0.0.1", "10.0.0.2", "::1"}
	var b intel.Batch
	b.Reports = []intel.Report{{ID: "RA-1", Type: intel.ReportAPT, Title: "r", Published: day(2024, 1, 1)}}
	for _, a := range addrs {
		b.ReportLinks = append(b.ReportLinks, intel.ReportLink{IP: netip.MustParseAddr(a), ReportID: "RA-1", Source: src("Reports", 1)})
	}
	b.ReportLinks = append(b.ReportLinks, intel.ReportLink{IP: netip.MustParseAddr("45.95.147.11"), ReportID: "RA-10", Source: src("Reports", 1)})
	apply(t, s, &b)
	apply(t, s, &b)
	list := func(id string, limit int) []string {
		t.Helper()
		ips, err := s.ReportAddresses(ctx(t), id, limit)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, ip := range ips {
			out = append(out, ip.String())
		}
		return out
	}
	want := []string{"10.0.0.1", "10.0.0.2", "45.95.147.10", "::1", "2001:db8::1"}
	check(t, "all", list("RA-1", 100), want)
	check(t, "limit 2", list("RA-1", 2), want[:2])
	check(t, "other report", list("RA-10", 100), []string{"45.95.147.11"})
	check(t, "unknown report", list("RA-2", 100), []string{})
	check(t, "limit 0", list("RA-1", 0), []string{})
	// Several reports at once (store.ReportAddressesOf).
	of, err := store.ReportAddressesOf(ctx(t), s, []string{"RA-10", "RA-2", "RA-1", "bad\x00id"}, 4)
	if err != nil {
		t.Fatal(err)
	}
	strs := map[string][]string{}
	for id, ips := range of {
		for _, ip := range ips {
			strs[id] = append(strs[id], ip.String())
		}
	}
	check(t, "several reports", strs, map[string][]string{"RA-1": want[:4], "RA-10": {"45.95.147.11"}})
	if f.Reopen == nil {
		return
	}
	s = f.Reopen(t, s)
	check(t, "after reopen", list("RA-1", 100), want)
}

// testReportObjects: the domains, web addresses and files whose report
// lists name a report, by list then key, bounded by limit; links of other
// lists and of other reports are not among them, and a report id that
// extends another after a NUL-free prefix is not confused with it.
func testReportObjects(t *testing.T, f Factory) {
	s := open(t, f)
	link := func(list intel.LinkList, owner, item string) intel.Link {
		return intel.Link{List: list, Owner: owner, Item: item}
	}
	apply(t, s, &intel.Batch{Links: []intel.Link{
		link(intel.LinkFileReports, "0F343B0931126A20F133D67C2B018A3B", "rpt-1"),
		link(intel.LinkHostReports, "c2.badcorp.example", "rpt-1"),
		link(intel.LinkHostReports, "a.badcorp.example", "rpt-1"),
		link(intel.LinkURLReports, "c2.badcorp.example/gate.php", "rpt-1"),
		link(intel.LinkHostReports, "b.badcorp.example", "rpt-10"),
		link(intel.LinkHostReports, "c.badcorp.example", "rpt-2"),
		link(intel.LinkSubdomains, "badcorp.example", "rpt-1"), // not a report list
	}})
	want := []store.ObjectRef{
		{Kind: intel.ObjectHost, Key: "a.badcorp.example"},
		{Kind: intel.ObjectHost, Key: "c2.badcorp.example"},
		{Kind: intel.ObjectURL, Key: "c2.badcorp.example/gate.php"},
		{Kind: intel.ObjectFile, Key: "0F343B0931126A20F133D67C2B018A3B"},
	}
	got, err := s.ReportObjects(ctx(t), "rpt-1", 100)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("rpt-1: got %v, %v, want %v", got, err, want)
	}
	if got, _ := s.ReportObjects(ctx(t), "rpt-1", 2); !slices.Equal(got, want[:2]) {
		t.Errorf("rpt-1, limit 2: got %v, want %v", got, want[:2])
	}
	if got, _ := s.ReportObjects(ctx(t), "rpt-10", 100); !slices.Equal(got, []store.ObjectRef{{Kind: intel.ObjectHost, Key: "b.badcorp.example"}}) {
		t.Errorf("rpt-10: got %v", got)
	}
	if got, err := s.ReportObjects(ctx(t), "rpt-none", 100); err != nil || len(got) != 0 {
		t.Errorf("unknown report: got %v, %v, want nothing", got, err)
	}
	// Applied again: the same, once each.
	apply(t, s, &intel.Batch{Links: []intel.Link{link(intel.LinkHostReports, "c2.badcorp.example", "rpt-1")}})
	if got, _ := s.ReportObjects(ctx(t), "rpt-1", 100); !slices.Equal(got, want) {
		t.Errorf("after a second apply: got %v, want %v", got, want)
	}
}
