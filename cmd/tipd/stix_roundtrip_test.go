package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSTIXRoundTrip exports tipd's STIX bundles from one store and imports
// them into a fresh one with `tipd import -format stix`: what a user sees
// in the second store is compared with the first, value by value, for what
// survives the round trip (docs/stix.md, "Import of tipd's own bundles"),
// and the known losses are pinned. Importing the bundles again, on another
// day, changes nothing.
//
// The fixture is the end-to-end world (testdata/e2e/world.jsonl, see its
// README): documentation addresses are answered as Reserved, so the Red,
// Orange and IPv6 addresses with evidence are outside those ranges. The
// documentation address 192.0.2.1 is exported too: its bundle must import
// nothing.
func TestSTIXRoundTrip(t *testing.T) {
	dir := t.TempDir()
	storeA, storeB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustTipd(t, "import", "-store", storeA, "-format", "jsonl", "testdata/e2e/world.jsonl")

	requests := []struct{ name, req string }{
		{"red", "45.95.147.10"},
		{"orange", "45.95.147.20"},
		{"ipv6", "2a0e:97c0:3e0::10"},
		{"url", "http://45.95.147.10/bins/x86"},
		{"reserved", "192.0.2.1"},
	}
	var files []string
	for _, r := range requests {
		f := filepath.Join(dir, r.name+".json")
		if err := os.WriteFile(f, []byte(mustTipd(t, "lookup", "-store", storeA, "-format", "stix", r.req)), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	importAll := func(env map[string]string) []string {
		t.Helper()
		var sums []string
		for _, f := range files {
			var out, errb bytes.Buffer
			args := []string{"import", "-store", storeB, "-format", "stix", f}
			if code := run(context.Background(), args, testEnv(env), strings.NewReader(""), &out, &errb); code != 0 {
				t.Fatalf("tipd %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
			}
			sums = append(sums, out.String())
		}
		return sums
	}
	sums := importAll(nil)
	for i, s := range sums {
		if !strings.Contains(s, " 0 skipped") {
			t.Errorf("%s: %s", requests[i].name, s)
		}
	}
	for _, w := range []struct{ name, summary string }{
		{"red", "15 records read, 15 applied, 0 skipped"},
		{"reserved", "0 records read, 0 applied, 0 skipped"},
	} {
		for i, r := range requests {
			if r.name == w.name && !strings.Contains(sums[i], w.summary) {
				t.Errorf("%s: got %q, want %q", r.name, sums[i], w.summary)
			}
		}
	}

	lookup := func(store, req string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(mustTipd(t, "lookup", "-store", store, req)), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// same checks that a part of the answer is the same in both stores.
	same := func(a, b map[string]any, keys ...any) {
		t.Helper()
		ja, _ := json.Marshal(path(a, keys...))
		jb, _ := json.Marshal(path(b, keys...))
		if !bytes.Equal(ja, jb) {
			t.Errorf("%v: store B has %s, store A %s", keys, jb, ja)
		}
	}

	t.Run("red address with every section", func(t *testing.T) {
		a, b := lookup(storeA, "45.95.147.10"), lookup(storeB, "45.95.147.10")
		wantField(t, b, "Red", "Zone")
		wantField(t, b, true, "RelatedObjects", "HasRedZone")
		wantField(t, b, "Known", "IpGeneralInfo", "Status")
		wantField(t, b, "NL", "IpGeneralInfo", "CountryCode")
		wantField(t, b, 1000, "IpGeneralInfo", "HitsCount")
		wantField(t, b, 100, "IpGeneralInfo", "ThreatScore")
		wantField(t, b, true, "IpGeneralInfo", "HasApt")
		wantField(t, b, "rpt-2026-0117", "IpGeneralInfo", "RelatedAptReports", 0, "Id")
		wantField(t, b, "APT", "IpGeneralInfo", "RelatedAptReports", 0, "Type")
		wantField(t, b, "Example campaign", "IpGeneralInfo", "RelatedAptReports", 0, "Title")
		// The same categories with the same zones; their order follows the
		// scores, which depend on the feeds (see below).
		wantField(t, b, "[CATEGORY_BOTNET_CNC CATEGORY_MALWARE CATEGORY_PHISHING CATEGORY_SPAM]", "IpGeneralInfo", "Categories")
		wantField(t, a, "[CATEGORY_BOTNET_CNC CATEGORY_PHISHING CATEGORY_MALWARE CATEGORY_SPAM]", "IpGeneralInfo", "Categories")
		wantField(t, b, "Orange", "IpGeneralInfo", "CategoriesWithZone", 3, "Zone")

		wantField(t, b, "45.95.147.10/bins/x86", "HostedUrls", 0, "Url")
		wantField(t, b, 120, "HostedUrls", 0, "UrlHitsCount")
		wantField(t, b, "2026-11-20T08:15Z", "HostedUrls", 0, "FirstSeen")
		wantField(t, b, "2026-11-27T09:00Z", "HostedUrls", 0, "LastSeen")
		wantField(t, b, "c2.badcorp.example/gate.php?id=7", "HostedUrls", 1, "Url")
		wantField(t, b, true, "HostedUrls", 1, "IsUrlTruncated")
		wantField(t, b, "45.95.147.10/bins/arm7", "HostedUrls", 2, "Url")
		same(a, b, "HostedUrls")

		wantField(t, b, "0F343B0931126A20F133D67C2B018A3B", "FilesDownloadedFromIp", 0, "Md5")
		wantField(t, b, "HEUR:Backdoor.Linux.Mirai.b", "FilesDownloadedFromIp", 0, "DetectionName")
		wantField(t, b, 37, "FilesDownloadedFromIp", 0, "DownloadHitsCount")
		wantField(t, b, "http://45.95.147.10/bins/x86", "FilesDownloadedFromIp", 0, "Url")
		wantField(t, b, "9E107D9D372BB6826BD81D3542A419D6", "FilesDownloadedFromIp", 1, "Md5")
		wantField(t, b, "http://c2.badcorp.example/payload.bin", "FilesDownloadedFromIp", 1, "Url")
		same(a, b, "FilesDownloadedFromIp")

		wantField(t, b, "c2.badcorp.example", "IpDnsResolutions", 0, "Domain")
		// The domain's own lookup: its category listing is undated (half
		// recency), but it serves a Red web address: Orange.
		wantField(t, b, "Orange", "IpDnsResolutions", 0, "Zone")
		wantField(t, b, "[CATEGORY_BOTNET_CNC]", "IpDnsResolutions", 0, "Categories")
		wantField(t, b, 50, "IpDnsResolutions", 0, "HitsCount")
		wantField(t, b, 9, "IpDnsResolutions", 0, "DailyPeak")
		wantField(t, b, "2025-11-12", "IpDnsResolutions", 0, "PeakDate")
		wantField(t, b, "2025-11-01T12:26Z", "IpDnsResolutions", 0, "FirstSeen")
		wantField(t, b, "2026-11-26T23:33Z", "IpDnsResolutions", 0, "LastSeen")
		wantField(t, b, "www.shop.example", "IpDnsResolutions", 1, "Domain")
		wantField(t, b, "Grey", "IpDnsResolutions", 1, "Zone")
		same(a, b, "IpDnsResolutions")

		wantField(t, b, "45.95.147.10/bins/", "FeedMasks", 0, "NormalizedMask")
		wantField(t, b, "UrlPrefix", "FeedMasks", 0, "MaskType")
		wantField(t, b, "[Malicious URL Feed]", "FeedMasks", 0, "FeedNames")
		same(a, b, "FeedMasks")

		wantField(t, b, "inetnum", "IpWhoIs", "Type")
		wantField(t, b, "EXAMPLE-NET", "IpWhoIs", "Net", "Name")
		wantField(t, b, "45.95.147.0", "IpWhoIs", "Net", "RangeStart")
		wantField(t, b, "45.95.147.255", "IpWhoIs", "Net", "RangeEnd")
		wantField(t, b, "abuse@hosting.example", "IpWhoIs", "Contacts", 1, "Email")
		wantField(t, b, 64512, "IpWhoIs", "Asn", 0, "Number")
		same(a, b, "IpWhoIs", "Net")
		same(a, b, "IpWhoIs", "Contacts")

		// Losses, as documented: the AS descriptions come back as one
		// line; hits are one sighting on the day of the first sighting;
		// spam, phishing and industries are summaries without their events.
		wantField(t, b, "[EXAMPLE-HOSTING-AS Example Hosting B.V.]", "IpWhoIs", "Asn", 0, "Description")
		wantField(t, b, "2025-11-01T00:00:00Z", "IpGeneralInfo", "FirstSeen")
		wantField(t, a, "2025-11-01T12:26:00Z", "IpGeneralInfo", "FirstSeen")
		wantField(t, a, 2, "IPSpamInfo", "spam_attacks")
		wantField(t, b, 0, "IPSpamInfo", "spam_attacks")
		wantField(t, b, 0, "IPPhishingInfo", "phishing_attacks")
		wantField(t, b, "[]", "Industries")
	})

	t.Run("orange address", func(t *testing.T) {
		a, b := lookup(storeA, "45.95.147.20"), lookup(storeB, "45.95.147.20")
		wantField(t, b, "Orange", "Zone")
		wantField(t, b, "[CATEGORY_SCANNER]", "IpGeneralInfo", "Categories")
		wantField(t, b, "Orange", "IpGeneralInfo", "CategoriesWithZone", 0, "Zone")
		wantField(t, b, "2026-11-20T00:00:00Z", "IpGeneralInfo", "FirstSeen")
		wantField(t, b, "NL", "IpGeneralInfo", "CountryCode")
		wantField(t, b, 64512, "IpWhoIs", "Asn", 0, "Number")
		wantField(t, b, "EXAMPLE-NET", "IpWhoIs", "Net", "Name")
		same(a, b, "IpGeneralInfo", "CategoriesWithZone")
		// The listing is dated up to the indicator's modified. When that is
		// the listing's last sighting (2026-11-27), the score is the same;
		// when the bundle dates the indicator at the first sighting only,
		// the listing ages from there and scores a little lower.
		wantField(t, a, 64, "IpGeneralInfo", "ThreatScore")
		if indicatorModified(t, files[1]) >= "2026-11-27" {
			same(a, b, "IpGeneralInfo", "ThreatScore")
		} else {
			wantField(t, b, 61, "IpGeneralInfo", "ThreatScore")
		}
	})

	t.Run("IPv6 address", func(t *testing.T) {
		a, b := lookup(storeA, "2a0e:97c0:3e0::10"), lookup(storeB, "2a0e:97c0:3e0::10")
		wantField(t, b, "Red", "Zone")
		wantField(t, b, "2a0e:97c0:3e0::10", "IpGeneralInfo", "Ip")
		wantField(t, b, "[CATEGORY_PHISHING]", "IpGeneralInfo", "Categories")
		wantField(t, b, "DE", "IpGeneralInfo", "CountryCode")
		wantField(t, b, 100, "IpGeneralInfo", "HitsCount")
		wantField(t, b, "AS4200000001", "IpWhoIs", "Asn", 0, "Origin")
		wantField(t, b, "[2a0e:97c0:3e0::10]/login/", "HostedUrls", 0, "Url")
		wantField(t, b, 9, "HostedUrls", 0, "UrlHitsCount")
		same(a, b, "HostedUrls")
		same(a, b, "IpGeneralInfo", "FirstSeen")
		// Two phishing feeds in A, one listing of the import's feed in B:
		// the verdict holds; both reach 100, B with its live phishing page
		// on an address of its own (dedicated hosting: 50 points).
		wantField(t, a, 100, "IpGeneralInfo", "ThreatScore")
		wantField(t, b, 100, "IpGeneralInfo", "ThreatScore")
	})

	t.Run("web address", func(t *testing.T) {
		// Exported as a web-address bundle: the whole answer survives but
		// for the industries of its host's reports (as for addresses, the
		// bundle's report objects carry no industries).
		req := "http://45.95.147.10/bins/x86"
		a, b := lookup(storeA, req), lookup(storeB, req)
		wantField(t, a, "[Government Telecommunications]", "Industries")
		wantField(t, b, "[]", "Industries")
		delete(a, "Industries")
		delete(b, "Industries")
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("%s: store B answers\n%s\nstore A\n%s", req, jb, ja)
		}
		wantField(t, b, "Red", "Zone")
		wantField(t, b, true, "RelatedObjects", "HasRedZone")
		wantField(t, b, "[CATEGORY_MALWARE]", "UrlGeneralInfo", "Categories")
		wantField(t, b, 1, "UrlGeneralInfo", "Ipv4Count")
		wantField(t, b, "0F343B0931126A20F133D67C2B018A3B", "FilesDownloaded", 0, "Md5")
		wantField(t, b, "45.95.147.10/bins/", "FeedMasks", 0, "NormalizedMask")

		// Only hosted by the red address: its zone survives, its
		// categories are not in the address's bundle.
		req = "http://c2.badcorp.example/gate.php?id=7"
		a, b = lookup(storeA, req), lookup(storeB, req)
		wantField(t, b, "Red", "Zone")
		wantField(t, b, 1, "UrlGeneralInfo", "Ipv4Count")
		wantField(t, a, "[CATEGORY_BOTNET_CNC]", "UrlGeneralInfo", "Categories")
		wantField(t, b, "[]", "UrlGeneralInfo", "Categories")
	})

	t.Run("idempotent", func(t *testing.T) {
		snapshot := func() string {
			var s strings.Builder
			for _, r := range requests {
				s.WriteString(mustTipd(t, "lookup", "-store", storeB, r.req))
			}
			s.WriteString(mustTipd(t, "lookup", "-store", storeB, "http://c2.badcorp.example/gate.php?id=7"))
			return s.String()
		}
		before := snapshot()
		importAll(map[string]string{"TIPD_NOW": "2026-11-30T08:00:00Z"})
		if after := snapshot(); after != before {
			t.Errorf("a second import changed the answers:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// indicatorModified returns the modified date of the indicator of a bundle
// file.
func indicatorModified(t *testing.T, file string) string {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Objects []struct{ Type, Modified string }
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	for _, o := range b.Objects {
		if o.Type == "indicator" {
			return o.Modified
		}
	}
	t.Fatalf("%s: no indicator", file)
	return ""
}
