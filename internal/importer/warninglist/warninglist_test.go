package warninglist

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// parse runs ParseStream over data; it returns the batch, the bad entries
// by number and the document error.
func parse(t testing.TB, p *Parser, data []byte) (*intel.Batch, map[int]string, error) {
	var b intel.Batch
	bad := map[int]string{}
	err := p.ParseStream(bytes.NewReader(data), func(n int, f func(*intel.Batch) error) error {
		var lb intel.Batch
		if err := f(&lb); err != nil {
			bad[n] = err.Error()
			return nil
		}
		b.Allows = append(b.Allows, lb.Allows...)
		b.ObjectInfos = append(b.ObjectInfos, lb.ObjectInfos...)
		return nil
	})
	return &b, bad, err
}

func read(t testing.TB, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestGolden(t *testing.T) {
	for _, c := range []struct {
		name    string
		ignored []importer.Ignored
	}{
		{"cidr", nil},
		{"string", []importer.Ignored{{What: IgnoredSuffix, N: 1}, {What: IgnoredOther, N: 1}}},
		{"hostname", nil},
		{"regex", []importer.Ignored{{What: "regex entries", N: 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := New(importer.ParserConfig{})
			b, bad, err := parse(t, p, read(t, c.name+".json"))
			if err != nil || len(bad) > 0 {
				t.Fatalf("got error %v, bad entries %v", err, bad)
			}
			if b.ObjectInfos == nil {
				importtest.Golden(t, c.name+".golden", b.Allows, *update)
			} else {
				importtest.Golden(t, c.name+".golden", struct {
					Allows      []intel.Allow
					ObjectInfos []intel.ObjectInfo
				}{b.Allows, b.ObjectInfos}, *update)
			}
			if got := p.Ignored(); !reflect.DeepEqual(got, c.ignored) {
				t.Errorf("got ignored %v, want %v", got, c.ignored)
			}
		})
	}
}

func TestMixed(t *testing.T) {
	b, bad, err := parse(t, New(importer.ParserConfig{}), read(t, "mixed.json"))
	if err != nil {
		t.Fatal(err)
	}
	importtest.CheckBad(t, bad, map[int]string{
		2: `entry "45.95.148.300": not an address or network`,
		3: `entry 42: want a string`,
		4: `empty entry`,
		5: `entry "not-a-network": not an address or network`,
	})
	if len(b.Allows) != 2 {
		t.Errorf("got %d allows, want 2", len(b.Allows))
	}
}

func TestDocumentErrors(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"list":["45.95.148.0/24"],"type":"cidr"}`, `missing field "name"`},
		{`{"name":"x","type":"cidr"}`, `missing field "list"`},
		{`{"name":"x","list":[]}`, `missing field "type"`},
		{`{"name":"x","list":[],"type":"asn"}`, `unknown list type "asn"`},
		{`["45.95.148.0/24"]`, `not a warninglist JSON document`},
		{`{"name":"x","list":["45.95.148.0/24"],"type":"cidr"} trailing`, `not a warninglist JSON document`},
		{`{"name":"x","list":["` + strings.Repeat("4", MaxDocument) + `"],"type":"cidr"}`, `larger than 32 MiB`},
	} {
		_, _, err := parse(t, New(importer.ParserConfig{}), []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.60s: got %v, want %q", c.doc, err, c.want)
		}
	}
	// -feed names a list without a name.
	b, _, err := parse(t, New(importer.ParserConfig{Feed: "Cmdline list"}), []byte(`{"list":["45.95.148.0/24"],"type":"cidr"}`))
	if err != nil || b.Allows[0].List != "Cmdline list" {
		t.Errorf("got %v, %+v; want the list named by -feed", err, b.Allows)
	}
}

// TestEndToEnd imports a feed listing and the warninglist into the mem
// store: the listed address is Green with the listing shown as suppressed.
func TestEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	listing := filepath.Join(t.TempDir(), "listing.jsonl")
	os.WriteFile(listing, []byte(`{"kind":"listing","ip":"45.95.148.10","category":"CATEGORY_SCANNER","feed":"Example Scanner Feed","last_seen":"2026-11-27"}`+"\n"+
		`{"kind":"listing","ip":"45.95.151.10","category":"CATEGORY_SCANNER","feed":"Example Scanner Feed","last_seen":"2026-11-27"}`+"\n"), 0o644)
	w.Import(t, listing, func() importer.Parser { return jsonl.New(importer.ParserConfig{}) }, importer.Options{})
	newParser := func() importer.Parser { return New(importer.ParserConfig{}) }
	path := filepath.Join("testdata", "cidr.json.gz")
	sum := w.Import(t, path, newParser, importer.Options{})
	if sum.Read != 5 || sum.Skipped != 0 || sum.Records != 6 {
		t.Errorf("got %d read, %d skipped, %d records; want 5, 0, 6", sum.Read, sum.Skipped, sum.Records)
	}
	r := w.Report(t, "45.95.148.10")
	if r.Zone != intel.ZoneGreen {
		t.Errorf("45.95.148.10: got zone %s, want Green", r.Zone)
	}
	e := w.Explain(t, "45.95.148.10")
	var allow, suppressed bool
	for _, c := range e.Result.Contributions {
		if c.Source == "Example public resolvers" && strings.Contains(c.Note, "known benign") {
			allow = true
		}
		if c.Source == "Example Scanner Feed" && c.Points == 0 && strings.Contains(c.Note, "suppressed") {
			suppressed = true
		}
	}
	if !allow || !suppressed {
		t.Errorf("got contributions %+v, want the allow list and the listing suppressed", e.Result.Contributions)
	}
	if len(e.Net.Allows) != 1 || e.Net.Allows[0].Prefix.String() != "45.95.148.0/24" || e.Net.Allows[0].Source.File != "cidr.json.gz" {
		t.Errorf("got allows %+v, want 45.95.148.0/24 from cidr.json.gz", e.Net.Allows)
	}
	// Outside the list the listing counts.
	if r := w.Report(t, "45.95.151.10"); r.Zone == intel.ZoneGreen {
		t.Errorf("45.95.151.10: got Green, want the listing's zone")
	}
	// The split range and the IPv6 network.
	for _, ip := range []string{"46.36.200.9", "2a0e:97c0:3e4:1::1", "45.95.149.53"} {
		if r := w.Report(t, ip); r.Zone != intel.ZoneGreen {
			t.Errorf("%s: got zone %s, want Green", ip, r.Zone)
		}
	}
	if r := w.Report(t, "46.36.200.10"); r.Zone == intel.ZoneGreen {
		t.Errorf("46.36.200.10: got Green, want outside the list")
	}
	ips := []string{"45.95.148.10", "46.36.200.9", "2a0e:97c0:3e4:1::1"}
	before := w.Dump(t, ips...)
	w.Import(t, path, newParser, importer.Options{})
	importtest.SameSnapshots(t, before, w.Dump(t, ips...))
}

// TestHostsEndToEnd checks that the host names of a hostname list reach
// the domain lookup as allow-listed.
func TestHostsEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	newParser := func() importer.Parser { return New(importer.ParserConfig{}) }
	sum := w.Import(t, filepath.Join("testdata", "hostname.json"), newParser, importer.Options{})
	if sum.Skipped != 0 || len(sum.Ignored) != 0 {
		t.Errorf("got %s, want nothing skipped or ignored", sum)
	}
	for _, h := range []string{"cdn.example", "static.cdn.example"} {
		o := w.Object(t, intel.ObjectHost, h)
		if !reflect.DeepEqual(o.Info.Allows, []string{"Example CDN hosts"}) || o.Info.Source.File != "hostname.json" {
			t.Errorf("%s: got allows %v source %+v, want Example CDN hosts from hostname.json", h, o.Info.Allows, o.Info.Source)
		}
	}
	if o := w.Object(t, intel.ObjectHost, "example"); o.Known() {
		t.Errorf("example: got %+v, want nothing known", o)
	}
}

func FuzzParseStream(f *testing.F) {
	for _, n := range []string{"cidr.json", "string.json", "hostname.json", "regex.json", "mixed.json"} {
		f.Add(read(f, n))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		b, _, err := parse(t, New(importer.ParserConfig{Feed: "F"}), doc)
		if err != nil {
			return
		}
		for _, a := range b.Allows {
			if !a.Prefix.IsValid() || a.Prefix != a.Prefix.Masked() || a.List == "" {
				t.Fatalf("bad allow %+v", a)
			}
		}
		for _, o := range b.ObjectInfos {
			if n, err := intel.NormalizeDomain(o.Key); err != nil || n != o.Key || o.Kind != intel.ObjectHost || len(o.Allows) != 1 || o.Allows[0] == "" {
				t.Fatalf("bad host %+v", o)
			}
		}
	})
}

// BenchmarkParseStream parses a cidr list of 10,000 entries.
func BenchmarkParseStream(b *testing.B) {
	d := Document{Name: "bench", Type: "cidr", Version: "1"}
	for i := 0; i < 10000; i++ {
		d.List = append(d.List, json.RawMessage(fmt.Sprintf(`"%d.%d.%d.0/24"`, 45+i%50, i/256%256, i%256)))
	}
	data, _ := json.Marshal(d)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := parse(b, New(importer.ParserConfig{}), data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(d.List))/b.Elapsed().Seconds(), "entries/s")
}
