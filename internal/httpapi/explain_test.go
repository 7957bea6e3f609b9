package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/postgres"
	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// explainStores are the backends the explanation tests run on: mem,
// Pebble, and PostgreSQL (skipped without TIPD_TEST_POSTGRES).
var explainStores = map[string]func(t *testing.T) store.Store{
	"mem":    holdStores["mem"],
	"pebble": holdStores["pebble"],
	"postgres": func(t *testing.T) store.Store {
		st, err := postgres.Open(context.Background(), pgtest.FreshSchema(t), postgres.Options{MaxConns: 4, Migrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
}

// Objects of the explanation tests.
const (
	explainedIP = "45.95.147.10" // listed by two feeds, named by a report
	allowedIP   = "45.95.148.10" // listed, inside an allow-listed network
)

// seedExplained stores evidence from several imported files: two feeds
// listing an address, a report naming it, an allow list covering another
// listed address, and a domain with listings, a mask and a report.
func seedExplained(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	imported := time.Date(2026, 11, 28, 6, 30, 0, 0, time.UTC)
	srcA := intel.Source{Feed: "Feed A", File: "feed-a.csv", Imported: imported}
	srcB := intel.Source{Feed: "Feed B", File: "feed-b.txt.gz", Imported: imported.Add(time.Hour)}
	srcR := intel.Source{Feed: "Reports", File: "reports.json", Imported: imported.Add(2 * time.Hour)}
	srcW := intel.Source{Feed: "warninglist", File: "cdn.json", Imported: imported.Add(3 * time.Hour)}
	ip := netip.MustParseAddr(explainedIP)
	allowed := netip.MustParseAddr(allowedIP)
	b := &intel.Batch{
		Listings: []intel.Listing{
			{IP: ip, Category: intel.CatBotnetCNC, Feed: "Feed A", FirstSeen: now.AddDate(0, 0, -20), LastSeen: now.AddDate(0, 0, -2), Source: srcA},
			{IP: ip, Category: intel.CatBotnetCNC, Feed: "Feed B", FirstSeen: now.AddDate(0, 0, -45), Source: srcB},
			{IP: allowed, Category: intel.CatMalware, Feed: "Feed A", FirstSeen: now.AddDate(0, 0, -3), LastSeen: now.AddDate(0, 0, -1), Source: srcA},
		},
		Reports: []intel.Report{{ID: "rpt-2026-0117", Type: intel.ReportAPT, Title: "Example campaign",
			Published: now.AddDate(0, -1, 0), Updated: now.AddDate(0, 0, -10), Source: srcR}},
		ReportLinks: []intel.ReportLink{{IP: ip, ReportID: "rpt-2026-0117", Source: srcR}},
		Allows:      []intel.Allow{{Prefix: netip.MustParsePrefix("45.95.148.0/24"), List: "Example CDN", Source: srcW}},
		ObjectInfos: []intel.ObjectInfo{
			{Kind: intel.ObjectHost, Key: testDomain, Hits: 120, FirstSeen: now.AddDate(0, 0, -30), LastSeen: now.AddDate(0, 0, -1), Source: srcA},
		},
		ObjectListings: []intel.ObjectListing{
			{Kind: intel.ObjectHost, Key: testDomain, Category: intel.CatBotnetCNC, Feed: "Feed A", FirstSeen: now.AddDate(0, 0, -30), LastSeen: now.AddDate(0, 0, -1), Source: srcA},
			{Kind: intel.ObjectHost, Key: testDomain, Category: intel.CatPhishing, Feed: "Feed B", LastSeen: now.AddDate(0, 0, -100), Source: srcB},
		},
		Links: []intel.Link{
			{List: intel.LinkHostMasks, Owner: testDomain, Item: testDomain + intel.ItemSep + intel.MaskHost, Zone: intel.ZoneRed,
				Attrs: []string{"Feed B"}, LastSeen: now.AddDate(0, 0, -5), Source: srcB},
			{List: intel.LinkHostReports, Owner: testDomain, Item: "rpt-2026-0117", Source: srcR},
		},
	}
	if err := e.st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := e.net.Refresh(ctx, e.st, true); err != nil {
		t.Fatal(err)
	}
}

// TestExplainGolden checks the JSON of GET /api/explain against the golden
// files, on the mem store and on Pebble (the same bytes from both): an
// address listed by two feeds and named by a report, an allow-listed
// address, a domain. Every piece of evidence carries the feed, file and
// import time of the record it came from.
func TestExplainGolden(t *testing.T) {
	tests := []struct{ name, request string }{
		{"explain-address", explainedIP},
		{"explain-allowed", allowedIP},
		{"explain-domain", "C2.BadCorp.Example."},
	}
	for name, open := range explainStores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{store: open(t)})
			seedExplained(t, e)
			for _, tt := range tests {
				w := e.do(t, http.MethodGet, "/api/explain?request="+tt.request, "alice")
				if w.Code != http.StatusOK {
					t.Fatalf("%s: status %d, body %s", tt.request, w.Code, w.Body)
				}
				if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("%s: Content-Type %q", tt.request, ct)
				}
				golden(t, tt.name, w.Body.Bytes(), name == "mem")
			}
		})
	}
}

// golden compares got with testdata/name.json, rewriting it with -update
// when write is set (one backend writes, the others compare).
func golden(t *testing.T, name string, got []byte, write bool) {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, got)
	}
	if *update && write {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s: got\n%s\nwant\n%s", name, pretty.Bytes(), want)
	}
}

// TestExplainRequests: what the endpoint takes, answers and counts. Each
// answered request counts once, like a lookup; refused ones are not
// counted.
func TestExplainRequests(t *testing.T) {
	e := newEnv(t, options{})
	seedExplained(t, e)
	seedObjects(t, e)
	tests := []struct {
		target   string
		status   int
		code     string // error code
		kind     string // answers: Kind, Object, Zone
		object   string
		zone     string
		counted  bool
		contains string // in the body
	}{
		{"/api/explain?request=" + explainedIP, 200, "", "address", explainedIP, "Red", true, `"File":"feed-b.txt.gz"`},
		{"/api/explain?request=::ffff:" + explainedIP, 200, "", "address", explainedIP, "Red", true, ""},
		{"/api/explain?request=" + allowedIP, 200, "", "address", allowedIP, "Green", true, `"Rule":"allow-list"`},
		{"/api/explain?request=" + strings.ToLower(testMD5), 200, "", "file", testMD5, "Red", true, `"FileStatus":"Malware"`},
		{"/api/explain?request=http://" + testDomain + "/gate.php?id=7&x=1", 200, "", "url", testDomain + "/gate.php?id=7&x=1", "Red", true, `"Rule":"host-zone"`},
		{"/api/explain?request=" + testDomain + "%2Fbins%2Fx86", 200, "", "url", testDomain + "/bins/x86", "Red", true, ""},
		{"/api/explain?request=unknown.example", 200, "", "domain", "unknown.example", "Grey", true, `"Known":false`},
		{"/api/explain?request=198.51.100.7", 200, "", "address", "198.51.100.7", "Grey", true, `"Rule":"reserved"`},
		{"/api/explain?request=not%20a%20name", 400, "invalid_request", "", "", "", false, ""},
		{"/api/explain?request=1.2.3", 400, "invalid_request", "", "", "", false, ""},
		{"/api/explain?request=fe80::1%25eth0", 400, "invalid_request", "", "", "", false, ""},
		{"/api/explain?request=", 400, "invalid_request", "", "", "", false, ""},
		{"/api/explain", 400, "invalid_request", "", "", "", false, ""},
		{"/api/explain?request=%zz", 400, "invalid_request", "", "", "", false, ""},
	}
	for _, tt := range tests {
		w := e.doCounted(t, tt.target, tt.status, tt.counted)
		if w == nil {
			continue
		}
		if tt.code != "" {
			if code, _ := errorOf(t, w); code != tt.code {
				t.Errorf("%s: got code %q, want %q", tt.target, code, tt.code)
			}
			continue
		}
		var got struct{ Kind, Object, Zone string }
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v", tt.target, err)
		}
		if got.Kind != tt.kind || got.Object != tt.object || got.Zone != tt.zone {
			t.Errorf("%s: got %s %q %s, want %s %q %s", tt.target, got.Kind, got.Object, got.Zone, tt.kind, tt.object, tt.zone)
		}
		if !strings.Contains(w.Body.String(), tt.contains) {
			t.Errorf("%s: got %s, want it to contain %s", tt.target, w.Body, tt.contains)
		}
	}
	if w := e.do(t, http.MethodGet, "/api/explain?request="+explainedIP, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("no credentials: got %d, want 401", w.Code)
	}
	if w := e.do(t, http.MethodGet, "/api/explain?request="+explainedIP, "noapi"); w.Code != http.StatusForbidden {
		t.Errorf("no API access: got %d, want 403", w.Code)
	}
	if w := e.do(t, http.MethodPost, "/api/explain?request="+explainedIP, "alice"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: got %d, want 405", w.Code)
	}
	if w := e.do(t, http.MethodHead, "/api/explain?request="+explainedIP, "alice"); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD: got %d with %d bytes, want 200 without a body", w.Code, w.Body.Len())
	}
}

// TestExplainHeld: a held object's explanation is refused 451 as its
// lookup is, before the quota and uncounted, on the mem store and on
// Pebble.
func TestExplainHeld(t *testing.T) {
	for name, open := range explainStores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{store: open(t)})
			seedExplained(t, e)
			seedObjects(t, e)
			holdAndUseUpQuota(t, e,
				intel.Hold{Ref: "hold-addr", Prefix: netip.MustParsePrefix(explainedIP + "/32"), Reason: "court order", Created: now},
				intel.Hold{Ref: "hold-name", Domain: "badcorp.example", Reason: "court order", Created: now},
				intel.Hold{Ref: "hold-file", Hash: testSHA256, Reason: "court order", Created: now})
			const explain = "/api/explain?request="
			wantRefusals(t, e, []refusal{
				{explain + explainedIP, 451, "hold-addr"},
				{explain + testDomain, 451, "hold-name"},
				{explain + "http://" + testDomain + "/x", 451, "hold-name"},
				{explain + "http://" + explainedIP + "/x", 451, "hold-addr"},
				{explain + testMD5, 451, "hold-file"},
				{explain + allowedIP, 403, ""},
			})
		})
	}
}

// TestExplainDocExample: the example of docs/api.md, "Explanations", is
// the golden answer for the address.
func TestExplainDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "explain-address.json"))
	if err != nil {
		t.Fatal(err)
	}
	indented := "    " + strings.ReplaceAll(strings.TrimSuffix(string(want), "\n"), "\n", "\n    ")
	if !strings.Contains(string(doc), indented) {
		t.Errorf("docs/api.md: got no example equal to testdata/explain-address.json, want\n%s", indented)
	}
}
