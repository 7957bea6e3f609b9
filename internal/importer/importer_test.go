package importer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// sink is a store that records what is applied. Only Apply and DomainIPs
// are implemented.
type sink struct {
	store.Intel
	mu      sync.Mutex
	batches int
	b       intel.Batch
	domains map[string][]netip.Addr
	failAt  int // fail the n-th Apply (1-based); 0: never
}

func (s *sink) Apply(_ context.Context, b *intel.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches++
	if s.failAt == s.batches {
		return errors.New("disk full")
	}
	s.b.Sightings = append(s.b.Sightings, b.Sightings...)
	s.b.Listings = append(s.b.Listings, b.Listings...)
	s.b.HostedURLs = append(s.b.HostedURLs, b.HostedURLs...)
	s.b.Files = append(s.b.Files, b.Files...)
	s.b.Masks = append(s.b.Masks, b.Masks...)
	s.b.Resolutions = append(s.b.Resolutions, b.Resolutions...)
	s.b.Countries = append(s.b.Countries, b.Countries...)
	return nil
}

func (s *sink) applied() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.b.Sightings)
}

func (s *sink) DomainIPs(_ context.Context, d string, limit int) ([]netip.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ips := s.domains[d]
	if len(ips) > limit {
		ips = ips[:limit]
	}
	return ips, nil
}

// pipeSink is a sink that pipelines (store.Pipeliner): each batch commits
// a while after ApplyAsync returns, in order, and only then do its
// resolutions answer DomainIPs. A batch after a failed one fails.
type pipeSink struct {
	sink
	last   chan struct{} // closed when the newest batch has committed
	failed bool
}

func (s *pipeSink) ApplyAsync(ctx context.Context, b *intel.Batch, done func(error)) error {
	prev, next := s.last, make(chan struct{})
	s.last = next
	go func() {
		defer close(next)
		if prev != nil {
			<-prev
		}
		time.Sleep(20 * time.Millisecond)
		s.mu.Lock()
		failed := s.failed
		s.mu.Unlock()
		err := errors.New("an earlier batch failed")
		if !failed {
			err = s.Apply(ctx, b)
		}
		s.mu.Lock()
		if err != nil {
			s.failed = true
		} else {
			if s.domains == nil {
				s.domains = map[string][]netip.Addr{}
			}
			for _, r := range b.Resolutions {
				s.domains[r.Domain] = append(s.domains[r.Domain], r.IP)
			}
		}
		s.mu.Unlock()
		done(err)
	}()
	return nil
}

var fixedNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func newJSONL(o importer.Options) func() importer.Parser {
	return func() importer.Parser { return jsonl.New(o.ParserConfig()) }
}

func sightings(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(`{"kind":"sighting","ip":"45.95.147.`)
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString(`","day":"2026-11-2`)
		b.WriteString(string(rune('0' + i%8)))
		b.WriteString(`","hits":5}` + "\n")
	}
	return b.String()
}

func TestImportCountsAndBadLines(t *testing.T) {
	in := "# native format\n" +
		sightings(5) +
		`{"kind":"sighting","ip":"45.95.147.300","day":"2026-11-20","hits":1}` + "\n" + // line 7
		"\n" +
		`{"kind":"listing","ip":"45.95.147.10","category":"CATEGORY_MALWARE","feed":"Example Feed"}` + "\r\n" +
		`not json` + "\n" + // line 10
		`{"kind":"country","range":"45.95.147.0 - 45.95.148.255","country":"nl"}` // no final newline
	st := &sink{}
	o := importer.Options{BatchSize: 2, File: "/some/dir/world.jsonl", Feed: "Example Feed", Now: func() time.Time { return fixedNow }}
	sum, err := importer.Import(context.Background(), st, strings.NewReader(in), newJSONL(o), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 9 || sum.Applied != 7 || sum.Skipped != 2 || sum.Records != 8 {
		t.Errorf("got read %d applied %d skipped %d records %d, want 9 7 2 8", sum.Read, sum.Applied, sum.Skipped, sum.Records)
	}
	if len(sum.Bad) != 2 || sum.Bad[0].Line != 7 || sum.Bad[1].Line != 10 {
		t.Fatalf("got bad lines %+v, want lines 7 and 10", sum.Bad)
	}
	if !strings.Contains(sum.Bad[0].Reason, `bad address "45.95.147.300"`) {
		t.Errorf("got reason %q, want it to name the bad address", sum.Bad[0].Reason)
	}
	if got := len(st.b.Countries); got != 2 {
		t.Errorf("got %d country prefixes, want 2", got)
	}
	l := st.b.Listings[0]
	want := intel.Source{Feed: "Example Feed", File: "world.jsonl", Imported: fixedNow}
	if l.Source != want {
		t.Errorf("got source %+v, want %+v", l.Source, want)
	}
	if st.b.Countries[0].Source.File != "world.jsonl" {
		t.Errorf("got country source %+v, want file world.jsonl", st.b.Countries[0].Source)
	}
	s := sum.String()
	if !strings.HasPrefix(s, "imported /some/dir/world.jsonl: 9 records read, 7 applied, 2 skipped, ") || !strings.HasSuffix(s, "records/s") {
		t.Errorf("got summary %q", s)
	}
}

func TestImportShowBad(t *testing.T) {
	in := strings.Repeat("bad\n", 30)
	o := importer.Options{ShowBad: 3}
	sum, err := importer.Import(context.Background(), &sink{}, strings.NewReader(in), newJSONL(o), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 30 || len(sum.Bad) != 3 {
		t.Errorf("got %d skipped, %d shown; want 30, 3", sum.Skipped, len(sum.Bad))
	}
}

func TestImportLongLine(t *testing.T) {
	long := `{"kind":"sighting","ip":"45.95.147.1","day":"2026-11-20","hits":1,"x":"` + strings.Repeat("a", importer.MaxLineLength) + `"}`
	in := sightings(1) + long + "\n" + sightings(2)
	o := importer.Options{}
	sum, err := importer.Import(context.Background(), &sink{}, strings.NewReader(in), newJSONL(o), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Applied != 3 || sum.Skipped != 1 || sum.Bad[0].Line != 2 || !strings.Contains(sum.Bad[0].Reason, "longer than 1 MiB") {
		t.Errorf("got %+v, want 3 applied and line 2 too long", sum)
	}
	// A long last line without newline.
	sum, err = importer.Import(context.Background(), &sink{}, strings.NewReader(sightings(1)+long), newJSONL(o), o)
	if err != nil || sum.Applied != 1 || sum.Skipped != 1 {
		t.Errorf("got %+v, %v; want 1 applied, 1 skipped", sum, err)
	}
}

func writeFile(t *testing.T, name, content string, gz bool) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	data := []byte(content)
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		data = buf.Bytes()
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportStrict(t *testing.T) {
	bad := sightings(20) + `{"kind":"sighting","ip":"45.95.147.1","day":"2026-11-20","hits":-1}` + "\n" + sightings(3)
	good := sightings(20)
	for _, gz := range []bool{false, true} {
		for _, viaFile := range []bool{true, false} {
			name := "strict"
			if gz {
				name += "-gz"
			}
			if !viaFile {
				name += "-stream"
			}
			t.Run(name, func(t *testing.T) {
				open := func(content string) (importer.Options, func() (*importer.Input, error), *strings.Reader) {
					p := writeFile(t, "data.bin", content, gz)
					o := importer.Options{Strict: true, BatchSize: 4, File: p, TempDir: t.TempDir()}
					return o, func() (*importer.Input, error) { return importer.OpenInput(p) }, strings.NewReader(content)
				}
				for _, c := range []struct {
					content string
					wantErr bool
				}{{bad, true}, {good, false}} {
					o, openIn, sr := open(c.content)
					st := &sink{}
					var sum importer.Summary
					var err error
					if viaFile {
						in, oerr := openIn()
						if oerr != nil {
							t.Fatal(oerr)
						}
						sum, err = importer.Import(context.Background(), st, in, newJSONL(o), o)
						in.Close()
					} else {
						if gz {
							t.Skip("stream test uses plain text")
						}
						// A reader that cannot be rewound: spooled to TempDir.
						sum, err = importer.Import(context.Background(), st, struct{ *strings.Reader }{sr}, newJSONL(o), o)
					}
					if ents, _ := os.ReadDir(o.TempDir); len(ents) != 0 {
						t.Errorf("temporary files left: %v", ents)
					}
					if c.wantErr {
						var le *importer.LineError
						if !errors.As(err, &le) || le.Line != 21 || !strings.Contains(le.Error(), "line 21: sighting: negative hits -1") {
							t.Fatalf("got error %v, want a LineError for line 21", err)
						}
						if st.batches != 0 {
							t.Errorf("strict import of a bad file applied %d batches, want none", st.batches)
						}
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					if sum.Applied != 20 || len(st.b.Sightings) != 20 {
						t.Errorf("got %d applied, %d stored; want 20", sum.Applied, len(st.b.Sightings))
					}
				}
			})
		}
	}
}

func TestOpenInputGzipByMagic(t *testing.T) {
	content := sightings(50)
	// Compressed, but not called .gz.
	p := writeFile(t, "world.jsonl", content, true)
	in, err := importer.OpenInput(p)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if !in.Compressed() {
		t.Fatal("Compressed() = false for a gzip file")
	}
	o := importer.Options{File: p}
	sum, err := importer.Import(context.Background(), &sink{}, in, newJSONL(o), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Applied != 50 {
		t.Errorf("got %d applied, want 50", sum.Applied)
	}
	done, total := in.Progress()
	if fi, _ := os.Stat(p); total != fi.Size() || done != total {
		t.Errorf("got progress %d/%d, want %d/%d", done, total, fi.Size(), fi.Size())
	}
	// Plain file.
	p2 := writeFile(t, "plain.jsonl", content, false)
	in2, err := importer.OpenInput(p2)
	if err != nil {
		t.Fatal(err)
	}
	defer in2.Close()
	if in2.Compressed() {
		t.Error("Compressed() = true for a plain file")
	}
	if _, err := importer.OpenInput(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("OpenInput of a missing file: no error")
	}
}

func TestImportDomainJoin(t *testing.T) {
	in := `{"kind":"resolution","domain":"c2.badcorp.example","ip":"45.95.147.10","first_seen":"2026-11-01","last_seen":"2026-11-20"}
{"kind":"url","url":"http://c2.badcorp.example/gate.php","categories":["CATEGORY_BOTNET_CNC"]}
{"kind":"url","url":"http://old.badcorp.example/x"}
{"kind":"file","url":"https://old.badcorp.example/x.exe","md5":"0f343b0931126a20f133d67c2b018a3b"}
{"kind":"mask","mask":"old.badcorp.example","mask_type":"Host","zone":"Red","feeds":["Malicious URL Feed"]}
{"kind":"url","url":"http://nobody.badcorp.example/x"}
{"kind":"url","url":"http://45.95.147.11/bins/x86"}
`
	st := &sink{domains: map[string][]netip.Addr{
		"old.badcorp.example": {netip.MustParseAddr("45.95.147.12"), netip.MustParseAddr("2a0e:97c0::12")},
	}}
	o := importer.Options{}
	sum, err := importer.Import(context.Background(), st, strings.NewReader(in), newJSONL(o), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unplaced != 1 || sum.Read != 7 {
		t.Errorf("got %d unplaced, %d read; want 1, 7", sum.Unplaced, sum.Read)
	}
	got := map[string][]string{}
	for _, u := range st.b.HostedURLs {
		got[u.URL] = append(got[u.URL], u.IP.String())
	}
	want := map[string][]string{
		"c2.badcorp.example/gate.php": {"45.95.147.10"},
		"old.badcorp.example/x":       {"45.95.147.12", "2a0e:97c0::12"},
		"45.95.147.11/bins/x86":       {"45.95.147.11"},
	}
	if len(got) != len(want) {
		t.Errorf("got hosted URLs %v, want %v", got, want)
	}
	for k, v := range want {
		if strings.Join(got[k], " ") != strings.Join(v, " ") {
			t.Errorf("URL %s on %v, want %v", k, got[k], v)
		}
	}
	if len(st.b.Files) != 2 || st.b.Files[0].URL != "https://old.badcorp.example/x.exe" || st.b.Files[0].MD5 != "0F343B0931126A20F133D67C2B018A3B" {
		t.Errorf("got files %+v", st.b.Files)
	}
	if len(st.b.Masks) != 2 {
		t.Errorf("got %d masks, want 2", len(st.b.Masks))
	}
}

// With a pipelining store, a web address joins the addresses its domain
// resolved to in a batch that has not committed yet.
func TestImportDomainJoinPipelined(t *testing.T) {
	in := `{"kind":"resolution","domain":"c2.badcorp.example","ip":"45.95.147.10","first_seen":"2026-11-01","last_seen":"2026-11-20"}
{"kind":"sighting","ip":"45.95.147.20","day":"2026-11-01","hits":1}
{"kind":"url","url":"http://c2.badcorp.example/gate.php","categories":["CATEGORY_BOTNET_CNC"]}
`
	st := &pipeSink{}
	o := importer.Options{BatchSize: 1}
	sum, err := importer.Import(context.Background(), st, strings.NewReader(in), newJSONL(o), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unplaced != 0 || sum.Applied != 3 || st.batches != 3 {
		t.Fatalf("%d unplaced, %d applied in %d batches; want 0, 3, 3", sum.Unplaced, sum.Applied, st.batches)
	}
	if len(st.b.HostedURLs) != 1 || st.b.HostedURLs[0].IP != netip.MustParseAddr("45.95.147.10") {
		t.Errorf("hosted URLs %+v, want the URL on 45.95.147.10", st.b.HostedURLs)
	}
}

func TestImportStoreError(t *testing.T) {
	for _, st := range []interface {
		store.Intel
		applied() int
	}{&sink{failAt: 2}, &pipeSink{sink: sink{failAt: 2}}} {
		t.Run(fmt.Sprintf("%T", st), func(t *testing.T) {
			o := importer.Options{BatchSize: 3, File: "w.jsonl"}
			sum, err := importer.Import(context.Background(), st, strings.NewReader(sightings(20)), newJSONL(o), o)
			if err == nil || !strings.Contains(err.Error(), "import w.jsonl: apply records up to line 6: disk full") {
				t.Fatalf("got error %v, want the store error with its line", err)
			}
			if sum.Applied != 3 || st.applied() != 3 {
				t.Errorf("%d applied, %d sightings in the store; want the first batch of 3", sum.Applied, st.applied())
			}
		})
	}
}

func TestImportCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := importer.Options{}
	_, err := importer.Import(ctx, &sink{}, strings.NewReader(sightings(5000)), newJSONL(o), o)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestImportProgress(t *testing.T) {
	var buf bytes.Buffer
	p := writeFile(t, "w.jsonl", sightings(3000), false)
	in, err := importer.OpenInput(p)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	o := importer.Options{Progress: &buf, File: p}
	if _, err := importer.Import(context.Background(), &sink{}, in, newJSONL(o), o); err != nil {
		t.Fatal(err)
	}
	// The first check happens at line 1024, well after the start: one
	// progress line is drawn, then erased.
	if s := buf.String(); !strings.Contains(s, "\rimporting ") || !strings.Contains(s, "ETA") || !strings.HasSuffix(s, "\r") {
		t.Errorf("got progress output %q", s)
	}
}

// Without -batch, a pipelining store gets batches of DefaultBatchSize and
// any other store batches of DefaultBatchSizeServer.
func TestImportDefaultBatchSize(t *testing.T) {
	plain, piped := &sink{}, &pipeSink{}
	o := importer.Options{}
	for _, x := range []struct {
		st      store.Intel
		batches func() int
		want    int
	}{
		{plain, func() int { return plain.batches }, 2},
		{piped, func() int { return piped.batches }, 5},
	} {
		if _, err := importer.Import(context.Background(), x.st, strings.NewReader(sightings(10000)), newJSONL(o), o); err != nil {
			t.Fatal(err)
		}
		if got := x.batches(); got != x.want {
			t.Errorf("%T: %d batches for 10,000 records, want %d", x.st, got, x.want)
		}
	}
}

// syncSink is a pipeSink that is a store.Syncer: it records how many
// records had been applied at each Sync.
type syncSink struct {
	pipeSink
	syncs []int
}

func (s *syncSink) Sync(context.Context) error {
	n := s.applied()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncs = append(s.syncs, n)
	return nil
}

// An import syncs a Syncer once, after its last batch committed, and also
// when a batch failed: what the summary counts as applied is durable.
func TestImportSyncsOnce(t *testing.T) {
	o := importer.Options{BatchSize: 1000}
	ok := &syncSink{}
	sum, err := importer.Import(context.Background(), ok, strings.NewReader(sightings(10000)), newJSONL(o), o)
	if err != nil {
		t.Fatal(err)
	}
	if ok.batches != 10 || !slices.Equal(ok.syncs, []int{10000}) || sum.Applied != 10000 {
		t.Errorf("%d batches, syncs after %v records applied, %d applied: want 10 batches, one sync after 10000",
			ok.batches, ok.syncs, sum.Applied)
	}

	failing := &syncSink{pipeSink: pipeSink{sink: sink{failAt: 4}}}
	sum, err = importer.Import(context.Background(), failing, strings.NewReader(sightings(10000)), newJSONL(o), o)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v, want the error of the fourth batch", err)
	}
	if len(failing.syncs) != 1 || int64(failing.syncs[0]) != sum.Applied || sum.Applied != 3000 {
		t.Errorf("syncs after %v records applied, %d applied: want one sync after the 3000 applied", failing.syncs, sum.Applied)
	}
}
