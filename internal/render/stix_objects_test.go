package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

// The fixtures of the domain, file and web-address bundles (invented
// values, those of the contract's examples where it has them).

func stixDomainReport() *report.DomainReport {
	red := []score.CategoryZone{{Name: intel.CatBotnetCNC, Zone: intel.ZoneRed}, {Name: intel.CatMalware, Zone: intel.ZoneRed}}
	return &report.DomainReport{
		Sections: report.AllDomainSections, License: lic,
		Domain: "c2.badcorp.example", Known: true,
		FirstSeen: at(2025, 11, 1, 12, 26, 0), LastSeen: at(2026, 11, 27, 9, 0, 0),
		Zone: intel.ZoneRed, HasRedZone: true,
		FilesCount: 12, URLsCount: 140, HitsCount: 1234, IPv4Count: 2,
		Categories: red, HasAPT: true,
		Reports: []report.ReportRef{{ID: "rpt-2026-0117", Type: intel.ReportAPT, Title: "Example campaign",
			Published: at(2026, 1, 17, 0, 0, 0), Updated: at(2026, 2, 1, 0, 0, 0)}},
		Whois: intel.DomainWhois{Domain: "badcorp.example", Created: at(2025, 10, 1, 0, 0, 0),
			Updated: at(2025, 10, 2, 8, 0, 0), Expires: at(2026, 10, 1, 0, 0, 0),
			NameServers: []string{"ns1.host.example", "ns2.host.example"},
			Status:      []string{"clientTransferProhibited https://icann.org/epp#clientTransferProhibited"},
			Registrar:   "Example Registrar, Inc.", RegistrarID: "9999", RegistrarEmail: "abuse@registrar.example",
			RegistrationOrganization: "Example Registrar, Inc.",
			Contacts: []intel.DomainContact{
				{Type: "registrant", Organization: "Privacy service", CountryCode: "IS"},
				{Type: "technical", Name: "Hostmaster", Address: "1 Example Street", City: "Reykjavik",
					PostalCode: "101", CountryCode: "IS", Phone: "+354.5550100", Email: "tech@badcorp.example"},
			}},
		Resolutions: []report.ResolutionItem{
			{IP: netip.MustParseAddr("45.95.147.10"), Zone: intel.ZoneRed, ThreatScore: 91, Hits: 50,
				FirstSeen: at(2025, 11, 1, 12, 26, 0), LastSeen: at(2026, 11, 26, 23, 33, 0), DailyPeak: 9, PeakDate: day(2025, 11, 12)},
			{IP: netip.MustParseAddr("198.51.100.7"), Zone: intel.ZoneGrey, Hits: 1,
				FirstSeen: at(2025, 10, 2, 0, 0, 0), LastSeen: at(2025, 10, 2, 0, 0, 0)},
		},
		ResolutionsIPv6: []report.ResolutionItem{
			{IP: netip.MustParseAddr("2001:db8::5"), Zone: intel.ZoneGrey, Hits: 4,
				FirstSeen: at(2026, 11, 2, 0, 0, 0), LastSeen: at(2026, 11, 20, 0, 0, 0)},
		},
		FilesDownloaded: []report.FileItem{{Zone: intel.ZoneRed, Hits: 37, MD5: "0F343B0931126A20F133D67C2B018A3B",
			FirstSeen: at(2026, 11, 20, 8, 15, 0), LastSeen: at(2026, 11, 27, 9, 0, 0),
			DetectionName: "HEUR:Backdoor.Linux.Mirai.b", URL: "c2.badcorp.example/bins/x86"}},
		FilesAccessed: []report.FileItem{
			{Zone: intel.ZoneRed, Hits: 12, MD5: "99DACD7B9C3D9926A650918005EB9F1D",
				FirstSeen: at(2026, 11, 21, 10, 0, 0), LastSeen: at(2026, 11, 26, 18, 40, 0), DetectionName: "HEUR:Trojan.Win32.Generic"},
			// The downloaded file also contacts the name: a second link.
			{Zone: intel.ZoneRed, Hits: 3, MD5: "0F343B0931126A20F133D67C2B018A3B",
				FirstSeen: at(2026, 11, 21, 0, 0, 0), LastSeen: at(2026, 11, 22, 0, 0, 0),
				DetectionName: "HEUR:Backdoor.Linux.Mirai.b", URL: "c2.badcorp.example/gate.php"},
		},
		Referrals: []report.URLItem{{Zone: intel.ZoneOrange, URL: "paste.example/raw/a1b2",
			FirstSeen: at(2026, 11, 19, 7, 0, 0), LastSeen: at(2026, 11, 25, 7, 0, 0)}},
		ReferredTo: []report.URLItem{{Zone: intel.ZoneGrey, URL: "cdn.example/lib.js",
			FirstSeen: at(2026, 11, 19, 7, 0, 0), LastSeen: at(2026, 11, 19, 7, 0, 0)}},
		Subdomains: []report.SubdomainItem{{Name: "api.c2.badcorp.example", Zone: intel.ZoneRed,
			FilesCount: 1, URLsCount: 12, HitsCount: 95}},
		Masks: []intel.FeedMask{{Mask: "c2.badcorp.example", MaskType: intel.MaskHost, Zone: intel.ZoneRed,
			Feeds: []string{"Botnet CC URL Feed"}, LastSeen: at(2026, 11, 27, 10, 0, 0)}},
		Industries: []string{"Telecommunications"},
	}
}

// stixUnknownDomain is a name the store holds nothing on.
func stixUnknownDomain() *report.DomainReport {
	return &report.DomainReport{Sections: report.AllDomainSections, License: lic, Domain: "shop.example",
		Zone: intel.ZoneGrey, Whois: intel.DomainWhois{Domain: "shop.example"}}
}

func stixFileReport() *report.FileReport {
	started := at(2026, 11, 26, 18, 40, 0)
	return &report.FileReport{
		Sections: report.AllFileSections, License: lic,
		Query: "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8", Known: true,
		Zone: intel.ZoneRed, Status: report.FileStatusMalware, HasRedZone: true,
		MD5: "0F343B0931126A20F133D67C2B018A3B", SHA1: "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8",
		SHA256:    "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771",
		FirstSeen: at(2026, 11, 20, 8, 15, 0), LastSeen: at(2026, 11, 27, 9, 0, 0),
		Signer: "Example Signing Ltd", SignerStatus: "Discredited", SignerZone: intel.ZoneRed,
		Packer: "UPX", Size: 65536, Type: "elf.32.le", HitsCount: 120,
		Categories: []intel.Category{intel.CatMalware, intel.CatBotnetCNC}, HasAPT: true,
		Reports: []report.ReportRef{{ID: "rpt-2026-0117", Type: intel.ReportAPT, Title: "Example campaign",
			Published: at(2026, 1, 17, 0, 0, 0)}},
		Detections: []report.DetectionItem{
			{LastDetect: at(2026, 11, 27, 9, 0, 0), Zone: intel.ZoneRed, Name: "HEUR:Backdoor.Linux.Mirai.b", Method: "HEUR"},
			{LastDetect: at(2026, 11, 20, 8, 15, 0), DescriptionURL: "https://malpedia.caad.fkie.fraunhofer.de/details/elf.mirai",
				Zone: intel.ZoneRed, Name: "Mirai", Method: "Signature"},
		},
		ParentCertificates: []report.CertificateItem{{Vendor: "Example Root CA", Publisher: "Example Issuing CA",
			Issued: at(2020, 1, 1, 0, 0, 0), Expires: at(2030, 1, 1, 0, 0, 0), SerialNumber: "01"}},
		Certificates: []report.CertificateItem{{Vendor: "Example Issuing CA", Publisher: "Example Signing Ltd",
			TimeStamp: at(2026, 11, 19, 0, 0, 0), Issued: at(2026, 1, 1, 0, 0, 0), Expires: at(2027, 1, 1, 0, 0, 0),
			SerialNumber: "0a1b2c3d"}},
		Names: []report.NameItem{{Name: "x86", Hits: 37}, {Name: "mirai.x86", Hits: 2}},
		Paths: []report.PathItem{{Path: "/tmp/x86", Location: "/", Hits: 30}},
		DownloadedFrom: []report.FileURLItem{{Zone: intel.ZoneRed, URL: "45.95.147.10/bins/x86", Domain: "45.95.147.10",
			Hits: 37, FirstSeen: at(2026, 11, 20, 8, 15, 0), LastSeen: at(2026, 11, 27, 9, 0, 0)}},
		AccessedURLs: []report.FileURLItem{{Zone: intel.ZoneRed, URL: "c2.badcorp.example/gate.php", Domain: "c2.badcorp.example",
			Hits: 3, FirstSeen: at(2026, 11, 21, 0, 0, 0), LastSeen: at(2026, 11, 22, 0, 0, 0)}},
		Started: []report.RelatedFileItem{{Zone: intel.ZoneGrey, Hits: 1, MD5: "D41D8CD98F00B204E9800998ECF8427E",
			Name: "busybox", Last: started}},
		StartedBy: []report.RelatedFileItem{{Zone: intel.ZoneRed, Hits: 10, MD5: "75ECF1A9F52C9A20BFCFDD29C8014C4D",
			Location: "~", Path: ".cache/", Name: "loader.sh", DetectionName: "HEUR:Trojan-Downloader.Shell.Agent.p", Last: started}},
		DownloadedBy: []report.RelatedFileItem{{Zone: intel.ZoneRed, Hits: 4, MD5: "75ECF1A9F52C9A20BFCFDD29C8014C4D",
			Name: "loader.sh", Last: at(2026, 11, 26, 18, 39, 0)}},
		Industries: []string{"Telecommunications"},
	}
}

// stixUnknownFile is a SHA-256 the store holds nothing on.
func stixUnknownFile() *report.FileReport {
	h := "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
	return &report.FileReport{Sections: report.AllFileSections, License: lic, Query: h, SHA256: h,
		Zone: intel.ZoneGrey, Status: report.FileStatusNotCategorized}
}

// stixURLSectionsReport is a web address on a host name with the sections
// the IP-era web-address report did not have.
func stixURLSectionsReport() *report.URLReport {
	d := stixDomainReport()
	return &report.URLReport{
		Sections: report.AllURLSections, License: lic,
		URL: "c2.badcorp.example/bins/x86", Host: "c2.badcorp.example", Known: true,
		FirstSeen: at(2026, 11, 20, 8, 10, 0), LastSeen: at(2026, 11, 27, 9, 0, 0),
		Zone: intel.ZoneOrange, HasRedZone: true, IPv4Count: 1, FilesCount: 3,
		Categories: []score.CategoryZone{{Name: intel.CatMalware, Zone: intel.ZoneRed}},
		Files: []intel.FileDownload{{MD5: "0F343B0931126A20F133D67C2B018A3B", URL: "c2.badcorp.example/bins/x86",
			Zone: intel.ZoneRed, DetectionName: "HEUR:Backdoor.Linux.Mirai.b", Hits: 37,
			FirstSeen: at(2026, 11, 20, 8, 15, 0), LastSeen: at(2026, 11, 27, 9, 0, 0)}},
		Masks: []intel.FeedMask{{Mask: "c2.badcorp.example/bins/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed,
			Feeds: []string{"Malicious URL Feed"}}},
		Whois:         d.Whois,
		Resolutions:   d.Resolutions[:1],
		FilesAccessed: []report.FileItem{d.FilesAccessed[0]},
		Referrals: []report.URLItem{{Zone: intel.ZoneRed, URL: "c2.badcorp.example/loader.sh",
			FirstSeen: at(2026, 11, 20, 8, 10, 0), LastSeen: at(2026, 11, 26, 18, 40, 0)}},
		ReferredTo: []report.URLItem{{Zone: intel.ZoneGrey, URL: "mirror.example/x86",
			FirstSeen: at(2026, 11, 21, 0, 0, 0), LastSeen: at(2026, 11, 21, 0, 0, 0)}},
		Industries: []string{"Telecommunications"},
	}
}

func objectSTIXCases() []struct {
	name string
	body func() []byte
} {
	dom := func(r *report.DomainReport) func() []byte {
		return func() []byte { return appendDomainBundle(nil, r, stixNow, goldenBundleID) }
	}
	file := func(r *report.FileReport) func() []byte {
		return func() []byte { return appendFileBundle(nil, r, stixNow, goldenBundleID) }
	}
	return []struct {
		name string
		body func() []byte
	}{
		{"stix-domain-red-full", dom(stixDomainReport())},
		{"stix-domain-grey-unknown", dom(stixUnknownDomain())},
		{"stix-file-red-full", file(stixFileReport())},
		{"stix-file-unknown", file(stixUnknownFile())},
		{"stix-url-sections", func() []byte { return appendURLBundle(nil, stixURLSectionsReport(), stixNow, goldenBundleID) }},
	}
}

// TestObjectSTIXGolden checks the bundles of the domain, file and
// web-address lookups against their golden files and the OASIS schemas.
func TestObjectSTIXGolden(t *testing.T) {
	v := newSTIXValidator(t)
	for _, tc := range objectSTIXCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := golden(t, tc.name, tc.body())
			if err := v.validate(want); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			checkBundle(t, want)
			checkFileIDs(t, want)
		})
	}
}

// checkFileIDs recomputes the id of every file from its hashes: the first
// present of MD5, SHA-1, SHA-256 alone.
func checkFileIDs(t *testing.T, body []byte) {
	t.Helper()
	for _, o := range bundleObjects(t, body) {
		if o["type"] != "file" {
			continue
		}
		hashes, _ := o["hashes"].(map[string]any)
		want := ""
		for _, k := range []string{"MD5", "SHA-1", "SHA-256"} {
			if h, ok := hashes[k].(string); ok {
				want = scoID("file", `{"hashes":{"`+k+`":"`+h+`"}}`)
				break
			}
		}
		if o["id"] != want {
			t.Errorf("file %v: id %v, want %s", hashes, o["id"], want)
		}
	}
}

func bundleObjects(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var b struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b.Objects
}

// byID finds an object of a bundle.
func byID(objs []map[string]any, id string) map[string]any {
	for _, o := range objs {
		if o["id"] == id {
			return o
		}
	}
	return nil
}

// TestObjectSTIXIDs checks the contract's ids (computed independently:
// Python's uuid.uuid5 over the same canonical JSON) and that the main
// observable of each bundle is the second object, after the identity.
func TestObjectSTIXIDs(t *testing.T) {
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"domain", appendDomainBundle(nil, stixDomainReport(), stixNow, goldenBundleID),
			"domain-name--680c4b79-a244-5786-be42-e620f38efc95"},
		{"url", appendURLBundle(nil, stixURLSectionsReport(), stixNow, goldenBundleID),
			"url--f12e6530-aff1-546f-b733-1083324d8259"},
		{"file by its MD5", appendFileBundle(nil, stixFileReport(), stixNow, goldenBundleID),
			"file--4bf9fd05-22a9-5381-a291-82b0e6e6dcaf"},
	}
	noMD5 := stixFileReport()
	noMD5.MD5 = ""
	cases = append(cases, struct {
		name string
		body []byte
		want string
	}{"file by its SHA-1", appendFileBundle(nil, noMD5, stixNow, goldenBundleID),
		"file--28ffe860-3a9b-57a3-b503-d6b938e9d293"})
	onlySHA256 := stixFileReport()
	onlySHA256.MD5, onlySHA256.SHA1 = "", ""
	cases = append(cases, struct {
		name string
		body []byte
		want string
	}{"file by its SHA-256", appendFileBundle(nil, onlySHA256, stixNow, goldenBundleID),
		"file--cbe78946-ca8d-592c-9cf7-082e44d65c2c"})
	for _, c := range cases {
		objs := bundleObjects(t, c.body)
		if len(objs) < 2 || objs[0]["type"] != "identity" || objs[1]["id"] != c.want {
			t.Errorf("%s: got %v then %v, want identity then %s", c.name, objs[0]["id"], objs[1]["id"], c.want)
		}
	}
	if got, want := scoValueID("domain-name", "c2.badcorp.example"), "domain-name--680c4b79-a244-5786-be42-e620f38efc95"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := scoValueID("url", urlValue("c2.badcorp.example/bins/x86")), "url--f12e6530-aff1-546f-b733-1083324d8259"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// indicatorOf returns the indicator of a bundle, or nil.
func indicatorOf(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var ind map[string]any
	for _, o := range bundleObjects(t, body) {
		if o["type"] == "indicator" {
			if ind != nil {
				t.Errorf("two indicators")
			}
			ind = o
		}
	}
	return ind
}

// TestObjectSTIXIndicators checks the patterns, confidences and zones that
// give an indicator, and its based-on relationship.
func TestObjectSTIXIndicators(t *testing.T) {
	dom := func(z intel.Zone) []byte {
		r := stixDomainReport()
		r.Zone = z
		return appendDomainBundle(nil, r, stixNow, goldenBundleID)
	}
	url := func(z intel.Zone) []byte {
		r := stixURLSectionsReport()
		r.Zone = z
		return appendURLBundle(nil, r, stixNow, goldenBundleID)
	}
	file := func(z intel.Zone, md5, sha1, sha256 string) []byte {
		r := stixFileReport()
		r.Zone, r.MD5, r.SHA1, r.SHA256 = z, md5, sha1, sha256
		return appendFileBundle(nil, r, stixNow, goldenBundleID)
	}
	const (
		md5    = "0F343B0931126A20F133D67C2B018A3B"
		sha1   = "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8"
		sha256 = "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
	)
	cases := []struct {
		name       string
		body       []byte
		pattern    string // "" for no indicator
		confidence float64
	}{
		{"red domain", dom(intel.ZoneRed), "[domain-name:value = 'c2.badcorp.example']", 85},
		{"orange domain", dom(intel.ZoneOrange), "[domain-name:value = 'c2.badcorp.example']", 60},
		{"yellow domain", dom(intel.ZoneYellow), "", 0},
		{"grey domain", dom(intel.ZoneGrey), "", 0},
		{"green domain", dom(intel.ZoneGreen), "", 0},
		{"red url", url(intel.ZoneRed), "[url:value = 'http://c2.badcorp.example/bins/x86']", 85},
		{"orange url", url(intel.ZoneOrange), "[url:value = 'http://c2.badcorp.example/bins/x86']", 60},
		{"grey url", url(intel.ZoneGrey), "", 0},
		{"red file, three hashes", file(intel.ZoneRed, md5, sha1, sha256),
			"[file:hashes.'SHA-256' = '" + strings.ToLower(sha256) + "']", 85},
		{"red file, MD5 and SHA-1", file(intel.ZoneRed, md5, sha1, ""), "[file:hashes.'SHA-1' = '" + strings.ToLower(sha1) + "']", 85},
		{"red file, MD5", file(intel.ZoneRed, md5, "", ""), "[file:hashes.MD5 = '" + strings.ToLower(md5) + "']", 85},
		{"orange file", file(intel.ZoneOrange, md5, sha1, sha256), "", 0},
		{"yellow file", file(intel.ZoneYellow, md5, sha1, sha256), "", 0},
		{"grey file", file(intel.ZoneGrey, md5, sha1, sha256), "", 0},
	}
	for _, c := range cases {
		ind := indicatorOf(t, c.body)
		if c.pattern == "" {
			if ind != nil {
				t.Errorf("%s: got indicator %v, want none", c.name, ind["pattern"])
			}
			continue
		}
		if ind == nil {
			t.Errorf("%s: got no indicator, want %s", c.name, c.pattern)
			continue
		}
		if ind["pattern"] != c.pattern || ind["confidence"] != c.confidence {
			t.Errorf("%s: got %v (confidence %v), want %s (%v)", c.name, ind["pattern"], ind["confidence"], c.pattern, c.confidence)
		}
		objs := bundleObjects(t, c.body)
		main := objs[1]["id"]
		based := false
		for _, o := range objs {
			if o["relationship_type"] == "based-on" && o["source_ref"] == ind["id"] && o["target_ref"] == main {
				based = true
			}
		}
		if !based {
			t.Errorf("%s: no based-on from the indicator to %v", c.name, main)
		}
	}
	// valid_from is the first sighting.
	if got, want := indicatorOf(t, dom(intel.ZoneRed))["valid_from"], "2025-11-01T12:26:00.000Z"; got != want {
		t.Errorf("domain valid_from: got %v, want %s", got, want)
	}
	if got, want := indicatorOf(t, file(intel.ZoneRed, md5, sha1, sha256))["valid_from"], "2026-11-20T08:15:00.000Z"; got != want {
		t.Errorf("file valid_from: got %v, want %s", got, want)
	}
}

// TestObjectSTIXRelations checks the links of list items: which
// relationship, which direction, which x_tipd_relation.
func TestObjectSTIXRelations(t *testing.T) {
	type link struct{ src, relation, dst string }
	collect := func(body []byte) map[link]map[string]any {
		objs := bundleObjects(t, body)
		name := func(id string) string {
			o := byID(objs, id)
			if o == nil {
				return "missing " + id
			}
			if v, ok := o["value"].(string); ok {
				return v
			}
			if h, ok := o["hashes"].(map[string]any); ok {
				for _, k := range []string{"MD5", "SHA-1", "SHA-256"} {
					if v, ok := h[k].(string); ok {
						return v
					}
				}
			}
			return fmt.Sprint(o["type"])
		}
		out := map[link]map[string]any{}
		for _, o := range objs {
			if o["type"] != "relationship" || o["relationship_type"] == "based-on" {
				continue
			}
			rel, _ := o["x_tipd_relation"].(string)
			if rel == "" {
				rel = fmt.Sprint(o["relationship_type"])
			}
			out[link{name(o["source_ref"].(string)), rel, name(o["target_ref"].(string))}] = o
		}
		return out
	}
	const (
		main  = "0f343b0931126a20f133d67c2b018a3b"
		other = "99dacd7b9c3d9926a650918005eb9f1d"
	)
	cases := []struct {
		name string
		body []byte
		want map[link]map[string]any // properties the relationship must carry
	}{
		{"domain", appendDomainBundle(nil, stixDomainReport(), stixNow, goldenBundleID), map[link]map[string]any{
			{"c2.badcorp.example", "resolves-to", "45.95.147.10"}:                {"x_tipd_hits": 50.0, "x_tipd_daily_peak": 9.0},
			{"c2.badcorp.example", "resolves-to", "198.51.100.7"}:                {"x_tipd_hits": 1.0},
			{"c2.badcorp.example", "resolves-to", "2001:db8::5"}:                 {"x_tipd_hits": 4.0},
			{main, "related-to", "c2.badcorp.example"}:                           {"x_tipd_download_url": "http://c2.badcorp.example/bins/x86", "x_tipd_hits": 37.0},
			{main, "accessed", "c2.badcorp.example"}:                             {"x_tipd_access_url": "http://c2.badcorp.example/gate.php", "x_tipd_hits": 3.0},
			{other, "accessed", "c2.badcorp.example"}:                            {"x_tipd_hits": 12.0},
			{"http://paste.example/raw/a1b2", "refers-to", "c2.badcorp.example"}: {},
			{"c2.badcorp.example", "refers-to", "http://cdn.example/lib.js"}:     {},
		}},
		{"url", appendURLBundle(nil, stixURLSectionsReport(), stixNow, goldenBundleID), map[link]map[string]any{
			{"http://c2.badcorp.example/bins/x86", "hosted-on", "c2.badcorp.example"}:                  {},
			{"c2.badcorp.example", "resolves-to", "45.95.147.10"}:                                      {"x_tipd_hits": 50.0},
			{main, "related-to", "http://c2.badcorp.example/bins/x86"}:                                 {"x_tipd_download_url": "http://c2.badcorp.example/bins/x86"},
			{other, "accessed", "http://c2.badcorp.example/bins/x86"}:                                  {"x_tipd_hits": 12.0},
			{"http://c2.badcorp.example/loader.sh", "refers-to", "http://c2.badcorp.example/bins/x86"}: {},
			{"http://c2.badcorp.example/bins/x86", "refers-to", "http://mirror.example/x86"}:           {},
		}},
		{"file", appendFileBundle(nil, stixFileReport(), stixNow, goldenBundleID), map[link]map[string]any{
			{main, "related-to", "http://45.95.147.10/bins/x86"}:        {"x_tipd_download_url": "http://45.95.147.10/bins/x86", "x_tipd_hits": 37.0},
			{main, "accessed", "http://c2.badcorp.example/gate.php"}:    {"x_tipd_access_url": "http://c2.badcorp.example/gate.php"},
			{main, "started", "d41d8cd98f00b204e9800998ecf8427e"}:       {"x_tipd_name": "busybox"},
			{main, "started-by", "75ecf1a9f52c9a20bfcfdd29c8014c4d"}:    {"x_tipd_path": ".cache/", "x_tipd_location": "~", "x_tipd_hits": 10.0},
			{main, "downloaded-by", "75ecf1a9f52c9a20bfcfdd29c8014c4d"}: {"x_tipd_hits": 4.0},
		}},
	}
	for _, c := range cases {
		got := collect(c.body)
		for l, props := range c.want {
			o, ok := got[l]
			if !ok {
				t.Errorf("%s: no %v", c.name, l)
				continue
			}
			for k, v := range props {
				if o[k] != v {
					t.Errorf("%s: %v: %s got %v, want %v", c.name, l, k, o[k], v)
				}
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: got %d links, want %d: %v", c.name, len(got), len(c.want), got)
		}
	}
}

// TestObjectSTIXStable renders each report twice (only the bundle id
// differs) and with another clock (every object id is the same).
func TestObjectSTIXStable(t *testing.T) {
	renders := []struct {
		name   string
		render func(now time.Time) []byte
	}{
		{"domain", func(now time.Time) []byte { b, _ := DomainSTIX(stixDomainReport(), now); return b }},
		{"unknown domain", func(now time.Time) []byte { b, _ := DomainSTIX(stixUnknownDomain(), now); return b }},
		{"file", func(now time.Time) []byte { b, _ := FileSTIX(stixFileReport(), now); return b }},
		{"unknown file", func(now time.Time) []byte { b, _ := FileSTIX(stixUnknownFile(), now); return b }},
		{"url", func(now time.Time) []byte { b, _ := URLSTIX(stixURLSectionsReport(), now); return b }},
	}
	for _, r := range renders {
		a, b := r.render(stixNow), r.render(stixNow)
		if bytes.Equal(a, b) {
			t.Errorf("%s: two bundles with one bundle id", r.name)
		}
		if x, y := reBundleID.ReplaceAll(a, nil), reBundleID.ReplaceAll(b, nil); !bytes.Equal(x, y) {
			t.Errorf("%s: bundles differ beyond the bundle id:\n%s\n%s", r.name, x, y)
		}
		c := r.render(stixNow.Add(72 * time.Hour))
		if got, want := objectIDs(t, c), objectIDs(t, a); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: ids depend on the clock:\n%v\n%v", r.name, got, want)
		}
	}
}

// stixBigDomain is stixDomainReport with n items in every list section.
func stixBigDomain(n int) *report.DomainReport {
	base := at(2026, 1, 1, 0, 0, 0)
	d := stixDomainReport()
	d.Resolutions, d.FilesDownloaded, d.FilesAccessed, d.Referrals, d.ReferredTo, d.Subdomains = nil, nil, nil, nil, nil, nil
	d.ResolutionsIPv6 = nil
	for i := range n {
		ts := base.Add(time.Duration(i) * time.Minute)
		d.Resolutions = append(d.Resolutions, report.ResolutionItem{IP: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}),
			Zone: intel.ZoneGrey, Hits: 1, FirstSeen: ts, LastSeen: ts})
		d.ResolutionsIPv6 = append(d.ResolutionsIPv6, report.ResolutionItem{
			IP:   netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)}),
			Zone: intel.ZoneGrey, Hits: 1, FirstSeen: ts, LastSeen: ts})
		d.FilesDownloaded = append(d.FilesDownloaded, report.FileItem{Zone: intel.ZoneRed, Hits: 1, MD5: fmt.Sprintf("%032X", i+1),
			FirstSeen: ts, LastSeen: ts, URL: fmt.Sprintf("c2.badcorp.example/%d", i)})
		d.FilesAccessed = append(d.FilesAccessed, report.FileItem{Zone: intel.ZoneRed, Hits: 1, MD5: fmt.Sprintf("%032X", n+i+1),
			FirstSeen: ts, LastSeen: ts})
		d.Referrals = append(d.Referrals, report.URLItem{Zone: intel.ZoneGrey, URL: fmt.Sprintf("ref.example/%d", i), FirstSeen: ts, LastSeen: ts})
		d.ReferredTo = append(d.ReferredTo, report.URLItem{Zone: intel.ZoneGrey, URL: fmt.Sprintf("to.example/%d", i), FirstSeen: ts, LastSeen: ts})
		d.Subdomains = append(d.Subdomains, report.SubdomainItem{Name: fmt.Sprintf("h%d.c2.badcorp.example", i), Zone: intel.ZoneGrey})
	}
	return d
}

// stixBigFile is stixFileReport with n detections, names, download
// addresses and started files.
func stixBigFile(n int) *report.FileReport {
	base := at(2026, 1, 1, 0, 0, 0)
	f := stixFileReport()
	f.Detections, f.Names, f.DownloadedFrom, f.Started = nil, nil, nil, nil
	for i := range n {
		ts := base.Add(time.Duration(i) * time.Minute)
		f.Detections = append(f.Detections, report.DetectionItem{LastDetect: ts, Zone: intel.ZoneRed, Name: fmt.Sprintf("Trojan.%d", i), Method: "Signature"})
		f.Names = append(f.Names, report.NameItem{Name: fmt.Sprintf("n%d", i), Hits: 1})
		f.DownloadedFrom = append(f.DownloadedFrom, report.FileURLItem{Zone: intel.ZoneRed, URL: fmt.Sprintf("dl.example/%d", i),
			Domain: "dl.example", Hits: 1, FirstSeen: ts, LastSeen: ts})
		f.Started = append(f.Started, report.RelatedFileItem{Zone: intel.ZoneGrey, Hits: 1, MD5: fmt.Sprintf("%032X", i+1), Last: ts})
	}
	return f
}

// TestObjectSTIXCaps checks that every list of a domain and a file bundle
// is capped at 1000 items (IPv4 and IPv6 resolutions each).
func TestObjectSTIXCaps(t *testing.T) {
	d, f := stixBigDomain(1200), stixBigFile(1200)
	count := func(body []byte) (map[string]int, map[string]any) {
		objs := bundleObjects(t, body)
		counts := map[string]int{}
		for _, o := range objs {
			typ := o["type"].(string)
			if typ == "relationship" {
				rel, _ := o["x_tipd_relation"].(string)
				typ += "/" + fmt.Sprint(o["relationship_type"]) + "/" + rel
			}
			counts[typ]++
		}
		return counts, objs[1]
	}
	dc, dom := count(appendDomainBundle(nil, d, stixNow, goldenBundleID))
	for typ, want := range map[string]int{"ipv4-addr": 1000, "ipv6-addr": 1000, "file": 2000, "url": 2000,
		"relationship/resolves-to/": 2000, "relationship/related-to/": 1000, "relationship/related-to/accessed": 1000,
		"relationship/related-to/refers-to": 2000} {
		if dc[typ] != want {
			t.Errorf("domain %s: got %d, want %d", typ, dc[typ], want)
		}
	}
	if got := len(dom["x_tipd_subdomains"].([]any)); got != 1000 {
		t.Errorf("x_tipd_subdomains: got %d, want 1000", got)
	}
	fc, file := count(appendFileBundle(nil, f, stixNow, goldenBundleID))
	for typ, want := range map[string]int{"url": 1001, "file": 1002, "relationship/related-to/": 1000, "relationship/related-to/started": 1000} {
		if fc[typ] != want {
			t.Errorf("file %s: got %d, want %d", typ, fc[typ], want)
		}
	}
	for _, k := range []string{"x_tipd_detections", "x_tipd_names"} {
		if got := len(file[k].([]any)); got != 1000 {
			t.Errorf("%s: got %d, want 1000", k, got)
		}
	}
}

// TestObjectTAXIIObjects checks DomainIndicator and FileIndicator as
// TestTAXIIObjects checks the address ones.
func TestObjectTAXIIObjects(t *testing.T) {
	v := newSTIXValidator(t)
	d, f := stixDomainReport(), stixFileReport()
	dOrange := stixDomainReport()
	dOrange.Zone = intel.ZoneOrange
	cases := []struct {
		name    string
		objects []Object
		bundle  []byte
	}{
		{"red domain", DomainIndicator(d, stixNow), appendDomainBundle(nil, d, stixNow, goldenBundleID)},
		{"orange domain", DomainIndicator(dOrange, stixNow), appendDomainBundle(nil, dOrange, stixNow, goldenBundleID)},
		{"red file", FileIndicator(f, stixNow), appendFileBundle(nil, f, stixNow, goldenBundleID)},
	}
	for _, tc := range cases {
		if len(tc.objects) != 3 {
			t.Errorf("%s: %d objects, want observable, indicator, relationship", tc.name, len(tc.objects))
			continue
		}
		var b bytes.Buffer
		b.WriteString(`{"type":"bundle","id":"` + goldenBundleID + `","objects":[`)
		b.Write(Identity().JSON)
		for _, o := range tc.objects {
			b.WriteByte(',')
			b.Write(o.JSON)
			var m map[string]any
			if err := json.Unmarshal(o.JSON, &m); err != nil {
				t.Fatalf("%s: %v", o.ID, err)
			}
			if m["id"] != o.ID || m["type"] != o.Type {
				t.Errorf("%s: object %s/%s says id %v type %v", tc.name, o.ID, o.Type, m["id"], m["type"])
			}
			mod, _ := m["modified"].(string)
			if (mod == "") != o.Version.IsZero() || (mod != "" && mod != o.Version.Format("2006-01-02T15:04:05.000Z")) {
				t.Errorf("%s: %s: version %v, modified %q", tc.name, o.ID, o.Version, mod)
			}
		}
		b.WriteString("]}")
		if err := v.validate(b.Bytes()); err != nil {
			t.Errorf("%s: objects fail the STIX 2.1 schemas: %v\n%s", tc.name, err, b.Bytes())
		}
		// The indicator and based-on are the lookup bundle's, byte for
		// byte; the observable has the bundle's id.
		for _, o := range tc.objects[1:] {
			if !bytes.Contains(tc.bundle, o.JSON) {
				t.Errorf("%s: %s differs from the bundle's:\n%s\n%s", tc.name, o.Type, o.JSON, tc.bundle)
			}
		}
		if objs := bundleObjects(t, tc.bundle); objs[1]["id"] != tc.objects[0].ID {
			t.Errorf("%s: observable %s, bundle's %v", tc.name, tc.objects[0].ID, objs[1]["id"])
		}
	}
	for _, z := range []intel.Zone{intel.ZoneGrey, intel.ZoneGreen, intel.ZoneYellow} {
		r := stixDomainReport()
		r.Zone = z
		if got := DomainIndicator(r, stixNow); got != nil {
			t.Errorf("%s domain: %d objects, want none", z, len(got))
		}
	}
	for _, z := range []intel.Zone{intel.ZoneOrange, intel.ZoneGrey, intel.ZoneGreen, intel.ZoneYellow} {
		r := stixFileReport()
		r.Zone = z
		if got := FileIndicator(r, stixNow); got != nil {
			t.Errorf("%s file: %d objects, want none", z, len(got))
		}
	}
}

// BenchmarkDomainSTIX renders a domain with 1,000 items in every list
// section; it reports the bundle size.
func BenchmarkDomainSTIX(b *testing.B) {
	r := stixBigDomain(1000)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		body, err := DomainSTIX(r, stixNow)
		if err != nil {
			b.Fatal(err)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size), "bytes/bundle")
}

// BenchmarkFileSTIX is BenchmarkDomainSTIX for a file.
func BenchmarkFileSTIX(b *testing.B) {
	r := stixBigFile(1000)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		body, err := FileSTIX(r, stixNow)
		if err != nil {
			b.Fatal(err)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size), "bytes/bundle")
}
