package report

import (
	"context"
	"fmt"
	"testing"

	"github.com/tipd/tipd/internal/cputime"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
	"github.com/tipd/tipd/internal/store/pebble"
)

// itemsFixture is fixture(n) as the importer applies it: with the links
// of the domains, web addresses and files derived from the records, so
// that every list item has an object of its own.
func itemsFixture(n int) *intel.Batch {
	b := fixture(n)
	b.AddObjects()
	b.DateLinks(now)
	return b
}

// BenchmarkIPItems is the address lookup of a fully populated address
// (1000 items per list, every section) whose list items are objects with
// evidence of their own, on the reference and Pebble stores, count=100
// and count=1000.
func BenchmarkIPItems(b *testing.B) {
	ctx := context.Background()
	batch := itemsFixture(1000)
	stores := []struct {
		name string
		open func(testing.TB) store.Intel
	}{
		{"mem", func(testing.TB) store.Intel { return mem.New() }},
		{"pebble", func(tb testing.TB) store.Intel {
			st, err := pebble.Open(tb.TempDir(), pebble.Options{})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { st.Close() })
			return st
		}},
	}
	for _, s := range stores {
		st := s.open(b)
		if err := st.Apply(ctx, batch); err != nil {
			b.Fatal(err)
		}
		h := netdata.NewHolder()
		if err := h.Refresh(ctx, st, true); err != nil {
			b.Fatal(err)
		}
		bld := &Builder{Store: st, Net: h, Now: clock}
		for _, count := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%s/count=%d", s.name, count), func(b *testing.B) {
				b.ReportAllocs()
				cpu := cputime.Now()
				for b.Loop() {
					r, err := bld.IP(ctx, redIP, AllIPSections, count)
					if err != nil {
						b.Fatal(err)
					}
					if len(r.Files) != count {
						b.Fatalf("got %d files, want %d", len(r.Files), count)
					}
					r.Release()
				}
				cputime.Report(b, cpu)
			})
		}
	}
}
