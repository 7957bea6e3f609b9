package filefeed

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/cputime"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/intel"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func newParser(format string, o importer.ParserConfig) importer.Parser {
	switch format {
	case "malwarebazaar":
		return NewMalwareBazaar(o)
	case "urlhaus-payloads":
		return NewPayloads(o)
	}
	panic("unknown format " + format)
}

// formatOf tells a fixture's format by its name.
func formatOf(name string) string {
	return strings.SplitN(strings.TrimSuffix(name, filepath.Ext(name)), "_", 2)[0]
}

func parseFile(t testing.TB, name string) (*intel.Batch, map[int]string, importer.Parser) {
	t.Helper()
	p := newParser(formatOf(name), importer.ParserConfig{})
	b, bad := importtest.ParseFile(t, filepath.Join("testdata", name), p)
	return b, bad, p
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"malwarebazaar.csv", "urlhaus-payloads.csv"} {
		t.Run(name, func(t *testing.T) {
			b, bad, p := parseFile(t, name)
			if len(bad) > 0 {
				t.Fatalf("bad lines: %v", bad)
			}
			importtest.GoldenParsed(t, name+".golden", b, p, *update)
		})
	}
}

func TestMixed(t *testing.T) {
	tests := []struct {
		name string
		want map[int]string
		good int // lines that made records
	}{
		{name: "malwarebazaar_mixed.csv", good: 1, want: map[int]string{
			11: `bad sha256_hash "nothex": want SHA-256`,
			12: `bad md5_hash "aca7426bd39db88de98247deee0d6fecf1a2d910": want MD5`,
			13: `bad date "24/11/2026" in first_seen_utc`,
			14: `empty sha256_hash`,
			15: `quoted field not closed`,
			16: `2 fields, want 14`,
		}},
		{name: "urlhaus-payloads_mixed.csv", good: 2, want: map[int]string{
			11: `bad md5 "xyz": want MD5`,
			12: `no md5 and no sha256`,
			13: `unsupported scheme "ftp"`,
			14: `bad date "yesterday" in firstseen`,
			15: `2 fields, want 6`,
			16: `want SHA-256`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := importer.OpenInput(filepath.Join("testdata", tt.name))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			p := newParser(formatOf(tt.name), importer.ParserConfig{})
			_, sum, err := importer.ParseAll(t.Context(), in, p, importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			bad := map[int]string{}
			for _, l := range sum.Bad {
				bad[l.Line] = l.Reason
			}
			importtest.CheckBad(t, bad, tt.want)
			if got, want := sum.Read, int64(tt.good+len(tt.want)); got != want || sum.Skipped != int64(len(tt.want)) {
				t.Errorf("got %d read, %d skipped, want %d read, %d skipped", got, sum.Skipped, want, len(tt.want))
			}
		})
	}
}

// TestBazaarRecords checks the records of one sample field by field.
func TestBazaarRecords(t *testing.T) {
	var b intel.Batch
	p := NewMalwareBazaar(importer.ParserConfig{Feed: "Bazaar mirror"})
	line := `"2026-11-20 08:15:00", "` + strings.Repeat("ab", 32) + `", "` + strings.Repeat("cd", 16) + `", "n/a", "r", "x86", "ELF", "application/x-executable", "Mirai", "Unix.Trojan.Mirai-7100807-0", "n/a", "n/a", "n/a", "n/a"`
	if err := p.Parse([]byte(line), 1, &b); err != nil {
		t.Fatal(err)
	}
	sha, md5 := strings.Repeat("AB", 32), strings.Repeat("CD", 16)
	if got, want := b.FileHashes, []intel.FileHashes{{MD5: md5, SHA256: sha, Source: intel.Source{Feed: "Bazaar mirror"}}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("hashes: got %+v, want %+v", got, want)
	}
	if len(b.ObjectInfos) != 1 || b.ObjectInfos[0].Key != sha || b.ObjectInfos[0].Type != "elf" || b.ObjectInfos[0].FirstSeen.Format("2006-01-02T15:04") != "2026-11-20T08:15" {
		t.Errorf("info: got %+v, want the SHA-256, type elf, first seen 2026-11-20T08:15", b.ObjectInfos)
	}
	if len(b.ObjectListings) != 1 || b.ObjectListings[0].Category != intel.CatMalware || b.ObjectListings[0].Feed != "Bazaar mirror" {
		t.Errorf("listing: got %+v, want malware under the -feed name", b.ObjectListings)
	}
	var got []string
	for _, l := range b.Links {
		got = append(got, fmt.Sprintf("%d %s %s %s %d", l.List, l.Owner[:4], l.Item, l.Zone, l.Hits))
	}
	want := []string{
		fmt.Sprintf("%d ABAB x86  1", intel.LinkFileNames),
		fmt.Sprintf("%d ABAB Mirai Red 0", intel.LinkDetections),
		fmt.Sprintf("%d ABAB Unix.Trojan.Mirai-7100807-0 Red 0", intel.LinkDetections),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("links:\ngot  %q\nwant %q", got, want)
	}
}

// TestPayloadHosts checks where a download is placed: an IP host's
// address, no address for a domain (the pipeline attaches it), none
// without an MD5.
func TestPayloadHosts(t *testing.T) {
	sha, md5 := strings.Repeat("ab", 32), strings.Repeat("cd", 16)
	tests := []struct {
		url, md5 string
		files    int
		ip       string
		links    string // lists of the links the parser adds itself
	}{
		{url: "http://192.0.2.7/x", md5: md5, files: 1, ip: "192.0.2.7"},
		{url: "http://[::ffff:192.0.2.7]/x", md5: md5, files: 1, ip: "192.0.2.7"},
		{url: "http://[2001:db8::7]/x", md5: md5, files: 1, ip: "2001:db8::7"},
		{url: "http://dl.badcorp.example/x", md5: md5, files: 1, ip: "invalid IP"},
		{url: "http://dl.badcorp.example/x", md5: "None", links: fmt.Sprint([]intel.LinkList{intel.LinkFileURLs, intel.LinkDetections})},
		{url: "None", md5: md5, links: fmt.Sprint([]intel.LinkList{intel.LinkDetections})},
	}
	for _, tt := range tests {
		var b intel.Batch
		line := fmt.Sprintf(`"2026-11-20 08:15:03","%s","exe","%s","%s","Mirai"`, tt.url, tt.md5, sha)
		if err := NewPayloads(importer.ParserConfig{}).Parse([]byte(line), 1, &b); err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if len(b.Files) != tt.files || tt.files > 0 && b.Files[0].IP.String() != tt.ip {
			t.Errorf("%s md5 %s: got downloads %+v, want %d at %s", tt.url, tt.md5, b.Files, tt.files, tt.ip)
		}
		var lists []intel.LinkList
		for _, l := range b.Links {
			lists = append(lists, l.List)
		}
		if tt.links == "" {
			tt.links = "[]"
		}
		if fmt.Sprint(lists) != tt.links {
			t.Errorf("%s md5 %s: got links %v, want %s", tt.url, tt.md5, lists, tt.links)
		}
	}
}

// samples are the lines of a fixture, for the fuzz seeds.
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
	for _, n := range []string{"malwarebazaar.csv", "malwarebazaar_mixed.csv", "urlhaus-payloads.csv", "urlhaus-payloads_mixed.csv"} {
		samples(f, n)
	}
	f.Fuzz(func(t *testing.T, format string, line []byte) {
		if format != "malwarebazaar" && format != "urlhaus-payloads" {
			return
		}
		var b intel.Batch
		if err := newParser(format, importer.ParserConfig{}).Parse(line, 1, &b); err != nil {
			return // the loop discards a bad line's records
		}
		for _, h := range b.FileHashes {
			for _, x := range h.Hashes() {
				if _, err := intel.NormalizeHash(x); err != nil || x != strings.ToUpper(x) {
					t.Fatalf("bad hash %q", x)
				}
			}
		}
		for _, r := range b.ObjectInfos {
			if r.Kind != intel.ObjectFile || intel.HashKind(r.Key) == "" || r.Type != strings.ToLower(r.Type) {
				t.Fatalf("bad info %+v", r)
			}
		}
		for _, l := range b.Links {
			if !l.List.Valid() || l.List.Owner() != intel.ObjectFile || intel.HashKind(l.Owner) == "" || l.Item == "" ||
				strings.Contains(l.Item, intel.ItemSep) || l.LastSeen.Before(l.FirstSeen) {
				t.Fatalf("bad link %+v", l)
			}
		}
		for _, r := range b.Files {
			if intel.HashKind(r.MD5) != "MD5" || r.IP.Is4In6() {
				t.Fatalf("bad download %+v", r)
			}
			if k, _, err := intel.NormalizeURL(r.URL); err != nil || k != intel.URLKey(r.URL) {
				t.Fatalf("download URL %q is not normalised", r.URL)
			}
		}
		b.AddObjects()
	})
}

// benchLines makes n distinct data lines of a fixture's shape.
func benchLines(b *testing.B, name string, n int) [][]byte {
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
	hex := regexp.MustCompile(`"[0-9a-f]{32,64}"`)
	out := make([][]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		// Vary the hashes so that no two lines are alike.
		l := hex.ReplaceAllFunc(lines[i%len(lines)], func(h []byte) []byte {
			h = bytes.Clone(h)
			copy(h[1:], fmt.Sprintf("%08x", i))
			return h
		})
		out = append(out, l)
	}
	return out
}

func BenchmarkMalwareBazaar(b *testing.B) {
	lines := benchLines(b, "malwarebazaar.csv", 1000)
	start := cputime.Now()
	importtest.BenchParse(b, NewMalwareBazaar(importer.ParserConfig{}), lines, 0)
	cputime.Report(b, start)
}

func BenchmarkURLhausPayloads(b *testing.B) {
	lines := benchLines(b, "urlhaus-payloads.csv", 1000)
	start := cputime.Now()
	importtest.BenchParse(b, NewPayloads(importer.ParserConfig{}), lines, 0)
	cputime.Report(b, start)
}
