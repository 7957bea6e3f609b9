package render

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

// fullReport is a Red address (documentation range) with n hosted web
// addresses, n files, n resolutions and n feed masks, every summary
// section filled (verdict, categories, WHOIS with contacts and an AS,
// country, spam, phishing, industries) and report.MaxReports reports.
// Every list item has its dates, zone and hits, so the bundle is as large
// as n items make it.
func fullReport(n int) *report.IPReport {
	ip := netip.MustParseAddr("203.0.113.10")
	base := at(2026, 1, 1, 0, 0, 0)
	r := &report.IPReport{
		Sections:   report.AllIPSections,
		IP:         ip,
		Zone:       intel.ZoneRed,
		HasRedZone: true,
		General: report.IPGeneral{
			Status: report.StatusKnown, CountryCode: "NL", HitsCount: 100000, FirstSeen: base, ThreatScore: 100,
			Categories: []score.CategoryZone{
				{Name: intel.CatBotnetCNC, Zone: intel.ZoneRed}, {Name: intel.CatMalware, Zone: intel.ZoneRed},
				{Name: intel.CatPhishing, Zone: intel.ZoneRed}, {Name: intel.CatSpam, Zone: intel.ZoneOrange},
			},
			HasAPT: true,
		},
		Whois: report.Whois{
			Type: "inetnum", Status: report.StatusKnown,
			ASN: []intel.ASRange{{ASN: 64512, Description: []string{"EXAMPLE-HOSTING-AS", "Example Hosting B.V."}}},
			Net: &intel.WhoisNet{Type: "inetnum", Start: netip.MustParseAddr("203.0.113.0"), End: netip.MustParseAddr("203.0.113.255"),
				Name: "EXAMPLE-NET", Description: "Example Hosting customers\r\nAmsterdam",
				Created: at(2020, 1, 15, 12, 0, 0), Changed: at(2025, 6, 30, 8, 30, 0)},
			Contacts: []intel.Contact{
				{Address: []string{"Examplestraat 1", "1000 AA Amsterdam"}, OrganizationID: "ORG-EH1-TEST",
					Name: "Example Hosting B.V.", Role: "owner", Type: "organisation", Phone: "+31 20 000 0000", Email: "noc@hosting.example"},
				{Name: "Example Hosting NOC", Role: "abuse", Type: "role", Email: "abuse@hosting.example"},
			},
		},
		Spam: report.Spam{Attacks: 2000, Ratio: 0.02, Last: at(2026, 11, 27, 10, 0, 0), Types: []string{"Advertising", "Malware"}},
		Phishing: report.Phishing{Attacks: 40, Last: at(2026, 11, 26, 10, 0, 0), Regions: []string{"DE", "NL"},
			StolenData: []string{"credentials"}, Industries: []string{"Finance"}, Organizations: []string{"Example Bank"}, Kit: "ExampleKit"},
		Industries: []string{"Government", "Telecommunications"},
	}
	for i := range n {
		ts := base.Add(time.Duration(i) * time.Minute)
		r.HostedURLs = append(r.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("203.0.113.10/kit/%d/login.php?id=%d", i, i),
			Zone: intel.ZoneRed, Hits: int64(i + 1), Truncated: i%2 == 0, FirstSeen: ts, LastSeen: ts.Add(time.Hour)})
		r.Files = append(r.Files, intel.FileDownload{IP: ip, MD5: fmt.Sprintf("%032x", i+1),
			URL: fmt.Sprintf("http://203.0.113.10/bins/%d", i), Zone: intel.ZoneRed, DetectionName: "HEUR:Trojan.Linux.Agent.gen",
			Hits: int64(i + 1), FirstSeen: ts, LastSeen: ts.Add(time.Hour)})
		r.Resolutions = append(r.Resolutions, intel.Resolution{IP: ip, Domain: fmt.Sprintf("host-%d.badcorp.example", i),
			FirstSeen: ts, LastSeen: ts.Add(24 * time.Hour), Hits: int64(10 + i), DailyPeak: 3, PeakDate: day(2026, 1, 2),
			Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatBotnetCNC}})
		r.Masks = append(r.Masks, intel.FeedMask{IP: ip, Mask: fmt.Sprintf("203.0.113.10/p%04d/", i),
			MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed, Feeds: []string{"Malicious URL Feed"}, LastSeen: ts})
	}
	for i := range report.MaxReports {
		r.General.Reports = append(r.General.Reports, report.ReportRef{ID: fmt.Sprintf("rpt-%04d", i), Type: intel.ReportAPT,
			Title: fmt.Sprintf("Report %d", i), Published: base.Add(time.Duration(i) * 24 * time.Hour)})
	}
	return r
}

// BenchmarkIPSTIXFull1000 renders fullReport(1000): ns/op, B/op and the
// size of the bundle (bundle-bytes). docs/benchmarks.md records it.
func BenchmarkIPSTIXFull1000(b *testing.B) {
	r := fullReport(1000)
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		out, err = IPSTIX(r, stixNow)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out)), "bundle-bytes")
}

// countObjects counts the objects of a bundle by type and the items of the
// address's x_tipd_feed_masks.
func countObjects(t *testing.T, body []byte) (map[string]int, int) {
	t.Helper()
	var b struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	counts, masks := map[string]int{}, -1
	for _, o := range b.Objects {
		counts[o["type"].(string)]++
		if o["type"] == "ipv4-addr" {
			l, _ := o["x_tipd_feed_masks"].([]any)
			masks = len(l)
		}
	}
	return counts, masks
}

// TestSTIXFull1000 checks the bundle of the benchmark: 1,000 of every list
// (files, hosted web addresses, resolutions with their relationships, feed
// masks), valid against the OASIS schemas; and that 1,500 items per list
// still give 1,000 (the cap of docs/stix.md).
func TestSTIXFull1000(t *testing.T) {
	// identity, address, indicator, AS, location, 1000 each of domain-name,
	// url, file; relationships: based-on, belongs-to, located-at and 3000
	// for the lists.
	want := map[string]int{"identity": 1, "ipv4-addr": 1, "indicator": 1, "autonomous-system": 1, "location": 1,
		"domain-name": 1000, "url": 1000, "file": 1000, "relationship": 3003, "report": report.MaxReports}
	for _, n := range []int{1000, 1500} {
		body, err := IPSTIX(fullReport(n), stixNow)
		if err != nil {
			t.Fatal(err)
		}
		counts, masks := countObjects(t, body)
		for typ, w := range want {
			if counts[typ] != w {
				t.Errorf("%d items: %s objects: got %d, want %d", n, typ, counts[typ], w)
			}
		}
		if len(counts) != len(want) {
			t.Errorf("%d items: object types %v, want %v", n, counts, want)
		}
		if masks != 1000 {
			t.Errorf("%d items: x_tipd_feed_masks: got %d, want 1000", n, masks)
		}
		if n != 1000 {
			continue
		}
		t.Logf("%d items: %d bytes", n, len(body))
		checkBundle(t, body)
		if testing.Short() {
			continue
		}
		if err := newSTIXValidator(t).validate(body); err != nil {
			t.Errorf("1,000-item bundle: %v", err)
		}
	}
}
