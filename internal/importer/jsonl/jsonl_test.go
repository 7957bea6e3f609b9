package jsonl

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
		22: `object: more than one of "domain", "url" and "hash"`,
		23: `object_listing: bad hash in "hash"`,
		24: `link: list "host_masks": publish feed masks as kind "mask"`,
		25: `link: item 2a0e:97c0::1: wrong address family`,
		26: `file_info: bad sha256 "0f343b0931126a20f133d67c2b018a3b": not a SHA-256`,
		27: `file_access: bad md5 "5e0b3a4c1d2e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8": want an MD5`,
		28: `file_relation: unknown relation "executed"`,
		29: `referral: bad web address in "target_url"`,
		30: `domain_whois: domain "co.uk" is a public suffix`,
		31: `detection: missing field "detection"`,
		32: `certificate: bad serial "zz": want hex digits`,
		33: `link: unknown list "host_everything"`,
		34: `domain_whois: contact 1: type "owner"`,
		35: `object: bad domain in "domain"`,
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
		checkObjects(t, &b)
	})
}

// checkObjects fails t when an object record of b is not keyed as the
// lookups key objects.
func checkObjects(t *testing.T, b *intel.Batch) {
	t.Helper()
	for _, r := range b.ObjectInfos {
		if !normalised(r.Kind, r.Key) || r.Hits < 0 || r.Size < 0 || r.LastSeen.Before(r.FirstSeen) {
			t.Fatalf("bad object %+v", r)
		}
	}
	for _, r := range b.ObjectListings {
		if _, ok := intel.CategoryZone(r.Category); !ok || !normalised(r.Kind, r.Key) || r.Feed == "" {
			t.Fatalf("bad object listing %+v", r)
		}
	}
	for _, r := range b.Links {
		if !r.List.Valid() || r.Item == "" || r.Hits < 0 || r.DailyPeak < 0 ||
			!normalised(r.List.Owner(), r.Owner) && !(r.List.Owner() == intel.ObjectHost && isAddr(r.Owner)) {
			t.Fatalf("bad link %+v", r)
		}
	}
	for _, r := range b.FileHashes {
		if r.MD5 != "" && !normalised(intel.ObjectFile, r.MD5) || len(r.Hashes()) < 2 {
			t.Fatalf("bad file hashes %+v", r)
		}
	}
	for _, r := range b.Whois {
		if intel.RegistrableDomain(r.Domain) != r.Domain {
			t.Fatalf("bad domain whois %+v", r)
		}
	}
}

func normalised(kind intel.ObjectKind, key string) bool {
	var k string
	var err error
	switch kind {
	case intel.ObjectHost:
		k, err = intel.NormalizeDomain(key)
	case intel.ObjectURL:
		k, _, err = intel.NormalizeURL(key)
	case intel.ObjectFile:
		k, err = intel.NormalizeHash(key)
	default:
		return false
	}
	return err == nil && k == key
}

func isAddr(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.String() == s
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

// TestObjectsEndToEnd imports every kind and checks the domains, web
// addresses and files as the domain, URL and hash lookups find them.
func TestObjectsEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	path := filepath.Join("testdata", "kinds.jsonl")
	newP := func() importer.Parser { return New(importer.ParserConfig{}) }
	if sum := w.Import(t, path, newP, importer.Options{}); sum.Skipped != 0 {
		t.Fatalf("got %s, want no bad lines", sum)
	}
	const md5, sha1 = "0F343B0931126A20F133D67C2B018A3B", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
	const gate = "c2.badcorp.example/gate.php"
	d := w.Object(t, intel.ObjectHost, "c2.badcorp.example")
	if !importtest.HasListing(d, intel.CatBotnetCNC, "Example C2 Feed") {
		t.Errorf("c2.badcorp.example: got listings %+v, want botnet C&C", d.Listings)
	}
	for _, c := range []struct {
		list  intel.LinkList
		owner string
		want  []string
	}{
		{intel.LinkHostIPv4, "c2.badcorp.example", []string{"45.95.147.10"}},
		{intel.LinkHostReports, "c2.badcorp.example", []string{"rpt-2026-0117"}},
		{intel.LinkHostAccessed, "c2.badcorp.example", []string{md5 + intel.ItemSep + gate}},
		{intel.LinkHostReferrals, "c2.badcorp.example", []string{"news.example/article"}},
		{intel.LinkHostReferredTo, "news.example", []string{gate}},
		{intel.LinkURLReferrals, gate, []string{"news.example/article"}},
		{intel.LinkURLReferredTo, "news.example/article", []string{gate}},
		{intel.LinkURLAccessed, gate, []string{md5}},
		{intel.LinkFileAccessedURLs, md5, []string{gate}},
		{intel.LinkFileNames, md5, []string{"stage2.bin", "x86"}},
		{intel.LinkFilePaths, md5, []string{"%temp%" + intel.ItemSep + "x86.bin"}},
		{intel.LinkFileDownloadedObjects, md5, []string{"9E107D9D372BB6826BD81D3542A419D6"}},
		{intel.LinkFileDownloadedBy, "9E107D9D372BB6826BD81D3542A419D6", []string{md5}},
		{intel.LinkFileCertificates, md5, []string{"0A1B2C3D"}},
		{intel.LinkFileParentCertificates, md5, []string{"01"}},
		{intel.LinkDetections, "5E0B3A4C1D2E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8", []string{"HEUR:Backdoor.Linux.Mirai.b"}},
	} {
		if got := w.LinkItems(t, c.list, c.owner); !slices.Equal(got, c.want) {
			t.Errorf("list %d of %s: got %q, want %q", c.list, c.owner, got, c.want)
		}
	}
	if reg := w.Object(t, intel.ObjectHost, "badcorp.example"); reg.Whois.Registrar != "Example Registrar, Inc." ||
		!slices.Equal(reg.Whois.NameServers, []string{"ns1.dns.test", "ns2.dns.test"}) || len(reg.Whois.Contacts) != 1 {
		t.Errorf("badcorp.example: got WHOIS %+v", reg.Whois)
	}
	if c := w.Object(t, intel.ObjectHost, "cdn.example"); !slices.Equal(c.Info.Allows, []string{"Example CDN hosts"}) {
		t.Errorf("cdn.example: got allows %v", c.Info.Allows)
	}
	if u := w.Object(t, intel.ObjectURL, gate); u.Info.Hits != 40 {
		t.Errorf("%s: got hits %d, want 40", gate, u.Info.Hits)
	}
	f := w.Object(t, intel.ObjectFile, md5)
	if f.Info.Size != 48128 || f.Info.Type != "elf.32.le" || f.Info.Packer != "UPX" || f.Info.SignerStatus != "Not trusted" ||
		!importtest.HasListing(f, intel.CatMalware, "Example Sandbox") {
		t.Errorf("%s: got %+v, want the file_info metadata and the malware listing", md5, f)
	}
	if h, ok, err := w.Store.FileHashes(context.Background(), sha1); err != nil || !ok || h.MD5 != md5 {
		t.Errorf("%s: got hashes %+v %v %v, want tied to %s", sha1, h, ok, err, md5)
	}
	cert := w.Links(t, intel.LinkFileCertificates, md5)
	if len(cert) != 1 || cert[0].Attr(0) != "Example CA" || cert[0].Attr(4) != "2027-01-01T00:00:00Z" {
		t.Errorf("%s: got certificates %+v", md5, cert)
	}

	// Importing again changes nothing.
	type key struct {
		kind intel.ObjectKind
		key  string
	}
	keys := []key{{intel.ObjectHost, "c2.badcorp.example"}, {intel.ObjectHost, "badcorp.example"}, {intel.ObjectURL, gate},
		{intel.ObjectFile, md5}, {intel.ObjectFile, "9E107D9D372BB6826BD81D3542A419D6"}}
	snap := func() map[key]any {
		out := map[key]any{}
		for _, k := range keys {
			o := w.Object(t, k.kind, k.key)
			var lists [][]intel.Link
			for l := intel.LinkHostIPv4; l < intel.NumLinkLists; l++ {
				if l.Owner() == k.kind {
					lists = append(lists, w.Links(t, l, k.key))
				}
			}
			out[k] = []any{o, lists}
		}
		return out
	}
	before := snap()
	w.Import(t, path, newP, importer.Options{})
	if after := snap(); !reflect.DeepEqual(before, after) {
		t.Errorf("re-import changed the objects:\nbefore %+v\nafter  %+v", before, after)
	}
}
