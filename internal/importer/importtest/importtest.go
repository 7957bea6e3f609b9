// Package importtest holds the helpers of the importers' tests.
//
// For a parser alone: ParseFile parses a fixture with importer.ParseAll,
// as an import does, Golden (or GoldenParsed, for a batch) compares the
// result with a file under testdata, CheckBad checks the lines it refused
// and BenchParse times it.
//
// End to end: a World is an in-memory store with the report builder the
// API uses. World.Import imports a fixture with importer.Import (Gzip
// makes a compressed copy), and World.Report, World.TIP, World.Explain
// and World.Lookup show an address as a user would see it, with a fixed
// clock (Now); World.Object, World.Links and World.LinkItems show a
// domain, web address or file as the domain, URL and hash lookups read it
// from the store. Snapshot or Dump, with SameSnapshots, check that a
// re-import changes nothing.
package importtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store/mem"
)

// Now is the fixed clock of the tests.
var Now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// ParseFile reads the file at path (gzip is decompressed) through p with
// importer.ParseAll, as an import does, and returns the batch and every
// bad line (line number -> reason).
func ParseFile(t testing.TB, path string, p importer.Parser) (*intel.Batch, map[int]string) {
	t.Helper()
	in, err := importer.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	b, sum, err := importer.ParseAll(context.Background(), in, p, importer.Options{File: path, Dir: filepath.Dir(path)})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[int]string{}
	for _, l := range sum.Bad {
		bad[l.Line] = l.Reason
	}
	return b, bad
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

// GoldenParsed compares the batch b that p made, with what p ignored if it
// is an importer.Ignorer, with testdata/name as Golden does.
func GoldenParsed(t *testing.T, name string, b *intel.Batch, p importer.Parser, update bool) {
	t.Helper()
	out := struct {
		Batch   *intel.Batch
		Ignored []importer.Ignored `json:",omitempty"`
	}{Batch: b}
	if n, ok := p.(importer.Ignorer); ok {
		out.Ignored = n.Ignored()
	}
	Golden(t, name, out, update)
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

// BenchParse parses lines with p round and round, b.N lines in all
// numbered from first, and reports lines per second. The batch is reset
// as it grows; the caller may call b.SetBytes first.
func BenchParse(b *testing.B, p importer.Parser, lines [][]byte, first int) {
	var batch intel.Batch
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Parse(lines[i%len(lines)], i+first, &batch); err != nil {
			b.Fatal(err)
		}
		if batch.Len() > 4096 {
			batch.Reset()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
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

// Import imports the file at path into the world's store with parsers
// made by newParser (o.Now defaults to Now) and fails the test on an
// error. The content must be gzip-compressed if and only if the name ends
// in ".gz".
func (w *World) Import(t testing.TB, path string, newParser func() importer.Parser, o importer.Options) importer.Summary {
	t.Helper()
	in, err := importer.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if gz := strings.HasSuffix(path, ".gz"); in.Compressed() != gz {
		t.Fatalf("%s: compressed = %v, want %v", path, in.Compressed(), gz)
	}
	o.File = path
	if o.Dir == "" {
		o.Dir = filepath.Dir(path)
	}
	if o.Now == nil {
		o.Now = func() time.Time { return Now }
	}
	sum, err := importer.Import(context.Background(), w.Store, in, newParser, o)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return sum
}

// Gzip writes a gzip-compressed copy of the file at path to a temporary
// directory and returns the copy's path (the name with ".gz" added).
func Gzip(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path)+".gz")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// refresh rebuilds the network data from the store.
func (w *World) refresh(t testing.TB) {
	t.Helper()
	if err := w.Net.Refresh(context.Background(), w.Store, true); err != nil {
		t.Fatal(err)
	}
}

// Report refreshes the network data from the store and builds the full
// report of ip, lists cut at report.DefaultCount items as in the API.
func (w *World) Report(t testing.TB, ip string) *report.IPReport {
	t.Helper()
	w.refresh(t)
	r, err := w.Builder.IP(context.Background(), netip.MustParseAddr(ip), report.AllIPSections, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Explain refreshes the network data and explains ip.
func (w *World) Explain(t testing.TB, ip string) report.Explanation {
	t.Helper()
	w.refresh(t)
	e, err := w.Builder.Explain(context.Background(), netip.MustParseAddr(ip))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Lookup refreshes the network data and answers ip from the snapshot.
func (w *World) Lookup(t testing.TB, ip string) netdata.Info {
	t.Helper()
	w.refresh(t)
	return w.Net.Load().Lookup(netip.MustParseAddr(ip))
}

// TIPReport is the part of an address's TIP JSON report the tests look at.
type TIPReport struct {
	Zone          string
	IpGeneralInfo struct {
		Status      string
		ThreatScore int
		Categories  []string
	}
	RelatedObjects struct{ HasRedZone bool }
	HostedUrls     []struct {
		Zone           string
		Url            string
		IsUrlTruncated bool
		FirstSeen      *string
		LastSeen       *string
	}
	FeedMasks []struct {
		Zone           string
		Status         *string
		NormalizedMask string
		FeedNames      []string
		MaskType       string
	}
	IPPhishingInfo struct {
		PhishingAttacks      int64    `json:"phishing_attacks"`
		LastAttackDate       *string  `json:"last_attack_date"`
		AttackedOrganization []string `json:"attacked_organization"`
	}
	FilesDownloadedFromIp []json.RawMessage
}

// TIP builds the full report of ip and renders it as TIP JSON; it returns
// the decoded fields and the JSON.
func (w *World) TIP(t testing.TB, ip string) (TIPReport, []byte) {
	t.Helper()
	data, err := render.IPJSON(w.Report(t, ip))
	if err != nil {
		t.Fatal(err)
	}
	var out TIPReport
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("report of %s: %v\n%s", ip, err, data)
	}
	return out, data
}

// Snapshot renders the TIP JSON reports of ips, what a user sees of them,
// to compare before and after a re-import (provenance is not in it, so the
// re-import may be of another file).
func (w *World) Snapshot(t testing.TB, ips ...string) map[string]string {
	t.Helper()
	return w.snapshot(t, ips, render.IPJSON)
}

// Dump is like Snapshot with the full reports as JSON, provenance included
// (the re-import must be of the same file).
func (w *World) Dump(t testing.TB, ips ...string) map[string]string {
	t.Helper()
	return w.snapshot(t, ips, func(r *report.IPReport) ([]byte, error) { return json.Marshal(r) })
}

func (w *World) snapshot(t testing.TB, ips []string, enc func(*report.IPReport) ([]byte, error)) map[string]string {
	t.Helper()
	out := make(map[string]string, len(ips))
	for _, ip := range ips {
		data, err := enc(w.Report(t, ip))
		if err != nil {
			t.Fatal(err)
		}
		out[ip] = string(data)
	}
	return out
}

// SameSnapshots fails t where two snapshots differ.
func SameSnapshots(t testing.TB, before, after map[string]string) {
	t.Helper()
	for ip, b := range before {
		if a := after[ip]; a != b {
			t.Errorf("re-import changed the report of %s:\nbefore %s\nafter  %s", ip, b, a)
		}
	}
}

// Str is *s, or "null".
func Str(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}
