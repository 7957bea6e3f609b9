package abusech

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/intel"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// parser is what every parser of the package offers.
type parser interface {
	importer.Parser
	importer.Flusher
}

// flushless adapts parsers without Flush.
type flushless struct{ importer.Parser }

func (flushless) Flush(*intel.Batch) error { return nil }

func newParser(format string, o importer.ParserConfig) parser {
	switch format {
	case "urlhaus":
		return flushless{NewURLhaus(o)}
	case "threatfox":
		return NewThreatFox(o)
	case "feodo":
		return flushless{NewFeodo(o)}
	}
	panic("unknown format " + format)
}

// formatOf tells a fixture's format by its name.
func formatOf(name string) string {
	return strings.SplitN(strings.TrimSuffix(name, filepath.Ext(name)), "_", 2)[0]
}

// parseFile parses a fixture as the pipeline does and returns the batch and
// the bad lines.
func parseFile(t testing.TB, name string) (*intel.Batch, map[int]string, parser) {
	t.Helper()
	p := newParser(formatOf(name), importer.ParserConfig{})
	b, bad := importtest.ParseFile(t, filepath.Join("testdata", name), p)
	return b, bad, p
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"urlhaus.csv", "threatfox.csv", "threatfox.json", "feodo.csv", "feodo_old.csv"} {
		t.Run(name, func(t *testing.T) {
			b, bad, p := parseFile(t, name)
			if len(bad) > 0 {
				t.Fatalf("bad lines: %v", bad)
			}
			importtest.GoldenParsed(t, name+".golden", b, p, *update)
		})
	}
}

// TestCSVAndJSONAgree checks that the two ThreatFox exports of the same
// IOCs give the same evidence.
func TestCSVAndJSONAgree(t *testing.T) {
	csvB, _, _ := parseFile(t, "threatfox.csv")
	jsonB, _, _ := parseFile(t, "threatfox.json")
	key := func(l intel.Listing) string { return l.IP.String() + " " + string(l.Category) + " " + l.Source.Feed }
	inCSV := map[string]intel.Listing{}
	for _, l := range csvB.Listings {
		inCSV[key(l)] = l
	}
	for _, l := range jsonB.Listings {
		if l.IP.String() == "45.95.147.14" || l.IP.String() == "45.95.147.15" {
			continue // only in the JSON fixture
		}
		c, ok := inCSV[key(l)]
		if !ok || c != l {
			t.Errorf("JSON listing %+v, CSV has %+v", l, c)
		}
	}
	if len(jsonB.HostedURLs) != 1 || len(jsonB.Domains) != 1 {
		t.Errorf("got %d URLs and %d domains from JSON, want 1 and 1", len(jsonB.HostedURLs), len(jsonB.Domains))
	}
}

func TestMixed(t *testing.T) {
	tests := []struct {
		name  string
		want  map[int]string
		good  int // records of the good lines
		notes []importer.Ignored
	}{
		{name: "urlhaus_mixed.csv", want: map[int]string{
			3: `unsupported scheme "ftp"`,
			4: `bad date "20/11/2026" in dateadded`,
			5: `unknown url_status "sleeping"`,
			6: `quoted field not closed`,
			7: `4 fields, want 9`,
		}},
		{name: "feodo_mixed.csv", want: map[int]string{
			3: `bad address "45.95.147.256" in dst_ip`,
			4: `bad port "70000" in dst_port`,
			5: `unknown c2_status "dormant"`,
			7: `2 fields, want 6`,
		}},
		{name: "threatfox_mixed.csv", want: map[int]string{
			3: `unsupported scheme "ftp"`,
			4: `bad md5_hash "nothex"`,
			5: `bad domain "45.95.147.16": an address`,
			7: `bad date "yesterday" in last_seen_utc`,
		}, notes: []importer.Ignored{{What: IgnoredUnsupported, N: 1}}},
		{name: "threatfox_mixed.json", want: map[int]string{
			17: `ioc 9100002 (from line 12): bad ip:port "45.95.147.999:443"`,
			25: `ioc 9100003 (from line 20): unknown threat_type "world_domination"`,
			32: `ioc 9100004 (from line 28): cannot unmarshal number`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, bad, p := parseFile(t, tt.name)
			importtest.CheckBad(t, bad, tt.want)
			if tt.notes != nil {
				if got := p.(*ThreatFox).Ignored(); !reflect.DeepEqual(got, tt.notes) {
					t.Errorf("ignored: got %v, want %v", got, tt.notes)
				}
			}
		})
	}
}

func TestThreatFoxJSONStructure(t *testing.T) {
	tests := []struct {
		in   string
		want string // reason of the first bad line, "" for none
	}{
		{in: "{\n\"1\": [\n{\"ioc_value\":\"45.95.147.12:443\",\"ioc_type\":\"ip:port\",\"threat_type\":\"botnet_cc\"}\n]\n}\n"},
		{in: `{"1": [{"ioc_value":"45.95.147.12:443","ioc_type":"ip:port","threat_type":"botnet_cc"}]}`},
		{in: `{"1": {"ioc_value":"x"}}`, want: "ioc 1: want an array of records"},
		{in: `{"1": null}`, want: "ioc 1: want an array of records"},
		{in: "{\"1\": [\n", want: "truncated file"},
		{in: `{"1": []} {`, want: "data after the end of the export"},
		{in: `{"1": [}`, want: `unexpected '}'`},
	}
	for _, tt := range tests {
		p := NewThreatFox(importer.ParserConfig{})
		var b intel.Batch
		got := ""
		for i, l := range strings.Split(tt.in, "\n") {
			if l == "" {
				continue
			}
			if err := p.Parse([]byte(l), i+1, &b); err != nil && got == "" {
				got = err.Error()
			}
		}
		if err := p.Flush(&b); err != nil && got == "" {
			got = err.Error()
		}
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
		if tt.want == "" && len(b.Listings) != 1 {
			t.Errorf("%q: got %d listings, want 1", tt.in, len(b.Listings))
		}
	}
	// After a syntax error the rest is reported, not guessed.
	p := NewThreatFox(importer.ParserConfig{})
	var b intel.Batch
	p.Parse([]byte(`{"1": x`), 1, &b)
	if err := p.Parse([]byte(`"2": []}`), 2, &b); err == nil || !strings.Contains(err.Error(), "not read") {
		t.Errorf("got %v after a syntax error, want not read", err)
	}
}

func TestFeedFlag(t *testing.T) {
	var b intel.Batch
	p := NewFeodo(importer.ParserConfig{Feed: "My C2 List"})
	if err := p.Parse([]byte(`"2026-10-01 07:44:46","45.95.147.20",443,"online","2026-11-27","Dridex"`), 1, &b); err != nil {
		t.Fatal(err)
	}
	if l := b.Listings[0]; l.Feed != "My C2 List" || l.Source.Feed != "My C2 List (Dridex)" {
		t.Errorf("got feed %q source %q, want the -feed name", l.Feed, l.Source.Feed)
	}
}

// samples are one line of every variant, for the fuzz seeds.
func samples(f *testing.F, name string) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(formatOf(name), l)
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"urlhaus.csv", "urlhaus_mixed.csv", "threatfox.csv", "threatfox_mixed.csv", "feodo.csv", "feodo_old.csv", "feodo_mixed.csv"} {
		samples(f, n)
	}
	f.Add("threatfox", []byte(`{"1": [{"ioc_value":"http://45.95.147.13/x","ioc_type":"url","threat_type":"payload_delivery","tags":["a"]}]}`))
	f.Fuzz(func(t *testing.T, format string, line []byte) {
		if format != "urlhaus" && format != "threatfox" && format != "feodo" {
			return
		}
		p := newParser(format, importer.ParserConfig{})
		var b intel.Batch
		if err := p.Parse(line, 1, &b); err != nil {
			return
		}
		p.Flush(&b)
		for _, r := range b.HostedURLs {
			if k, _, err := intel.NormalizeURL(r.URL); err != nil || k != r.URL {
				t.Fatalf("hosted URL %q is not normalised", r.URL)
			}
			if !r.Zone.Valid() || r.LastSeen.Before(r.FirstSeen) {
				t.Fatalf("bad hosted URL %+v", r)
			}
		}
		for _, r := range b.Listings {
			if !r.IP.IsValid() || r.IP.Is4In6() || r.Feed == "" || r.LastSeen.Before(r.FirstSeen) {
				t.Fatalf("bad listing %+v", r)
			}
			if _, ok := intel.CategoryZone(r.Category); !ok {
				t.Fatalf("bad category %+v", r)
			}
		}
		for _, m := range b.Masks {
			if m.Mask == "" || len(m.Feeds) == 0 || m.Zone.FeedStatus() == "" {
				t.Fatalf("bad mask %+v", m)
			}
		}
	})
}

// benchParse parses the data lines of a fixture over and over.
func benchParse(b *testing.B, name string) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) > 0 && l[0] != '#' {
			lines = append(lines, l)
		}
	}
	p := newParser(formatOf(name), importer.ParserConfig{})
	importtest.BenchParse(b, p, lines, 0)
}

func BenchmarkURLhaus(b *testing.B)   { benchParse(b, "urlhaus.csv") }
func BenchmarkThreatFox(b *testing.B) { benchParse(b, "threatfox.csv") }
func BenchmarkFeodo(b *testing.B)     { benchParse(b, "feodo.csv") }

// BenchmarkThreatFoxJSON parses a pretty-printed export of many records.
func BenchmarkThreatFoxJSON(b *testing.B) {
	rec := `        {
            "ioc_value": "45.95.147.12:443",
            "ioc_type": "ip:port",
            "threat_type": "botnet_cc",
            "malware": "win.cobalt_strike",
            "malware_printable": "Cobalt Strike",
            "first_seen_utc": "2026-11-20 08:00:00",
            "last_seen_utc": null,
            "confidence_level": 100,
            "tags": "CobaltStrike"
        }`
	lines := strings.Split(rec, "\n")
	p := NewThreatFox(importer.ParserConfig{})
	var batch intel.Batch
	p.Parse([]byte("{"), 1, &batch)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		if i%(len(lines)+2) == 0 {
			if i > 0 {
				p.Parse([]byte("    ],"), i, &batch)
			}
			p.Parse([]byte(`    "9000001": [`), i, &batch)
			continue
		}
		j := i%(len(lines)+2) - 1
		if j >= len(lines) {
			continue
		}
		if err := p.Parse([]byte(lines[j]), i, &batch); err != nil {
			b.Fatal(err)
		}
		n++
		if batch.Len() > 4096 {
			batch.Reset()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func TestMalpedia(t *testing.T) {
	for _, tt := range []struct{ given, id, want string }{
		{"", "elf.mirai", MalpediaBase + "elf.mirai"},
		{"", "Win.Cobalt_Strike", MalpediaBase + "win.cobalt_strike"},
		{"https://malpedia.example/details/x.y", "elf.mirai", "https://malpedia.example/details/x.y"},
		{"javascript:alert(1)", "elf.mirai", MalpediaBase + "elf.mirai"},
		{"", "unknown", ""},
		{"", "elf.", ""},
		{"", "elf.mi rai", ""},
		{"", "None", ""},
	} {
		if got := malpedia(tt.given, tt.id); got != tt.want {
			t.Errorf("malpedia(%q, %q): got %q, want %q", tt.given, tt.id, got, tt.want)
		}
	}
}
