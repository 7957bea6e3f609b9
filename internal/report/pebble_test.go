package report

import (
	"context"
	"testing"

	"github.com/tipd/tipd/internal/cputime"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store/pebble"
)

// BenchmarkIPPebble is BenchmarkIP on the embedded Pebble store (warm block
// cache): a fully populated address, count=100, every section, with the
// fixture in the memtable.
func BenchmarkIPPebble(b *testing.B) { benchIPPebble(b, false) }

// BenchmarkIPPebbleFlushed is BenchmarkIPPebble with the fixture flushed to
// sstables first, where the data of a large import lives.
func BenchmarkIPPebbleFlushed(b *testing.B) { benchIPPebble(b, true) }

// pebbleBuilder opens a Pebble store in a temporary directory with the
// fixture of 150 items per list applied (flushed to sstables if flush) and
// returns a Builder on it.
func pebbleBuilder(tb testing.TB, flush bool) *Builder {
	tb.Helper()
	ctx := context.Background()
	st, err := pebble.Open(tb.TempDir(), pebble.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Apply(ctx, fixture(150)); err != nil {
		tb.Fatal(err)
	}
	if flush {
		if err := st.Flush(); err != nil {
			tb.Fatal(err)
		}
	}
	h := netdata.NewHolder()
	if err := h.Refresh(ctx, st, true); err != nil {
		tb.Fatal(err)
	}
	return &Builder{Store: st, Net: h, Now: clock}
}

func benchIPPebble(b *testing.B, flush bool) {
	ctx := context.Background()
	bld := pebbleBuilder(b, flush)
	r, err := bld.IP(ctx, redIP, AllIPSections, 100)
	if err != nil {
		b.Fatal(err)
	}
	if len(r.HostedURLs) != 100 || r.Zone == "" {
		b.Fatalf("fixture not loaded: %d hosted URLs, zone %q", len(r.HostedURLs), r.Zone)
	}
	benchIP(b, bld, 100, nil)
}

// benchIP measures the address answer of redIP with every section and
// count items a list, checked by check (if set), released as the server
// does once the answer is written: time, allocations and CPU per answer.
func benchIP(b *testing.B, bld *Builder, count int, check func(*IPReport)) {
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cputime.Now()
	for b.Loop() {
		r, err := bld.IP(ctx, redIP, AllIPSections, count)
		if err != nil {
			b.Fatal(err)
		}
		if check != nil {
			check(r)
		}
		r.Release()
	}
	cputime.Report(b, cpu)
}

// BenchmarkPebbleReads measures each store read of BenchmarkIPPebble on its
// own: where the time of a report goes.
func BenchmarkPebbleReads(b *testing.B) {
	ctx := context.Background()
	st := pebbleBuilder(b, false).Store.(*pebble.Store)
	reads := []struct {
		name string
		fn   func() error
	}{
		{"Address", func() error { _, err := st.Address(ctx, redIP); return err }},
		{"Report", func() error { _, err := st.Report(ctx, "rpt-1"); return err }},
		{"Resolutions", func() error { _, err := st.Resolutions(ctx, redIP, 100); return err }},
		{"Files", func() error { _, err := st.Files(ctx, redIP, 100); return err }},
		{"HostedURLs", func() error { _, err := st.HostedURLs(ctx, redIP, 100); return err }},
		{"Masks", func() error { _, err := st.Masks(ctx, redIP, 100); return err }},
	}
	for _, r := range reads {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cputime.Now()
			for b.Loop() {
				if err := r.fn(); err != nil {
					b.Fatal(err)
				}
			}
			cputime.Report(b, cpu)
		})
	}
}
