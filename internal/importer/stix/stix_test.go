package stix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/importer/stix"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store/mem"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// parse runs the parser over a document and returns the batch, the bad
// objects (number -> reason) and the fatal error, if any.
func parse(t testing.TB, doc []byte) (*intel.Batch, map[int]string, *stix.Parser, error) {
	t.Helper()
	p := stix.New(importer.ParserConfig{})
	var b intel.Batch
	bad := map[int]string{}
	err := p.ParseStream(bytes.NewReader(doc), func(n int, fn func(*intel.Batch) error) error {
		var ob intel.Batch
		if err := fn(&ob); err != nil {
			bad[n] = err.Error()
			return nil
		}
		b.Listings = append(b.Listings, ob.Listings...)
		b.NetListings = append(b.NetListings, ob.NetListings...)
		b.HostedURLs = append(b.HostedURLs, ob.HostedURLs...)
		b.Domains = append(b.Domains, ob.Domains...)
		b.Sightings = append(b.Sightings, ob.Sightings...)
		b.Reports = append(b.Reports, ob.Reports...)
		b.ReportLinks = append(b.ReportLinks, ob.ReportLinks...)
		b.Files = append(b.Files, ob.Files...)
		b.Resolutions = append(b.Resolutions, ob.Resolutions...)
		b.Masks = append(b.Masks, ob.Masks...)
		b.Countries = append(b.Countries, ob.Countries...)
		b.ASRanges = append(b.ASRanges, ob.ASRanges...)
		b.WhoisNets = append(b.WhoisNets, ob.WhoisNets...)
		b.SpamEvents = append(b.SpamEvents, ob.SpamEvents...)
		b.PhishingEvents = append(b.PhishingEvents, ob.PhishingEvents...)
		b.ObjectInfos = append(b.ObjectInfos, ob.ObjectInfos...)
		b.ObjectListings = append(b.ObjectListings, ob.ObjectListings...)
		b.Links = append(b.Links, ob.Links...)
		b.FileHashes = append(b.FileHashes, ob.FileHashes...)
		return nil
	})
	return &b, bad, p, err
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	importtest.Golden(t, name, v, *update)
}

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	b, bad, p, err := parse(t, read(t, "bundle.json"))
	if err != nil || len(bad) != 0 {
		t.Fatalf("got %v, bad %v; want a clean bundle", err, bad)
	}
	golden(t, "bundle.golden", struct {
		Batch   *intel.Batch
		Ignored []importer.Ignored
	}{b, p.Ignored()})

	if len(b.Reports) != 1 {
		t.Fatalf("got %d reports, want 1", len(b.Reports))
	}
	r := b.Reports[0]
	if r.Type != intel.ReportAPT || !slices.Equal(r.Actors, []string{"Example Set"}) || !slices.Equal(r.Geo, []string{"NL"}) {
		t.Errorf("got report %+v, want an APT report by Example Set about NL", r)
	}
	if want := []string{"45.95.147.10", "c2.badcorp.example", "185.220.100.77", "91.92.109.43/bins/x86",
		"0F343B0931126A20F133D67C2B018A3B"}; !slices.Equal(r.Indicators, want) {
		t.Errorf("got indicators %v, want %v", r.Indicators, want)
	}
	// Two sightings of one address on one day add up.
	if len(b.Sightings) != 1 || b.Sightings[0].Hits != 42 || !b.Sightings[0].Day.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("got sightings %+v, want 42 hits on 2026-11-25", b.Sightings)
	}
	var reasons []string
	for _, ig := range p.Ignored() {
		reasons = append(reasons, ig.What)
	}
	for _, w := range []string{"indicator with an unsupported pattern (several observations)", "pattern type snort",
		"revoked indicator", "object type identity"} {
		if !slices.Contains(reasons, w) {
			t.Errorf("ignored %v lacks %q", reasons, w)
		}
	}
}

func TestMixed(t *testing.T) {
	b, bad, p, err := parse(t, read(t, "mixed.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{
		2:  `bad address "45.95.147.300"`,
		3:  `bad timestamp "yesterday" in "created"`,
		7:  "bad pattern",
		8:  `missing field "type"`,
		9:  `does not start with "malware--"`,
		10: `missing field "published"`,
		11: "negative count -3",
		12: "wider than /16",
		14: `field "pattern": want string`,
	}
	for n, w := range want {
		if !strings.Contains(bad[n], w) {
			t.Errorf("object %d: got reason %q, want it to contain %q", n, bad[n], w)
		}
	}
	for n, r := range bad {
		if _, ok := want[n]; !ok {
			t.Errorf("object %d: unexpected bad object: %s", n, r)
		}
	}
	var got []string
	for _, l := range b.Listings {
		got = append(got, l.IP.String()+" "+string(l.Category))
	}
	if w := []string{"45.95.147.10 CATEGORY_BAD_REPUTATION", "45.95.147.17 CATEGORY_COMPROMISED"}; !slices.Equal(got, w) {
		t.Errorf("got listings %v, want %v", got, w)
	}
	ig := map[string]int64{}
	for _, x := range p.Ignored() {
		ig[x.What] = x.N
	}
	for _, w := range []string{"operator !=", "OR", "object path email-addr:value"} {
		if ig["indicator with an unsupported pattern ("+w+")"] != 1 {
			t.Errorf("ignored %v: want one unsupported pattern (%s)", ig, w)
		}
	}
}

func TestTruncated(t *testing.T) {
	doc := read(t, "bundle.json")
	cut := doc[:bytes.Index(doc, []byte(`"type": "malware"`))]
	_, bad, _, err := parse(t, cut)
	if err == nil || !strings.Contains(err.Error(), "ends early") {
		t.Errorf("got %v, want the document to end early", err)
	}
	if len(bad) != 0 {
		t.Errorf("got bad objects %v before the cut", bad)
	}
	for _, d := range []string{``, `[]`, `{"type":"x-other","objects":[]}`, `"bundle"`, `{"objects":{}}`} {
		b, _, _, err := parse(t, []byte(d))
		if d == `[]` {
			if err != nil || b.Len() != 0 {
				t.Errorf("%q: got %v, want an empty list", d, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: no error", d)
		}
	}
}

func TestPatterns(t *testing.T) {
	for _, c := range []struct {
		pattern, want string // want: value, "unsupported", or "bad"
	}{
		{"[ipv4-addr:value = '45.95.147.10']", "45.95.147.10"},
		{"  [ ipv4-addr:value='45.95.147.10' ] ", "45.95.147.10"},
		{"[ipv6-addr:value = '2A03:B0C0:3:D0::1A2B:1']", "2a03:b0c0:3:d0::1a2b:1"},
		{"[url:value = 'http://bad.example/a\\'b']", "bad.example/a'b"},
		{"[domain-name:value = 'Bad.Example.']", "bad.example"},
		{"[file:hashes.MD5 = '0f343b0931126a20f133d67c2b018a3b']", "0F343B0931126A20F133D67C2B018A3B"},
		{"[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"},
		{"[ipv4-addr:value = '45.95.147.10' AND ipv4-addr:value = '45.95.147.11']", "unsupported"},
		{"[ipv4-addr:value = '45.95.147.10'] FOLLOWEDBY [ipv4-addr:value = '45.95.147.11']", "unsupported"},
		{"[ipv4-addr:value = '45.95.147.10'] WITHIN 5 SECONDS", "unsupported"},
		{"[ipv4-addr:value ISSUBSET '45.95.147.0/24']", "unsupported"},
		{"[ipv4-addr:value NOT IN ('45.95.147.10')]", "unsupported"},
		{"[url:value LIKE 'http://bad.example/%']", "unsupported"},
		{"[network-traffic:dst_ref.value = '45.95.147.10']", "unsupported"},
		{"[ipv4-addr:value = 45]", "unsupported"},
		{"ipv4-addr:value = '45.95.147.10'", "bad"},
		{"[ipv4-addr:value = '45.95.147.10'", "bad"},
		{"[ipv4-addr:value '45.95.147.10']", "bad"},
		{"[ipv4-addr:value = 'not an address']", "bad"},
	} {
		doc := `[{"type":"indicator","id":"indicator--1","indicator_types":["compromised"],"pattern":` + quote(c.pattern) + `}]`
		b, bad, p, err := parse(t, []byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		var got string
		switch {
		case len(bad) > 0:
			got = "bad"
		case len(p.Ignored()) > 0:
			got = "unsupported"
		case len(b.Listings) > 0:
			got = b.Listings[0].IP.String()
		case len(b.HostedURLs) > 0:
			got = b.HostedURLs[0].URL
		case len(b.Domains) > 0:
			got = b.Domains[0].Domain
		case len(b.ObjectListings) > 0:
			got = b.ObjectListings[0].Key
		}
		if c.want != got {
			t.Errorf("%s: got %q (bad %v, ignored %v), want %q", c.pattern, got, bad, p.Ignored(), c.want)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	w.Import(t, "testdata/world.jsonl", func() importer.Parser { return jsonl.New(importer.ParserConfig{}) }, importer.Options{})
	newP := func() importer.Parser { return stix.New(importer.ParserConfig{}) }
	sum := w.Import(t, "testdata/bundle.json", newP, importer.Options{})
	if sum.Skipped != 0 || sum.Read == 0 || len(sum.Ignored) == 0 {
		t.Errorf("got %+v, want records, nothing bad, some ignored", sum)
	}
	apt := []report.ReportRef{{ID: "report--7c3b0000-0000-4000-8000-000000000001", Type: intel.ReportAPT, Title: "Example intrusion set targets telecoms",
		Published: time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC), Updated: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}}

	r := w.Report(t, "45.95.147.10")
	if !r.General.HasAPT || !slices.Equal(r.General.Reports, apt) || r.General.HitsCount != 100 {
		t.Errorf("45.95.147.10: got %+v, want HasApt, the report and 42 hits (HitsCount 100)", r.General)
	}
	if len(r.General.Categories) != 1 || r.General.Categories[0].Name != intel.CatAPT || r.Zone != intel.ZoneRed {
		t.Errorf("45.95.147.10: got %s %+v, want Red with CATEGORY_APT only (the indicator indicates an intrusion set)", r.Zone, r.General.Categories)
	}
	r = w.Report(t, "91.92.109.43")
	if len(r.HostedURLs) != 1 || r.HostedURLs[0].URL != "91.92.109.43/bins/x86" || r.HostedURLs[0].Zone != intel.ZoneRed || !r.HasRedZone {
		t.Errorf("91.92.109.43: got hosted %+v, want the red URL", r.HostedURLs)
	}
	r = w.Report(t, "185.220.100.77")
	if len(r.General.Categories) != 1 || r.General.Categories[0].Name != intel.CatMalware || !slices.Equal(r.General.Reports, apt) {
		t.Errorf("185.220.100.77: got %+v, want CATEGORY_MALWARE (communicates-with) and the report", r.General)
	}
	r = w.Report(t, "91.92.109.50") // c2.badcorp.example resolves to it
	if !slices.Equal(r.General.Reports, apt) || len(r.Resolutions) != 1 || r.Resolutions[0].Zone != intel.ZoneRed {
		t.Errorf("91.92.109.50: got %+v, resolutions %+v; want the report through passive DNS and a red domain", r.General, r.Resolutions)
	}
	r = w.Report(t, "2a03:b0c0:3:d0::1")
	if len(r.General.Categories) != 1 || r.General.Categories[0].Name != intel.CatCompromised {
		t.Errorf("2a03:b0c0:3:d0::1: got %+v, want CATEGORY_COMPROMISED from the /48", r.General.Categories)
	}
	if r := w.Report(t, "192.0.2.7"); !r.Reserved || r.Zone != intel.ZoneGrey {
		t.Errorf("192.0.2.7: got %s reserved %v, want a Grey reserved answer", r.Zone, r.Reserved)
	}
	if r := w.Report(t, "45.95.147.20"); len(r.General.Categories) != 0 || r.Zone != intel.ZoneGrey {
		t.Errorf("45.95.147.20 (only in an OR pattern): got %s %+v, want nothing guessed", r.Zone, r.General.Categories)
	}
	checkObjects(t, w, apt[0].ID)

	ips := []string{"45.95.147.10", "91.92.109.43", "185.220.100.77", "91.92.109.50", "2a03:b0c0:3:d0::1"}
	before := w.Dump(t, ips...)
	w.Import(t, "testdata/bundle.json", newP, importer.Options{})
	importtest.SameSnapshots(t, before, w.Dump(t, ips...))
}

// checkObjects checks the domains, web addresses and files of bundle.json
// as the domain, URL and hash lookups find them.
func checkObjects(t *testing.T, w *importtest.World, reportID string) {
	t.Helper()
	malware := []intel.Category{intel.CatMalware}
	if d := w.Object(t, intel.ObjectHost, "c2.badcorp.example"); !slices.Equal(importtest.Categories(d), malware) || len(d.Listings) != 1 ||
		d.Listings[0].FirstSeen.IsZero() {
		t.Errorf("c2.badcorp.example: got listings %+v, want one dated malware listing (indicates ExampleLoader)", d.Listings)
	}
	if got := w.LinkItems(t, intel.LinkHostReports, "c2.badcorp.example"); !slices.Equal(got, []string{reportID}) {
		t.Errorf("c2.badcorp.example: got reports %v", got)
	}
	if got := importtest.Categories(w.Object(t, intel.ObjectURL, "91.92.109.43/bins/x86")); !slices.Equal(got, malware) {
		t.Errorf("91.92.109.43/bins/x86: got categories %v, want malware", got)
	}
	if got := w.LinkItems(t, intel.LinkURLReports, "91.92.109.43/bins/x86"); !slices.Equal(got, []string{reportID}) {
		t.Errorf("91.92.109.43/bins/x86: got reports %v", got)
	}
	// resolves-to: the domain's address.
	if got := w.LinkItems(t, intel.LinkHostIPv4, "files.badcorp.example"); !slices.Equal(got, []string{"91.92.109.60"}) {
		t.Errorf("files.badcorp.example: got addresses %v, want 91.92.109.60", got)
	}
	// The file observable: listed under its MD5, its three hashes tied,
	// its size, name and report.
	const md5, sha1 = "0F343B0931126A20F133D67C2B018A3B", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
	f := w.Object(t, intel.ObjectFile, md5)
	if got := importtest.Categories(f); !slices.Equal(got, malware) || f.Info.Size != 48128 {
		t.Errorf("%s: got categories %v size %d, want malware, 48128", md5, got, f.Info.Size)
	}
	if got := w.LinkItems(t, intel.LinkFileNames, md5); !slices.Equal(got, []string{"stage2.bin"}) {
		t.Errorf("%s: got names %v", md5, got)
	}
	if got := w.LinkItems(t, intel.LinkFileReports, md5); !slices.Equal(got, []string{reportID}) {
		t.Errorf("%s: got reports %v", md5, got)
	}
	h, ok, err := w.Store.FileHashes(context.Background(), sha1)
	if err != nil || !ok || h.MD5 != md5 || h.SHA256 != "5E0B3A4C1D2E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8" {
		t.Errorf("%s: got hashes %+v %v %v, want the file's three hashes", sha1, h, ok, err)
	}
}

func TestStrictImport(t *testing.T) {
	st := mem.New()
	o := importer.Options{Strict: true, File: "mixed.json", TempDir: t.TempDir()}
	f, err := os.Open("testdata/mixed.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = importer.Import(context.Background(), st, struct{ io.Reader }{f}, func() importer.Parser { return stix.New(o.ParserConfig()) }, o)
	if err == nil || !strings.Contains(err.Error(), "mixed.json object 2: indicator: bad address") {
		t.Errorf("got %v, want a strict failure at object 2", err)
	}
	if s, _ := st.Address(context.Background(), netip.MustParseAddr("45.95.147.10")); s.Known() {
		t.Errorf("strict import of a bad bundle stored %+v", s)
	}
}

func TestGenerated(t *testing.T) {
	var buf bytes.Buffer
	o := gen.ReportOptions{Reports: 20, Seed: 7, Now: now}
	if err := gen.WriteSTIX(&buf, o); err != nil {
		t.Fatal(err)
	}
	b, bad, _, err := parse(t, buf.Bytes())
	if err != nil || len(bad) != 0 {
		t.Fatalf("generated bundle: %v, bad %v", err, bad)
	}
	if len(b.Reports) != 20 || len(b.Sightings) != 20 || len(b.Listings) != 20*20 {
		t.Errorf("got %d reports, %d sightings, %d listings; want 20, 20, 400", len(b.Reports), len(b.Sightings), len(b.Listings))
	}
}

// fuzzSeeds are small bundles that together hold every object type,
// relationship and tipd property the fixtures hold. They are kept small on
// purpose: the fuzzing engine minimises every input that finds new
// coverage, at a cost that grows with the square of its length, and a
// seed of several kilobytes (bundle.json) kept it minimising instead of
// fuzzing.
var fuzzSeeds = []string{
	// A report naming an indicator, the intrusion set it indicates and a
	// country; two sightings of the indicator.
	`{"type":"bundle","objects":[{"type":"report","id":"report--1","published":"2026-11-10T09:00:00Z","name":"R","report_types":["threat-actor"],"labels":["espionage"],"object_refs":["indicator--1","intrusion-set--1","location--1"]},` +
		`{"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"intrusion-set--1"},` +
		`{"type":"indicator","id":"indicator--1","valid_from":"2026-11-01T00:00:00Z","pattern":"[ipv4-addr:value = '45.95.147.10']","indicator_types":["malicious-activity"]},` +
		`{"type":"intrusion-set","id":"intrusion-set--1","name":"S"},{"type":"location","id":"location--1","country":"nl"},` +
		`{"type":"sighting","id":"sighting--1","sighting_of_ref":"indicator--1","first_seen":"2026-11-25T01:00:00Z","last_seen":"2026-11-25T23:00:00Z","count":40},` +
		`{"type":"sighting","id":"sighting--2","sighting_of_ref":"indicator--1","last_seen":"2026-11-25T12:00:00Z","count":2}]}`,
	// Indicators of web addresses, domains, files and networks; malware.
	`[{"type":"indicator","id":"indicator--2","created":"2026-11-12T00:00:00Z","modified":"2026-11-12T00:00:00Z","pattern":"[url:value = 'http://91.92.109.43/bins/x86']","pattern_type":"stix"},` +
		`{"type":"relationship","id":"relationship--2","relationship_type":"indicates","source_ref":"indicator--2","target_ref":"malware--1"},` +
		`{"type":"malware","id":"malware--1","name":"L","is_family":true},` +
		`{"type":"indicator","id":"indicator--3","pattern":"[domain-name:value = 'c2.badcorp.example']"},` +
		`{"type":"relationship","id":"relationship--3","relationship_type":"indicates","source_ref":"indicator--3","target_ref":"malware--1"},` +
		`{"type":"indicator","id":"indicator--4","pattern":"[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"},` +
		`{"type":"indicator","id":"indicator--5","pattern":"[ipv6-addr:value = '2a03:b0c0:3::/48']","indicator_types":["compromised"]}]`,
	// Patterns the parser passes over, an identity, a revoked indicator.
	`[{"type":"indicator","id":"indicator--6","pattern":"[ipv4-addr:value = '45.95.147.20'] OR [ipv4-addr:value = '45.95.147.21']"},` +
		`{"type":"indicator","id":"indicator--7","pattern":"alert tcp any any -> any 80","pattern_type":"snort"},` +
		`{"type":"identity","id":"identity--1","name":"C"},{"type":"indicator","id":"indicator--8","revoked":true,"pattern":"[ipv4-addr:value = '45.95.147.30']"}]`,
	// Observables and the relationships of any producer.
	`[{"type":"ipv4-addr","id":"ipv4-addr--1","value":"185.220.100.77"},{"type":"malware","id":"malware--1","name":"L"},` +
		`{"type":"relationship","id":"relationship--4","relationship_type":"communicates-with","source_ref":"malware--1","target_ref":"ipv4-addr--1"},` +
		`{"type":"domain-name","id":"domain-name--1","value":"a.example"},` +
		`{"type":"relationship","id":"relationship--5","relationship_type":"resolves-to","source_ref":"domain-name--1","target_ref":"ipv4-addr--1","start_time":"2026-10-02T00:00:00Z"},` +
		`{"type":"autonomous-system","id":"autonomous-system--1","number":64500,"name":"AS"},` +
		`{"type":"relationship","id":"relationship--6","relationship_type":"belongs-to","source_ref":"ipv4-addr--1","target_ref":"autonomous-system--1"}]`,
	// tipd's own properties on an address, its indicator and a report.
	`{"type":"bundle","objects":[{"type":"ipv4-addr","id":"ipv4-addr--2","value":"198.51.100.7","x_tipd_zone":"Red","x_tipd_hits":1000,"x_tipd_first_seen":"2026-10-01T06:30:00Z",` +
		`"x_tipd_categories":[{"name":"CATEGORY_BOTNET_CNC","zone":"Red"}],"x_tipd_feed_masks":[{"mask":"198.51.100.0/24","mask_type":"Network","zone":"Orange","feeds":["D"]}],` +
		`"x_tipd_whois":{"type":"inetnum","net":{"range_start":"198.51.100.0","range_end":"198.51.100.127","name":"N"},"contacts":[{"name":"C","role":"abuse","type":"role"}]},` +
		`"x_tipd_spam":{"attacks":3,"last_attack":"2026-11-22T00:00:00Z","attack_types":["Malware"]}},` +
		`{"type":"indicator","id":"indicator--9","pattern":"[ipv4-addr:value = '198.51.100.7']","x_tipd_zone":"Red"},` +
		`{"type":"relationship","id":"relationship--7","relationship_type":"based-on","source_ref":"indicator--9","target_ref":"ipv4-addr--2"},` +
		`{"type":"report","id":"report--2","published":"2026-11-01T00:00:00Z","name":"R","object_refs":["ipv4-addr--2"],"external_references":[{"source_name":"tipd","external_id":"rpt-9"}],"x_tipd_report_type":"APT"}]}`,
	// tipd's web address, file and passive DNS of an address.
	`[{"type":"ipv4-addr","id":"ipv4-addr--2","value":"198.51.100.7","x_tipd_zone":"Red"},` +
		`{"type":"domain-name","id":"domain-name--2","value":"c2.example.org","x_tipd_zone":"Red","x_tipd_categories":["CATEGORY_BOTNET_CNC"]},` +
		`{"type":"relationship","id":"relationship--8","relationship_type":"resolves-to","source_ref":"domain-name--2","target_ref":"ipv4-addr--2","x_tipd_hits":50,"x_tipd_daily_peak":9,"x_tipd_peak_date":"2026-10-03"},` +
		`{"type":"url","id":"url--1","value":"http://www.example.org/g?id=1","x_tipd_zone":"Red","x_tipd_hits":12,"x_tipd_is_truncated":true},` +
		`{"type":"relationship","id":"relationship--9","relationship_type":"related-to","source_ref":"url--1","target_ref":"ipv4-addr--2"},` +
		`{"type":"file","id":"file--1","hashes":{"MD5":"0f343b0931126a20f133d67c2b018a3b"},"x_tipd_zone":"Red","x_tipd_detection_name":"H"},` +
		`{"type":"relationship","id":"relationship--10","relationship_type":"related-to","source_ref":"file--1","target_ref":"ipv4-addr--2","x_tipd_download_url":"http://198.51.100.7/x86"}]`,
	// Bad objects.
	`[{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '45.95.147.300']"},{"type":"indicator","id":"indicator--2","created":"yesterday"},` +
		`{"id":"x--1"},{"type":"malware","id":"m--1"},{"type":"report","id":"report--3"},{"type":"sighting","id":"sighting--3","sighting_of_ref":"indicator--1","count":-3},` +
		`{"type":"indicator","id":"indicator--3","pattern":"[ipv4-addr:value = '10.0.0.0/8']"},{"type":"indicator","id":"indicator--4","pattern":7}]`,
	`[{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '45.95.147.10']","indicator_types":["compromised"]}]`,
}

// TestFuzzSeeds checks that each seed of FuzzParse makes evidence or names
// what it passes over, so that the seeds keep covering the parser.
func TestFuzzSeeds(t *testing.T) {
	for i, doc := range fuzzSeeds {
		b, bad, p, err := parse(t, []byte(doc))
		if err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
		if b.Len() == 0 && len(bad) == 0 && len(p.Ignored()) == 0 {
			t.Errorf("seed %d makes nothing", i)
		}
		if len(doc) > 1500 {
			t.Errorf("seed %d is %d bytes long; keep seeds under 1500", i, len(doc))
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, doc := range fuzzSeeds {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		b, _, _, _ := parse(t, doc)
		for _, l := range b.Listings {
			if !l.IP.IsValid() || l.Category == "" {
				t.Fatalf("invalid listing %+v", l)
			}
		}
		for _, r := range b.Reports {
			if r.ID == "" || r.Published.IsZero() || len(r.Indicators) > intel.MaxReportIndicators {
				t.Fatalf("invalid report %+v", r)
			}
		}
		for _, s := range b.Sightings {
			if s.Hits < 0 || !s.IP.IsValid() {
				t.Fatalf("invalid sighting %+v", s)
			}
		}
	})
}

func BenchmarkParseStream(b *testing.B) {
	var buf bytes.Buffer
	if err := gen.WriteSTIX(&buf, gen.ReportOptions{Reports: 200, Seed: 1, Now: now}); err != nil {
		b.Fatal(err)
	}
	doc := buf.Bytes()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		p := stix.New(importer.ParserConfig{})
		var batch intel.Batch
		err := p.ParseStream(bytes.NewReader(doc), func(_ int, fn func(*intel.Batch) error) error {
			batch.Reset()
			return fn(&batch)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
