package stix_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

func ts(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// tipdReport is a Red address (documentation range) with an item in every
// list section, rendered by tipd itself in the test.
func tipdIPReport() *report.IPReport {
	ip := netip.MustParseAddr("198.51.100.7")
	return &report.IPReport{
		Sections: report.AllIPSections, IP: ip, Zone: intel.ZoneRed, HasRedZone: true,
		General: report.IPGeneral{Status: report.StatusKnown, CountryCode: "NL", HitsCount: 1000, FirstSeen: ts(2026, 10, 1, 6, 30),
			ThreatScore: 95, HasAPT: true,
			Categories: []score.CategoryZone{{Name: intel.CatBotnetCNC, Zone: intel.ZoneRed}, {Name: intel.CatScanner, Zone: intel.ZoneOrange},
				{Name: intel.CatBenign, Zone: intel.ZoneGreen}},
			Reports: []report.ReportRef{{ID: "rpt-9", Type: intel.ReportAPT, Title: "Example report", Published: ts(2026, 11, 1, 0, 0)}}},
		HostedURLs: []intel.HostedURL{{IP: ip, URL: "www.example.org/gate.php?id=1", Zone: intel.ZoneRed, Hits: 12, Truncated: true,
			FirstSeen: ts(2026, 11, 2, 0, 0), LastSeen: ts(2026, 11, 3, 0, 0)}},
		Files: []intel.FileDownload{{IP: ip, MD5: "0F343B0931126A20F133D67C2B018A3B", URL: "http://198.51.100.7/x86", Zone: intel.ZoneRed,
			DetectionName: "HEUR:Example", Hits: 5, FirstSeen: ts(2026, 11, 4, 0, 0), LastSeen: ts(2026, 11, 5, 0, 0)}},
		Resolutions: []intel.Resolution{{IP: ip, Domain: "c2.example.org", FirstSeen: ts(2026, 10, 2, 0, 0), LastSeen: ts(2026, 11, 20, 0, 0),
			Hits: 50, DailyPeak: 9, PeakDate: ts(2026, 10, 3, 0, 0), Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatBotnetCNC}}},
		Masks: []intel.FeedMask{{IP: ip, Mask: "198.51.100.7/bins/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed,
			Feeds: []string{"Example URL Feed"}, LastSeen: ts(2026, 11, 21, 0, 0)}},
		NetMasks: []intel.FeedMask{{IP: ip, Mask: "198.51.100.0/24", MaskType: intel.MaskNetwork, Zone: intel.ZoneOrange, Feeds: []string{"Example DROP"}}},
		Whois: report.Whois{Type: "inetnum", Status: report.StatusKnown,
			ASN: []intel.ASRange{{ASN: 64500, Description: []string{"EXAMPLE-AS"}}},
			Net: &intel.WhoisNet{Type: "inetnum", Start: netip.MustParseAddr("198.51.100.0"), End: netip.MustParseAddr("198.51.100.127"),
				Name: "EXAMPLE-NET", Created: ts(2020, 1, 1, 0, 0)},
			Contacts: []intel.Contact{{Name: "Example NOC", Role: "abuse", Type: "role", Email: "abuse@example.org"}}},
		Spam: report.Spam{Attacks: 3, Last: ts(2026, 11, 22, 0, 0), Types: []string{"Malware"}},
	}
}

// TestTipdBundle imports a bundle tipd renders and checks every record it
// maps back; the same bundle parsed with an index spilled to disk gives the
// same records.
func TestTipdBundle(t *testing.T) {
	doc, err := render.IPSTIX(tipdIPReport(), now)
	if err != nil {
		t.Fatal(err)
	}
	b, bad, p, err := parse(t, doc)
	if err != nil || len(bad) != 0 {
		t.Fatalf("got %v, bad %v", err, bad)
	}
	ip := netip.MustParseAddr("198.51.100.7")
	first, last := ts(2026, 10, 1, 6, 30), ts(2026, 11, 22, 0, 0) // first sighting, latest evidence (spam)

	var listings []string
	for _, l := range b.Listings {
		listings = append(listings, fmt.Sprintf("%s %s %s %s %s", l.IP, l.Category, l.Feed, l.FirstSeen.Format(time.RFC3339), l.LastSeen.Format(time.RFC3339)))
	}
	slices.Sort(listings)
	listings = slices.Compact(listings)
	// The observable's listings end at its own latest date, the indicator's
	// (based-on) at the latest evidence: the same here.
	if want := []string{
		fmt.Sprintf("198.51.100.7 CATEGORY_BOTNET_CNC STIX %s %s", first.Format(time.RFC3339), last.Format(time.RFC3339)),
		fmt.Sprintf("198.51.100.7 CATEGORY_SCANNER STIX %s %s", first.Format(time.RFC3339), last.Format(time.RFC3339)),
	}; !slices.Equal(listings, want) {
		t.Errorf("listings: got %v, want %v (no Green category)", listings, want)
	}
	wantRecords(t, "hosted URLs", b.HostedURLs, []intel.HostedURL{{IP: ip, URL: "www.example.org/gate.php?id=1", Zone: intel.ZoneRed,
		Hits: 12, Truncated: true, FirstSeen: ts(2026, 11, 2, 0, 0), LastSeen: ts(2026, 11, 3, 0, 0)}})
	wantRecords(t, "files", b.Files, []intel.FileDownload{{IP: ip, MD5: "0F343B0931126A20F133D67C2B018A3B", URL: "http://198.51.100.7/x86",
		Zone: intel.ZoneRed, DetectionName: "HEUR:Example", Hits: 5, FirstSeen: ts(2026, 11, 4, 0, 0), LastSeen: ts(2026, 11, 5, 0, 0)}})
	wantRecords(t, "resolutions", b.Resolutions, []intel.Resolution{{IP: ip, Domain: "c2.example.org", FirstSeen: ts(2026, 10, 2, 0, 0),
		LastSeen: ts(2026, 11, 20, 0, 0), Hits: 50, DailyPeak: 9, PeakDate: ts(2026, 10, 3, 0, 0)}})
	wantRecords(t, "domains", b.Domains, []intel.DomainInfo{{Domain: "c2.example.org", Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatBotnetCNC}, Source: intel.Source{Feed: "STIX"}}})
	wantRecords(t, "masks", b.Masks, []intel.FeedMask{{IP: ip, Mask: "198.51.100.7/bins/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed,
		Feeds: []string{"Example URL Feed"}, LastSeen: ts(2026, 11, 21, 0, 0)}})
	wantRecords(t, "sightings", b.Sightings, []intel.Sighting{{IP: ip, Day: ts(2026, 10, 1, 0, 0), Hits: 1000}})
	wantRecords(t, "AS", b.ASRanges, []intel.ASRange{{Prefix: netip.MustParsePrefix("198.51.100.7/32"), ASN: 64500, Description: []string{"EXAMPLE-AS"}}})
	wantRecords(t, "countries", b.Countries, []intel.CountryRange{{Prefix: netip.MustParsePrefix("198.51.100.7/32"), Country: "NL"}})
	wantRecords(t, "WHOIS", b.WhoisNets, []intel.WhoisNet{{Prefix: netip.MustParsePrefix("198.51.100.0/25"), Type: "inetnum",
		Start: netip.MustParseAddr("198.51.100.0"), End: netip.MustParseAddr("198.51.100.127"), Name: "EXAMPLE-NET",
		Created: ts(2020, 1, 1, 0, 0), Contacts: []intel.Contact{{Name: "Example NOC", Role: "abuse", Type: "role", Email: "abuse@example.org"}}}})
	wantRecords(t, "reports", b.Reports, []intel.Report{{ID: "rpt-9", Type: intel.ReportAPT, Title: "Example report",
		Published: ts(2026, 11, 1, 0, 0), Indicators: []string{"198.51.100.7"}}})
	wantRecords(t, "report links", b.ReportLinks, []intel.ReportLink{{IP: ip, ReportID: "rpt-9"}})
	if len(b.SpamEvents)+len(b.PhishingEvents)+len(b.NetListings) != 0 {
		t.Errorf("got spam %v, phishing %v, network listings %v; want none", b.SpamEvents, b.PhishingEvents, b.NetListings)
	}
	ig := map[string]int64{}
	for _, x := range p.Ignored() {
		ig[x.What] = x.N
	}
	for _, w := range []string{"Green category in x_tipd_categories", "network feed mask (its category is not in the bundle)"} {
		if ig[w] != 1 {
			t.Errorf("ignored %v: want %q once", ig, w)
		}
	}

	dir := t.TempDir()
	spilled, sbad, _, err := parseSpilled(t, doc, dir)
	if err != nil || len(sbad) != 0 {
		t.Fatalf("spilled: %v, bad %v", err, sbad)
	}
	sameAsSpilled(t, spilled, b, dir)
}

// TestTipdURLBundle imports the bundle of a web address.
func TestTipdURLBundle(t *testing.T) {
	r := &report.URLReport{Sections: report.AllURLSections, URL: "198.51.100.7/x86", Host: "198.51.100.7", Known: true,
		Zone: intel.ZoneRed, HasRedZone: true, IPv4Count: 1, FilesCount: 1,
		Categories: []score.CategoryZone{{Name: intel.CatMalware, Zone: intel.ZoneRed}},
		Files: []intel.FileDownload{{MD5: "0F343B0931126A20F133D67C2B018A3B", URL: "http://198.51.100.7/x86", Zone: intel.ZoneRed,
			Hits: 5, FirstSeen: ts(2026, 11, 4, 0, 0), LastSeen: ts(2026, 11, 5, 0, 0)}},
		Masks: []intel.FeedMask{{Mask: "198.51.100.7", MaskType: intel.MaskHost, Zone: intel.ZoneYellow, Feeds: []string{"Example Feed"}}}}
	doc, err := render.URLSTIX(r, now)
	if err != nil {
		t.Fatal(err)
	}
	b, bad, _, err := parse(t, doc)
	if err != nil || len(bad) != 0 {
		t.Fatalf("got %v, bad %v", err, bad)
	}
	ip := netip.MustParseAddr("198.51.100.7")
	// Its indicator is tipd's verdict: no CATEGORY_BAD_REPUTATION from its
	// indicator types, the categories are those of the web address.
	wantRecords(t, "hosted URLs", b.HostedURLs, []intel.HostedURL{{IP: ip, URL: "198.51.100.7/x86", Zone: intel.ZoneRed,
		Categories: []intel.Category{intel.CatMalware}, Hits: 1}})
	// The file's address comes from its web address when imported (join).
	wantRecords(t, "files", b.Files, []intel.FileDownload{{MD5: "0F343B0931126A20F133D67C2B018A3B", URL: "http://198.51.100.7/x86",
		Zone: intel.ZoneRed, Hits: 5, FirstSeen: ts(2026, 11, 4, 0, 0), LastSeen: ts(2026, 11, 5, 0, 0)}})
	wantRecords(t, "masks", b.Masks, []intel.FeedMask{{Mask: "198.51.100.7", MaskType: intel.MaskHost, Zone: intel.ZoneYellow,
		Feeds: []string{"Example Feed"}}})
	if len(b.Listings) != 0 {
		t.Errorf("got listings %v, want none", b.Listings)
	}
}

// TestTipdAccessedNotDownloaded checks that a file that contacted a web
// address (a related-to with x_tipd_relation) is not read back as a file
// downloaded from it.
func TestTipdAccessedNotDownloaded(t *testing.T) {
	r := &report.URLReport{Sections: report.AllURLSections, URL: "198.51.100.7/x86", Host: "198.51.100.7", Known: true,
		Zone: intel.ZoneRed, HasRedZone: true, IPv4Count: 1, FilesCount: 1,
		Files: []intel.FileDownload{{MD5: "0F343B0931126A20F133D67C2B018A3B", URL: "http://198.51.100.7/x86", Zone: intel.ZoneRed,
			Hits: 5, FirstSeen: ts(2026, 11, 4, 0, 0), LastSeen: ts(2026, 11, 5, 0, 0)}},
		FilesAccessed: []report.FileItem{{Zone: intel.ZoneRed, Hits: 3, MD5: "99DACD7B9C3D9926A650918005EB9F1D",
			FirstSeen: ts(2026, 11, 6, 0, 0), LastSeen: ts(2026, 11, 7, 0, 0), DetectionName: "HEUR:Trojan.Win32.Generic"}}}
	doc, err := render.URLSTIX(r, now)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte(`"x_tipd_relation":"accessed"`)) {
		t.Fatalf("the bundle has no accessed link: %s", doc)
	}
	b, bad, _, err := parse(t, doc)
	if err != nil || len(bad) != 0 {
		t.Fatalf("got %v, bad %v", err, bad)
	}
	wantRecords(t, "files", b.Files, []intel.FileDownload{{MD5: "0F343B0931126A20F133D67C2B018A3B", URL: "http://198.51.100.7/x86",
		Zone: intel.ZoneRed, Hits: 5, FirstSeen: ts(2026, 11, 4, 0, 0), LastSeen: ts(2026, 11, 5, 0, 0)}})
}

// TestTipdBundleBad checks that malformed tipd properties make the object
// bad, with a reason.
func TestTipdBundleBad(t *testing.T) {
	for _, c := range []struct{ obj, want string }{
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.7","x_tipd_zone":"Purple"}`, `bad x_tipd_zone "Purple"`},
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.7","x_tipd_zone":"Red","x_tipd_hits":-1}`, "negative x_tipd_hits"},
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.7","x_tipd_zone":"Red","x_tipd_categories":[1]}`, "x_tipd_categories"},
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.7","x_tipd_zone":"Red","x_tipd_feed_masks":[{"mask":"198.51.100.7/a/","mask_type":"UrlPrefix","zone":"Grey","feeds":["F"]}]}`, "not a feed zone"},
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.7","x_tipd_zone":"Red","x_tipd_whois":{"type":"inetnum","net":{"range_start":"198.51.100.9","range_end":"198.51.100.1"}}}`, "bad range"},
		{`{"type":"autonomous-system","id":"autonomous-system--1"}`, `missing or bad "number"`},
		{`{"type":"relationship","id":"relationship--1","relationship_type":"resolves-to","source_ref":"a--1","target_ref":"b--1","x_tipd_peak_date":"soon"}`, "x_tipd_peak_date"},
	} {
		_, bad, _, err := parse(t, []byte("["+c.obj+"]"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains([]byte(bad[1]), []byte(c.want)) {
			t.Errorf("%s: got %q, want %q", c.obj, bad[1], c.want)
		}
	}
}

func wantRecords[T any](t *testing.T, what string, got, want []T) {
	t.Helper()
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Errorf("%s: got\n%s\nwant\n%s", what, gj, wj)
	}
}
