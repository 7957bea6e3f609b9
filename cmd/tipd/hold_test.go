package main

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

// TestLegalHoldsOnRunningServer: `tipd hold` against the store of a running
// server takes effect on the next request, in every lookup form, without
// counting against the quota or revealing the reason; removing a hold
// takes effect at once, and holds survive a restart.
func TestLegalHoldsOnRunningServer(t *testing.T) {
	st, tok, s := worldServer(t, "dora", "-day-quota", "1000")
	api := s.url + "/api/ip/"
	const heldURL = "http://c2.badcorp.example/gate.php?session=abc123&id=7"

	for _, target := range []string{"45.95.147.10", "91.92.109.43", "2a03:b0c0:3:d0::1", api + url.PathEscape(heldURL)} {
		if a := get(t, "GET", api+strings.TrimPrefix(target, api)+"?sections=Zone", tok); a.status != 200 {
			t.Fatalf("%s before any hold: got %d %s", target, a.status, a.body)
		}
	}
	dayRequests := func(api string) int64 {
		t.Helper()
		a := get(t, "GET", api+"45.95.147.40?sections=LicenseInfo", tok)
		if a.status != 200 {
			t.Fatalf("unheld address: got %d %s", a.status, a.body)
		}
		n, err := path(a.json(t), "LicenseInfo", "DayRequests").(json.Number).Int64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := dayRequests(api)
	taxiiIndicators := func() string {
		t.Helper()
		a := taxiiGet(t, s.url+"/taxii2/api/collections/indicators/objects/?match[type]=indicator&limit=1000", tok)
		if a.status != 200 {
			t.Fatalf("TAXII objects: %d %s", a.status, a.body)
		}
		return string(a.body)
	}
	heldPatterns := []string{"[ipv4-addr:value = '45.95.147.10']", "c2.badcorp.example/gate.php"}
	for _, p := range heldPatterns {
		if !strings.Contains(taxiiIndicators(), p) {
			t.Fatalf("before any hold, the TAXII indicators lack %s", p)
		}
	}
	before = dayRequests(api)

	refRE := regexp.MustCompile(`^hold-[0-9a-f]{8}$`)
	hold := func(reason, target string) string {
		t.Helper()
		ref := strings.TrimSpace(mustTipd(t, "hold", "add", "-store", st, "-reason", reason, target))
		if !refRE.MatchString(ref) {
			t.Fatalf("hold add %s printed %q, want a reference", target, ref)
		}
		return ref
	}
	refAddr := hold("court order SECRET-1", "45.95.147.10")
	refNet := hold("court order SECRET-2", "91.92.109.0/24")
	refNet6 := hold("court order SECRET-3", "2a03:b0c0:3::/48")
	refURL := hold("takedown notice SECRET-4", heldURL)

	want451 := func(s, target, ref string) {
		t.Helper()
		a := get(t, "GET", s+target, tok)
		if a.status != 451 {
			t.Errorf("%s: got %d %s, want 451", target, a.status, a.body)
			return
		}
		m := a.json(t)
		wantField(t, m, "legal_hold", "error")
		wantField(t, m, "this object is under a legal hold (reference "+ref+")", "message")
		if len(m) != 2 || strings.Contains(string(a.body), "SECRET") {
			t.Errorf("%s: the 451 body says more than the reference: %s", target, a.body)
		}
	}
	want451(api, "45.95.147.10", refAddr)
	want451(api, "45.95.147.10?format=stix", refAddr)
	want451(api, "91.92.109.43", refNet)
	want451(api, "91.92.109.255?sections=Zone", refNet)
	want451(api, "2a03:b0c0:3:d0::1", refNet6)
	want451(api, url.PathEscape(heldURL), refURL)
	want451(api, url.PathEscape(heldURL)+"?format=stix", refURL)
	// Held objects leave the TAXII collections too.
	for _, p := range heldPatterns {
		if strings.Contains(taxiiIndicators(), p) {
			t.Errorf("the TAXII indicators still show the held %s", p)
		}
	}
	before = dayRequests(api)
	want451(api, url.PathEscape("http://45.95.147.10/bins/x86"), refAddr) // the web address's host is held
	want451(s.url, "/api/v1/search/ip?request=91.92.109.5", refNet)
	want451(s.url, "/api/v1/search/url?request="+url.QueryEscape(heldURL), refURL)
	if a := get(t, "GET", api+"91.92.110.1?sections=Zone", tok); a.status != 200 {
		t.Errorf("address outside the held network: got %d %s", a.status, a.body)
	}

	if after := dayRequests(api); after != before+2 {
		t.Errorf("DayRequests went from %d to %d; want %d: 451 answers must not count", before, after, before+2)
	}

	list := mustTipd(t, "hold", "list", "-store", st)
	for _, want := range [][]string{
		{refAddr, "45.95.147.10", "court order SECRET-1"},
		{refNet, "91.92.109.0/24", "court order SECRET-2"},
		{refNet6, "2a03:b0c0:3::/48", "court order SECRET-3"},
		{refURL, "c2.badcorp.example/gate.php?id=7", "takedown notice SECRET-4"},
	} {
		if f := strings.Fields(lineOf(list, want[0])); len(f) != 6 || f[1] != want[1] || strings.Join(f[2:5], " ") != want[2] {
			t.Errorf("hold list: want %q in:\n%s", want, list)
		}
	}

	if out := mustTipd(t, "hold", "remove", "-store", st, refAddr); !strings.Contains(out, "removed") {
		t.Errorf("hold remove: got %q", out)
	}
	if a := get(t, "GET", api+"45.95.147.10?sections=Zone", tok); a.status != 200 {
		t.Errorf("after remove: got %d %s, want 200", a.status, a.body)
	}
	if _, _, code := tipd(t, "", "hold", "remove", "-store", st, refAddr); code == 0 {
		t.Errorf("removing an unknown hold succeeded")
	}

	s.stop(t)
	s2 := startServer(t, st)
	api2 := s2.url + "/api/ip/"
	want451(api2, "91.92.109.43", refNet)
	want451(api2, url.PathEscape(heldURL), refURL)
	want451(api2, "2a03:b0c0:3:d0::1", refNet6)
	if a := get(t, "GET", api2+"45.95.147.10?sections=Zone", tok); a.status != 200 {
		t.Errorf("removed hold after restart: got %d %s, want 200", a.status, a.body)
	}
}

// TestLegalHoldsOnPostgres: a hold put with the CLI applies at once to two
// `tipd serve` processes on one PostgreSQL database, and so does its
// removal.
func TestLegalHoldsOnPostgres(t *testing.T) {
	db := pgtest.FreshSchema(t)
	mustTipd(t, "migrate", "-store", db)
	mustTipd(t, "import", "-store", db, "-format", "jsonl", "testdata/e2e/world.jsonl")
	mustTipd(t, "user", "add", "-store", db, "-day-quota", "1000", "dora")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", db, "dora"))
	a := startProcess(t, "serve", "-store", db, "-addr", "127.0.0.1:0", "-log", "text")
	b := startProcess(t, "serve", "-store", db, "-addr", "127.0.0.1:0", "-log", "text")

	ref := strings.TrimSpace(mustTipd(t, "hold", "add", "-store", db, "-reason", "court order SECRET", "45.95.144.0/22"))
	for _, s := range []string{a, b} {
		r := get(t, "GET", s+"/api/ip/45.95.147.10?sections=Zone", tok)
		if r.status != 451 {
			t.Fatalf("%s: got %d %s, want 451", s, r.status, r.body)
		}
		wantField(t, r.json(t), "this object is under a legal hold (reference "+ref+")", "message")
		if strings.Contains(string(r.body), "SECRET") {
			t.Errorf("the 451 body reveals the reason: %s", r.body)
		}
	}
	mustTipd(t, "hold", "remove", "-store", db, ref)
	for _, s := range []string{a, b} {
		if r := get(t, "GET", s+"/api/ip/45.95.147.10?sections=Zone", tok); r.status != 200 {
			t.Errorf("%s after remove: got %d %s, want 200", s, r.status, r.body)
		}
	}

	// Names and files too.
	const md5 = "0F343B0931126A20F133D67C2B018A3B"
	refName := strings.Fields(mustTipd(t, "hold", "add", "-store", db, "-reason", "court order SECRET", "badcorp.example"))[0]
	refFile := strings.Fields(mustTipd(t, "hold", "add", "-store", db, "-reason", "court order SECRET", strings.ToLower(md5)))[0]
	for _, s := range []string{a, b} {
		for target, ref := range map[string]string{
			"/api/domain/c2.badcorp.example?sections=Zone":      refName,
			"/api/url/http://www.badcorp.example/x?format=stix": refName,
			"/api/hash/" + md5: refFile,
		} {
			r := get(t, "GET", s+target, tok)
			if r.status != 451 {
				t.Errorf("%s%s: got %d %s, want 451", s, target, r.status, r.body)
				continue
			}
			wantField(t, r.json(t), "this object is under a legal hold (reference "+ref+")", "message")
		}
		if r := get(t, "GET", s+"/api/domain/example.com?sections=Zone", tok); r.status != 200 {
			t.Errorf("%s: a name not held: got %d %s, want 200", s, r.status, r.body)
		}
	}
}
