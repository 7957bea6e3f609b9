package filefeed_test

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"

	"github.com/tipd/tipd/internal/cputime"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/filefeed"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// discard is a store that keeps nothing and knows no domain.
type discard struct{ store.Intel }

func (discard) Apply(context.Context, *intel.Batch) error { return nil }
func (discard) DomainIPs(context.Context, string, int) ([]netip.Addr, error) {
	return nil, nil
}

// feed is a reader of n lines made from a fixture's data lines, every
// hash of a line stamped with the line's number: an input of any size that
// no one holds in memory.
type feed struct {
	lines [][]byte
	hexes [][]int // per line, the offsets of its hashes
	n, i  int
	buf   []byte
}

var hashRE = regexp.MustCompile(`"[0-9a-f]{32,64}"`)

func newFeed(t testing.TB, name string, n int) *feed {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	f := &feed{n: n}
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) > 0 && l[0] != '#' {
			f.lines = append(f.lines, l)
			var offs []int
			for _, m := range hashRE.FindAllIndex(l, -1) {
				offs = append(offs, m[0]+1)
			}
			f.hexes = append(f.hexes, offs)
		}
	}
	return f
}

func (f *feed) Read(p []byte) (int, error) {
	for len(f.buf) < len(p) && f.i < f.n {
		k := f.i % len(f.lines)
		at := len(f.buf)
		f.buf = append(append(f.buf, f.lines[k]...), '\n')
		// Overwrite the start of each hash in place with the line number.
		for _, o := range f.hexes[k] {
			strconv.AppendUint(f.buf[at+o:at+o], uint64(f.i), 16)
		}
		f.i++
	}
	if len(f.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.buf)
	f.buf = f.buf[:copy(f.buf, f.buf[n:])]
	return n, nil
}

// importFeed imports n generated lines of a fixture's format into a store
// that keeps nothing and returns the summary and the heap the process
// took from the system.
func importFeed(t testing.TB, name string, n int, mk func() importer.Parser) (importer.Summary, uint64) {
	sum, err := importer.Import(context.Background(), discard{}, newFeed(t, name, n), mk, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return sum, ms.HeapSys
}

// TestMemoryFlat imports ten and a hundred thousand lines: the heap the
// second import needs is not ten times the first's.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 220,000 lines")
	}
	for _, c := range []struct {
		name string
		mk   func() importer.Parser
	}{
		{"malwarebazaar.csv", func() importer.Parser { return filefeed.NewMalwareBazaar(importer.ParserConfig{}) }},
		{"urlhaus-payloads.csv", func() importer.Parser { return filefeed.NewPayloads(importer.ParserConfig{}) }},
	} {
		runtime.GC()
		small, h1 := importFeed(t, c.name, 20_000, c.mk)
		big, h2 := importFeed(t, c.name, 200_000, c.mk)
		if small.Read != 20_000 || big.Read != 200_000 || big.Skipped != 0 {
			t.Fatalf("%s: got %s and %s", c.name, small, big)
		}
		if h2 > 2*h1+64<<20 {
			t.Errorf("%s: heap %d MiB after 200,000 lines, %d MiB after 20,000: grows with the input", c.name, h2>>20, h1>>20)
		}
	}
}

// BenchmarkImport imports a million generated lines of each format
// through the pipeline into a store that keeps nothing.
func BenchmarkImport(b *testing.B) {
	for _, c := range []struct {
		name string
		mk   func() importer.Parser
	}{
		{"malwarebazaar.csv", func() importer.Parser { return filefeed.NewMalwareBazaar(importer.ParserConfig{}) }},
		{"urlhaus-payloads.csv", func() importer.Parser { return filefeed.NewPayloads(importer.ParserConfig{}) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			const n = 1_000_000
			start := cputime.Now()
			var heap uint64
			for i := 0; i < b.N; i++ {
				_, h := importFeed(b, c.name, n, c.mk)
				heap = max(heap, h)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(cputime.Now()-start)/float64(n*b.N), "cpu-ns/line")
			b.ReportMetric(float64(heap>>20), "heap-MiB")
		})
	}
}
