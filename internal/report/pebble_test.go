package report

import (
	"context"
	"testing"

	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store/pebble"
)

// BenchmarkIPPebble is BenchmarkIP on the embedded Pebble store (warm block
// cache): a fully populated address, count=100, every section.
func BenchmarkIPPebble(b *testing.B) {
	ctx := context.Background()
	st, err := pebble.Open(b.TempDir(), pebble.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Apply(ctx, fixture(150)); err != nil {
		b.Fatal(err)
	}
	h := netdata.NewHolder()
	if err := h.Refresh(ctx, st, true); err != nil {
		b.Fatal(err)
	}
	bld := &Builder{Store: st, Net: h, Now: clock}
	r, err := bld.IP(ctx, redIP, AllIPSections, 100)
	if err != nil {
		b.Fatal(err)
	}
	if len(r.HostedURLs) != 100 || r.Zone == "" {
		b.Fatalf("fixture not loaded: %d hosted URLs, zone %q", len(r.HostedURLs), r.Zone)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bld.IP(ctx, redIP, AllIPSections, 100); err != nil {
			b.Fatal(err)
		}
	}
}
