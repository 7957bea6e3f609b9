package report

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// TestReleasedListsAreReused builds reports of a fully populated address
// from many goroutines, releasing each after checking it: every report
// must equal the one built alone, so a released report's memory never
// shows up in a report still in use (run with -race to also check the
// hand-over itself).
func TestReleasedListsAreReused(t *testing.T) {
	ctx := context.Background()
	bld := pebbleBuilder(t, false)
	snapshot := func(r *IPReport) string {
		return fmt.Sprintf("%#v|%#v|%#v|%#v|%#v", r.HostedURLs, r.Files, r.Resolutions, r.Masks, r.General)
	}
	want := map[int]string{}
	for _, count := range []int{1, 7, 100} {
		r, err := bld.IP(ctx, redIP, AllIPSections, count)
		if err != nil {
			t.Fatal(err)
		}
		if r.lists == nil {
			t.Fatal("the Pebble store's lists were not read into pooled memory")
		}
		want[count] = snapshot(r)
		r.Release()
		if r.HostedURLs != nil || r.lists != nil {
			t.Fatal("Release left the list sections in place")
		}
		r.Release() // twice is safe
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				count := []int{1, 7, 100}[(g+i)%3]
				r, err := bld.IP(ctx, redIP, AllIPSections, count)
				if err != nil {
					t.Error(err)
					return
				}
				if got := snapshot(r); got != want[count] {
					t.Errorf("goroutine %d, report %d (count %d) differs from the one built alone", g, i, count)
					return
				}
				r.Release()
			}
		}()
	}
	wg.Wait()
	// A report that is never released is left to the garbage collector
	// and stays as it was.
	r, err := bld.IP(ctx, redIP, AllIPSections, 100)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := bld.IP(ctx, redIP, AllIPSections, 1)
	other.Release()
	if !reflect.DeepEqual(snapshot(r), want[100]) {
		t.Error("an unreleased report changed when another was released")
	}
}
