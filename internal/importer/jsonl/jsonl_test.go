package jsonl

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/intel"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func parseFile(t testing.TB, path string, o importer.ParserConfig) (*intel.Batch, map[int]string) {
	t.Helper()
	return importtest.ParseFile(t, path, New(o))
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"kinds"} {
		t.Run(name, func(t *testing.T) {
			b, bad := parseFile(t, filepath.Join("testdata", name+".jsonl"), importer.ParserConfig{})
			if len(bad) > 0 {
				t.Fatalf("bad lines: %v", bad)
			}
			got, err := json.MarshalIndent(b, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("batch of %s.jsonl differs from %s (run with -update and review the diff):\n%s", name, golden, got)
			}
		})
	}
}

func TestKindsCovered(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "kinds.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds() {
		if !bytes.Contains(data, []byte(`{"kind":"`+k+`"`)) {
			t.Errorf("testdata/kinds.jsonl has no line of kind %q", k)
		}
	}
}

func TestMixed(t *testing.T) {
	_, bad := parseFile(t, filepath.Join("testdata", "mixed.jsonl"), importer.ParserConfig{})
	want := map[int]string{
		2:  `sighting: missing field "day"`,
		3:  `unknown kind "beacon"`,
		4:  `listing: bad address "45.95.147.999" in "ip"`,
		5:  `listing: unknown category "CATEGORY_EVIL"`,
		6:  `url: zone "Purple" not valid`,
		7:  `url: negative hits -3`,
		8:  `missing field "kind"`,
		9:  `file: bad md5 "xyz"`,
		10: `country: bad country code "Netherlands"`,
		11: `sighting: bad date "27/11/2026" in "day"`,
		12: `field "hits": want int64, got string`,
		13: `unsupported scheme "ftp"`,
		14: `report: unknown report type "Novel"`,
		15: `resolution: bad domain "45.95.147.10": an address`,
		16: `whois: type "inetnum" does not match`,
		17: `mask: mask_type "Network": publish networks as kind "netlisting"`,
		18: `listing: last_seen 2026-11-01 before first_seen 2026-11-20`,
		19: `NUL character`,
		20: `url: ip 45.95.147.11 is not the web address's host 45.95.147.10`,
	}
	for n, w := range want {
		if !strings.Contains(bad[n], w) {
			t.Errorf("line %d: got reason %q, want it to contain %q", n, bad[n], w)
		}
	}
	for n, r := range bad {
		if _, ok := want[n]; !ok {
			t.Errorf("line %d: unexpected bad line: %s", n, r)
		}
	}
}

func TestDefaults(t *testing.T) {
	p := New(importer.ParserConfig{Feed: "Cmdline Feed", Category: intel.CatScanner})
	var b intel.Batch
	for _, l := range []string{
		`{"kind":"listing","ip":"45.95.147.10","last_seen":"2026-11-27"}`,
		`{"kind":"allow","range":"45.95.148.0/24"}`,
		`{"kind":"mask","mask":"45.95.147.10","mask_type":"Host","zone":"Orange"}`,
		`{"kind":"url","url":"bad.example/x"}`,
	} {
		if err := p.Parse([]byte(l), 1, &b); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
	}
	l := b.Listings[0]
	if l.Feed != "Cmdline Feed" || l.Category != intel.CatScanner || l.FirstSeen != l.LastSeen || l.LastSeen.IsZero() {
		t.Errorf("got listing %+v, want the command line's feed and category, first = last seen", l)
	}
	if b.Allows[0].List != "Cmdline Feed" || b.Masks[0].Feeds[0] != "Cmdline Feed" {
		t.Errorf("got allow %+v, mask %+v; want the command line's feed", b.Allows[0], b.Masks[0])
	}
	if u := b.HostedURLs[0]; u.IP.IsValid() || u.Hits != 1 || u.Zone != intel.ZoneGrey {
		t.Errorf("got url %+v, want no address, 1 hit, Grey", u)
	}
	// Without defaults, listing needs feed and category.
	var b2 intel.Batch
	err := New(importer.ParserConfig{}).Parse([]byte(`{"kind":"listing","ip":"45.95.147.10","feed":"F"}`), 1, &b2)
	if err == nil || !strings.Contains(err.Error(), `missing field "category"`) {
		t.Errorf("got %v, want missing category", err)
	}
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "kinds.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(l)
	}
	mixed, _ := os.ReadFile(filepath.Join("testdata", "mixed.jsonl"))
	for _, l := range bytes.Split(mixed, []byte("\n")) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		p := New(importer.ParserConfig{Feed: "F", Category: intel.CatSpam})
		var b intel.Batch
		if err := p.Parse(line, 1, &b); err != nil {
			return
		}
		for _, r := range b.HostedURLs {
			if k, _, err := intel.NormalizeURL(r.URL); err != nil || k != r.URL {
				t.Fatalf("hosted URL %q is not normalised", r.URL)
			}
			if !r.Zone.Valid() || r.Hits < 0 {
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
		for _, r := range b.Sightings {
			if !r.IP.IsValid() || r.Hits < 0 || r.Day.IsZero() {
				t.Fatalf("bad sighting %+v", r)
			}
		}
		for _, r := range b.Countries {
			if !r.Prefix.IsValid() || r.Prefix != r.Prefix.Masked() || len(r.Country) != 2 {
				t.Fatalf("bad country %+v", r)
			}
		}
		for _, r := range b.Files {
			if len(r.MD5) != 32 || strings.ToUpper(r.MD5) != r.MD5 {
				t.Fatalf("bad file %+v", r)
			}
		}
	})
}

// benchLines is a realistic mix: mostly sightings, listings and URLs.
func benchLines(b *testing.B) [][]byte {
	data, err := os.ReadFile(filepath.Join("testdata", "kinds.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) > 0 && l[0] == '{' {
			lines = append(lines, l)
		}
	}
	return lines
}

func BenchmarkParse(b *testing.B) {
	lines := benchLines(b)
	p := New(importer.ParserConfig{})
	var batch intel.Batch
	var bytesN int64
	for _, l := range lines {
		bytesN += int64(len(l))
	}
	b.SetBytes(bytesN / int64(len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Parse(lines[i%len(lines)], i, &batch); err != nil {
			b.Fatal(err)
		}
		if batch.Len() > 4096 {
			batch.Reset()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// TestDocExamples parses every example line of docs/import-format.md.
func TestDocExamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "import-format.md"))
	if err != nil {
		t.Skip("docs not found:", err)
	}
	kinds := map[string]bool{}
	blocks := strings.Split(string(data), "```json\n")
	for _, blk := range blocks[1:] {
		line := strings.TrimSpace(blk[:strings.Index(blk, "```")])
		var b intel.Batch
		if err := New(importer.ParserConfig{}).Parse([]byte(line), 1, &b); err != nil {
			t.Errorf("doc example %s: %v", line, err)
		}
		var r Record
		json.Unmarshal([]byte(line), &r)
		kinds[r.Kind] = true
	}
	for _, k := range Kinds() {
		if !kinds[k] {
			t.Errorf("docs/import-format.md has no example of kind %q", k)
		}
	}
}

// FuzzDecode checks the hand-written decoder against encoding/json: it
// accepts only valid JSON, and where both decode a line they agree.
func FuzzDecode(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "kinds.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(l)
	}
	f.Add([]byte(`{"kind":"x","extra":{"a":[1,{"b":null}],"c":true},"hits":3}`))
	f.Add([]byte(`{"kind":"a\u00e9\n","ips":[],"asn":7}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var mine Record
		if err := decode(line, &mine); err != nil {
			return
		}
		if !json.Valid(line) {
			t.Fatalf("decode accepted invalid JSON %q", line)
		}
		var std Record
		if err := json.Unmarshal(line, &std); err != nil {
			return
		}
		if bytes.ContainsAny(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ\\") {
			return // encoding/json matches field names case-insensitively
		}
		a, _ := json.Marshal(mine)
		b, _ := json.Marshal(std)
		if !bytes.Equal(a, b) {
			t.Fatalf("decode(%q) = %s, encoding/json = %s", line, a, b)
		}
	})
}
