package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/pebble"
)

// netStack is the real tipd stack on a Pebble store holding addresses of
// the documentation networks: AS64500 announces 192.0.2.0/24 and
// 198.51.100.0/24, AS64501 203.0.113.0/24. 192.0.2.1–40 were last seen
// an hour apart (192.0.2.1 the newest), 198.51.100.1–30 likewise, half an
// hour later each.
func netStack(t *testing.T) *stack {
	t.Helper()
	ctx := t.Context()
	st, err := pebble.Open(t.TempDir(), pebble.Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	testNow := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return testNow }
	src := intel.Source{Feed: "Example Doc Feed", File: "doc.csv", Imported: testNow.Add(-time.Hour)}
	b := &intel.Batch{
		ASRanges: []intel.ASRange{
			{Prefix: netip.MustParsePrefix("192.0.2.0/24"), ASN: 64500, Description: []string{"EXAMPLE-DOC-NET", "Example Documentation Net"}, Source: src},
			{Prefix: netip.MustParsePrefix("198.51.100.0/24"), ASN: 64500, Description: []string{"EXAMPLE-DOC-NET", "Example Documentation Net"}, Source: src},
			{Prefix: netip.MustParsePrefix("203.0.113.0/24"), ASN: 64501, Description: []string{"OTHER-DOC-NET"}, Source: src},
		},
		Countries: []intel.CountryRange{{Prefix: netip.MustParsePrefix("192.0.2.0/23"), Country: "NL", Source: src}},
	}
	add := func(ip netip.Addr, last time.Time, cat intel.Category) {
		b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: last.Truncate(24*time.Hour).AddDate(0, 0, -1), Hits: 3})
		b.Listings = append(b.Listings, intel.Listing{IP: ip, Feed: "Example Doc Feed", Category: cat, FirstSeen: last.Add(-time.Hour), LastSeen: last, Source: src})
	}
	for i := range 40 {
		add(netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}), testNow.Add(-time.Duration(i+1)*time.Hour), intel.CatSpam)
	}
	for i := range 30 {
		add(netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}), testNow.Add(-time.Duration(i+1)*time.Hour-30*time.Minute), intel.CatBotnetCNC)
	}
	add(netip.MustParseAddr("203.0.113.9"), testNow.Add(-time.Minute), intel.CatSpam)
	if err := st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := store.PutFeedVersions(ctx, st, map[string]time.Time{"Example Doc Feed": testNow.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return serveStack(t, st, now)
}

// apiNetwork asks GET /api/network directly, for what the page must show.
func (s *stack) apiNetwork(t *testing.T, request string, count int) (items []string, next string) {
	t.Helper()
	resp := s.get(t, s.token, fmt.Sprintf("/api/network?request=%s&count=%d", request, count))
	defer resp.Body.Close()
	var a struct {
		Items []struct{ Ip string }
		Next  string
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/network?request=%s: status %d", request, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	for _, it := range a.Items {
		items = append(items, it.Ip)
	}
	return items, a.Next
}

// TestBrowserNetworkPages: from an address to its network, the network's
// AS, the AS's page newest first, one of its networks paged with "Show
// more", and back to the lookup of an address, in a real browser; then a
// feed's page.
func TestBrowserNetworkPages(t *testing.T) {
	s := netStack(t)
	br := startBrowser(t)
	ctx, run, eval, events := br.ctx, br.run, br.eval, &br.events
	wait := br.waitFor
	waitTitle := func(subject string) {
		t.Helper()
		wait(subject, fmt.Sprintf(`(() => { const h = document.querySelector('#result-title'); return !!h && h.textContent === %q && !document.querySelector('#result').hasAttribute('aria-busy'); })()`, subject))
	}
	// rows are the addresses of the page's list, in order.
	rows := func() []string {
		t.Helper()
		v := eval(`[...document.querySelectorAll('#result table.grid tbody tr')].map(r => r.cells[1].textContent).join(',')`)
		if v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	shotDir := os.Getenv("TIPD_SCREENSHOT_DIR")
	if shotDir == "" {
		shotDir = t.TempDir()
	}
	// screenshot saves the page as name after checking that it shows
	// every text of want.
	screenshot := func(name string, want ...string) {
		t.Helper()
		text := eval(`document.body.textContent`)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the page does not show %q", name, w)
			}
		}
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		png, err := chromedp.Run(actx, chromedp.FullScreenshot(100))
		acancel()
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if len(png) < 1000 {
			t.Errorf("%s: screenshot of %d bytes", name, len(png))
		}
		shot := filepath.Join(shotDir, name)
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", shot)
	}

	// 1. An address of 192.0.2.0/24, with 10 rows per list.
	const addr = "192.0.2.10"
	run("open the address",
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#token"), s.token),
		chromedp.Evaluate[chromedp.Void](`(() => { const c = document.querySelector('#count'); c.value = '10'; })()`),
		chromedp.SendKeys(chromedp.CSS("#q"), addr),
		chromedp.Click(chromedp.CSS("#go")),
	)
	waitTitle(addr)
	// Its header names its network, linked to the network's page.
	if got := eval(`(document.querySelector('#result .facts-summary a.pivot[data-kind="net"]') || {}).textContent || ''`); got != "192.0.2.0/24" {
		t.Fatalf("network in the header of %s: got %q, want 192.0.2.0/24", addr, got)
	}
	run("click the network", chromedp.Click(chromedp.CSS(`#result .facts-summary a.pivot[data-kind="net"]`)))
	waitTitle("192.0.2.0/24")

	// 2. The network page names its AS: to the AS's page.
	if got := eval(`(document.querySelector('#result .facts-summary a.pivot[data-kind="as"]') || {}).textContent || ''`); got != "AS64500" {
		t.Fatalf("AS of 192.0.2.0/24: got %q, want AS64500", got)
	}
	run("click the AS", chromedp.Click(chromedp.CSS(`#result .facts-summary a.pivot[data-kind="as"]`)))
	waitTitle("AS64500")
	if got := eval(`location.hash`); got != "#/as/64500" {
		t.Errorf("address bar of the AS page: got %q", got)
	}
	// Newest first, as the API lists them: the two networks interleaved.
	wantAS, _ := s.apiNetwork(t, "AS64500", 10)
	if got := rows(); strings.Join(got, ",") != strings.Join(wantAS, ",") || len(got) != 10 || got[0] != "192.0.2.1" || got[1] != "198.51.100.1" {
		t.Errorf("AS64500 rows: got %v, want %v (192.0.2.1, 198.51.100.1, …)", got, wantAS)
	}
	screenshot("portal-as.png", "Autonomous system", "AS64500", "EXAMPLE-DOC-NET · Example Documentation Net",
		"192.0.2.0/24", "198.51.100.0/24", "Addresses, newest first", "192.0.2.1", "Show more")

	// 3. One of its networks, paged with "Show more".
	run("click a network of the AS", chromedp.Click(chromedp.CSS(`#result a.pivot[data-kind="net"][href="#/net/198.51.100.0%2F24"]`)))
	waitTitle("198.51.100.0/24")
	first := rows()
	if len(first) != 10 || first[0] != "198.51.100.1" {
		t.Fatalf("first page of 198.51.100.0/24: got %v, want 10 starting 198.51.100.1", first)
	}
	for page := 2; page <= 3; page++ {
		run("show more", chromedp.Click(chromedp.CSS("#net-more")))
		wait("page "+strconv.Itoa(page), fmt.Sprintf(`document.querySelectorAll('#result table.grid tbody tr').length === %d`, page*10))
	}
	all := rows()
	seen := map[string]bool{}
	for i, a := range all {
		if want := fmt.Sprintf("198.51.100.%d", i+1); a != want || seen[a] {
			t.Errorf("row %d after paging: got %s, want %s (newest first, each once)", i, a, want)
		}
		seen[a] = true
	}
	if got := eval(`String(document.querySelector('#net-more').hidden)`); got != "true" {
		t.Errorf("Show more after the last page: hidden %s, want true", got)
	}
	if got := eval(`document.querySelector('#net-count').textContent`); got != "30" {
		t.Errorf("count after paging: got %q, want 30", got)
	}
	// Each zone is that of the address's own lookup.
	zone := eval(`document.querySelector('#result table.grid tbody tr').cells[0].textContent`)
	if _, body := s.apiGet(t, s.token, "198.51.100.1"); zone != body["Zone"] {
		t.Errorf("zone of 198.51.100.1: got %q, want %v (its lookup's)", zone, body["Zone"])
	}
	screenshot("portal-network.png", "Network", "198.51.100.0/24", "AS64500", "198.51.100.1", "198.51.100.30", zone)

	// 4. Back to the lookup of an address.
	run("click an address", chromedp.Click(chromedp.CSS(`#result table.grid a.pivot[href="#/ip/198.51.100.25"]`)))
	waitTitle("198.51.100.25")
	if got := eval(`location.hash`); got != "#/ip/198.51.100.25" {
		t.Errorf("address bar after the pivot: got %q", got)
	}
	screenshot("portal-network-address.png", "198.51.100.25", "198.51.100.0/24")

	// The feed named by the evidence, to its page: what the server knows
	// of it.
	wait("the evidence", `!!document.querySelector('#why-body a.pivot[data-kind="feed"]')`)
	run("click the feed", chromedp.Click(chromedp.CSS(`#why-body a.pivot[data-kind="feed"]`)))
	waitTitle("Example Doc Feed")
	if got := eval(`location.hash`); got != "#/feed/Example%20Doc%20Feed" {
		t.Errorf("address bar of the feed page: got %q", got)
	}
	screenshot("portal-feed.png", "Example Doc Feed", "Latest version imported", "2026-11-28 11:00 UTC", "not this server")
	run("open an unknown feed", chromedp.Navigate(s.srv.URL+"/#/feed/Nobody"))
	wait("the answer", `!document.querySelector('#alert').hidden`)
	if got := eval(`document.querySelector('#alert').textContent`); !strings.Contains(got, "404") || !strings.Contains(got, "neither fetches a feed named") {
		t.Errorf("unknown feed: alert %q", got)
	}

	// A network too wide is refused with the server's words.
	run("open a wide network", chromedp.Navigate(s.srv.URL+"/#/net/10.0.0.0%2F7"))
	wait("the refusal", `!document.querySelector('#alert').hidden`)
	if got := eval(`document.querySelector('#alert').textContent`); !strings.Contains(got, "wider than /8; ask for a narrower one") {
		t.Errorf("wide network: alert %q", got)
	}
	events.check(t)
}
