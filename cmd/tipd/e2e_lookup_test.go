package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestEndToEnd runs the real command line: imports a fixture into a Pebble
// store on disk, creates users and tokens, serves on 127.0.0.1:0 and checks
// real response bodies, operator commands against the running server, and
// what survives a restart.
func TestEndToEnd(t *testing.T) {
	st := filepath.Join(t.TempDir(), "store")
	out := mustTipd(t, "import", "-store", st, "-format", "jsonl", "testdata/e2e/world.jsonl")
	if !strings.HasPrefix(out, "imported testdata/e2e/world.jsonl: 33 records read, 33 applied, 0 skipped") {
		t.Errorf("import summary: got %q", out)
	}
	mustTipd(t, "user", "add", "-store", st, "-day-quota", "1000", "alice")
	tokA := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "alice"))
	mustTipd(t, "user", "add", "-store", st, "-day-quota", "10", "-access", "Trial", "quota")
	tokQ := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "quota"))
	mustTipd(t, "user", "add", "-store", st, "-expires", "2026-11-27", "expired")
	tokE := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "expired"))
	mustTipd(t, "user", "add", "-store", st, "-no-api", "noapi")
	tokN := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "noapi"))

	s := startServer(t, st)
	api := s.url + "/api/ip/"
	var redBody []byte

	t.Run("red address with every section", func(t *testing.T) {
		a := get(t, "GET", api+"45.95.147.10", tokA)
		if a.status != 200 {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
		if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type: got %q", ct)
		}
		golden(t, "red", a.body)
		m := a.json(t)
		wantField(t, m, "Commercial", "LicenseInfo", "AccessType")
		wantField(t, m, 1, "LicenseInfo", "DayRequests")
		wantField(t, m, 1000, "LicenseInfo", "DayQuota")
		wantField(t, m, "Red", "Zone")
		wantField(t, m, true, "RelatedObjects", "HasRedZone")
		wantField(t, m, "45.95.147.10", "IpGeneralInfo", "Ip")
		wantField(t, m, "Known", "IpGeneralInfo", "Status")
		wantField(t, m, "NL", "IpGeneralInfo", "CountryCode")
		wantField(t, m, 1000, "IpGeneralInfo", "HitsCount")
		wantField(t, m, true, "IpGeneralInfo", "HasApt")
		wantField(t, m, "rpt-2026-0117", "IpGeneralInfo", "RelatedAptReports", 0, "Id")
		wantField(t, m, "CATEGORY_BOTNET_CNC", "IpGeneralInfo", "Categories", 0)
		wantField(t, m, "0F343B0931126A20F133D67C2B018A3B", "FilesDownloadedFromIp", 0, "Md5")
		wantField(t, m, "http://c2.badcorp.example/payload.bin", "FilesDownloadedFromIp", 1, "Url")
		wantField(t, m, "45.95.147.10/bins/x86", "HostedUrls", 0, "Url")
		wantField(t, m, "2026-11-27T09:00Z", "HostedUrls", 0, "LastSeen")
		wantField(t, m, "c2.badcorp.example/gate.php?id=7", "HostedUrls", 1, "Url")
		wantField(t, m, true, "HostedUrls", 1, "IsUrlTruncated")
		wantField(t, m, "45.95.147.10/bins/", "FeedMasks", 0, "NormalizedMask")
		wantField(t, m, "UrlPrefix", "FeedMasks", 0, "MaskType")
		wantField(t, m, "EXAMPLE-NET", "IpWhoIs", "Net", "Name")
		wantField(t, m, "45.95.147.0", "IpWhoIs", "Net", "RangeStart")
		wantField(t, m, "45.95.147.255", "IpWhoIs", "Net", "RangeEnd")
		wantField(t, m, "Example Hosting customers\r\nAmsterdam", "IpWhoIs", "Net", "Description")
		wantField(t, m, 64512, "IpWhoIs", "Asn", 0, "Number")
		wantField(t, m, "AS64512", "IpWhoIs", "Asn", 0, "Origin")
		wantField(t, m, "abuse@hosting.example", "IpWhoIs", "Contacts", 1, "Email")
		wantField(t, m, "c2.badcorp.example", "IpDnsResolutions", 0, "Domain")
		// The domain's own lookup: its category listing is undated (half
		// recency, not enough for Orange), but it serves a Red web address
		// (gate.php): at least Orange. Its record's Red is not shown.
		wantField(t, m, "Orange", "IpDnsResolutions", 0, "Zone")
		wantField(t, m, 9, "IpDnsResolutions", 0, "DailyPeak")
		wantField(t, m, "2025-11-12", "IpDnsResolutions", 0, "PeakDate")
		wantField(t, m, "2025-11-01T12:26Z", "IpDnsResolutions", 0, "FirstSeen")
		wantField(t, m, 2, "IPSpamInfo", "spam_attacks")
		wantField(t, m, "2026-11-27T10:00:00Z", "IPSpamInfo", "last_attack_date")
		wantField(t, m, 2, "IPPhishingInfo", "phishing_attacks")
		wantField(t, m, "ExampleKit", "IPPhishingInfo", "phish_kit")
		wantField(t, m, "[Government Telecommunications]", "Industries")
		redBody = a.body
	})

	t.Run("grey unknown address", func(t *testing.T) {
		a := get(t, "GET", api+"45.95.148.77", tokA)
		golden(t, "grey", a.body)
		m := a.json(t)
		wantField(t, m, "Grey", "Zone")
		wantField(t, m, 0, "IpGeneralInfo", "ThreatScore")
		wantField(t, m, "Known", "IpGeneralInfo", "Status")
		wantField(t, m, "NL", "IpGeneralInfo", "CountryCode")
		wantField(t, m, 0, "IpGeneralInfo", "HitsCount")
		wantField(t, m, nil, "IpGeneralInfo", "FirstSeen")
		wantField(t, m, "[]", "HostedUrls")
		wantField(t, m, "EXAMPLE-BLOCK", "IpWhoIs", "Net", "Name")
		wantField(t, m, 0, "IPSpamInfo", "spam_attacks")
		wantField(t, m, nil, "IPPhishingInfo", "phish_kit")
	})

	reserved := []struct{ name, req, start, end, block, rfc string }{
		{"reserved-v4", "192.0.2.1", "192.0.2.0", "192.0.2.255", "Documentation (TEST-NET-1)", "RFC 5737"},
		{"reserved-v6", "2001:db8::1", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "Documentation", "RFC 3849"},
	}
	for _, c := range reserved {
		t.Run(c.name, func(t *testing.T) {
			// The fixture lists 192.0.2.1 as malware: a reserved address is
			// never looked up, whatever the feeds say, and sections asking
			// for more still get only the four sections.
			a := get(t, "GET", api+c.req+"?sections=HostedUrls,Zone", tokA)
			golden(t, c.name, a.body)
			m := a.json(t)
			if keys := sortedKeys(m); strings.Join(keys, ",") != "IpGeneralInfo,IpWhoIs,LicenseInfo,Zone" {
				t.Errorf("sections: got %v", keys)
			}
			wantField(t, m, "Grey", "Zone")
			wantField(t, m, "Reserved", "IpGeneralInfo", "Status")
			wantField(t, m, nil, "IpGeneralInfo", "CountryCode")
			wantField(t, m, 0, "IpGeneralInfo", "ThreatScore")
			wantField(t, m, "[]", "IpGeneralInfo", "Categories")
			wantField(t, m, c.start, "IpWhoIs", "Net", "RangeStart")
			wantField(t, m, c.end, "IpWhoIs", "Net", "RangeEnd")
			wantField(t, m, c.block, "IpWhoIs", "Net", "Name")
			if d, _ := path(m, "IpWhoIs", "Net", "Description").(string); !strings.Contains(d, c.rfc) {
				t.Errorf("Net.Description: got %q, want it to name %s", d, c.rfc)
			}
		})
	}

	t.Run("IPv6 global address", func(t *testing.T) {
		a := get(t, "GET", api+"2a0e:97c0:3e0::10", tokA)
		golden(t, "ipv6", a.body)
		m := a.json(t)
		wantField(t, m, "2a0e:97c0:3e0::10", "IpGeneralInfo", "Ip")
		wantField(t, m, "Red", "Zone")
		wantField(t, m, "DE", "IpGeneralInfo", "CountryCode")
		wantField(t, m, 4200000001, "IpWhoIs", "Asn", 0, "Number")
		wantField(t, m, "[2a0e:97c0:3e0::10]/login/", "HostedUrls", 0, "Url")
		// The fully expanded form is the same address.
		b := get(t, "GET", api+"2a0e:97c0:03e0:0000:0000:0000:0000:0010?sections=IpGeneralInfo", tokA)
		wantField(t, b.json(t), "2a0e:97c0:3e0::10", "IpGeneralInfo", "Ip")
		// IPv4-mapped IPv6 is answered as the IPv4 address.
		c := get(t, "GET", api+"::ffff:45.95.147.10?sections=Zone,IpGeneralInfo", tokA)
		wantField(t, c.json(t), "45.95.147.10", "IpGeneralInfo", "Ip")
		wantField(t, c.json(t), "Red", "Zone")
	})

	t.Run("web address, raw and percent-encoded", func(t *testing.T) {
		raw := get(t, "GET", api+"http://45.95.147.10/bins/x86", tokA)
		if raw.status != 200 {
			t.Fatalf("raw: status %d (Location %q): %s", raw.status, raw.header.Get("Location"), raw.body)
		}
		golden(t, "url", raw.body)
		m := raw.json(t)
		wantField(t, m, "Red", "Zone")
		wantField(t, m, "45.95.147.10/bins/x86", "UrlGeneralInfo", "Url")
		wantField(t, m, "45.95.147.10", "UrlGeneralInfo", "Host")
		wantField(t, m, 1, "UrlGeneralInfo", "FilesCount")
		wantField(t, m, "0F343B0931126A20F133D67C2B018A3B", "FilesDownloaded", 0, "Md5")
		wantField(t, m, "45.95.147.10/bins/", "FeedMasks", 0, "NormalizedMask")
		enc := get(t, "GET", api+"http%3A%2F%2F45.95.147.10%2Fbins%2Fx86", tokA)
		if enc.status != 200 {
			t.Fatalf("encoded: status %d: %s", enc.status, enc.body)
		}
		if withoutLicence(t, enc.body) != withoutLicence(t, raw.body) {
			t.Errorf("encoded and raw answers differ:\n%s\n%s", enc.body, raw.body)
		}
		https := get(t, "GET", api+"HTTPS://c2.badcorp.example/gate.php", tokA)
		wantField(t, https.json(t), "c2.badcorp.example", "UrlGeneralInfo", "Host")
	})

	t.Run("sections and count", func(t *testing.T) {
		a := get(t, "GET", api+"45.95.147.10?sections=Zone,HostedUrls,Zone&count=1", tokA)
		m := a.json(t)
		if keys := sortedKeys(m); strings.Join(keys, ",") != "HostedUrls,Zone" {
			t.Errorf("sections: got %v", keys)
		}
		if n := len(m["HostedUrls"].([]any)); n != 1 {
			t.Errorf("count=1: got %d hosted URLs", n)
		}
		wantField(t, m, "45.95.147.10/bins/x86", "HostedUrls", 0, "Url")
		b := get(t, "GET", api+"45.95.147.10?count=2&sections=IpDnsResolutions", tokA).json(t)
		if n := len(b["IpDnsResolutions"].([]any)); n != 2 {
			t.Errorf("count=2: got %d resolutions", n)
		}
	})

	t.Run("portal", func(t *testing.T) {
		a := get(t, "GET", s.url+"/", "")
		if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") ||
			!strings.Contains(a.header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("portal: got %d %q CSP %q", a.status, a.header.Get("Content-Type"), a.header.Get("Content-Security-Policy"))
		}
	})

	t.Run("STIX bundle", func(t *testing.T) {
		a := get(t, "GET", api+"45.95.147.10?format=stix&sections=Zone&count=1", tokA)
		if a.status != 200 || a.header.Get("Content-Type") != "application/stix+json;version=2.1" {
			t.Fatalf("format=stix: got %d %q: %.200s", a.status, a.header.Get("Content-Type"), a.body)
		}
		m := a.json(t)
		wantField(t, m, "bundle", "type")
		objs, _ := m["objects"].([]any)
		types := map[string]int{}
		for _, o := range objs {
			types[fmt.Sprint(o.(map[string]any)["type"])]++
		}
		for _, typ := range []string{"identity", "ipv4-addr", "indicator", "autonomous-system", "domain-name", "url", "file", "report", "relationship"} {
			if types[typ] == 0 {
				t.Errorf("bundle has no %s object (types: %v)", typ, types)
			}
		}
		// The CLI prints the same objects.
		out := mustTipd(t, "lookup", "-store", st, "-format", "stix", "45.95.147.10")
		var cli map[string]any
		if err := json.Unmarshal([]byte(out), &cli); err != nil {
			t.Fatalf("lookup -format stix: %v", err)
		}
		if got := len(cli["objects"].([]any)); got != len(objs) {
			t.Errorf("lookup -format stix: %d objects, the API %d", got, len(objs))
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		a := get(t, "HEAD", api+"45.95.147.10", tokA)
		if a.status != 200 || len(a.body) != 0 {
			t.Errorf("HEAD: got %d with %d body bytes", a.status, len(a.body))
		}
	})

	errCases := []struct {
		name, method, target, token string
		status                      int
		code, inMessage             string
	}{
		{"bad address", "GET", "/api/ip/45.95.147.999", tokA, 400, "", "45.95.147.999"},
		{"bad sections", "GET", "/api/ip/45.95.147.10?sections=zone", tokA, 400, "", "IpGeneralInfo"},
		{"count 0", "GET", "/api/ip/45.95.147.10?count=0", tokA, 400, "", "count"},
		{"count negative", "GET", "/api/ip/45.95.147.10?count=-1", tokA, 400, "", "count"},
		{"count word", "GET", "/api/ip/45.95.147.10?count=abc", tokA, 400, "", "count"},
		{"count over ceiling", "GET", "/api/ip/45.95.147.10?count=10001", tokA, 400, "", "count"},
		{"bad format", "GET", "/api/ip/45.95.147.10?format=xml", tokA, 400, "", "format"},
		{"bad web address", "GET", "/api/ip/http://", tokA, 400, "", ""},
		{"no token", "GET", "/api/ip/45.95.147.10", "", 401, "", ""},
		{"wrong token", "GET", "/api/ip/45.95.147.10", "tipd_notatoken", 401, "", ""},
		{"licence expired", "GET", "/api/ip/45.95.147.10", tokE, 402, "license_expired", ""},
		{"no API access", "GET", "/api/ip/45.95.147.10", tokN, 403, "no_api_access", ""},
		{"method", "POST", "/api/ip/45.95.147.10", tokA, 405, "", ""},
		{"target too long", "GET", "/api/ip/45.95.147.10?sections=" + strings.Repeat("Zone,", 400), tokA, 414, "", ""},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			a := get(t, c.method, s.url+c.target, c.token)
			if a.status != c.status {
				t.Fatalf("status: got %d, want %d: %s", a.status, c.status, a.body)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q", ct)
			}
			m := a.json(t)
			code, _ := m["error"].(string)
			msg, _ := m["message"].(string)
			if code == "" || msg == "" {
				t.Errorf("error body: got %s", a.body)
			}
			if c.code != "" && code != c.code {
				t.Errorf("error code: got %q, want %q", code, c.code)
			}
			if !strings.Contains(msg, c.inMessage) {
				t.Errorf("message %q does not name %q", msg, c.inMessage)
			}
			switch c.status {
			case 401:
				if a.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			case 405:
				if a.header.Get("Allow") != "GET, HEAD" {
					t.Errorf("Allow: got %q", a.header.Get("Allow"))
				}
			}
		})
	}

	t.Run("quota exhausted at exactly N+1, concurrently", func(t *testing.T) {
		const quota = 10
		var wg sync.WaitGroup
		statuses := make([]int, quota+1)
		codes := make([]string, quota+1)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := get(t, "GET", api+"45.95.147.10?sections=Zone", tokQ)
				statuses[i] = a.status
				if a.status != 200 {
					codes[i], _ = a.json(t)["error"].(string)
				}
			}()
		}
		wg.Wait()
		ok, denied := 0, 0
		for i, st := range statuses {
			switch {
			case st == 200:
				ok++
			case st == 403 && codes[i] == "quota_exceeded":
				denied++
			default:
				t.Errorf("request %d: status %d code %q", i, st, codes[i])
			}
		}
		if ok != quota || denied != 1 {
			t.Errorf("got %d answered and %d denied, want %d and 1", ok, denied, quota)
		}
		a := get(t, "GET", api+"45.95.147.10?sections=LicenseInfo", tokQ)
		if a.status != 403 || !strings.Contains(string(a.body), "2026-11-29T00:00:00Z") {
			t.Errorf("after exhaustion: got %d %s, want 403 naming the reset time", a.status, a.body)
		}
	})

	t.Run("operator commands reach the running server at once", func(t *testing.T) {
		before := get(t, "GET", api+"45.95.147.20?sections=Zone", tokA).json(t)
		wantField(t, before, "Orange", "Zone")
		out := mustTipd(t, "import", "-store", st, "-format", "jsonl", "testdata/e2e/later.jsonl")
		if !strings.Contains(out, "3 records read, 3 applied, 0 skipped") {
			t.Errorf("forwarded import summary: got %q", out)
		}
		after := get(t, "GET", api+"45.95.147.20?sections=Zone", tokA).json(t)
		wantField(t, after, "Red", "Zone")
		be := get(t, "GET", api+"45.95.150.1?sections=IpGeneralInfo", tokA).json(t)
		wantField(t, be, "BE", "IpGeneralInfo", "CountryCode")

		// Token rotation: the new token works, the old one is refused at once.
		newTok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "alice"))
		if a := get(t, "GET", api+"45.95.147.10?sections=Zone", tokA); a.status != 401 {
			t.Errorf("old token after rotation: got %d, want 401", a.status)
		}
		if a := get(t, "GET", api+"45.95.147.10?sections=Zone", newTok); a.status != 200 {
			t.Errorf("new token: got %d, want 200", a.status)
		}
		tokA = newTok

		// User list through the server shows today's counts.
		list := mustTipd(t, "user", "list", "-store", st)
		if !strings.Contains(list, "quota") || !strings.Contains(list, " 10 ") {
			t.Errorf("user list: got\n%s", list)
		}
	})

	t.Run("explain, and a shorter half-life", func(t *testing.T) {
		out := mustTipd(t, "explain", "-store", st, "45.95.147.10")
		for _, want := range []string{"address: 45.95.147.10", "Example C2 Feed", "CATEGORY_BOTNET_CNC", "score: 100", "zone: Red",
			"scored at: " + e2eNow} {
			if !strings.Contains(out, want) {
				t.Errorf("explain lacks %q:\n%s", want, out)
			}
		}
		// Each piece: points, rule, evidence, source, then the feed, file
		// and import time of the imported fixture's record and the date
		// its recency was measured from.
		rows := explainRows(t, out)
		wantRow(t, rows, "listing CATEGORY_BOTNET_CNC", map[string]string{"POINTS": "+69", "RULE": "listing",
			"SOURCE": "Example C2 Feed", "FEED": "Example C2 Feed", "FILE": "world.jsonl", "IMPORTED": e2eNow,
			"RECENCY DATE": "2026-11-27T09:00:00Z"})
		wantRow(t, rows, "report APT", map[string]string{"RULE": "report", "SOURCE": "rpt-2026-0117",
			"FILE": "world.jsonl", "IMPORTED": e2eNow, "RECENCY DATE": "2026-11-10T00:00:00Z"})
		// Live payloads on an address of two sites: dedicated hosting.
		wantRow(t, rows, "live red content, dedicated hosting (2 sites)", map[string]string{"RULE": "hosted-content",
			"POINTS": "+50", "FEED": "-", "FILE": "-", "IMPORTED": "-", "RECENCY DATE": "-"})
		wantRow(t, rows, "2 spam attacks", map[string]string{"RULE": "listing", "SOURCE": "spam activity", "FILE": "-",
			"RECENCY DATE": "2026-11-27T10:00:00Z"})

		// -json prints exactly the answer of GET /api/explain, which
		// counts one request.
		js := mustTipd(t, "explain", "-store", st, "-json", "45.95.147.10")
		a := get(t, "GET", s.url+"/api/explain?request=45.95.147.10", tokA)
		if a.status != 200 || string(a.body) != js {
			t.Errorf("GET /api/explain: got %d\n%s\nwant the output of tipd explain -json\n%s", a.status, a.body, js)
		}
		m := a.json(t)
		wantField(t, m, "address", "Kind")
		wantField(t, m, "Red", "Zone")
		wantField(t, m, 100, "ThreatScore")
		wantField(t, m, "listing", "Evidence", 0, "Rule")
		wantField(t, m, "world.jsonl", "Evidence", 0, "File")
		wantField(t, m, e2eNow, "Evidence", 0, "Imported")
		wantField(t, m, "2026-11-27T09:00:00Z", "Evidence", 0, "RecencyDate")
		dom := mustTipd(t, "explain", "-store", st, "c2.badcorp.example")
		wantRow(t, explainRows(t, dom), "listing CATEGORY_BOTNET_CNC", map[string]string{"RULE": "listing",
			"FILE": "world.jsonl", "IMPORTED": e2eNow})
		if a := get(t, "GET", s.url+"/api/explain?request=c2.badcorp.example", tokA); a.status != 200 ||
			string(a.body) != mustTipd(t, "explain", "-store", st, "-json", "c2.badcorp.example") {
			t.Errorf("GET /api/explain of a domain: got %d %s, want the output of tipd explain -json", a.status, a.body)
		}
		// With a one-hour half-life, listings and reports a day old are
		// worth nothing; only the red related objects (which do not decay)
		// are left, capped at 50.
		out = mustTipd(t, "explain", "-store", st, "-half-life", "1h", "-report-half-life", "1h", "45.95.147.10")
		if !strings.Contains(out, "score: 50") || !strings.Contains(out, "zone: Orange") {
			t.Errorf("explain -half-life 1h: want score 50, zone Orange:\n%s", out)
		}
		out = mustTipd(t, "explain", "-store", st, "192.0.2.1")
		if !strings.Contains(out, "ignored") || !strings.Contains(out, "zone: Grey") {
			t.Errorf("explain of a reserved address with a feed listing:\n%s", out)
		}
	})

	t.Run("bad import lines are reported and nothing stored is lost", func(t *testing.T) {
		// Five bad lines of seven: more than -max-skipped allows, so the
		// import says so and exits 1, after importing the two good ones.
		out, errOut, code := tipd(t, "", "import", "-store", st, "-format", "jsonl", "testdata/e2e/bad.jsonl")
		if code != 1 || !strings.Contains(errOut, "tipd: 5 of the 7 records of bad.jsonl were bad, more than -max-skipped 1% allows; the other 2 were imported.") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, "7 records read, 2 applied, 5 skipped") {
			t.Errorf("summary: got %q", out)
		}
		for _, n := range []int{2, 3, 4, 5, 6} {
			if !strings.Contains(errOut, "line "+strconv.Itoa(n)+":") {
				t.Errorf("bad line %d not reported in %q", n, errOut)
			}
		}
		// -strict: the first bad line fails the file and commits nothing.
		in := `{"kind":"listing","ip":"45.95.147.40","category":"CATEGORY_MALWARE","feed":"f","first_seen":"2026-11-27","last_seen":"2026-11-27"}` + "\n{broken\n"
		_, errOut, code = tipd(t, in, "import", "-store", st, "-format", "jsonl", "-strict", "-")
		if code != 1 || !strings.Contains(errOut, "line 2") {
			t.Errorf("strict: exit %d, stderr %q", code, errOut)
		}
		wantField(t, get(t, "GET", api+"45.95.147.40?sections=Zone", tokA).json(t), "Grey", "Zone")
		a := get(t, "GET", api+"45.95.147.10", tokA)
		if withoutLicence(t, a.body) != withoutLicence(t, redBody) {
			t.Errorf("the red address changed after bad imports:\n%s", a.body)
		}
	})

	t.Run("persistence across a restart", func(t *testing.T) {
		before := get(t, "GET", api+"45.95.147.10", tokA)
		n, _ := before.json(t)["LicenseInfo"].(map[string]any)["DayRequests"].(json.Number).Int64()
		s.stop(t)
		s2 := startServer(t, st)
		api2 := s2.url + "/api/ip/"
		after := get(t, "GET", api2+"45.95.147.10", tokA)
		if after.status != 200 {
			t.Fatalf("after restart: %d %s", after.status, after.body)
		}
		wantField(t, after.json(t), n+1, "LicenseInfo", "DayRequests")
		if withoutLicence(t, after.body) != withoutLicence(t, before.body) {
			t.Errorf("answer changed across the restart")
		}
		if a := get(t, "GET", api2+"45.95.147.10?sections=Zone", tokQ); a.status != 403 {
			t.Errorf("exhausted quota after restart: got %d, want 403", a.status)
		}
	})
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// withoutLicence is the body with LicenseInfo removed (it counts
// requests), re-encoded with sorted keys.
func withoutLicence(t *testing.T, body []byte) string {
	t.Helper()
	m := answer{body: body}.json(t)
	delete(m, "LicenseInfo")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// explainRows splits the evidence table of tipd explain into rows keyed by
// the column headers, found by the headers' positions (columns are
// aligned, cells may hold spaces), indexed by their EVIDENCE cell.
func explainRows(t *testing.T, out string) map[string]map[string]string {
	t.Helper()
	lines := strings.Split(out, "\n")
	h := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "POINTS") })
	if h < 0 {
		t.Fatalf("no evidence table in\n%s", out)
	}
	heads := []string{"POINTS", "RULE", "EVIDENCE", "SOURCE", "FEED", "FILE", "IMPORTED", "RECENCY DATE", "HOW"}
	var at []int
	for _, name := range heads {
		i := strings.Index(lines[h], name)
		if i < 0 {
			t.Fatalf("header %q lacks %s", lines[h], name)
		}
		at = append(at, i)
	}
	rows := map[string]map[string]string{}
	for _, l := range lines[h+1:] {
		if !strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "-") {
			break
		}
		row := map[string]string{}
		for k, name := range heads {
			end := len(l)
			if k+1 < len(at) {
				end = min(at[k+1], len(l))
			}
			row[name] = strings.TrimSpace(l[min(at[k], len(l)):end])
		}
		rows[row["EVIDENCE"]] = row
	}
	return rows
}

// wantRow checks the cells of the row of evidence.
func wantRow(t *testing.T, rows map[string]map[string]string, evidence string, want map[string]string) {
	t.Helper()
	row, ok := rows[evidence]
	if !ok {
		t.Errorf("no row %q in %v", evidence, rows)
		return
	}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("row %q, %s: got %q, want %q", evidence, k, row[k], v)
		}
	}
}
