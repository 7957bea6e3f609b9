package pebble

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// TestReportObjsUpgrade: a store whose object links to reports predate
// their index by report lists no objects for a report and has the upgrade
// pending; Migrate, in batches smaller than the store, fills the index.
func TestReportObjsUpgrade(t *testing.T) {
	ctx := context.Background()
	s := upgradeStore(t)
	defer s.Close()
	b := &intel.Batch{}
	var want []store.ObjectRef
	for i := range 4 {
		host := fmt.Sprintf("c2-%d.badcorp.example", i)
		b.Links = append(b.Links, intel.Link{List: intel.LinkHostReports, Owner: host, Item: "R-1"},
			intel.Link{List: intel.LinkHostReports, Owner: host, Item: fmt.Sprintf("R-x%d", i)})
		want = append(want, store.ObjectRef{Kind: intel.ObjectHost, Key: host})
	}
	for i := range 3 {
		url := fmt.Sprintf("c2-%d.badcorp.example/gate.php", i)
		hash := fmt.Sprintf("%032X", i+1)
		b.Links = append(b.Links, intel.Link{List: intel.LinkURLReports, Owner: url, Item: "R-1"},
			intel.Link{List: intel.LinkFileReports, Owner: hash, Item: "R-1"})
	}
	for i := range 3 {
		want = append(want, store.ObjectRef{Kind: intel.ObjectURL, Key: fmt.Sprintf("c2-%d.badcorp.example/gate.php", i)})
	}
	for i := range 3 {
		want = append(want, store.ObjectRef{Kind: intel.ObjectFile, Key: fmt.Sprintf("%032X", i+1)})
	}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReportObjects(ctx, "R-1", 100); err != nil || !slices.Equal(got, want) {
		t.Fatalf("written by Apply: got %v, %v, want %v", got, err, want)
	}
	calls := undoIndex(t, s, tReportObj, upgradeReportObjs, func() bool {
		got, _ := s.ReportObjects(ctx, "R-1", 100)
		return len(got) == 0
	})
	if calls != 5 { // 8 host links in batches of 3, 3, 2; 3 web address links; 3 file links
		t.Errorf("got %d batches, want 5 of at most 3 links", calls)
	}
	if got, err := s.ReportObjects(ctx, "R-1", 100); err != nil || !slices.Equal(got, want) {
		t.Errorf("after the upgrade: got %v, %v, want %v", got, err, want)
	}
	if got, _ := s.ReportObjects(ctx, "R-x2", 100); len(got) != 1 || got[0] != want[2] {
		t.Errorf("R-x2: got %v, want [%v]", got, want[2])
	}
	if got, _ := s.ReportObjects(ctx, "R-1", 5); !slices.Equal(got, want[:5]) {
		t.Errorf("limit 5: got %v, want %v", got, want[:5])
	}
	if p, err := s.Pending(ctx); err != nil || len(p) != 0 {
		t.Errorf("after: pending %v, %v; want none", p, err)
	}
}
