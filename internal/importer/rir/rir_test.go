package rir

import (
	"bytes"
	"flag"
	"net/netip"
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

func TestGolden(t *testing.T) {
	for _, c := range []struct {
		file, golden string
		p            func() importer.Parser
		ignored      []importer.Ignored
	}{
		{"delegated-extended.txt", "delegated-extended.golden", func() importer.Parser { return NewDelegated(importer.ParserConfig{}) },
			[]importer.Ignored{{What: "asn records", N: 3}, {What: "available space", N: 2}, {What: "reserved space", N: 1}}},
		{"delegated.txt", "delegated.golden", func() importer.Parser { return NewDelegated(importer.ParserConfig{}) }, nil},
		{"ip2asn-v4.tsv", "ip2asn-v4.golden", func() importer.Parser { return NewIPtoASN(importer.ParserConfig{}) },
			[]importer.Ignored{{What: "not routed ranges (AS 0)", N: 1}}},
		{"ip2asn-v6.tsv", "ip2asn-v6.golden", func() importer.Parser { return NewIPtoASN(importer.ParserConfig{}) },
			[]importer.Ignored{{What: "not routed ranges (AS 0)", N: 1}}},
	} {
		t.Run(c.file, func(t *testing.T) {
			p := c.p()
			b, bad := importtest.ParseFile(t, filepath.Join("testdata", c.file), p)
			if len(bad) > 0 {
				t.Fatalf("bad lines: %v", bad)
			}
			importtest.Golden(t, c.golden, b, *update)
			if got := p.(importer.Ignorer).Ignored(); !reflect.DeepEqual(got, c.ignored) {
				t.Errorf("got ignored %v, want %v", got, c.ignored)
			}
		})
	}
	// The compressed and combined files parse as their parts.
	ext, _ := importtest.ParseFile(t, filepath.Join("testdata", "delegated-extended.txt"), NewDelegated(importer.ParserConfig{}))
	gz, _ := importtest.ParseFile(t, filepath.Join("testdata", "delegated-extended.txt.gz"), NewDelegated(importer.ParserConfig{}))
	if !reflect.DeepEqual(ext, gz) {
		t.Errorf("delegated-extended.txt.gz parses differently")
	}
	v4, _ := importtest.ParseFile(t, filepath.Join("testdata", "ip2asn-v4.tsv"), NewIPtoASN(importer.ParserConfig{}))
	v6, _ := importtest.ParseFile(t, filepath.Join("testdata", "ip2asn-v6.tsv"), NewIPtoASN(importer.ParserConfig{}))
	comb, _ := importtest.ParseFile(t, filepath.Join("testdata", "ip2asn-combined.tsv.gz"), NewIPtoASN(importer.ParserConfig{}))
	if !reflect.DeepEqual(comb.ASRanges, append(v4.ASRanges, v6.ASRanges...)) ||
		!reflect.DeepEqual(comb.Countries, append(v4.Countries, v6.Countries...)) {
		t.Errorf("ip2asn-combined.tsv.gz is not the v4 and v6 files together")
	}
}

// TestDelegatedSplit checks that address counts that are not powers of two
// are covered exactly, and that IPv6 prefix lengths are kept.
func TestDelegatedSplit(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{"ripencc|NL|ipv4|45.95.144.0|768|20190522|allocated|x", []string{"45.95.144.0/23", "45.95.146.0/24"}},
		{"ripencc|FR|ipv4|46.36.200.0|1000|20210301|allocated|x",
			[]string{"46.36.200.0/23", "46.36.202.0/24", "46.36.203.0/25", "46.36.203.128/26", "46.36.203.192/27", "46.36.203.224/29"}},
		{"ripencc|NL|ipv4|45.95.147.128|384|20190522|assigned|x", []string{"45.95.147.128/25", "45.95.148.0/24"}},
		{"arin|US|ipv4|23.0.0.1|1|20100101|assigned|x", []string{"23.0.0.1/32"}},
		{"ripencc|NL|ipv6|2a0e:97c0::|29|20190522|allocated|x", []string{"2a0e:97c0::/29"}},
		{"ripencc|NL|ipv6|2a0e:97c0:3e4::|48|20190522|assigned|x", []string{"2a0e:97c0:3e4::/48"}},
	} {
		p := NewDelegated(importer.ParserConfig{})
		p.header = true
		var b intel.Batch
		if err := p.Parse([]byte(c.line), 1, &b); err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		var got []string
		for _, r := range b.Countries {
			got = append(got, r.Prefix.String())
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.line, got, c.want)
		}
	}
}

func TestMixed(t *testing.T) {
	_, bad := importtest.ParseFile(t, filepath.Join("testdata", "delegated-mixed.txt"), NewDelegated(importer.ParserConfig{}))
	importtest.CheckBad(t, bad, map[int]string{
		3:  `bad ipv4 start "45.95.144.999"`,
		4:  `bad ipv4 count "0"`,
		5:  `passes 255.255.255.255`,
		6:  `ipv6 start 2a0e:97c0::1 is not on a /29 boundary`,
		7:  `bad ipv6 prefix length "200"`,
		8:  `unknown status "stolen"`,
		9:  `bad country code "Netherlands"`,
		10: `unknown type "ipx"`,
		11: `want at least 7 fields`,
		13: `bad asn record`,
	})
	_, bad = importtest.ParseFile(t, filepath.Join("testdata", "ip2asn-mixed.tsv"), NewIPtoASN(importer.ParserConfig{}))
	importtest.CheckBad(t, bad, map[int]string{
		2: `want 5 tab-separated fields`,
		3: `bad range_start "45.95.144.300"`,
		4: `end before start`,
		5: `ends of different families`,
		6: `bad AS_number "AS-X"`,
		7: `bad country_code "NLD"`,
	})
}

// TestEndToEnd imports both formats into the mem store and checks what a
// user sees: the most specific country and AS ranges win.
func TestEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	del := func() importer.Parser { return NewDelegated(importer.ParserConfig{}) }
	asn := func() importer.Parser { return NewIPtoASN(importer.ParserConfig{}) }
	sum := w.Import(t, filepath.Join("testdata", "delegated-extended.txt.gz"), del, importer.Options{Feed: "RIPE NCC delegated"})
	if sum.Read != 4 || sum.Skipped != 0 || sum.Records != 10 {
		t.Errorf("got %d read, %d skipped, %d records; want 4, 0, 10", sum.Read, sum.Skipped, sum.Records)
	}
	w.Import(t, filepath.Join("testdata", "ip2asn-combined.tsv"), asn, importer.Options{})

	for _, c := range []struct {
		ip, country string
		asn         uint32
		asPrefix    string
		desc        string
	}{
		// Inside the delegated /23 (NL) and the ip2asn range of AS64512 (NL).
		{"45.95.145.1", "NL", 64512, "45.95.144.0/22", "EXAMPLE-HOSTING-AS Example Hosting B.V."},
		// The assigned /24 (DE) is more specific than the allocation; so is
		// AS64513's /25 than AS64512's /22.
		{"45.95.147.10", "DE", 64513, "45.95.147.0/25", "EXAMPLE-CLOUD-AS"},
		{"45.95.147.200", "DE", 64512, "45.95.144.0/22", "EXAMPLE-HOSTING-AS Example Hosting B.V."},
		// A non-CIDR ip2asn range, split; its country comes from ip2asn.
		{"45.95.150.5", "FR", 4200000001, "45.95.150.0/28", "EXAMPLE-TRANSIT"},
		// Country None: the AS is known, the country is the delegation's.
		{"46.36.200.77", "FR", 64514, "46.36.200.0/24", "EXAMPLE-ANYCAST"},
		// Not routed and not delegated: nothing.
		{"45.95.148.5", "", 0, "", ""},
		{"2a0e:97c1::1", "NL", 64512, "2a0e:97c0::/29", "EXAMPLE-HOSTING-AS Example Hosting B.V."},
		{"2a0e:97d0::1", "SE", 64515, "2a0e:97d0::/65", "EXAMPLE-NORTH"},
	} {
		r := w.Report(t, c.ip)
		if r.General.CountryCode != c.country {
			t.Errorf("%s: got country %q, want %q", c.ip, r.General.CountryCode, c.country)
		}
		wantStatus := "Known"
		if c.country == "" {
			wantStatus = "NoInfo"
		}
		if r.General.Status != wantStatus || r.Whois.Status != wantStatus {
			t.Errorf("%s: got status %q/%q, want %q", c.ip, r.General.Status, r.Whois.Status, wantStatus)
		}
		if c.asn == 0 {
			if len(r.Whois.ASN) != 0 {
				t.Errorf("%s: got AS %+v, want none", c.ip, r.Whois.ASN)
			}
			continue
		}
		if len(r.Whois.ASN) != 1 || r.Whois.ASN[0].ASN != c.asn || r.Whois.ASN[0].Prefix.String() != c.asPrefix ||
			strings.Join(r.Whois.ASN[0].Description, "\n") != c.desc {
			t.Errorf("%s: got AS %+v, want AS%d on %s %q", c.ip, r.Whois.ASN, c.asn, c.asPrefix, c.desc)
		}
	}
	info := w.Lookup(t, "45.95.147.10")
	if info.Country != "DE" || info.AS[0].Prefix != netip.MustParsePrefix("45.95.147.0/25") {
		t.Errorf("got %+v, want DE and 45.95.147.0/25", info)
	}
	ips := []string{"45.95.145.1", "45.95.147.10", "45.95.150.5", "2a0e:97c1::1"}
	before := w.Dump(t, ips...)
	w.Import(t, filepath.Join("testdata", "delegated-extended.txt.gz"), del, importer.Options{Feed: "RIPE NCC delegated"})
	w.Import(t, filepath.Join("testdata", "ip2asn-combined.tsv"), asn, importer.Options{})
	importtest.SameSnapshots(t, before, w.Dump(t, ips...))
}

func fuzzSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			f.Add(l)
		}
	}
}

func checkBatch(t *testing.T, b *intel.Batch) {
	for _, r := range b.Countries {
		if !r.Prefix.IsValid() || r.Prefix != r.Prefix.Masked() || len(r.Country) != 2 || r.Country != strings.ToUpper(r.Country) {
			t.Fatalf("bad country range %+v", r)
		}
	}
	for _, r := range b.ASRanges {
		if !r.Prefix.IsValid() || r.Prefix != r.Prefix.Masked() || r.ASN == 0 {
			t.Fatalf("bad AS range %+v", r)
		}
	}
}

func FuzzDelegated(f *testing.F) {
	fuzzSeeds(f, "delegated-extended.txt", "delegated.txt", "delegated-mixed.txt")
	f.Fuzz(func(t *testing.T, line []byte) {
		p := NewDelegated(importer.ParserConfig{})
		p.header = true
		var b intel.Batch
		if err := p.Parse(line, 2, &b); err == nil {
			checkBatch(t, &b)
		}
	})
}

func FuzzIPtoASN(f *testing.F) {
	fuzzSeeds(f, "ip2asn-v4.tsv", "ip2asn-v6.tsv", "ip2asn-mixed.tsv")
	f.Fuzz(func(t *testing.T, line []byte) {
		var b intel.Batch
		if err := NewIPtoASN(importer.ParserConfig{}).Parse(line, 1, &b); err == nil {
			checkBatch(t, &b)
		}
	})
}

func benchLines(b *testing.B, p importer.Parser, file string) {
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		var scratch intel.Batch
		if len(l) > 0 && p.Parse(l, 2, &scratch) == nil && scratch.Len() > 0 {
			lines = append(lines, l)
		}
	}
	b.SetBytes(int64(len(data) / len(lines)))
	importtest.BenchParse(b, p, lines, 2)
}

func BenchmarkDelegated(b *testing.B) {
	benchLines(b, NewDelegated(importer.ParserConfig{}), "delegated-extended.txt")
}

func BenchmarkIPtoASN(b *testing.B) {
	benchLines(b, NewIPtoASN(importer.ParserConfig{}), "ip2asn-combined.tsv")
}
