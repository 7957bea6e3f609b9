package lists

import (
	"bytes"
	"errors"
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

// ipsetOptions are the command-line options of the ipset fixtures.
var ipsetOptions = importer.ParserConfig{Feed: "Example Level 1", Category: intel.CatBadReputation}

func newParser(format string, o importer.ParserConfig) importer.Parser {
	switch format {
	case "drop":
		return NewDROP(o)
	case "ipset":
		return NewIPSet(o)
	case "openphish":
		return NewOpenPhish(o)
	case "phishtank":
		return NewPhishTank(o)
	}
	panic("unknown format " + format)
}

// fixtures maps a fixture to its format.
var fixtures = map[string]string{
	"drop.txt": "drop", "drop.json": "drop", "drop_mixed.json": "drop",
	"firehol.netset": "ipset", "plain.ipset": "ipset", "ipset_mixed.txt": "ipset",
	"openphish.txt": "openphish", "openphish_mixed.txt": "openphish",
	"phishtank.csv": "phishtank", "phishtank_mixed.csv": "phishtank",
}

// parseFile parses a fixture as the pipeline does.
func parseFile(t testing.TB, name string) (*intel.Batch, map[int]string, importer.Parser) {
	t.Helper()
	o := importer.ParserConfig{}
	if fixtures[name] == "ipset" {
		o = ipsetOptions
	}
	p := newParser(fixtures[name], o)
	b, bad := importtest.ParseFile(t, filepath.Join("testdata", name), p)
	return b, bad, p
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"drop.txt", "drop.json", "firehol.netset", "plain.ipset", "openphish.txt", "phishtank.csv"} {
		t.Run(name, func(t *testing.T) {
			b, bad, p := parseFile(t, name)
			if len(bad) > 0 {
				t.Fatalf("bad lines: %v", bad)
			}
			importtest.GoldenParsed(t, name+".golden", b, p, *update)
		})
	}
}

func TestTextAndJSONAgree(t *testing.T) {
	txt, _, _ := parseFile(t, "drop.txt")
	js, _, _ := parseFile(t, "drop.json")
	// The JSON form lists its networks undated, then again dated by the
	// metadata line.
	if n := len(txt.NetListings); 2*n != len(js.NetListings) {
		t.Fatalf("got %d networks from text, %d from JSON, want twice as many", n, len(js.NetListings))
	}
	for i := range txt.NetListings {
		a, b := txt.NetListings[i], js.NetListings[len(txt.NetListings)+i]
		if a != b {
			t.Errorf("network %d: text %+v, JSON %+v", i, a, b)
		}
	}
}

func TestMixed(t *testing.T) {
	tests := []struct {
		name string
		want map[int]string
	}{
		{name: "drop_mixed.json", want: map[int]string{
			2: `bad network "46.36.300.0/22"`,
			3: `missing field "cidr"`,
			4: `bad SBL id "XYZ1"`,
			5: `not a DROP JSON line`,
			7: `metadata counts 9 networks, the file holds 6`,
		}},
		{name: "ipset_mixed.txt", want: map[int]string{
			2: `bad address "193.32.162.300"`,
			3: `bad network "193.32.162.0/33"`,
			4: `bad address "fe80::1%eth0"`,
			5: `193.32.163.9 - 193.32.163.1`,
		}},
		{name: "openphish_mixed.txt", want: map[int]string{
			2: `unsupported scheme "ftp"`,
			3: `bad host.example`,
		}},
		{name: "phishtank_mixed.csv", want: map[int]string{
			3: `bad date "25/11/2026" in submission_time`,
			4: `bad verified "maybe"`,
			5: `empty phish_id`,
			6: `unsupported scheme "gopher"`,
			7: `empty submission_time`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, bad, _ := parseFile(t, tt.name)
			importtest.CheckBad(t, bad, tt.want)
		})
	}
}

func TestIPSetOptions(t *testing.T) {
	tests := []struct {
		o    importer.ParserConfig
		want error
	}{
		{o: importer.ParserConfig{Feed: "L"}, want: ErrNoCategory},
		{o: importer.ParserConfig{Category: intel.CatScanner}, want: ErrNoFeed},
		{o: importer.ParserConfig{Feed: "L", Category: "CATEGORY_EVIL"}},
		{o: importer.ParserConfig{Feed: "L", Category: intel.CatScanner}},
	}
	for _, tt := range tests {
		err := CheckIPSet(tt.o)
		switch {
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("%+v: got %v, want %v", tt.o, err, tt.want)
		case tt.want == nil && tt.o.Category == "CATEGORY_EVIL" && (err == nil || !strings.Contains(err.Error(), "unknown category")):
			t.Errorf("%+v: got %v, want unknown category", tt.o, err)
		case tt.want == nil && tt.o.Category == intel.CatScanner && err != nil:
			t.Errorf("%+v: got %v, want nil", tt.o, err)
		}
	}
	var b intel.Batch
	if err := NewIPSet(importer.ParserConfig{Feed: "L"}).Parse([]byte("45.95.147.10"), 1, &b); !errors.Is(err, ErrNoCategory) {
		t.Errorf("got %v for a data line without -category, want %v", err, ErrNoCategory)
	}
}

func FuzzParse(f *testing.F) {
	for name, format := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			f.Add(format, l)
		}
	}
	f.Fuzz(func(t *testing.T, format string, line []byte) {
		if format != "drop" && format != "ipset" && format != "openphish" && format != "phishtank" {
			return
		}
		p := newParser(format, ipsetOptions)
		var b intel.Batch
		if err := p.Parse(line, 1, &b); err != nil {
			return
		}
		for _, r := range b.HostedURLs {
			if k, _, err := intel.NormalizeURL(r.URL); err != nil || k != r.URL {
				t.Fatalf("hosted URL %q is not normalised", r.URL)
			}
		}
		for _, r := range b.NetListings {
			if !r.Prefix.IsValid() || r.Prefix != r.Prefix.Masked() || r.Feed == "" || !r.Zone.Valid() {
				t.Fatalf("bad network listing %+v", r)
			}
		}
		for _, r := range b.Listings {
			if !r.IP.IsValid() || r.IP.Is4In6() || r.Feed == "" {
				t.Fatalf("bad listing %+v", r)
			}
		}
		for _, r := range b.PhishingEvents {
			if r.ID == "" || r.Time.IsZero() || r.IP.IsValid() == (r.Domain != "") {
				t.Fatalf("bad phishing event %+v", r)
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
		if len(l) > 0 && l[0] != '#' && l[0] != ';' && !bytes.HasPrefix(l, []byte("phish_id,")) && !bytes.Contains(l, []byte("metadata")) {
			lines = append(lines, l)
		}
	}
	p := newParser(fixtures[name], ipsetOptions)
	importtest.BenchParse(b, p, lines, 0)
}

func BenchmarkDROP(b *testing.B)      { benchParse(b, "drop.txt") }
func BenchmarkDROPJSON(b *testing.B)  { benchParse(b, "drop.json") }
func BenchmarkIPSet(b *testing.B)     { benchParse(b, "firehol.netset") }
func BenchmarkOpenPhish(b *testing.B) { benchParse(b, "openphish.txt") }
func BenchmarkPhishTank(b *testing.B) { benchParse(b, "phishtank.csv") }
