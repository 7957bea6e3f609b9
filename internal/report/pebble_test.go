package report

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/tipd/tipd/internal/cputime"
	"github.com/tipd/tipd/internal/intel"
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

// BenchmarkFilesDistinct is the file answer (every section, count=100) on
// the embedded store over 2,000 distinct files looked up by MD5, each
// known by its MD5 and SHA-256, dated, detected and downloaded from two
// web addresses on an address (the shape of a URLhaus payload and a
// MalwareBazaar listing), flushed to sstables: "built" judges every item
// anew, "kept" keeps verdicts between answers as the server does.
func BenchmarkFilesDistinct(b *testing.B) {
	ctx := context.Background()
	st, err := pebble.Open(b.TempDir(), pebble.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	const files = 2000
	day := now.AddDate(0, 0, -2)
	src := intel.Source{Feed: "bench", File: "bench.csv", Imported: now}
	md5s := make([]string, files)
	for start := 0; start < files; start += 500 {
		var bt intel.Batch
		for i := start; i < start+500; i++ {
			md5, sha256 := fmt.Sprintf("%032X", i+1), fmt.Sprintf("%064X", i+1)
			md5s[i] = md5
			ip := netip.AddrFrom4([4]byte{198, 51, 100, byte(i % 250)})
			bt.FileHashes = append(bt.FileHashes, intel.FileHashes{MD5: md5, SHA256: sha256, Source: src})
			bt.ObjectInfos = append(bt.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectFile, Key: sha256, FirstSeen: day,
				LastSeen: day, Type: "exe", Source: src})
			bt.ObjectListings = append(bt.ObjectListings, intel.ObjectListing{Kind: intel.ObjectFile, Key: sha256,
				Feed: "bench", Category: intel.CatMalware, FirstSeen: day, LastSeen: day, Source: src})
			for j := range 2 {
				bt.Files = append(bt.Files, intel.FileDownload{IP: ip, MD5: md5, URL: fmt.Sprintf("http://dl-%d.example/f%d.exe", i%300, j),
					Zone: intel.ZoneRed, DetectionName: "HEUR:Trojan.Win32.Generic", Hits: 1, FirstSeen: day, LastSeen: day, Source: src})
			}
		}
		bt.AddObjects()
		if err := st.Apply(ctx, &bt); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Flush(); err != nil {
		b.Fatal(err)
	}
	h := netdata.NewHolder()
	if err := h.Refresh(ctx, st, true); err != nil {
		b.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		name := "built"
		if keep {
			name = "kept"
		}
		b.Run(name, func(b *testing.B) {
			bld := &Builder{Store: st, Net: h, Now: clock}
			if keep {
				bld.Verdicts = NewVerdicts(DefaultVerdicts)
			}
			r, err := bld.File(ctx, md5s[0], AllFileSections, 100)
			if err != nil {
				b.Fatal(err)
			}
			if r.Zone != intel.ZoneRed || len(r.DownloadedFrom) != 2 {
				b.Fatalf("file answer: zone %q, %d web addresses, want Red and 2", r.Zone, len(r.DownloadedFrom))
			}
			b.ReportAllocs()
			cpu := cputime.Now()
			i := 0
			for b.Loop() {
				if _, err := bld.File(ctx, md5s[i%files], AllFileSections, 100); err != nil {
					b.Fatal(err)
				}
				i++
			}
			cputime.Report(b, cpu)
		})
	}
}
