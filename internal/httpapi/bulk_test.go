package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/pebble"
	"github.com/tipd/tipd/internal/store/postgres"
	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

// bulkPaste mixes every kind of indicator, defanged and not, with
// duplicates and a token that is none.
const bulkPaste = "45[.]95[.]147[.]10, 45.95.147.10\n" + // one address, twice
	allowedIP + " C2[.]BadCorp[.]Example\n" +
	"hxxp://c2[.]badcorp[.]example/bins/x86;45.95.146.0/24\n" +
	"0f343b0931126a20f133d67c2b018a3b bogus 10.1.2.3 " + testDomain + " www.example.com\n"

// bulkDo posts body to target as user.
func bulkDo(t testing.TB, h http.Handler, target, contentType, body, token string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// bulkAnswer is the JSON answer of a bulk lookup.
type bulkAnswer struct {
	Indicators int
	Results    []bulkRow
	Summary    map[string]int
	// LicenseInfo as the lookups write it.
	LicenseInfo struct{ DayRequests, DayQuota int64 }
}

type bulkRow struct {
	Indicator   string
	Kind        *string
	Value       *string
	Status      string
	Zone        *string
	ThreatScore *int
	TopCategory *string
	Country     *string
	ASN         *string
	ASName      *string
	Error       *string
}

func decodeBulk(t testing.TB, w *httptest.ResponseRecorder) bulkAnswer {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("bulk: status %d, want 200; body %s", w.Code, w.Body)
	}
	var a bulkAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("bulk: answer is not JSON: %v\n%s", err, w.Body)
	}
	if got := w.Header().Get(httpapi.BulkCountHeader); got != fmt.Sprint(len(a.Results)) {
		t.Errorf("bulk: %s %q, want %d (the rows)", httpapi.BulkCountHeader, got, len(a.Results))
	}
	return a
}

// TestBulkGolden checks the answer of POST /api/bulk against the golden
// file on every backend (the same bytes from each): one row per distinct
// indicator in the order given, each with the verdict of its lookup; the
// NDJSON form has the same rows, one a line, then the summary.
func TestBulkGolden(t *testing.T) {
	for name, open := range explainStores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{store: open(t)})
			seedExplained(t, e)
			seedNetworks(t, e)
			w := bulkDo(t, e.h, "/api/bulk", "text/plain", bulkPaste, e.tokens["alice"])
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q, want application/json; charset=utf-8", ct)
			}
			golden(t, "bulk", w.Body.Bytes(), name == "mem")
			a := decodeBulk(t, w)
			if a.Indicators != 9 || len(a.Results) != 9 {
				t.Fatalf("got %d indicators, %d rows, want 9 and 9", a.Indicators, len(a.Results))
			}
			// Each verdict is that of the object's own lookup.
			for _, c := range []struct {
				row    int
				target string
			}{
				{0, "/api/ip/" + explainedIP},
				{1, "/api/ip/" + allowedIP},
				{2, "/api/domain/" + testDomain},
				{3, "/api/url/http://" + testDomain + "/bins/x86"},
			} {
				lw := e.do(t, http.MethodGet, c.target+"?sections=Zone", "alice")
				var l struct{ Zone string }
				if err := json.Unmarshal(lw.Body.Bytes(), &l); err != nil || lw.Code != 200 {
					t.Fatalf("%s: %d %s", c.target, lw.Code, lw.Body)
				}
				if got := a.Results[c.row].Zone; got == nil || *got != l.Zone {
					t.Errorf("row %d (%s): zone %v, want %s (its lookup's)", c.row, a.Results[c.row].Indicator, got, l.Zone)
				}
			}

			nw := bulkDo(t, e.h, "/api/bulk?format=ndjson", "", bulkPaste, e.tokens["alice"])
			if ct := nw.Header().Get("Content-Type"); ct != "application/x-ndjson" {
				t.Errorf("NDJSON Content-Type %q", ct)
			}
			sc := bufio.NewScanner(bytes.NewReader(nw.Body.Bytes()))
			var lines []string
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			if len(lines) != len(a.Results)+1 {
				t.Fatalf("NDJSON: %d lines, want %d rows and a summary", len(lines), len(a.Results))
			}
			for i, l := range lines[:len(a.Results)] {
				want, _ := json.Marshal(a.Results[i])
				var got bulkRow
				if err := json.Unmarshal([]byte(l), &got); err != nil {
					t.Fatalf("NDJSON line %d: %v", i, err)
				}
				if g, _ := json.Marshal(got); !bytes.Equal(g, want) {
					t.Errorf("NDJSON line %d: got %s, want %s", i, g, want)
				}
			}
			if !strings.HasPrefix(lines[len(lines)-1], `{"Summary":{"Indicators":9,"Answered":8,"Invalid":1,`) {
				t.Errorf("NDJSON last line: got %s", lines[len(lines)-1])
			}
		})
	}
}

// seedNetworks adds a country, an AS and a network listing around the
// addresses of seedExplained.
func seedNetworks(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	src := intel.Source{Feed: "Example DROP", File: "drop.txt", Imported: now.Add(-time.Hour)}
	b := &intel.Batch{
		Countries:   []intel.CountryRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "NL", Source: src}},
		ASRanges:    []intel.ASRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), ASN: 64512, Description: []string{"EXAMPLE-HOSTING-AS", "Example Hosting B.V."}, Source: src}},
		NetListings: []intel.NetListing{{Prefix: netip.MustParsePrefix("45.95.146.0/23"), Category: intel.CatSpam, Feed: "Example DROP", FirstSeen: now.AddDate(0, 0, -3), Source: src}},
	}
	if err := e.st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := e.net.Refresh(ctx, e.st, true); err != nil {
		t.Fatal(err)
	}
}

// TestBulkQuota: one count per answered indicator; invalid ones are not
// counted; once the quota is used up the remaining rows say so, and a
// user whose quota is already used up is refused (403) before anything.
func TestBulkQuota(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, options{})
	// trial's quota is 20: use 16 of it.
	for range 16 {
		if _, ok, err := e.st.CountRequest(ctx, "trial", store.Day(now), 20); err != nil || !ok {
			t.Fatalf("count: %v %v", ok, err)
		}
	}
	body := `{"indicators":["192.0.2.1","bogus","192.0.2.2","evil[.]example","192.0.2.1","hxxp://evil.example/a","192.0.2.3","` + testMD5 + `"]}`
	a := decodeBulk(t, bulkDo(t, e.h, "/api/bulk", "application/json", body, e.tokens["trial"]))
	var statuses []string
	for _, r := range a.Results {
		statuses = append(statuses, r.Status)
	}
	want := "ok invalid ok ok ok quota_exceeded quota_exceeded"
	if got := strings.Join(statuses, " "); got != want {
		t.Errorf("statuses: got %q, want %q", got, want)
	}
	if n := e.dayCount(t, "trial"); n != 20 {
		t.Errorf("day count: got %d, want 20 (16 + 4 answered)", n)
	}
	if a.LicenseInfo.DayRequests != 20 || a.LicenseInfo.DayQuota != 20 {
		t.Errorf("LicenseInfo: got %+v, want 20 of 20", a.LicenseInfo)
	}
	if a.Summary["Answered"] != 4 || a.Summary["QuotaExceeded"] != 2 || a.Summary["Invalid"] != 1 {
		t.Errorf("Summary: got %v", a.Summary)
	}
	w := bulkDo(t, e.h, "/api/bulk", "text/plain", "192.0.2.9", e.tokens["trial"])
	if w.Code != http.StatusForbidden {
		t.Fatalf("quota used up: status %d, want 403; body %s", w.Code, w.Body)
	}
	if code, _ := errorOf(t, w); code != "quota_exceeded" {
		t.Errorf("quota used up: code %q, want quota_exceeded", code)
	}
}

// TestBulkHolds: a held indicator gets the row status "held" and nothing
// else (no verdict), is not counted, and the others are answered; on
// every backend.
func TestBulkHolds(t *testing.T) {
	for name, open := range explainStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, options{store: open(t)})
			seedObjects(t, e)
			for _, h := range []intel.Hold{
				{Ref: "hold-0badcafe", Prefix: netip.MustParsePrefix("45.95.147.10/32"), Reason: "court order", Created: now},
				{Ref: "hold-0000d0a1", Domain: "badcorp.example", Reason: "court order", Created: now},
				{Ref: "hold-0000f11e", Hash: testSHA1, Reason: "court order", Created: now},
			} {
				if err := e.st.PutHold(ctx, h); err != nil {
					t.Fatal(err)
				}
			}
			paste := "45.95.147.10 hxxp://45[.]95[.]147[.]10/bins/x86 " + testDomain + " https://www.badcorp.example/login " +
				strings.ToLower(testMD5) + " 45.95.147.11 example.com"
			a := decodeBulk(t, bulkDo(t, e.h, "/api/bulk", "", paste, e.tokens["alice"]))
			want := []string{"held", "held", "held", "held", "held", "ok", "ok"}
			if len(a.Results) != len(want) {
				t.Fatalf("got %d rows, want %d", len(a.Results), len(want))
			}
			for i, r := range a.Results {
				if r.Status != want[i] {
					t.Errorf("row %d (%s): status %q, want %q", i, r.Indicator, r.Status, want[i])
				}
				if r.Status == "held" && (r.Zone != nil || r.ThreatScore != nil || r.TopCategory != nil || r.Country != nil || r.Error == nil) {
					t.Errorf("held row %d (%s): got %+v, want no verdict and a message", i, r.Indicator, r)
				}
				if r.Status == "ok" && r.Zone == nil {
					t.Errorf("row %d (%s): no zone", i, r.Indicator)
				}
			}
			if n := e.dayCount(t, "alice"); n != 2 {
				t.Errorf("day count: got %d, want 2 (the held rows are not counted)", n)
			}
			// Each row has its audit line.
			logs := e.logs.String()
			for _, w := range []string{
				`"msg":"bulk item","route":"bulk","user":"alice","object":"45.95.147.10","result":"held"`,
				`"msg":"bulk item","route":"bulk","user":"alice","object":"45.95.147.10/bins/x86","result":"held"`,
				`"msg":"bulk item","route":"bulk","user":"alice","object":"example.com","result":"ok"`,
				`"msg":"request","method":"POST","route":"bulk","user":"alice","auth":"bearer","object":"bulk of 7","status":200`,
			} {
				if !strings.Contains(logs, w) {
					t.Errorf("logs: no line with %s in\n%s", w, logs)
				}
			}
		})
	}
}

// TestBulkRateLimit: each indicator takes its place under the burst
// limit, the first one the request's; those over it are rows of status
// rate_limited, not counted.
func TestBulkRateLimit(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{RatePerSecond: 0.001, Burst: 3}, fixedNow)
	h := e.h
	a := decodeBulk(t, bulkDo(t, h, "/api/bulk", "", "192.0.2.1 192.0.2.2 bogus 192.0.2.3 192.0.2.4 192.0.2.5", e.tokens["alice"]))
	var statuses []string
	for _, r := range a.Results {
		statuses = append(statuses, r.Status)
	}
	if got, want := strings.Join(statuses, " "), "ok ok invalid ok rate_limited rate_limited"; got != want {
		t.Errorf("statuses: got %q, want %q", got, want)
	}
	if r := a.Results[4]; r.Error == nil || !strings.Contains(*r.Error, "too many requests") {
		t.Errorf("rate-limited row: got %+v, want the burst limit's message", r)
	}
	if n := e.dayCount(t, "alice"); n != 3 {
		t.Errorf("day count: got %d, want 3", n)
	}
	// The burst is spent: the next request is refused as a whole.
	if w := bulkDo(t, h, "/api/bulk", "", "192.0.2.6", e.tokens["alice"]); w.Code != http.StatusTooManyRequests {
		t.Errorf("next request: status %d, want 429", w.Code)
	}
}

// TestBulkBadRequest: what is refused as a whole, with a JSON error body,
// before anything is counted.
func TestBulkBadRequest(t *testing.T) {
	e := newEnv(t, options{})
	var many strings.Builder
	for i := range httpapi.MaxBulkIndicators + 1 {
		fmt.Fprintf(&many, "10.%d.%d.%d\n", i>>16, (i>>8)&255, i&255)
	}
	tests := []struct {
		name, target, contentType, body string
		status                          int
		code, message                   string
	}{
		{"empty", "/api/bulk", "text/plain", "", 400, "invalid_request", "names no indicators"},
		{"separators only", "/api/bulk", "text/plain", " ,;\n\t", 400, "invalid_request", "names no indicators"},
		{"empty JSON list", "/api/bulk", "application/json", `{"indicators":[]}`, 400, "invalid_request", "names no indicators"},
		{"bad JSON", "/api/bulk", "application/json", `{"indicators":[1.2.3.4]}`, 400, "invalid_request", "not JSON"},
		{"unknown key", "/api/bulk", "application/json", `{"iocs":["1.2.3.4"]}`, 400, "invalid_request", "not JSON"},
		{"two JSON values", "/api/bulk", "application/json", `{"indicators":["1.2.3.4"]} {}`, 400, "invalid_request", "more than one"},
		{"too many", "/api/bulk", "text/plain", many.String(), 400, "invalid_request", "more than 10000"},
		{"too large", "/api/bulk", "text/plain", strings.Repeat("a", httpapi.MaxBulkBody+1), 400, "invalid_request", "larger than"},
		{"bad format", "/api/bulk?format=csv", "text/plain", "1.2.3.4", 400, "invalid_request", "format must be"},
	}
	for _, tt := range tests {
		w := bulkDo(t, e.h, tt.target, tt.contentType, tt.body, e.tokens["alice"])
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d; body %.300s", tt.name, w.Code, tt.status, w.Body)
			continue
		}
		code, msg := errorOf(t, w)
		if code != tt.code || !strings.Contains(msg, tt.message) {
			t.Errorf("%s: got %s %q, want %s naming %q", tt.name, code, msg, tt.code, tt.message)
		}
	}
	if w := e.do(t, http.MethodGet, "/api/bulk", "alice"); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET: status %d Allow %q, want 405 POST", w.Code, w.Header().Get("Allow"))
	}
	if w := bulkDo(t, e.h, "/api/bulk", "text/plain", "1.2.3.4", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", w.Code)
	}
	if w := bulkDo(t, e.h, "/api/bulk", "text/plain", "1.2.3.4", e.tokens["expired"]); w.Code != http.StatusPaymentRequired {
		t.Errorf("expired licence: status %d, want 402", w.Code)
	}
	if n := e.dayCount(t, "alice"); n != 0 {
		t.Errorf("day count after refused requests: got %d, want 0", n)
	}
}

// BenchmarkBulk measures POST /api/bulk of 1,000 distinct addresses
// (server time: parsing, 1,000 verdicts, 1,000 counts, the JSON answer),
// each listed by a feed, inside a network with a country and an AS, on
// each backend (PostgreSQL only with TIPD_TEST_POSTGRES).
func BenchmarkBulk(b *testing.B) {
	var paste strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&paste, "45.95.%d.%d\n", 144+i/256, i%256)
	}
	for _, name := range []string{"mem", "pebble", "postgres"} {
		b.Run(name, func(b *testing.B) {
			e := newEnv(b, options{store: benchStore(b, name)})
			seedBench(b, e)
			body := paste.String()
			b.ReportAllocs()
			for b.Loop() {
				w := bulkDo(b, e.h, "/api/bulk", "text/plain", body, e.tokens["alice"])
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"Answered":1000,`) {
					b.Fatalf("status %d: %.300s", w.Code, w.Body)
				}
			}
		})
	}
}

// benchStore opens the named backend for a benchmark.
func benchStore(b *testing.B, name string) store.Store {
	switch name {
	case "pebble":
		st, err := pebble.Open(b.TempDir(), pebble.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	case "postgres":
		st, err := postgres.Open(context.Background(), pgtest.FreshSchema(b), postgres.Options{MaxConns: 4, Migrate: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	return nil
}

// seedBench lists the addresses of BenchmarkBulk.
func seedBench(b *testing.B, e *env) {
	ctx := context.Background()
	src := intel.Source{Feed: "Feed A", File: "feed-a.csv", Imported: now}
	batch := &intel.Batch{
		Countries: []intel.CountryRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "NL", Source: src}},
		ASRanges:  []intel.ASRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), ASN: 64512, Description: []string{"EXAMPLE-AS"}, Source: src}},
	}
	for i := range 1000 {
		ip := netip.AddrFrom4([4]byte{45, 95, byte(144 + i/256), byte(i % 256)})
		batch.Listings = append(batch.Listings, intel.Listing{IP: ip, Category: intel.CatSpam, Feed: "Feed A",
			FirstSeen: now.AddDate(0, 0, -3), LastSeen: now.AddDate(0, 0, -1), Source: src})
	}
	if err := e.st.Apply(ctx, batch); err != nil {
		b.Fatal(err)
	}
	if err := e.net.Refresh(ctx, e.st, true); err != nil {
		b.Fatal(err)
	}
}
