package rdap_test

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/tipd/tipd/internal/cputime"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/rdap"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// discard is a store that keeps nothing and knows no domain.
type discard struct{ store.Intel }

func (discard) Apply(context.Context, *intel.Batch) error { return nil }
func (discard) DomainIPs(context.Context, string, int) ([]netip.Addr, error) {
	return nil, nil
}

// feed is a reader of n answers made from the fixture's, each under a name
// of its own ("n17-badcorp.example"): an input of any size that no one
// holds in memory.
type feed struct {
	lines [][]byte
	n, i  int
	buf   []byte
}

func newFeed(t testing.TB, n int) *feed {
	data, err := os.ReadFile(filepath.Join("testdata", "rdap.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return &feed{lines: bytes.Split(bytes.TrimSpace(data), []byte("\n")), n: n}
}

var ldh = []byte(`"ldhName":"`)

func (f *feed) Read(p []byte) (int, error) {
	for len(f.buf) < len(p) && f.i < f.n {
		l := f.lines[f.i%len(f.lines)]
		k := bytes.Index(l, ldh) + len(ldh)
		f.buf = append(f.buf, l[:k]...)
		f.buf = append(strconv.AppendInt(append(f.buf, 'n'), int64(f.i), 10), '-')
		f.buf = append(append(f.buf, l[k:]...), '\n')
		f.i++
	}
	if len(f.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.buf)
	f.buf = f.buf[:copy(f.buf, f.buf[n:])]
	return n, nil
}

// importFeed imports n generated answers into a store that keeps nothing
// and returns the summary and the heap the process took from the system.
func importFeed(t testing.TB, n int) (importer.Summary, uint64) {
	mk := func() importer.Parser { return rdap.New(importer.ParserConfig{}) }
	sum, err := importer.Import(context.Background(), discard{}, newFeed(t, n), mk, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return sum, ms.HeapSys
}

// TestMemoryFlat imports ten and a hundred thousand answers: the heap the
// second import needs is not ten times the first's.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 110,000 answers")
	}
	runtime.GC()
	small, h1 := importFeed(t, 10_000)
	big, h2 := importFeed(t, 100_000)
	if small.Read != 10_000 || big.Read != 100_000 || big.Skipped != 0 {
		t.Fatalf("got %s and %s", small, big)
	}
	if h2 > 2*h1+64<<20 {
		t.Errorf("heap %d MiB after 100,000 answers, %d MiB after 10,000: grows with the input", h2>>20, h1>>20)
	}
}

// BenchmarkImport imports 300,000 generated answers (about 570 MB)
// through the pipeline into a store that keeps nothing.
func BenchmarkImport(b *testing.B) {
	const n = 300_000
	start := cputime.Now()
	var heap uint64
	for i := 0; i < b.N; i++ {
		_, h := importFeed(b, n)
		heap = max(heap, h)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(cputime.Now()-start)/float64(n*b.N), "cpu-ns/line")
	b.ReportMetric(float64(heap>>20), "heap-MiB")
}
