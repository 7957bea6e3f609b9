package abusech_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/abusech"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/importer/pdns"
	"github.com/tipd/tipd/internal/importer/warninglist"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

// resolutions are the passive DNS the fixtures' domains need.
const resolutions = `{"kind":"resolution","domain":"dl.badcorp.example","ip":"77.88.1.30","first_seen":"2026-07-01","last_seen":"2026-11-27"}
{"kind":"resolution","domain":"gate.badcorp.example","ip":"77.88.1.31","first_seen":"2026-11-01","last_seen":"2026-11-27"}
{"kind":"resolution","domain":"c2.badcorp.example","ip":"77.88.1.32","first_seen":"2026-11-01","last_seen":"2026-11-27"}
`

func withDNS(t *testing.T) *importtest.World {
	t.Helper()
	w := importtest.NewWorld()
	path := filepath.Join(t.TempDir(), "dns.jsonl")
	writeFile(t, path, resolutions)
	w.Import(t, path, func() importer.Parser { return jsonl.New(importer.ParserConfig{}) }, importer.Options{})
	return w
}

func TestURLhausEndToEnd(t *testing.T) {
	w := withDNS(t)
	o := importer.Options{}
	mk := func() importer.Parser { return abusech.NewURLhaus(o.ParserConfig()) }
	path := filepath.Join("testdata", "urlhaus.csv")
	sum := w.Import(t, path, mk, o)
	if sum.Read != 5 || sum.Skipped != 0 || sum.Unplaced != 0 {
		t.Errorf("got %s, want 5 read, none skipped or unplaced", sum)
	}
	// The URL lookup: each web address in its categories; its host is
	// not convicted by a file deep in the site.
	u := w.Object(t, intel.ObjectURL, "dl.badcorp.example/invoice.exe")
	if got := importtest.Categories(u); !slices.Equal(got, []intel.Category{intel.CatMalware, intel.CatRansomware}) || u.Listings[0].Feed != "URLhaus" {
		t.Errorf("dl.badcorp.example/invoice.exe: got listings %+v, want malware and ransomware by URLhaus", u.Listings)
	}
	if h := w.Object(t, intel.ObjectHost, "dl.badcorp.example"); len(h.Listings) != 0 || h.Lists[intel.LinkHostURLs].Items != 1 {
		t.Errorf("dl.badcorp.example: got listings %+v, %d web addresses; want none, 1", h.Listings, h.Lists[intel.LinkHostURLs].Items)
	}
	if got := importtest.Categories(w.Object(t, intel.ObjectURL, "45.95.147.10/bins/x86")); !slices.Equal(got, []intel.Category{intel.CatMalware}) {
		t.Errorf("45.95.147.10/bins/x86: got categories %v, want malware", got)
	}
	r, _ := w.TIP(t, "45.95.147.10")
	if r.Zone != "Red" || strings.Join(r.IpGeneralInfo.Categories, ",") != "CATEGORY_MALWARE" || !r.RelatedObjects.HasRedZone {
		t.Errorf("45.95.147.10: got zone %s categories %v, want Red, CATEGORY_MALWARE", r.Zone, r.IpGeneralInfo.Categories)
	}
	if len(r.HostedUrls) != 2 || r.HostedUrls[1].Url != "45.95.147.10/bins/x86" || r.HostedUrls[1].IsUrlTruncated ||
		importtest.Str(r.HostedUrls[1].FirstSeen) != "2026-11-20T08:15Z" || r.HostedUrls[1].Zone != "Red" {
		t.Errorf("45.95.147.10: got hosted URLs %+v", r.HostedUrls)
	}
	if len(r.FeedMasks) != 2 || r.FeedMasks[0].NormalizedMask != "45.95.147.10/bins/" || r.FeedMasks[0].MaskType != "UrlPrefix" ||
		r.FeedMasks[1].MaskType != "Url" || strings.Join(r.FeedMasks[1].FeedNames, ",") != abusech.MaskFeedURL || r.FeedMasks[1].Zone != "Red" {
		t.Errorf("45.95.147.10: got feed masks %+v", r.FeedMasks)
	}
	r, _ = w.TIP(t, "77.88.1.20")
	if r.Zone != "Red" || strings.Join(r.IpGeneralInfo.Categories, ",") != "CATEGORY_MALWARE,CATEGORY_MINER" {
		t.Errorf("77.88.1.20: got zone %s categories %v, want Red with the CoinMiner tag's category", r.Zone, r.IpGeneralInfo.Categories)
	}
	if len(r.HostedUrls) != 1 || r.HostedUrls[0].Url != "77.88.1.20:8080/a/payload.sh?x=1" || !r.HostedUrls[0].IsUrlTruncated || len(r.FeedMasks) != 0 {
		t.Errorf("77.88.1.20: got hosted URLs %+v masks %+v, want the token cut, flagged, no mask", r.HostedUrls, r.FeedMasks)
	}
	// The offline URL on a domain: attached through passive DNS, Orange,
	// no mask, and the address itself is not listed.
	r, _ = w.TIP(t, "77.88.1.30")
	if r.Zone != "Grey" || len(r.HostedUrls) != 1 || r.HostedUrls[0].Url != "dl.badcorp.example/invoice.exe" || r.HostedUrls[0].Zone != "Orange" || len(r.FeedMasks) != 0 {
		t.Errorf("77.88.1.30: got zone %s hosted URLs %+v masks %+v", r.Zone, r.HostedUrls, r.FeedMasks)
	}
	ips := []string{"45.95.147.10", "77.88.1.20", "2a0e:97c0::10", "77.88.1.30"}
	before := w.Snapshot(t, ips...)
	w.Import(t, importtest.Gzip(t, path), mk, o)
	importtest.SameSnapshots(t, before, w.Snapshot(t, ips...))
}

func TestThreatFoxEndToEnd(t *testing.T) {
	for _, name := range []string{"threatfox.csv", "threatfox.json"} {
		t.Run(name, func(t *testing.T) {
			w := withDNS(t)
			o := importer.Options{}
			mk := func() importer.Parser { return abusech.NewThreatFox(o.ParserConfig()) }
			path := filepath.Join("testdata", name)
			sum := w.Import(t, path, mk, o)
			if sum.Skipped != 0 || len(sum.Ignored) != 0 {
				t.Errorf("got %s, want no bad or ignored lines", sum)
			}
			checkThreatFoxObjects(t, w, name == "threatfox.csv")
			// One feed alone scores as not trusted (docs/scoring.md); the
			// category keeps its Red zone.
			r, _ := w.TIP(t, "45.95.147.12")
			if r.Zone != "Orange" || strings.Join(r.IpGeneralInfo.Categories, ",") != "CATEGORY_BOTNET_CNC" {
				t.Errorf("45.95.147.12: got zone %s categories %v, want Orange, botnet C&C", r.Zone, r.IpGeneralInfo.Categories)
			}
			r, _ = w.TIP(t, "45.95.147.13")
			if r.Zone != "Red" || !strings.Contains(strings.Join(r.IpGeneralInfo.Categories, ","), "CATEGORY_MALWARE") ||
				len(r.HostedUrls) != 1 || r.HostedUrls[0].Url != "45.95.147.13/dl/stage2.bin" || importtest.Str(r.HostedUrls[0].FirstSeen) != "2026-11-22T10:00Z" {
				t.Errorf("45.95.147.13: got zone %s categories %v hosted URLs %+v", r.Zone, r.IpGeneralInfo.Categories, r.HostedUrls)
			}
			// The C&C domain is Red: an address it resolved to has a Red related object.
			r, _ = w.TIP(t, "77.88.1.32")
			if !r.RelatedObjects.HasRedZone {
				t.Errorf("77.88.1.32: got HasRedZone false, want true (c2.badcorp.example is Red)")
			}
			ips := []string{"45.95.147.12", "45.95.147.13", "77.88.1.31", "77.88.1.32"}
			before := w.Snapshot(t, ips...)
			w.Import(t, importtest.Gzip(t, path), mk, o)
			importtest.SameSnapshots(t, before, w.Snapshot(t, ips...))
		})
	}
}

// checkThreatFoxObjects checks the domain, web addresses and files of
// threatfox.csv as the domain, URL and hash lookups find them (the JSON
// fixture holds the domain and the MD5 only: all false).
func checkThreatFoxObjects(t *testing.T, w *importtest.World, all bool) {
	t.Helper()
	d := w.Object(t, intel.ObjectHost, "c2.badcorp.example")
	// One listing: the one derived from the domain's DomainInfo merges
	// into it (one feed counts once).
	if got := importtest.Categories(d); !slices.Equal(got, []intel.Category{intel.CatBotnetCNC}) || len(d.Listings) != 1 || d.Listings[0].Feed != "ThreatFox" ||
		d.Listings[0].FirstSeen != time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC) {
		t.Errorf("c2.badcorp.example: got listings %+v, want botnet C&C by ThreatFox from 2026-11-22 11:00", d.Listings)
	}
	hashes := []string{"0F343B0931126A20F133D67C2B018A3B"}
	defer func() {
		for _, h := range hashes {
			checkThreatFoxFile(t, w, h)
		}
	}()
	if !all {
		return
	}
	hashes = append(hashes, "5E0B3A4C1D2E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8")
	u := w.Object(t, intel.ObjectURL, "gate.badcorp.example/panel/login.php")
	if got := importtest.Categories(u); !slices.Equal(got, []intel.Category{intel.CatBotnetCNC}) {
		t.Errorf("gate.badcorp.example/panel/login.php: got categories %v, want botnet C&C", got)
	}
	// A web address deep in a site does not convict its host.
	if h := w.Object(t, intel.ObjectHost, "gate.badcorp.example"); len(h.Listings) != 0 {
		t.Errorf("gate.badcorp.example: got listings %+v, want none", h.Listings)
	}
	if got := w.LinkItems(t, intel.LinkHostURLs, "gate.badcorp.example"); !slices.Equal(got, []string{"gate.badcorp.example/panel/login.php"}) {
		t.Errorf("gate.badcorp.example: got web addresses %v", got)
	}
}

// checkThreatFoxFile checks a file hash of the fixtures: Example Loader.
func checkThreatFoxFile(t *testing.T, w *importtest.World, h string) {
	t.Helper()
	f := w.Object(t, intel.ObjectFile, h)
	if got := importtest.Categories(f); !slices.Equal(got, []intel.Category{intel.CatMalware}) ||
		f.Info.FirstSeen != time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) {
		t.Errorf("%s: got categories %v first seen %v, want malware from 2026-11-23 12:00", h, got, f.Info.FirstSeen)
	}
	det := w.Links(t, intel.LinkDetections, h)
	if len(det) != 1 || det[0].Item != "Example Loader" || det[0].Zone != intel.ZoneRed ||
		det[0].Attr(1) != abusech.MalpediaBase+"win.example_loader" {
		t.Errorf("%s: got detections %+v, want Example Loader with its Malpedia page", h, det)
	}
}

func TestFeodoEndToEnd(t *testing.T) {
	for _, name := range []string{"feodo.csv", "feodo_old.csv"} {
		t.Run(name, func(t *testing.T) {
			w := importtest.NewWorld()
			o := importer.Options{}
			mk := func() importer.Parser { return abusech.NewFeodo(o.ParserConfig()) }
			path := filepath.Join("testdata", name)
			if sum := w.Import(t, path, mk, o); sum.Skipped != 0 || sum.Read < 2 {
				t.Errorf("got %s", sum)
			}
			// One feed alone scores as not trusted (docs/scoring.md).
			r, _ := w.TIP(t, "45.95.147.20")
			if r.Zone != "Orange" || strings.Join(r.IpGeneralInfo.Categories, ",") != "CATEGORY_BOTNET_CNC" || r.IpGeneralInfo.ThreatScore < 50 {
				t.Errorf("45.95.147.20: got zone %s score %d categories %v, want Orange, botnet C&C", r.Zone, r.IpGeneralInfo.ThreatScore, r.IpGeneralInfo.Categories)
			}
			if len(r.HostedUrls) != 0 || len(r.FeedMasks) != 0 {
				t.Errorf("45.95.147.20: got URLs %v masks %v, want none", r.HostedUrls, r.FeedMasks)
			}
			ips := []string{"45.95.147.20", "77.88.1.21", "77.88.1.22", "2a0e:97c0::21"}
			before := w.Snapshot(t, ips...)
			w.Import(t, importtest.Gzip(t, path), mk, o)
			importtest.SameSnapshots(t, before, w.Snapshot(t, ips...))
		})
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLivePayloadHosting: one online payload on a name that resolves only
// to its address makes the address and the name at least Orange; on an
// allow-listed edge the address stays Green; on shared hosting (names of
// four sites on the address) it adds a little. All from public formats:
// passive DNS (COF), a MISP warninglist of networks, the URLhaus dump.
func TestLivePayloadHosting(t *testing.T) {
	w := importtest.NewWorld()
	dir := t.TempDir()
	path := func(name, body string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, body)
		return p
	}
	cof := `{"rrname":"dropper.example","rrtype":"A","rdata":"77.88.2.40","time_first":1764288000,"time_last":1764331200,"count":12}
{"rrname":"edge-7.cdn.example","rrtype":"A","rdata":"77.88.3.40","time_first":1764288000,"time_last":1764331200,"count":900}
{"rrname":"www.site1.example","rrtype":"A","rdata":"77.88.4.40","time_first":1764288000,"time_last":1764331200,"count":40}
{"rrname":"www.site2.example","rrtype":"A","rdata":"77.88.4.40","time_first":1764288000,"time_last":1764331200,"count":40}
{"rrname":"site3.example","rrtype":"A","rdata":"77.88.4.40","time_first":1764288000,"time_last":1764331200,"count":40}
{"rrname":"blog.site4.example","rrtype":"A","rdata":"77.88.4.40","time_first":1764288000,"time_last":1764331200,"count":40}
`
	w.Import(t, path("pdns.jsonl", cof), func() importer.Parser { return pdns.New(importer.ParserConfig{}) }, importer.Options{})
	edges := `{"name":"Example CDN edges","type":"cidr","list":["77.88.3.0/24"],"version":20261128,"description":"Synthetic, for tests."}`
	wo := importer.Options{Feed: "Example CDN edges"}
	w.Import(t, path("edges.json", edges), func() importer.Parser { return warninglist.New(wo.ParserConfig()) }, wo)
	dump := `# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"3200001","2026-11-26 08:00:00","http://dropper.example/payload.exe","online","2026-11-28 09:00:00","malware_download","exe","https://urlhaus.abuse.ch/url/3200001/","example_reporter"
"3200002","2026-11-26 08:00:00","http://edge-7.cdn.example/payload.exe","online","2026-11-28 09:00:00","malware_download","exe","https://urlhaus.abuse.ch/url/3200002/","example_reporter"
"3200003","2026-11-26 08:00:00","http://www.site1.example/wp-content/x.exe","online","2026-11-28 09:00:00","malware_download","exe","https://urlhaus.abuse.ch/url/3200003/","example_reporter"
`
	o := importer.Options{}
	w.Import(t, path("urlhaus.csv", dump), func() importer.Parser { return abusech.NewURLhaus(o.ParserConfig()) }, o)

	for _, tc := range []struct{ ip, zone string }{
		{"77.88.2.40", "Orange"}, // dedicated: 50 points
		{"77.88.3.40", "Green"},  // allow-listed edge
		{"77.88.4.40", "Grey"},   // shared hosting: 15 points
	} {
		r, _ := w.TIP(t, tc.ip)
		if r.Zone != tc.zone || len(r.HostedUrls) != 1 || r.HostedUrls[0].Zone != "Red" {
			t.Errorf("%s: got zone %s, hosted %+v; want %s with one Red web address", tc.ip, r.Zone, r.HostedUrls, tc.zone)
		}
	}
	if e := w.Explain(t, "77.88.2.40"); e.Result.Score != 50 || !hasRule(e, "hosted-content", "dedicated hosting (1 sites)") {
		t.Errorf("77.88.2.40: got score %d, contributions %+v; want 50 from dedicated hosting", e.Result.Score, e.Result.Contributions)
	}
	if e := w.Explain(t, "77.88.4.40"); e.Result.Score != 15 || !hasRule(e, "hosted-content", "shared hosting (4 sites)") {
		t.Errorf("77.88.4.40: got score %d, contributions %+v; want 15 from shared hosting", e.Result.Score, e.Result.Contributions)
	}
	d, err := w.Builder.Domain(t.Context(), "dropper.example", report.AllDomainSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d.Zone != intel.ZoneOrange {
		t.Errorf("dropper.example: got %s, want Orange (it serves a live payload)", d.Zone)
	}
}

func hasRule(e report.Explanation, rule, evidence string) bool {
	for _, c := range e.Result.Contributions {
		if c.Rule == rule && strings.Contains(c.Evidence, evidence) {
			return true
		}
	}
	return false
}
