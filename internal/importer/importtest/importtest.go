// Package importtest holds helpers for the tests of format parsers: parse a
// fixture line by line, compare with a golden file, import a fixture into
// the in-memory store and build the report a user would see.
package importtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

// Now is the fixed clock of the tests.
var Now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// ParseFile feeds the lines of path (gzip is decompressed) to p as Import
// does (empty lines are skipped), then
// flushes it if it is a Flusher. It returns the batch and the bad lines
// (line number -> reason; the flush error under the last line number + 1).
func ParseFile(t testing.TB, path string, p importer.Parser) (*intel.Batch, map[int]string) {
	t.Helper()
	in, err := importer.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var b intel.Batch
	bad := map[int]string{}
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, importer.MaxLineLength+2)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
		}
		if len(line) == 0 {
			continue // the pipeline hands no empty lines to parsers
		}
		var lb intel.Batch
		if err := p.Parse(line, n, &lb); err != nil {
			bad[n] = err.Error()
			continue
		}
		appendBatch(&b, &lb)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if f, ok := p.(importer.Flusher); ok {
		var lb intel.Batch
		if err := f.Flush(&lb); err != nil {
			bad[n+1] = err.Error()
		} else {
			appendBatch(&b, &lb)
		}
	}
	return &b, bad
}

func appendBatch(dst, src *intel.Batch) {
	dst.Resolutions = append(dst.Resolutions, src.Resolutions...)
	dst.Countries = append(dst.Countries, src.Countries...)
	dst.ASRanges = append(dst.ASRanges, src.ASRanges...)
	dst.WhoisNets = append(dst.WhoisNets, src.WhoisNets...)
	dst.Allows = append(dst.Allows, src.Allows...)
	dst.Listings = append(dst.Listings, src.Listings...)
	dst.NetListings = append(dst.NetListings, src.NetListings...)
	dst.Sightings = append(dst.Sightings, src.Sightings...)
}

// Golden compares v, printed as indented JSON, with testdata/name; with
// update it rewrites the file first.
func Golden(t *testing.T, name string, v any, update bool) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update and review the diff):\n%s", path, got)
	}
}

// CheckBad compares bad lines with want (line -> substring of the reason).
func CheckBad(t *testing.T, bad map[int]string, want map[int]string) {
	t.Helper()
	for n, w := range want {
		if !bytes.Contains([]byte(bad[n]), []byte(w)) {
			t.Errorf("line %d: got reason %q, want it to contain %q", n, bad[n], w)
		}
	}
	for n, r := range bad {
		if _, ok := want[n]; !ok {
			t.Errorf("line %d: unexpected bad line: %s", n, r)
		}
	}
}

// Import imports the file at path into st with parsers made by newParser
// and fails the test on an error.
func Import(t testing.TB, st store.Intel, path string, newParser func() importer.Parser, o importer.Options) importer.Summary {
	t.Helper()
	in, err := importer.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	o.File = path
	if o.Now == nil {
		o.Now = func() time.Time { return Now }
	}
	sum, err := importer.Import(context.Background(), st, in, newParser, o)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return sum
}

// World is a mem store with the report builder a user's lookups go through.
type World struct {
	Store   *mem.Store
	Net     *netdata.Holder
	Builder *report.Builder
}

// NewWorld returns an empty world.
func NewWorld() *World {
	st := mem.New()
	h := netdata.NewHolder()
	return &World{Store: st, Net: h, Builder: &report.Builder{Store: st, Net: h, Now: func() time.Time { return Now }}}
}

// Report refreshes the network data from the store and builds the full
// report of ip.
func (w *World) Report(t testing.TB, ip string) *report.IPReport {
	t.Helper()
	ctx := context.Background()
	if err := w.Net.Refresh(ctx, w.Store, true); err != nil {
		t.Fatal(err)
	}
	r, err := w.Builder.IP(ctx, netip.MustParseAddr(ip), report.AllIPSections, 100)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Explain refreshes the network data and explains ip.
func (w *World) Explain(t testing.TB, ip string) report.Explanation {
	t.Helper()
	ctx := context.Background()
	if err := w.Net.Refresh(ctx, w.Store, true); err != nil {
		t.Fatal(err)
	}
	e, err := w.Builder.Explain(ctx, netip.MustParseAddr(ip))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Lookup refreshes the network data and answers ip from the snapshot.
func (w *World) Lookup(t testing.TB, ip string) netdata.Info {
	t.Helper()
	if err := w.Net.Refresh(context.Background(), w.Store, true); err != nil {
		t.Fatal(err)
	}
	return w.Net.Load().Lookup(netip.MustParseAddr(ip))
}

// Dump is a comparable picture of the whole store, to check that a
// re-import changes nothing (provenance aside).
func (w *World) Dump(t testing.TB, ips ...string) string {
	t.Helper()
	var out bytes.Buffer
	for _, ip := range ips {
		r := w.Report(t, ip)
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(data)
		out.WriteByte('\n')
	}
	return out.String()
}
