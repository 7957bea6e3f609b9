package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Passive DNS and listings some formats' fixtures need, as in each
// importer package's own end-to-end test.
const (
	abusechDNS = `{"kind":"resolution","domain":"dl.badcorp.example","ip":"77.88.1.30","first_seen":"2026-07-01","last_seen":"2026-11-27"}
{"kind":"resolution","domain":"gate.badcorp.example","ip":"77.88.1.31","first_seen":"2026-11-01","last_seen":"2026-11-27"}
{"kind":"resolution","domain":"c2.badcorp.example","ip":"77.88.1.32","first_seen":"2026-11-01","last_seen":"2026-11-27"}
`
	listsDNS = `{"kind":"resolution","domain":"login.secure-bank.test","ip":"91.215.85.40","first_seen":"2026-11-01","last_seen":"2026-11-27"}
{"kind":"resolution","domain":"login.secure-bank.test","ip":"2a0e:9b40::40","first_seen":"2026-11-01","last_seen":"2026-11-27"}
`
	scannerListings = `{"kind":"listing","ip":"45.95.148.10","category":"CATEGORY_SCANNER","feed":"Example Scanner Feed","last_seen":"2026-11-27"}
{"kind":"listing","ip":"45.95.151.10","category":"CATEGORY_SCANNER","feed":"Example Scanner Feed","last_seen":"2026-11-27"}
`
)

// formatImport is one `tipd import` of a format case. Either file names a
// fixture under internal/importer, or inline is written to a temporary
// jsonl file first.
type formatImport struct {
	format string
	flags  []string
	file   string
	inline string
	// summary, when set, is what the summary line must contain.
	summary string
}

// lookupFunc runs `tipd lookup` on the case's store and decodes the answer.
type lookupFunc func(t *testing.T, request string) map[string]any

// TestImportEveryFormatThroughTheCLI imports each format's fixtures through
// `tipd import` into a fresh store, checks what `tipd lookup` shows field by
// field (the values each importer package's end-to-end test asserts), then
// imports the format's fixtures again and checks the lookups are unchanged
// byte for byte.
func TestImportEveryFormatThroughTheCLI(t *testing.T) {
	fixture := func(pkg, name string) string {
		return filepath.Join("..", "..", "internal", "importer", pkg, "testdata", name)
	}
	jsonlWorld := func(s string) formatImport { return formatImport{format: "jsonl", inline: s} }

	for _, c := range []struct {
		name string
		// world is imported once, before the format's own imports.
		world   []formatImport
		imports []formatImport
		// requests are looked up before and after the second import.
		requests []string
		check    func(t *testing.T, lookup lookupFunc)
	}{
		{
			name:     "urlhaus",
			world:    []formatImport{jsonlWorld(abusechDNS)},
			imports:  []formatImport{{format: "urlhaus", file: fixture("abusech", "urlhaus.csv"), summary: "5 records read, 5 applied, 0 skipped"}},
			requests: []string{"45.95.147.10", "77.88.1.20", "2a0e:97c0::10", "77.88.1.30", "http://45.95.147.10/bins/x86"},
			check: func(t *testing.T, lookup lookupFunc) {
				m := lookup(t, "45.95.147.10")
				wantField(t, m, "Red", "Zone")
				wantField(t, m, "[CATEGORY_MALWARE]", "IpGeneralInfo", "Categories")
				wantField(t, m, true, "RelatedObjects", "HasRedZone")
				wantLen(t, m, 2, "HostedUrls")
				wantField(t, m, "45.95.147.10/bins/x86", "HostedUrls", 1, "Url")
				wantField(t, m, false, "HostedUrls", 1, "IsUrlTruncated")
				wantField(t, m, "2026-11-20T08:15Z", "HostedUrls", 1, "FirstSeen")
				wantField(t, m, "Red", "HostedUrls", 1, "Zone")
				wantLen(t, m, 2, "FeedMasks")
				wantField(t, m, "45.95.147.10/bins/", "FeedMasks", 0, "NormalizedMask")
				wantField(t, m, "UrlPrefix", "FeedMasks", 0, "MaskType")
				wantField(t, m, "Url", "FeedMasks", 1, "MaskType")
				wantField(t, m, "[Malicious URL Feed]", "FeedMasks", 1, "FeedNames")
				wantField(t, m, "Red", "FeedMasks", 1, "Zone")

				m = lookup(t, "77.88.1.20")
				wantField(t, m, "Red", "Zone")
				wantField(t, m, "[CATEGORY_MALWARE CATEGORY_MINER]", "IpGeneralInfo", "Categories")
				wantLen(t, m, 1, "HostedUrls")
				wantField(t, m, "77.88.1.20:8080/a/payload.sh?x=1", "HostedUrls", 0, "Url")
				wantField(t, m, true, "HostedUrls", 0, "IsUrlTruncated")
				wantLen(t, m, 0, "FeedMasks")

				// The offline URL on a domain, attached through passive DNS.
				m = lookup(t, "77.88.1.30")
				wantField(t, m, "Grey", "Zone")
				wantLen(t, m, 1, "HostedUrls")
				wantField(t, m, "dl.badcorp.example/invoice.exe", "HostedUrls", 0, "Url")
				wantField(t, m, "Orange", "HostedUrls", 0, "Zone")
				wantLen(t, m, 0, "FeedMasks")

				m = lookup(t, "http://45.95.147.10/bins/x86")
				wantField(t, m, "Red", "Zone")
				wantField(t, m, "45.95.147.10/bins/x86", "UrlGeneralInfo", "Url")
				wantField(t, m, "[CATEGORY_MALWARE]", "UrlGeneralInfo", "Categories")
				wantField(t, m, "Url", "FeedMasks", 1, "MaskType")
			},
		},
		{
			name:     "threatfox csv",
			world:    []formatImport{jsonlWorld(abusechDNS)},
			imports:  []formatImport{{format: "threatfox", file: fixture("abusech", "threatfox.csv"), summary: " 0 skipped"}},
			requests: []string{"45.95.147.12", "45.95.147.13", "77.88.1.31", "77.88.1.32"},
			check:    checkThreatFox,
		},
		{
			name:     "threatfox json",
			world:    []formatImport{jsonlWorld(abusechDNS)},
			imports:  []formatImport{{format: "threatfox", file: fixture("abusech", "threatfox.json"), summary: " 0 skipped"}},
			requests: []string{"45.95.147.12", "45.95.147.13", "77.88.1.31", "77.88.1.32"},
			check:    checkThreatFox,
		},
		{
			name:     "feodo",
			imports:  []formatImport{{format: "feodo", file: fixture("abusech", "feodo.csv"), summary: " 0 skipped"}},
			requests: []string{"45.95.147.20", "77.88.1.21", "77.88.1.22", "2a0e:97c0::21"},
			check:    checkFeodo,
		},
		{
			name:     "feodo old",
			imports:  []formatImport{{format: "feodo", file: fixture("abusech", "feodo_old.csv"), summary: " 0 skipped"}},
			requests: []string{"45.95.147.20", "77.88.1.21", "77.88.1.22", "2a0e:97c0::21"},
			check:    checkFeodo,
		},
		{
			name:     "drop text",
			imports:  []formatImport{{format: "drop", file: fixture("lists", "drop.txt"), summary: " 0 skipped"}},
			requests: []string{"46.36.201.7", "77.90.130.1", "185.99.16.200", "2a0e:9b00:1::1", "46.36.204.1"},
			check:    checkDROP,
		},
		{
			name:     "drop json",
			imports:  []formatImport{{format: "drop", file: fixture("lists", "drop.json"), summary: " 0 skipped"}},
			requests: []string{"46.36.201.7", "77.90.130.1", "185.99.16.200", "2a0e:9b00:1::1", "46.36.204.1"},
			check:    checkDROP,
		},
		{
			name: "ipset",
			imports: []formatImport{{format: "ipset", flags: []string{"-feed", "Example Level 1", "-category", "CATEGORY_BAD_REPUTATION"},
				file: fixture("lists", "firehol.netset"), summary: "5 records read, 5 applied, 0 skipped"}},
			requests: []string{"10.1.2.3", "46.36.202.9", "77.90.140.7", "85.209.11.0", "2a0e:9b40:5::5"},
			check: func(t *testing.T, lookup lookupFunc) {
				// Private space is kept but never shown: the address is Reserved.
				m := lookup(t, "10.1.2.3")
				wantField(t, m, "Grey", "Zone")
				wantField(t, m, "Reserved", "IpGeneralInfo", "Status")
				wantField(t, m, "[]", "IpGeneralInfo", "Categories")
				// A reserved answer has no FeedMasks section at all.
				wantField(t, m, `<missing "FeedMasks">`, "FeedMasks")

				m = lookup(t, "46.36.202.9")
				wantField(t, m, "Orange", "Zone")
				wantField(t, m, "[CATEGORY_BAD_REPUTATION]", "IpGeneralInfo", "Categories")
				wantLen(t, m, 1, "FeedMasks")
				wantField(t, m, "46.36.200.0/22", "FeedMasks", 0, "NormalizedMask")
				wantField(t, m, "[Example Level 1]", "FeedMasks", 0, "FeedNames")

				m = lookup(t, "77.90.140.7")
				wantField(t, m, "Orange", "Zone")
				wantField(t, m, "[CATEGORY_BAD_REPUTATION]", "IpGeneralInfo", "Categories")
				wantLen(t, m, 0, "FeedMasks")
			},
		},
		{
			name:     "openphish",
			world:    []formatImport{jsonlWorld(listsDNS)},
			imports:  []formatImport{{format: "openphish", file: fixture("lists", "openphish.txt"), summary: "4 records read, 4 applied, 0 skipped"}},
			requests: []string{"91.215.85.10", "91.215.85.11", "91.215.85.40", "2a0e:9b40::22", "http://91.215.85.10/paypal.example/signin/"},
			check: func(t *testing.T, lookup lookupFunc) {
				m := lookup(t, "91.215.85.10")
				wantField(t, m, "Orange", "Zone")
				wantField(t, m, "[CATEGORY_PHISHING]", "IpGeneralInfo", "Categories")
				wantField(t, m, true, "RelatedObjects", "HasRedZone")
				wantLen(t, m, 1, "HostedUrls")
				wantField(t, m, "Red", "HostedUrls", 0, "Zone")
				wantField(t, m, "91.215.85.10/paypal.example/signin/", "HostedUrls", 0, "Url")
				wantField(t, m, false, "HostedUrls", 0, "IsUrlTruncated")
				// Undated: the minute of the import.
				wantField(t, m, "2026-11-28T12:00Z", "HostedUrls", 0, "FirstSeen")
				wantLen(t, m, 1, "FeedMasks")
				wantField(t, m, "UrlPrefix", "FeedMasks", 0, "MaskType")
				wantField(t, m, "[Phishing URL Feed]", "FeedMasks", 0, "FeedNames")

				m = lookup(t, "91.215.85.11")
				wantLen(t, m, 1, "HostedUrls")
				wantField(t, m, true, "HostedUrls", 0, "IsUrlTruncated")
				wantField(t, m, "91.215.85.11/~user/webmail/index.html", "HostedUrls", 0, "Url")
				wantLen(t, m, 0, "FeedMasks")

				// A domain's web address lands on every address it resolved to.
				for _, ip := range []string{"91.215.85.40", "2a0e:9b40::40"} {
					m = lookup(t, ip)
					wantLen(t, m, 1, "HostedUrls")
					wantField(t, m, "login.secure-bank.test/verify/account.php", "HostedUrls", 0, "Url")
					wantLen(t, m, 1, "FeedMasks")
					wantField(t, m, true, "RelatedObjects", "HasRedZone")
				}

				m = lookup(t, "http://91.215.85.10/paypal.example/signin/")
				wantField(t, m, "Red", "Zone")
				wantField(t, m, "[CATEGORY_PHISHING]", "UrlGeneralInfo", "Categories")
				wantField(t, m, "UrlPrefix", "FeedMasks", 0, "MaskType")
			},
		},
		{
			name:     "phishtank",
			world:    []formatImport{jsonlWorld(listsDNS)},
			imports:  []formatImport{{format: "phishtank", file: fixture("lists", "phishtank.csv"), summary: "3 records read, 3 applied, 0 skipped"}},
			requests: []string{"91.215.85.10", "91.215.85.13", "91.215.85.40", "2a0e:9b40::40", "91.215.85.14", "http://91.215.85.13/a,b/login.html"},
			check: func(t *testing.T, lookup lookupFunc) {
				m := lookup(t, "91.215.85.10")
				wantField(t, m, "Red", "Zone")
				if cats := path(m, "IpGeneralInfo", "Categories"); !strings.Contains(str(cats), "CATEGORY_PHISHING") {
					t.Errorf("91.215.85.10: got categories %v, want CATEGORY_PHISHING among them", cats)
				}
				wantLen(t, m, 1, "HostedUrls")
				wantField(t, m, "2026-11-25T10:00Z", "HostedUrls", 0, "FirstSeen")
				wantField(t, m, 1, "IPPhishingInfo", "phishing_attacks")
				wantField(t, m, "2026-11-25T10:00:00Z", "IPPhishingInfo", "last_attack_date")
				wantField(t, m, "[Example Bank]", "IPPhishingInfo", "attacked_organization")

				// Offline: the web address is kept Orange, without a mask.
				m = lookup(t, "91.215.85.13")
				wantLen(t, m, 1, "HostedUrls")
				wantField(t, m, "Orange", "HostedUrls", 0, "Zone")
				wantField(t, m, "91.215.85.13/a,b/login.html", "HostedUrls", 0, "Url")
				wantLen(t, m, 0, "FeedMasks")
				wantField(t, m, "[Example Mail, Inc.]", "IPPhishingInfo", "attacked_organization")

				// On a domain: the event reaches every address it resolved to.
				for _, ip := range []string{"91.215.85.40", "2a0e:9b40::40"} {
					m = lookup(t, ip)
					wantField(t, m, 1, "IPPhishingInfo", "phishing_attacks")
					wantLen(t, m, 0, "IPPhishingInfo", "attacked_organization")
					wantLen(t, m, 1, "HostedUrls")
				}

				// Not verified: nothing.
				m = lookup(t, "91.215.85.14")
				wantField(t, m, "Grey", "Zone")
				wantLen(t, m, 0, "HostedUrls")
			},
		},
		{
			name:     "pdns",
			imports:  []formatImport{{format: "pdns", flags: []string{"-feed", "Example pDNS"}, file: fixture("pdns", "cof.jsonl"), summary: "5 records read, 5 applied, 0 skipped"}},
			requests: []string{"45.95.147.10", "45.95.147.11", "45.95.147.12", "45.95.147.13", "45.95.147.14", "2a0e:97c0:3e4::25"},
			check: func(t *testing.T, lookup lookupFunc) {
				m := lookup(t, "45.95.147.10")
				wantLen(t, m, 1, "IpDnsResolutions")
				wantField(t, m, "c2.badcorp.example", "IpDnsResolutions", 0, "Domain")
				wantField(t, m, "2025-11-28T00:00Z", "IpDnsResolutions", 0, "FirstSeen")
				wantField(t, m, "2025-11-28T12:00Z", "IpDnsResolutions", 0, "LastSeen")
				wantField(t, m, 12, "IpDnsResolutions", 0, "HitsCount")
				wantField(t, m, 12, "IpDnsResolutions", 0, "DailyPeak")
				wantField(t, m, "2025-11-28", "IpDnsResolutions", 0, "PeakDate")

				// A list rdata: each address gets the record; 100 hits over 30 days.
				m = lookup(t, "45.95.147.12")
				wantLen(t, m, 1, "IpDnsResolutions")
				wantField(t, m, "www.shop.example", "IpDnsResolutions", 0, "Domain")
				wantField(t, m, 4, "IpDnsResolutions", 0, "DailyPeak")
				wantField(t, m, "2025-11-30", "IpDnsResolutions", 0, "PeakDate")

				// The A record with a mapped address and count 0 joins the other.
				m = lookup(t, "45.95.147.14")
				wantLen(t, m, 1, "IpDnsResolutions")
				wantField(t, m, 0, "IpDnsResolutions", 0, "HitsCount")
				wantField(t, m, 0, "IpDnsResolutions", 0, "DailyPeak")

				m = lookup(t, "2a0e:97c0:3e4::25")
				wantLen(t, m, 1, "IpDnsResolutions")
				wantField(t, m, "mail.shop.example", "IpDnsResolutions", 0, "Domain")
			},
		},
		{
			name: "delegated and iptoasn",
			imports: []formatImport{
				{format: "delegated", flags: []string{"-feed", "RIPE NCC delegated"}, file: fixture("rir", "delegated-extended.txt.gz"), summary: "4 records read, 4 applied, 0 skipped"},
				{format: "iptoasn", file: fixture("rir", "ip2asn-combined.tsv"), summary: " 0 skipped"},
			},
			requests: []string{"45.95.145.1", "45.95.147.10", "45.95.150.5", "2a0e:97c1::1"},
			check: func(t *testing.T, lookup lookupFunc) {
				for _, c := range []struct {
					ip, country string
					asn         uint32
					desc        string
				}{
					// Inside the delegated /23 (NL) and the ip2asn range of AS64512 (NL).
					{"45.95.145.1", "NL", 64512, "EXAMPLE-HOSTING-AS Example Hosting B.V."},
					// The assigned /24 (DE) and AS64513's /25 are the more specific.
					{"45.95.147.10", "DE", 64513, "EXAMPLE-CLOUD-AS"},
					{"45.95.147.200", "DE", 64512, "EXAMPLE-HOSTING-AS Example Hosting B.V."},
					// A non-CIDR ip2asn range, split; its country comes from ip2asn.
					{"45.95.150.5", "FR", 4200000001, "EXAMPLE-TRANSIT"},
					// Country None: the AS is known, the country is the delegation's.
					{"46.36.200.77", "FR", 64514, "EXAMPLE-ANYCAST"},
					// Not routed and not delegated: nothing.
					{"45.95.148.5", "", 0, ""},
					{"2a0e:97c1::1", "NL", 64512, "EXAMPLE-HOSTING-AS Example Hosting B.V."},
					{"2a0e:97d0::1", "SE", 64515, "EXAMPLE-NORTH"},
				} {
					m := lookup(t, c.ip)
					status := "Known"
					var country any = c.country
					if c.country == "" {
						status, country = "NoInfo", nil
					}
					wantField(t, m, country, "IpGeneralInfo", "CountryCode")
					wantField(t, m, status, "IpGeneralInfo", "Status")
					wantField(t, m, status, "IpWhoIs", "Status")
					if c.asn == 0 {
						wantLen(t, m, 0, "IpWhoIs", "Asn")
						continue
					}
					wantLen(t, m, 1, "IpWhoIs", "Asn")
					wantField(t, m, float64(c.asn), "IpWhoIs", "Asn", 0, "Number")
					if got := strings.Join(strs(path(m, "IpWhoIs", "Asn", 0, "Description")), " "); got != c.desc {
						t.Errorf("%s: got AS description %q, want %q", c.ip, got, c.desc)
					}
				}
			},
		},
		{
			name:     "warninglist",
			world:    []formatImport{jsonlWorld(scannerListings)},
			imports:  []formatImport{{format: "warninglist", file: fixture("warninglist", "cidr.json.gz"), summary: "5 records read, 5 applied, 0 skipped"}},
			requests: []string{"45.95.148.10", "46.36.200.9", "2a0e:97c0:3e4:1::1"},
			check: func(t *testing.T, lookup lookupFunc) {
				// The listed address is Green: the listing is suppressed.
				wantField(t, lookup(t, "45.95.148.10"), "Green", "Zone")
				// Outside the list the listing counts.
				if z := path(lookup(t, "45.95.151.10"), "Zone"); z == "Green" {
					t.Errorf("45.95.151.10: got Green, want the listing's zone")
				}
				// The split range and the IPv6 network.
				for _, ip := range []string{"46.36.200.9", "2a0e:97c0:3e4:1::1", "45.95.149.53"} {
					wantField(t, lookup(t, ip), "Green", "Zone")
				}
				if z := path(lookup(t, "46.36.200.10"), "Zone"); z == "Green" {
					t.Errorf("46.36.200.10: got Green, want outside the list")
				}
			},
		},
		{
			name:     "stix",
			world:    []formatImport{{format: "jsonl", file: fixture("stix", "world.jsonl")}},
			imports:  []formatImport{{format: "stix", file: fixture("stix", "bundle.json"), summary: " 0 skipped"}},
			requests: []string{"45.95.147.10", "91.92.109.43", "185.220.100.77", "91.92.109.50", "2a03:b0c0:3:d0::1"},
			check: func(t *testing.T, lookup lookupFunc) {
				m := lookup(t, "45.95.147.10")
				wantField(t, m, true, "IpGeneralInfo", "HasApt")
				wantSTIXReport(t, m)
				wantField(t, m, 100, "IpGeneralInfo", "HitsCount")
				wantField(t, m, "[CATEGORY_APT]", "IpGeneralInfo", "Categories")
				wantField(t, m, "Red", "Zone")

				m = lookup(t, "91.92.109.43")
				wantLen(t, m, 1, "HostedUrls")
				wantField(t, m, "91.92.109.43/bins/x86", "HostedUrls", 0, "Url")
				wantField(t, m, "Red", "HostedUrls", 0, "Zone")
				wantField(t, m, true, "RelatedObjects", "HasRedZone")

				m = lookup(t, "185.220.100.77")
				wantField(t, m, "[CATEGORY_MALWARE]", "IpGeneralInfo", "Categories")
				wantSTIXReport(t, m)

				// c2.badcorp.example resolves to it.
				m = lookup(t, "91.92.109.50")
				wantSTIXReport(t, m)
				wantLen(t, m, 1, "IpDnsResolutions")
				wantField(t, m, "Red", "IpDnsResolutions", 0, "Zone")

				wantField(t, lookup(t, "2a03:b0c0:3:d0::1"), "[CATEGORY_COMPROMISED]", "IpGeneralInfo", "Categories")

				m = lookup(t, "192.0.2.7")
				wantField(t, m, "Reserved", "IpGeneralInfo", "Status")
				wantField(t, m, "Grey", "Zone")

				// Only in an OR pattern: nothing guessed.
				m = lookup(t, "45.95.147.20")
				wantField(t, m, "[]", "IpGeneralInfo", "Categories")
				wantField(t, m, "Grey", "Zone")
			},
		},
		{
			name:     "reports",
			world:    []formatImport{{format: "jsonl", file: fixture("reports", "world.jsonl")}},
			imports:  []formatImport{{format: "reports", file: fixture("reports", "reports.jsonl"), summary: "3 records read, 3 applied, 0 skipped"}},
			requests: []string{"45.95.147.10", "45.95.147.11", "91.92.109.50", "91.92.109.51", "185.220.100.77", "2a03:b0c0:3:d0::1a2b:1"},
			check: func(t *testing.T, lookup lookupFunc) {
				for _, c := range []struct {
					ip, why string
					linked  bool
					hosted  string
					apt     bool
				}{
					{"45.95.147.10", "named in ips, URL on it", true, "[45.95.147.10/bins/x86]", true},
					{"91.92.109.43", "named as IPv4-mapped", true, "", true},
					{"45.95.147.11", "a /32 in cidrs", true, "", true},
					{"91.92.109.50", "its domain is named (passive DNS)", true, "", true},
					{"91.92.109.51", "a URL on its domain is named", false, "[cdn.badcorp.example/a.js]", false},
					{"185.220.100.77", "inside a named /24", false, "", true},
				} {
					m := lookup(t, c.ip)
					wantField(t, m, c.apt, "IpGeneralInfo", "HasApt")
					if c.linked {
						wantLen(t, m, 1, "IpGeneralInfo", "RelatedAptReports")
						wantField(t, m, "rpt-2026-0117", "IpGeneralInfo", "RelatedAptReports", 0, "Id")
						wantField(t, m, "APT", "IpGeneralInfo", "RelatedAptReports", 0, "Type")
						wantField(t, m, "Example campaign against telecoms", "IpGeneralInfo", "RelatedAptReports", 0, "Title")
						wantField(t, m, "[Government Telecommunications]", "Industries")
					} else {
						wantLen(t, m, 0, "IpGeneralInfo", "RelatedAptReports")
					}
					if c.hosted != "" {
						var urls []string
						for i := range len(asSlice(path(m, "HostedUrls"))) {
							urls = append(urls, str(path(m, "HostedUrls", i, "Url")))
							wantField(t, m, "Red", "HostedUrls", i, "Zone")
						}
						if got := "[" + strings.Join(urls, " ") + "]"; got != c.hosted {
							t.Errorf("%s (%s): got HostedUrls %s, want %s", c.ip, c.why, got, c.hosted)
						}
						wantField(t, m, true, "RelatedObjects", "HasRedZone")
					} else {
						wantLen(t, m, 0, "HostedUrls")
					}
					if c.ip == "185.220.100.77" && !strings.Contains(str(path(m, "IpGeneralInfo", "Categories")), "CATEGORY_APT") {
						t.Errorf("%s (%s): got categories %v, want CATEGORY_APT", c.ip, c.why, path(m, "IpGeneralInfo", "Categories"))
					}
				}
				// The crimeware report names the address; the ICS report
				// names its /48, which puts it in CATEGORY_APT.
				m := lookup(t, "2a03:b0c0:3:d0::1a2b:1")
				wantField(t, m, true, "IpGeneralInfo", "HasApt")
				wantLen(t, m, 1, "IpGeneralInfo", "RelatedAptReports")
				wantField(t, m, "rpt-2026-0200", "IpGeneralInfo", "RelatedAptReports", 0, "Id")
				wantField(t, m, "[Finance]", "Industries")
				wantField(t, m, "[CATEGORY_APT]", "IpGeneralInfo", "Categories")

				// A documentation address named in a report is answered as Reserved.
				m = lookup(t, "192.0.2.7")
				wantField(t, m, "Reserved", "IpGeneralInfo", "Status")
				wantField(t, m, "Grey", "Zone")
				wantField(t, m, false, "IpGeneralInfo", "HasApt")
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			st := filepath.Join(dir, "store")
			run := func(t *testing.T, imps []formatImport) {
				t.Helper()
				for i, imp := range imps {
					file := imp.file
					if file == "" {
						file = filepath.Join(dir, "world"+string(rune('0'+i))+".jsonl")
						if err := os.WriteFile(file, []byte(imp.inline), 0o644); err != nil {
							t.Fatal(err)
						}
					}
					args := append([]string{"import", "-q", "-store", st, "-format", imp.format}, imp.flags...)
					out := mustTipd(t, append(args, file)...)
					if imp.summary != "" && !strings.Contains(out, imp.summary) {
						t.Errorf("import %s: got summary %q, want it to contain %q", file, out, imp.summary)
					}
				}
			}
			raw := func(t *testing.T, request string) string {
				t.Helper()
				return mustTipd(t, "lookup", "-store", st, request)
			}
			lookup := func(t *testing.T, request string) map[string]any {
				t.Helper()
				out := raw(t, request)
				var m map[string]any
				if err := json.Unmarshal([]byte(out), &m); err != nil {
					t.Fatalf("lookup %s: %v: %s", request, err, out)
				}
				return m
			}

			run(t, c.world)
			run(t, c.imports)
			c.check(t, lookup)

			before := make([]string, len(c.requests))
			for i, r := range c.requests {
				before[i] = raw(t, r)
			}
			run(t, c.imports)
			for i, r := range c.requests {
				if after := raw(t, r); after != before[i] {
					t.Errorf("%s: re-import changed the lookup:\nbefore %s\nafter  %s", r, before[i], after)
				}
			}
		})
	}
}

func checkThreatFox(t *testing.T, lookup lookupFunc) {
	// One feed alone scores as not trusted; the category keeps its Red zone.
	m := lookup(t, "45.95.147.12")
	wantField(t, m, "Orange", "Zone")
	wantField(t, m, "[CATEGORY_BOTNET_CNC]", "IpGeneralInfo", "Categories")

	m = lookup(t, "45.95.147.13")
	wantField(t, m, "Red", "Zone")
	if cats := path(m, "IpGeneralInfo", "Categories"); !strings.Contains(str(cats), "CATEGORY_MALWARE") {
		t.Errorf("45.95.147.13: got categories %v, want CATEGORY_MALWARE among them", cats)
	}
	wantLen(t, m, 1, "HostedUrls")
	wantField(t, m, "45.95.147.13/dl/stage2.bin", "HostedUrls", 0, "Url")
	wantField(t, m, "2026-11-22T10:00Z", "HostedUrls", 0, "FirstSeen")

	// The C&C domain is Red: an address it resolved to has a Red related object.
	wantField(t, lookup(t, "77.88.1.32"), true, "RelatedObjects", "HasRedZone")
}

func checkFeodo(t *testing.T, lookup lookupFunc) {
	m := lookup(t, "45.95.147.20")
	wantField(t, m, "Orange", "Zone")
	wantField(t, m, "[CATEGORY_BOTNET_CNC]", "IpGeneralInfo", "Categories")
	if s, ok := path(m, "IpGeneralInfo", "ThreatScore").(float64); !ok || s < 50 {
		t.Errorf("45.95.147.20: got ThreatScore %v, want at least 50", path(m, "IpGeneralInfo", "ThreatScore"))
	}
	wantLen(t, m, 0, "HostedUrls")
	wantLen(t, m, 0, "FeedMasks")
}

func checkDROP(t *testing.T, lookup lookupFunc) {
	for _, ip := range []string{"46.36.201.7", "2a0e:9b00:1::1"} {
		m := lookup(t, ip)
		wantField(t, m, "Orange", "Zone")
		wantField(t, m, "[CATEGORY_BAD_REPUTATION]", "IpGeneralInfo", "Categories")
		wantLen(t, m, 1, "FeedMasks")
		wantField(t, m, "Network", "FeedMasks", 0, "MaskType")
		wantField(t, m, "[Spamhaus DROP]", "FeedMasks", 0, "FeedNames")
	}
	m := lookup(t, "46.36.201.7")
	wantField(t, m, "46.36.200.0/22", "FeedMasks", 0, "NormalizedMask")
	wantField(t, m, "Orange", "FeedMasks", 0, "Zone")

	// Outside every network.
	m = lookup(t, "46.36.204.1")
	wantField(t, m, "Grey", "Zone")
	wantLen(t, m, 0, "FeedMasks")
}

// wantSTIXReport checks the one report the STIX bundle links to an address.
func wantSTIXReport(t *testing.T, m map[string]any) {
	t.Helper()
	wantLen(t, m, 1, "IpGeneralInfo", "RelatedAptReports")
	wantField(t, m, "report--7c3b0000-0000-4000-8000-000000000001", "IpGeneralInfo", "RelatedAptReports", 0, "Id")
	wantField(t, m, "APT", "IpGeneralInfo", "RelatedAptReports", 0, "Type")
	wantField(t, m, "Example intrusion set targets telecoms", "IpGeneralInfo", "RelatedAptReports", 0, "Title")
}

// wantLen checks the length of a decoded JSON array.
func wantLen(t *testing.T, m map[string]any, want int, keys ...any) {
	t.Helper()
	v := path(m, keys...)
	l, ok := v.([]any)
	if !ok || len(l) != want {
		t.Errorf("%v: got %v, want %d items", keys, v, want)
	}
}

func asSlice(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func strs(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		out = append(out, str(x))
	}
	return out
}
