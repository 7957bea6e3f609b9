package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/formats"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
	"github.com/tipd/tipd/internal/web"
)

// Addresses of testdata/portal.jsonl (see its README).
const (
	redIP  = "45.95.147.10"
	greyIP = "45.95.147.77"
	// injected is planted in free-text fields of the fixture.
	injected = "<img src=x onerror=alert(1)>"
)

// findBrowser returns the browser to drive: $TIPD_BROWSER if set, else the
// first Chromium-like executable found on $PATH.
func findBrowser() (string, error) {
	browserNames := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}
	if p := os.Getenv("TIPD_BROWSER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("TIPD_BROWSER=%s: %w", p, err)
		}
		return p, nil
	}
	for _, n := range browserNames {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found on $PATH (tried " + strings.Join(browserNames, ", ") + ")")
}

// stack is the real tipd stack in process: the in-memory store filled by
// the real importer, the access service, the report builder and the API,
// with the portal mounted next to it.
type stack struct {
	srv   *httptest.Server
	token string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	st := mem.New()
	t.Cleanup(func() { st.Close() })
	return newStackOn(t, st)
}

// newStackOn is newStack on the store st, which the caller closes.
func newStackOn(t *testing.T, st store.Store) *stack {
	t.Helper()
	ctx := t.Context()
	// The clock of the stack is a day after the fixture's newest evidence,
	// so that scores do not depend on when the test runs.
	testNow := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return testNow }

	f, err := os.Open(filepath.Join("testdata", "portal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := importer.Options{File: f.Name(), Feed: "portal-test", Now: now}
	newParser, err := formats.New("jsonl", opts.ParserConfig())
	if err != nil {
		t.Fatal(err)
	}
	sum, err := importer.Import(ctx, st, f, newParser, opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if sum.Skipped > 0 || sum.Unplaced > 0 {
		t.Fatalf("import: %d bad lines (%v), %d records without an address; want none", sum.Skipped, sum.Bad, sum.Unplaced)
	}
	return serveStack(t, st, now)
}

// serveStack serves the API and the portal on st at the clock now, with
// the user analyst (Commercial, 100,000 requests a day) and its token.
func serveStack(t *testing.T, st store.Store, now func() time.Time) *stack {
	t.Helper()
	ctx := t.Context()
	net := netdata.NewHolder()
	if err := net.Refresh(ctx, st, true); err != nil {
		t.Fatal(err)
	}
	acc := &access.Service{Store: st, Now: now}
	if _, err := acc.AddUser(ctx, "analyst", access.License{
		Access: intel.AccessCommercial, DayQuota: 100000, APIAccess: true,
		Expires: now().AddDate(1, 0, 0),
	}); err != nil {
		t.Fatal(err)
	}
	token, _, err := acc.IssueToken(ctx, "analyst", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.NewServer(nil, httpapi.Config{}, httpapi.Deps{
		Access:  acc,
		Reports: &report.Builder{Store: st, Net: net, Now: now},
	})
	srv := httptest.NewServer(mount(web.Handler(), api))
	t.Cleanup(srv.Close)
	return &stack{srv: srv, token: token}
}

// mount routes "/" and "/static/…" to the portal and everything else to the
// API, on the raw path: a path-cleaning mux would redirect web addresses
// in /api/ip/http://… requests.
func mount(ui, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.EscapedPath(); p == "/" || strings.HasPrefix(p, web.StaticPrefix) {
			ui.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// get asks the API for path (and query) with token; the caller closes
// the answer's body.
func (s *stack) get(t *testing.T, token, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// apiGet asks the API directly, for the values the page must show.
func (s *stack) apiGet(t *testing.T, token, request string) (int, map[string]any) {
	t.Helper()
	resp := s.get(t, token, "/api/ip/"+request)
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET /api/ip/%s: decode: %v", request, err)
	}
	return resp.StatusCode, body
}

// apiExplain asks the API for the explanation of request, for the rows
// the page must show.
func (s *stack) apiExplain(t *testing.T, request string) explanation {
	t.Helper()
	resp := s.get(t, s.token, "/api/explain?request="+request)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/explain?request=%s: status %d, want 200", request, resp.StatusCode)
	}
	var x explanation
	if err := json.NewDecoder(resp.Body).Decode(&x); err != nil {
		t.Fatalf("GET /api/explain?request=%s: decode: %v", request, err)
	}
	return x
}

// explanation is the part of GET /api/explain's answer the test checks.
type explanation struct {
	Zone        string
	ThreatScore int
	Evidence    []struct {
		Points         int
		Rule, Evidence string
		Source, Feed   *string
		Note           string
		RecencyWeight  *float64
		Imported       *string
	}
}

// pageEvents collects what the page must never do: open a dialog, throw,
// or violate its Content-Security-Policy or Trusted Types.
type pageEvents struct {
	mu       sync.Mutex
	problems []string
}

func (p *pageEvents) add(s string) {
	p.mu.Lock()
	p.problems = append(p.problems, s)
	p.mu.Unlock()
}

func (p *pageEvents) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.problems {
		t.Errorf("page: %s", s)
	}
	p.problems = nil
}

func TestBrowser(t *testing.T) {
	s := newStack(t)

	br := startBrowser(t)
	ctx, run, eval, events := br.ctx, br.run, br.eval, &br.events
	// lookup types q into the search box and submits it.
	lookup := func(q string) {
		t.Helper()
		run("look up "+q,
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#q").value = ""`),
			chromedp.SendKeys(chromedp.CSS("#q"), q),
			chromedp.Click(chromedp.CSS("#go")),
		)
	}
	// waitZone waits until the result for subject shows a zone badge.
	waitZone := func(subject string) string {
		t.Helper()
		expr := fmt.Sprintf(`(() => {
			const h = document.querySelector('#result-title');
			const z = document.querySelector('#result .zone-big');
			return h && z && h.textContent === %q ? z.textContent : '';
		})()`, subject)
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		defer acancel()
		z, err := chromedp.Run(actx, chromedp.Poll[string](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
		if err != nil {
			t.Fatalf("wait for the result of %s: %v (alert: %q)", subject, err, eval(`document.querySelector('#alert').textContent`))
		}
		return z
	}

	// screenshot saves the whole page as name, in TIPD_SCREENSHOT_DIR when
	// set (for a person to look at), else in a temporary directory.
	shotDir := os.Getenv("TIPD_SCREENSHOT_DIR")
	if shotDir == "" {
		shotDir = t.TempDir()
	}
	screenshot := func(name string) {
		t.Helper()
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		png, err := chromedp.Run(actx, chromedp.FullScreenshot(100))
		acancel()
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		shot := filepath.Join(shotDir, name)
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", shot)
	}

	// 1. The page loads; the analyst enters the token and a Red address.
	run("open the portal",
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#token"), s.token),
	)
	lookup(redIP)
	if got := waitZone(redIP); got != "Red" {
		t.Errorf("zone badge of %s: got %q, want %q", redIP, got, "Red")
	}
	status, want := s.apiGet(t, s.token, redIP)
	if status != http.StatusOK {
		t.Fatalf("API status for %s: got %d, want 200", redIP, status)
	}
	wantScore := fmt.Sprint(want["IpGeneralInfo"].(map[string]any)["ThreatScore"])
	if got := eval(`document.querySelector('#score').textContent`); got != wantScore {
		t.Errorf("threat score shown: got %q, want %q (the API's)", got, wantScore)
	}
	if got := eval(`location.hash`); got != "#/ip/"+redIP {
		t.Errorf("address bar fragment: got %q, want %q", got, "#/ip/"+redIP)
	}
	result := eval(`document.querySelector('#result').innerText`)
	for _, w := range []string{
		"45.95.147.10/bins/x86",            // hosted URL
		"0F343B0931126A20F133D67C2B018A3B", // file MD5
		"c2.badcorp.example",               // DNS resolution
		"Malicious URL Feed",               // feed mask
		"AS64512",                          // WHOIS ASN
		"abuse@hosting.example",            // WHOIS contact
		"Telecommunications",               // industries
		"Commercial",                       // licence
		"Botnet C&C",                       // category
		"Example campaign " + injected,     // report title, as text
		"Amsterdam " + injected,            // WHOIS description, as text
		"Example Hosting B.V. " + injected, // WHOIS contact name, as text
		"Example Bank " + injected,         // phishing target, as text
		"HEUR:Backdoor.Linux.Mirai.b " + injected,
	} {
		if !strings.Contains(result, w) {
			t.Errorf("result does not show %q", w)
		}
	}
	if got := eval(`[...document.querySelectorAll('#result table')].find(t => t.querySelector('caption').textContent === 'Hosted URLs').querySelector('tbody tr td:nth-child(2)').textContent`); !strings.HasPrefix(got, "45.95.147.10/bins/x86") {
		t.Errorf("first hosted URL row: got %q, want the newest, 45.95.147.10/bins/x86", got)
	}
	// Lists sort by zone, hits and last seen, and filter their rows.
	hosted := `[...document.querySelectorAll('#result table')].find(t => t.querySelector('caption').textContent === 'Hosted URLs')`
	if n, _ := strconv.Atoi(eval(hosted + `.querySelectorAll('tbody tr').length.toString()`)); n < 2 {
		t.Fatalf("the Red address has %d hosted URLs; the list controls need two", n)
	}
	run("sort the hosted URLs by hits", chromedp.Evaluate[chromedp.Void](hosted+`.querySelector('thead button.sort[title="Sort by hits"]').click()`))
	hitsCol := `(() => { const t = ` + hosted + `; const i = [...t.querySelectorAll('thead th')].findIndex(th => th.textContent.startsWith('Hits')); return [...t.querySelectorAll('tbody tr')].map(r => r.cells[i].textContent.replace(/[^0-9]/g, '')).join(','); })()`
	hits := strings.Split(eval(hitsCol), ",")
	for i := 1; i < len(hits); i++ {
		a, _ := strconv.Atoi(hits[i-1])
		b, _ := strconv.Atoi(hits[i])
		if a < b {
			t.Errorf("hosted URLs sorted by hits: %v, want most first", hits)
			break
		}
	}
	if got := eval(hosted + `.querySelector('thead th[aria-sort="descending"]').textContent`); !strings.HasPrefix(got, "Hits") {
		t.Errorf("aria-sort descending on %q, want the Hits column", got)
	}
	run("filter the hosted URLs", chromedp.Evaluate[chromedp.Void](`(() => { const b = document.querySelector('#result input.filter[aria-label="Filter Hosted URLs"]'); b.value = 'arm7'; b.dispatchEvent(new Event('input')); })()`))
	if got := eval(hosted + `.querySelectorAll('tbody tr:not([hidden])').length + ' ' + [...` + hosted + `.querySelectorAll('tbody tr:not([hidden])')].every(r => r.textContent.includes('arm7'))`); got != "1 true" {
		t.Errorf("hosted URLs filtered by arm7: got %q, want one row holding arm7", got)
	}

	// The injected markup is text: no element was made of it anywhere.
	if got := eval(`String(document.querySelectorAll('img[src="x"], #result img, [onerror]').length)`); got != "0" {
		t.Errorf("elements made from injected markup: got %s, want 0", got)
	}
	if got := eval(`getComputedStyle(document.querySelector('#alert')).display`); got != "none" {
		t.Errorf("alert display after a good lookup: got %q, want none", got)
	}

	if got := eval(`String(document.querySelector('#verdict-note'))`); got != "null" {
		t.Errorf("a verdict note on the Red address: %q; the evidence tells why", got)
	}

	// The header's AS links to the AS page, which lists the address with
	// the zone of its own lookup.
	if got := eval(`(document.querySelector('#result .facts-summary a.pivot[data-kind="as"]') || {}).textContent || ''`); got != "AS64512" {
		t.Errorf("AS link in the header of %s: got %q, want AS64512", redIP, got)
	}
	run("follow the AS link", chromedp.Evaluate[chromedp.Void](`document.querySelector('#result .facts-summary a.pivot[data-kind="as"]').click()`))
	asRow := fmt.Sprintf(`(() => { const r = [...document.querySelectorAll('#result table.grid tbody tr')].find(r => r.textContent.includes(%q)); return r ? r.cells[0].textContent : ''; })()`, redIP)
	asCtx, asCancel := context.WithTimeout(ctx, 20*time.Second)
	asZone, err := chromedp.Run(asCtx, chromedp.Poll[string](asRow, chromedp.WithPollingInterval(50*time.Millisecond)))
	asCancel()
	if err != nil || asZone != "Red" || eval(`location.hash`) != "#/as/64512" {
		t.Errorf("AS page of %s: row zone %q (%v) at %s, want Red at #/as/64512", redIP, asZone, err, eval(`location.hash`))
	}
	lookup(redIP)
	waitZone(redIP)

	// The screenshot of the Red result, for a person to look at.
	screenshot("portal-red.png")

	// The raw JSON toggle shows the answer as the API sent it.
	run("open the raw JSON", chromedp.Click(chromedp.CSS("#raw summary")), chromedp.WaitVisible(chromedp.CSS("#raw-json")))
	if got := eval(`document.querySelector('#raw-json').textContent`); !strings.Contains(got, `"Zone": "Red"`) || !strings.Contains(got, `"ThreatScore": `+wantScore) {
		t.Errorf("raw JSON does not hold the answer: %.200q", got)
	}

	// 2. A Grey address nothing is known about, submitted with the keyboard.
	run("look up "+greyIP+" with Enter",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#q").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#q"), greyIP+kb.Enter),
	)
	if got := waitZone(greyIP); got != "Grey" {
		t.Errorf("zone badge of %s: got %q, want %q", greyIP, got, "Grey")
	}
	if got := eval(`document.querySelector('#score').textContent`); got != "0" {
		t.Errorf("threat score of %s: got %q, want %q", greyIP, got, "0")
	}
	if got := eval(`document.querySelector('#verdict-note').textContent`); got != "No data: nothing is known about this address" {
		t.Errorf("verdict of %s: got %q, want no data", greyIP, got)
	}
	grey := eval(`document.querySelector('#result').innerText`)
	for _, w := range []string{"Hosted URLs\n0", "EXAMPLE-NET", "NL"} {
		if !strings.Contains(grey, w) {
			t.Errorf("Grey result does not show %q", w)
		}
	}
	// Empty lists are collapsed to their title; opened, they say why.
	if got := eval(`(() => { const d = [...document.querySelectorAll('#result details.card-empty')].find(d => d.querySelector('summary').textContent.startsWith('Hosted URLs')); return d ? String(d.open) + ' ' + d.querySelector('.empty').textContent : 'none'; })()`); got != "false No web addresses known on this address." {
		t.Errorf("the empty Hosted URLs section: got %q, want it collapsed, saying why", got)
	}

	// Some evidence, decayed below Orange: told apart from no data.
	const fadedIP = "45.95.147.33"
	status, faded := s.apiGet(t, s.token, fadedIP)
	if status != http.StatusOK || faded["Zone"] != "Grey" {
		t.Fatalf("API answer for %s: status %d, zone %v; want 200 and Grey", fadedIP, status, faded["Zone"])
	}
	lookup(fadedIP)
	waitZone(fadedIP)
	wantNote := fmt.Sprintf("Some evidence, below the threshold: threat score %v of the 50 Orange needs", faded["IpGeneralInfo"].(map[string]any)["ThreatScore"])
	if got := eval(`document.querySelector('#verdict-note').textContent`); got != wantNote {
		t.Errorf("verdict of %s: got %q, want %q", fadedIP, got, wantNote)
	}

	// 2b. Why this verdict: the evidence under the verdict, strongest
	// first, as GET /api/explain gives it.
	const spamIP = "45.95.147.22"
	wantWhy := s.apiExplain(t, spamIP)
	if len(wantWhy.Evidence) == 0 || wantWhy.Evidence[0].Rule != "listing" || wantWhy.Evidence[0].Source == nil || *wantWhy.Evidence[0].Source != "Example Spam Feed" {
		t.Fatalf("explanation of %s: got %+v, want a listing by Example Spam Feed first", spamIP, wantWhy.Evidence)
	}
	lookup(spamIP)
	if got := waitZone(spamIP); got != wantWhy.Zone {
		t.Errorf("zone badge of %s: got %q, want %q (the explanation's)", spamIP, got, wantWhy.Zone)
	}
	whyRows := func() []string {
		t.Helper()
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		defer acancel()
		rows, err := chromedp.Run(actx, chromedp.Poll[[]string](`(() => {
			const b = document.querySelector('#why-body');
			if (!b || b.hasAttribute('aria-busy')) return null;
			const rows = [...b.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText.replace(/\s+/g, ' ').trim()).join(' | '));
			return rows.length ? rows : [b.innerText];
		})()`, chromedp.WithPollingInterval(50*time.Millisecond)))
		if err != nil {
			t.Fatalf("wait for the evidence: %v", err)
		}
		return rows
	}
	rows := whyRows()
	if got := eval(`(document.querySelector('#result .facts-summary time[datetime="2026-11-27T09:00:00Z"]') || {}).textContent || ''`); got != "2026-11-27 09:00 UTC" {
		t.Errorf("last seen of %s in the header: got %q, want 2026-11-27 09:00 UTC (its listing's)", spamIP, got)
	}
	first := wantWhy.Evidence[0]
	wantFirst := fmt.Sprintf("+%d | listing %s | Example Spam Feed", first.Points, first.Evidence)
	if len(rows) != len(wantWhy.Evidence) || !strings.HasPrefix(rows[0], wantFirst) {
		t.Errorf("evidence rows of %s: got %q, want %d rows, the first starting %q", spamIP, rows, len(wantWhy.Evidence), wantFirst)
	}
	for _, w := range []string{"file portal.jsonl", "imported 2026-11-28 12:00 UTC", first.Note, fmt.Sprintf("recency weight %v", *first.RecencyWeight), "dated 2026-11-27 09:00 UTC"} {
		if !strings.Contains(rows[0], w) {
			t.Errorf("first evidence row of %s: got %q, want it to show %q", spamIP, rows[0], w)
		}
	}
	if got, want := eval(`document.querySelector('#why-body .why-sum').textContent.replace(/\s+/g, ' ')`), fmt.Sprintf("Threat score %d = +%d", wantWhy.ThreatScore, first.Points); !strings.HasPrefix(got, want) {
		t.Errorf("score sum: got %q, want it to start %q", got, want)
	}
	// The Red address: the strongest piece first, then descending points.
	lookup(redIP)
	waitZone(redIP)
	redWhy := s.apiExplain(t, redIP)
	rows = whyRows()
	if len(rows) != len(redWhy.Evidence) {
		t.Errorf("evidence rows of %s: got %d, want %d", redIP, len(rows), len(redWhy.Evidence))
	}
	if os.Getenv("TIPD_SCREENSHOT_DIR") != "" { // only for a person to look at
		screenshot("portal-why-red.png")
	}
	prev := 1 << 30
	for i, r := range rows {
		var p int
		if _, err := fmt.Sscanf(strings.ReplaceAll(r, "−", "-"), "%d", &p); err != nil {
			t.Fatalf("evidence row %d of %s: %q has no points", i, redIP, r)
		}
		if p > prev {
			t.Errorf("evidence row %d of %s: %d points after %d: want strongest first (rows %q)", i, redIP, p, prev, rows)
		}
		prev = p
	}
	if !strings.Contains(rows[0], "Example C2 Feed") && !strings.Contains(rows[0], "Example Malware Feed") {
		t.Errorf("strongest evidence of %s: got %q, want a feed listing", redIP, rows[0])
	}
	// A special-purpose address: the reserved rule applied.
	lookup("192.168.1.1")
	waitZone("192.168.1.1")
	whyRows()
	if got := eval(`document.querySelector('#why-body').textContent`); !strings.Contains(got, "Rules that applied") || !strings.Contains(got, "reserved") {
		t.Errorf("evidence of a special-purpose address: got %q, want the reserved rule named", got)
	}
	if got := eval(`document.querySelector('#verdict-note').textContent`); got != "Not scored: reserved address (special-purpose range)" {
		t.Errorf("verdict of a special-purpose address: got %q, want it not scored", got)
	}
	if os.Getenv("TIPD_SCREENSHOT_DIR") != "" { // only for a person to look at
		lookup(spamIP)
		waitZone(spamIP)
		whyRows()
		screenshot("portal-why.png")
	}

	// 3. A web address, sent percent-encoded through the raw-path routing.
	const webAddr = "http://45.95.147.10/bins/x86"
	lookup(webAddr)
	if got := waitZone("45.95.147.10/bins/x86"); got != "Red" {
		t.Errorf("zone badge of %s: got %q, want %q", webAddr, got, "Red")
	}
	if got := eval(`document.querySelector('#result').innerText`); !strings.Contains(got, "0F343B0931126A20F133D67C2B018A3B") {
		t.Errorf("web address result does not show the downloaded file")
	}
	if rows := whyRows(); len(rows) == 0 || strings.Contains(rows[0], "could not be loaded") {
		t.Errorf("evidence of %s: got %q, want its rows", webAddr, rows)
	}
	// Its host links to the lookup of the address.
	run("follow the host link", chromedp.Click(chromedp.CSS(`#result .facts-summary a.pivot`)))
	if got := waitZone(redIP); got != "Red" {
		t.Errorf("host link of %s: got %q, want %q", webAddr, got, "Red")
	}
	if got := eval(`document.activeElement ? document.activeElement.id : ''`); got != "result-title" {
		t.Errorf("focus after following a link: got %q, want the result's title", got)
	}

	// 4. A shared link opens the lookup (the token is still held by the tab).
	run("open a shared link", chromedp.Navigate(s.srv.URL+"/?q="+redIP), chromedp.WaitVisible(chromedp.CSS("#q")))
	if got := waitZone(redIP); got != "Red" {
		t.Errorf("shared link ?q=%s: got %q, want %q", redIP, got, "Red")
	}
	if got := eval(`location.hash`); got != "#/ip/"+redIP {
		t.Errorf("?q= link rewritten to: got %q, want %q", got, "#/ip/"+redIP)
	}

	// 5. A domain typed defanged: its own page, with its WHOIS record and
	// resolutions.
	lookup("c2[.]badcorp[.]example")
	if got := waitZone("c2.badcorp.example"); got != "Red" {
		t.Errorf("zone badge of c2.badcorp.example: got %q, want Red", got)
	}
	if got := eval(`location.hash`); got != "#/domain/c2.badcorp.example" {
		t.Errorf("address bar fragment of a domain: got %q, want #/domain/c2.badcorp.example", got)
	}
	dom := eval(`document.querySelector('#result').innerText`)
	for _, w := range []string{"Example Registrar, Inc.", "badcorp.example", "45.95.147.10", "ns1.host.example",
		"Privacy service " + injected, "c2.badcorp.example/bins/loader.sh", "Botnet CC URL Feed"} {
		if !strings.Contains(dom, w) {
			t.Errorf("domain result does not show %q", w)
		}
	}

	// Its Host feed mask links to the name's own page.
	if got := eval(`(() => { const t = [...document.querySelectorAll('#result table')].find(t => t.querySelector('caption').textContent === 'Feed masks'); const a = t && t.querySelector('a.pivot'); return a ? a.getAttribute('href') : ''; })()`); got != "#/domain/c2.badcorp.example" {
		t.Errorf("link of the Host feed mask: got %q, want #/domain/c2.badcorp.example", got)
	}

	// 6. The pivot chain: address -> domain -> web address -> file ->
	// report, each by a link of the previous page.
	click := func(kind, text string) {
		t.Helper()
		expr := fmt.Sprintf(`(() => {
			const a = [...document.querySelectorAll('#result a.pivot[data-kind=%q]')].find(a => a.textContent === %q);
			if (!a) return false;
			a.click();
			return true;
		})()`, kind, text)
		if got := eval(`String(` + expr + `)`); got != "true" {
			t.Fatalf("no %s link %q on the page %s", kind, text, eval(`location.hash`))
		}
	}
	lookup(redIP)
	waitZone(redIP)
	click("domain", "c2.badcorp.example")
	if got := waitZone("c2.badcorp.example"); got != "Red" {
		t.Errorf("domain reached from the address: got %q, want Red", got)
	}
	click("url", "c2.badcorp.example/bins/loader.sh")
	if got := waitZone("c2.badcorp.example/bins/loader.sh"); got != "Red" {
		t.Errorf("web address reached from the domain: got %q, want Red", got)
	}
	click("hash", "75ECF1A9F52C9A20BFCFDD29C8014C4D")
	const sha256 = "4F0A2C1E9B8D7A6F5E4D3C2B1A0F9E8D7C6B5A4F3E2D1C0B9A8F7E6D5C4B3A21"
	if got := waitZone(sha256); got != "Red" {
		t.Errorf("file reached from the web address: got %q, want Red", got)
	}
	file := eval(`document.querySelector('#result').innerText`)
	for _, w := range []string{"Malware", "75ECF1A9F52C9A20BFCFDD29C8014C4D", "HEUR:Trojan-Downloader.Shell.Agent.p", "loader.sh", "Loader campaign"} {
		if !strings.Contains(file, w) {
			t.Errorf("file result does not show %q", w)
		}
	}
	click("report", "rpt-2026-0201")
	{
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := chromedp.Run(actx, chromedp.Poll[bool](`(() => { const h = document.querySelector('#result-title'); return !!h && h.textContent === 'Loader campaign'; })()`,
			chromedp.WithPollingInterval(50*time.Millisecond)))
		acancel()
		if err != nil {
			t.Fatalf("wait for the report page: %v (alert: %q)", err, eval(`document.querySelector('#alert').textContent`))
		}
	}
	if got := eval(`location.hash`); got != "#/report/rpt-2026-0201" {
		t.Errorf("address bar fragment of a report: got %q, want #/report/rpt-2026-0201", got)
	}
	// Its indicators lead back to their own lookups.
	click("ip", redIP)
	if got := waitZone(redIP); got != "Red" {
		t.Errorf("address reached from the report: got %q, want Red", got)
	}

	// 7. A hash typed in lower case opens the file page.
	lookup("75ecf1a9f52c9a20bfcfdd29c8014c4d")
	if got := waitZone(sha256); got != "Red" {
		t.Errorf("file looked up by its MD5: got %q, want Red", got)
	}
	if got := eval(`location.hash`); got != "#/hash/75ecf1a9f52c9a20bfcfdd29c8014c4d" {
		t.Errorf("address bar fragment of a hash: got %q", got)
	}
	if rows := whyRows(); len(rows) == 0 || !strings.Contains(strings.Join(rows, "\n"), "detection") {
		t.Errorf("evidence of the file: got %q, want its detection", rows)
	}

	// 7b. Bulk lookup, by keyboard: a mixed, defanged paste answered as one
	// table, sorted by score, exported as CSV, JSON and STIX.
	downloads := t.TempDir()
	{
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := chromedp.CallBrowser(actx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		acancel()
		if err != nil {
			t.Fatalf("allow downloads: %v", err)
		}
	}
	run("open the bulk view by its link",
		chromedp.Focus(chromedp.CSS("#bulk-link")),
		chromedp.SendKeys(chromedp.CSS("#bulk-link"), kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#bulk-text")),
	)
	if got := eval(`location.hash`); got != "#/bulk" {
		t.Errorf("address bar of the bulk view: got %q, want #/bulk", got)
	}
	const paste = "45[.]95[.]147[.]10, 45.95.147.22\n" +
		"c2[.]badcorp[.]example hxxp://45[.]95[.]147[.]10/bins/x86\n" +
		"0f343b0931126a20f133d67c2b018a3b; 45.95.147.0/24 bogus 45.95.147.10\n"
	run("paste and submit with Ctrl+Enter",
		chromedp.Evaluate[chromedp.Void](`document.activeElement.id === 'bulk-text' || document.querySelector('#bulk-text').focus()`),
		chromedp.SendKeys(chromedp.CSS("#bulk-text"), paste),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)),
	)
	waitBulk := func(n int) {
		t.Helper()
		actx, acancel := context.WithTimeout(ctx, 60*time.Second)
		defer acancel()
		expr := fmt.Sprintf(`document.querySelectorAll('#bulk-rows tr').length === %d && document.querySelector('#bulk-state').textContent.startsWith('Done')`, n)
		if _, err := chromedp.Run(actx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			t.Fatalf("wait for %d bulk rows: %v (state %q, rows %s, alert %q)", n, err, eval(`document.querySelector('#bulk-state').textContent`),
				eval(`String(document.querySelectorAll('#bulk-rows tr').length)`), eval(`document.querySelector('#alert').textContent`))
		}
	}
	waitBulk(7)
	bulkRows := func() []string {
		t.Helper()
		var rows []string
		if err := json.Unmarshal([]byte(eval(`JSON.stringify([...document.querySelectorAll('#bulk-rows tr')].map(r => [...r.cells].map(c => c.textContent.replace(/\s+/g, ' ').trim()).join(' | ')))`)), &rows); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	wantRows := []string{
		"45[.]95[.]147[.]10 45.95.147.10 | ip | Red | " + wantScore + " | Botnet C&C | NL | AS64512 EXAMPLE-HOSTING-AS · Example Hosting B.V. | ok",
		"45.95.147.22 | ip | " + wantWhy.Zone + " | " + fmt.Sprint(wantWhy.ThreatScore) + " | Spam | NL | AS64512 EXAMPLE-HOSTING-AS · Example Hosting B.V. | ok",
		"c2[.]badcorp[.]example c2.badcorp.example | domain | Red |",
		"hxxp://45[.]95[.]147[.]10/bins/x86 45.95.147.10/bins/x86 | url | Red |",
		"0f343b0931126a20f133d67c2b018a3b 0F343B0931126A20F133D67C2B018A3B | hash | Red | — |",
		"45.95.147.0/24 | cidr | — | — | — | NL | AS64512",
		"bogus | — | — | — | — | — | — | invalid · \"bogus\" is not an address",
	}
	rows = bulkRows()
	for i, w := range wantRows {
		if i >= len(rows) || !strings.HasPrefix(rows[i], w) {
			t.Errorf("bulk row %d: got %q, want it to start %q", i, rows[min(i, len(rows)-1)], w)
		}
	}
	if got := eval(`document.querySelector('#bulk-summary').textContent`); !strings.HasPrefix(got, "7 indicators: 6 answered, 1 not recognised.") {
		t.Errorf("bulk summary: got %q", got)
	}
	// Sorted by score with the keyboard: strongest first, rows without a
	// score last; again: the other way round.
	run("sort by score", chromedp.Focus(chromedp.CSS(`#bulk-head button[data-sort="score"]`)), chromedp.KeyEvent(kb.Enter))
	rows = bulkRows()
	if !strings.HasPrefix(rows[0], "45[.]95[.]147[.]10") || !strings.Contains(rows[len(rows)-1], "—") {
		t.Errorf("sorted by score: got %q, want the Red address first", rows)
	}
	if got := eval(`document.querySelector('#bulk-head th:nth-child(4)').getAttribute('aria-sort')`); got != "ascending" {
		t.Errorf("aria-sort of the score column: got %q, want ascending", got)
	}
	run("sort by zone", chromedp.Click(chromedp.CSS(`#bulk-head button[data-sort="zone"]`)))
	if rows = bulkRows(); !strings.Contains(rows[0], "| Red |") || !strings.Contains(rows[4], "| "+wantWhy.Zone+" |") {
		t.Errorf("sorted by zone: got %q, want Red rows first, then %s", rows, wantWhy.Zone)
	}
	// Its row links to the lookup of the indicator.
	if got := eval(`document.querySelector('#bulk-rows a.pivot[data-kind="url"]').getAttribute('href')`); got != "#/url/http%3A%2F%2F45.95.147.10%2Fbins%2Fx86" {
		t.Errorf("link of the web-address row: got %q", got)
	}
	if os.Getenv("TIPD_SCREENSHOT_DIR") != "" { // only for a person to look at
		screenshot("portal-bulk.png")
	}
	waitFile := func(name string) []byte {
		t.Helper()
		p := filepath.Join(downloads, name)
		for range 200 {
			if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
				return b
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("no download %s", name)
		return nil
	}
	run("export CSV", chromedp.Click(chromedp.CSS("#bulk-csv")))
	csvText := string(waitFile("tipd-bulk.csv"))
	csvLines := strings.Split(strings.TrimSpace(csvText), "\r\n")
	if len(csvLines) != 8 || csvLines[0] != "Indicator,Kind,Value,Status,Zone,ThreatScore,TopCategory,Country,ASN,ASName,Error" ||
		!strings.HasPrefix(csvLines[1], "45[.]95[.]147[.]10,ip,45.95.147.10,ok,Red,"+wantScore+",CATEGORY_BOTNET_CNC,NL,AS64512,") {
		t.Errorf("CSV export: got %q", csvText)
	}
	run("export JSON", chromedp.Click(chromedp.CSS("#bulk-json")))
	var exported []map[string]any
	if err := json.Unmarshal(waitFile("tipd-bulk.json"), &exported); err != nil || len(exported) != 7 {
		t.Errorf("JSON export: %d rows, %v; want 7", len(exported), err)
	}
	run("export STIX", chromedp.Click(chromedp.CSS("#bulk-stix")))
	var bundle struct {
		Type    string
		Objects []map[string]any
	}
	if err := json.Unmarshal(waitFile("tipd-bulk.stix.json"), &bundle); err != nil || bundle.Type != "bundle" {
		t.Fatalf("STIX export: %v, type %q", err, bundle.Type)
	}
	var patterns []string
	for _, o := range bundle.Objects {
		if o["type"] == "indicator" {
			patterns = append(patterns, o["pattern"].(string))
		}
	}
	for _, w := range []string{"[ipv4-addr:value = '45.95.147.10']", "[domain-name:value = 'c2.badcorp.example']",
		"[url:value = 'http://45.95.147.10/bins/x86']", "[file:hashes.MD5 = '0f343b0931126a20f133d67c2b018a3b']"} {
		if !slices.Contains(patterns, w) {
			t.Errorf("STIX export: indicators %q, want one with %q", patterns, w)
		}
	}

	// 1,000 indicators, a third of them defanged, streamed with the
	// progress bar: every one answered once.
	var big strings.Builder
	for i := range 1000 {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&big, "45[.]95[.]%d[.]%d\n", 140+i/256, i%256)
		case 1:
			fmt.Fprintf(&big, "host%d.badcorp.example, ", i)
		default:
			fmt.Fprintf(&big, "hxxp://45.95.147.10/p/%d ", i)
		}
	}
	run("paste 1,000 indicators",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('#bulk-text').value = %q`, big.String())),
		chromedp.Click(chromedp.CSS("#bulk-go")),
	)
	waitBulk(1000)
	if got := eval(`document.querySelector('#bulk-summary').textContent`); !strings.HasPrefix(got, "1,000 indicators: 1,000 answered.") {
		t.Errorf("summary of 1,000: got %q", got)
	}
	if got := eval(`String(document.querySelector('#bulk-progress').value)`); got != "1000" {
		t.Errorf("progress after 1,000: got %s, want 1000", got)
	}
	events.check(t)

	// 7b. The recent lookups of this tab, newest first, each a link; the
	// answer's tools copy the indicator and export the answer.
	lookup(greyIP)
	waitZone(greyIP)
	lookup(redIP)
	waitZone(redIP)
	recent := strings.Split(eval(`[...document.querySelectorAll('#recent-list li')].map(li => (li.querySelector('.zone') ? li.querySelector('.zone').textContent : '-') + ' ' + li.querySelector('a.pivot').textContent).join('\n')`), "\n")
	if len(recent) < 3 || recent[0] != "Red "+redIP || recent[1] != "Grey "+greyIP {
		t.Errorf("recent lookups: got %q, want %s then %s first", recent, redIP, greyIP)
	}
	if len(recent) > 10 {
		t.Errorf("recent lookups: %d, want at most 10", len(recent))
	}
	seen := map[string]bool{}
	for _, r := range recent {
		if seen[r] {
			t.Errorf("recent lookups: %q twice in %q", r, recent)
		}
		seen[r] = true
	}
	run("open a recent lookup", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#recent-list a.pivot')[1].click()`))
	if got := waitZone(greyIP); got != "Grey" {
		t.Errorf("recent lookup link: got %q, want the Grey address", got)
	}
	lookup(redIP)
	waitZone(redIP)
	run("export the answer as JSON", chromedp.Click(chromedp.CSS("#export-json")))
	var answer map[string]any
	if err := json.Unmarshal(waitFile("tipd-ip-"+redIP+".json"), &answer); err != nil || answer["Zone"] != "Red" {
		t.Errorf("JSON export of %s: zone %v, %v; want the Red answer", redIP, answer["Zone"], err)
	}
	run("export the answer as STIX", chromedp.Click(chromedp.CSS("#export-stix")))
	var stixAnswer struct {
		Type    string           `json:"type"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(waitFile("tipd-ip-"+redIP+".stix.json"), &stixAnswer); err != nil || stixAnswer.Type != "bundle" || len(stixAnswer.Objects) == 0 {
		t.Errorf("STIX export of %s: %v, type %q, %d objects; want a bundle", redIP, err, stixAnswer.Type, len(stixAnswer.Objects))
	}
	if got := eval(`document.querySelector('#copy-indicator').textContent`); got != "Copy indicator" {
		t.Errorf("copy button: got %q", got)
	}

	// 8. A bad token: the API's message is shown in an alert.
	const badToken = "tipd_not-a-real-token"
	status, wantErr := s.apiGet(t, badToken, redIP)
	if status != http.StatusUnauthorized {
		t.Fatalf("API status with a bad token: got %d, want 401", status)
	}
	run("forget the token and enter a bad one",
		chromedp.Click(chromedp.CSS("#forget")),
		chromedp.SendKeys(chromedp.CSS("#token"), badToken),
	)
	lookup(greyIP)
	actx, acancel := context.WithTimeout(ctx, 20*time.Second)
	msg, err := chromedp.Run(actx, chromedp.Poll[string](`(() => { const a = document.querySelector('#alert'); return a && !a.hidden ? a.innerText : ''; })()`))
	acancel()
	if err != nil {
		t.Fatalf("wait for the error alert: %v", err)
	}
	if wm := wantErr["message"].(string); !strings.Contains(msg, wm) {
		t.Errorf("alert: got %q, want the API's message %q", msg, wm)
	}
	if !strings.Contains(msg, "401") {
		t.Errorf("alert: got %q, want it to name the status 401", msg)
	}
	if got := eval(`getComputedStyle(document.querySelector('#result')).display`); got != "none" {
		t.Errorf("result display after a failed lookup: got %q, want none", got)
	}
	if got := eval(`sessionStorage.getItem('tipd.token')`); got != badToken {
		t.Errorf("token in session storage: got %q, want the one entered", got)
	}
	run("forget the token", chromedp.Click(chromedp.CSS("#forget")))
	if got := eval(`String(sessionStorage.getItem('tipd.token'))`); got != "null" {
		t.Errorf("token in session storage after Forget: got %q, want none", got)
	}
	if got := eval(`String(localStorage.length)`); got != "0" {
		t.Errorf("local storage entries: got %s, want 0 (the token must not outlive the tab)", got)
	}

	events.check(t)

	// The policy is in force in the browser: Trusted Types refuse an HTML
	// string assigned to innerHTML, so a mistake in the script cannot
	// render data as markup.
	if got := eval(`(() => { try { document.createElement('div').innerHTML = '<b>x</b>'; return 'allowed'; } catch (e) { return e.name; } })()`); got != "TypeError" {
		t.Errorf("innerHTML with a string: got %q, want a TypeError from Trusted Types", got)
	}
}
