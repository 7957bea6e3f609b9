package web_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store/pebble"
)

// The address of the list test: 150 hosted URLs on invented example
// names (an address of the portal fixture's invented network: the
// documentation ranges are reserved, and a lookup of a reserved address
// answers no lists).
const (
	listIP    = "45.95.147.30"
	listItems = 150
)

// listBatch is the fixture: 150 hosted URLs of listIP, many sharing their
// LastSeen and hits, so that the pages split ties.
func listBatch() *intel.Batch {
	ip := netip.MustParseAddr(listIP)
	src := intel.Source{Feed: "Example URL Feed", File: "urls.csv", Imported: time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)}
	b := &intel.Batch{}
	for i := range listItems {
		seen := time.Date(2026, 11, 26-i%7, 10, 0, 0, 0, time.UTC)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("files.example.com/paged/%03d.bin", i),
			Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatMalware}, Hits: int64(1 + i%5), FirstSeen: seen, LastSeen: seen, Source: src})
	}
	return b
}

// TestBrowserLists: with 10 rows per list, an address with 150 hosted URLs
// shows its true total in the list's badge, and "Show more", pressed from
// the keyboard, appends the next page until all 150 rows are there, each
// once; sorting and filtering work on every row loaded. Real server, real
// Pebble store, headless Chromium.
func TestBrowserLists(t *testing.T) {
	browser, err := findBrowser()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; CI is set, so the browser test must run", err)
		}
		t.Skipf("%v; install it (Debian: apt-get install chromium) or set TIPD_BROWSER to run the browser test", err)
	}
	st, err := pebble.Open(t.TempDir(), pebble.Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Apply(t.Context(), listBatch()); err != nil {
		t.Fatal(err)
	}
	s := newStackOn(t, st)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}
	var events pageEvents
	if err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			events.add(fmt.Sprintf("a %s dialog opened: %q", d.Type, d.Message))
		}
	}); err != nil {
		t.Fatal(err)
	}
	consoleCtx, stopConsole := context.WithCancel(ctx)
	consoleDone := make(chan struct{})
	messages := chromedp.Console(consoleCtx)
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			if text := m.String(); m.IsException() || strings.Contains(text, "Content Security Policy") || strings.Contains(text, "Trusted Type") {
				events.add("console: " + text)
			}
		}
	}()
	defer func() { stopConsole(); <-consoleDone }()

	run := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		defer acancel()
		if err := chromedp.Do(actx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		defer acancel()
		v, err := chromedp.Run(actx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	// waitFor polls expr (a JavaScript expression) until it is true.
	waitFor := func(what, expr string) {
		t.Helper()
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		defer acancel()
		if _, err := chromedp.Run(actx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			t.Fatalf("wait for %s: %v (alert: %q, status: %q)", what, err,
				eval(`document.querySelector('#alert').textContent`), eval(`document.querySelector('#status').textContent`))
		}
	}

	const (
		table = `[...document.querySelectorAll('#result table')].find(t => t.querySelector('caption').textContent === 'Hosted URLs')`
		card  = table + `.closest('section')`
		rows  = table + `.querySelectorAll('tbody tr')`
		more  = card + `.querySelector('button.more')`
	)
	rowCount := func() int {
		t.Helper()
		n, err := strconv.Atoi(eval(rows + `.length.toString()`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	run("open the portal and look up the address with 10 rows per list",
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#token"), s.token),
		chromedp.SetValue(chromedp.CSS("#count"), "10"),
		chromedp.SendKeys(chromedp.CSS("#q"), listIP),
		chromedp.Click(chromedp.CSS("#go")),
	)
	// The badge shows the true total once the list's first page told it.
	waitFor("the total in the badge", `(() => { const t = `+table+`; return !!t && t.closest('section').querySelector('h3 .count').textContent === '150'; })()`)
	if n := rowCount(); n != 10 {
		t.Errorf("hosted URL rows before paging: got %d, want 10", n)
	}
	if got := eval(card + `.querySelector('.paged-note').textContent`); !strings.HasPrefix(got, "Showing 10 of 150.") {
		t.Errorf("paging note: got %q, want it to start %q", got, "Showing 10 of 150.")
	}

	if dir := os.Getenv("TIPD_SCREENSHOT_DIR"); dir != "" { // only for a person to look at
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		png, err := chromedp.Run(actx, chromedp.FullScreenshot(100))
		acancel()
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "portal-lists-first.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// "Show more", from the keyboard, until the list is complete; the
	// focus stays on the button after each page.
	for page := 1; ; page++ {
		if eval(`String(!!`+more+`)`) != "true" {
			break
		}
		if page > listItems {
			t.Fatal("the Show more button never went away")
		}
		before := rowCount()
		run(fmt.Sprintf("press Show more (page %d)", page),
			chromedp.Focus(chromedp.CSS("#result section.card-list button.more")),
			chromedp.KeyEvent(kb.Enter),
		)
		waitFor(fmt.Sprintf("page %d", page), rows+`.length > `+strconv.Itoa(before))
		if n := rowCount(); n != min(before+10, listItems) {
			t.Fatalf("after page %d: got %d rows, want %d", page, n, min(before+10, listItems))
		}
		if got := eval(`document.activeElement.classList.contains('more') + ' ' + document.activeElement.tagName`); rowCount() < listItems && got != "true BUTTON" {
			t.Errorf("focus after page %d: on %q, want the Show more button", page, got)
		}
	}
	urls := strings.Split(eval(`[...`+rows+`].map(r => r.cells[1].textContent).join('\n')`), "\n")
	seen := map[string]bool{}
	for _, u := range urls {
		if seen[u] {
			t.Errorf("row %q shown twice", u)
		}
		seen[u] = true
	}
	for i := range listItems {
		if u := fmt.Sprintf("files.example.com/paged/%03d.bin", i); !seen[u] {
			t.Errorf("hosted URL %s not shown", u)
		}
	}
	if len(urls) != listItems {
		t.Errorf("rows after paging: got %d, want %d", len(urls), listItems)
	}
	if got := eval(card + `.querySelector('h3 .count').textContent`); got != "150" {
		t.Errorf("badge after paging: got %q, want 150", got)
	}

	// Sorting and filtering work on every row loaded.
	run("sort by hits", chromedp.Evaluate[chromedp.Void](table+`.querySelector('thead button.sort[title="Sort by hits"]').click()`))
	hits := strings.Split(eval(`(() => { const t = `+table+`; const i = [...t.querySelectorAll('thead th')].findIndex(th => th.textContent.startsWith('Hits')); return [...t.querySelectorAll('tbody tr')].map(r => r.cells[i].textContent).join(','); })()`), ",")
	if len(hits) != listItems || hits[0] != "5" || hits[len(hits)-1] != "1" {
		t.Errorf("sorted by hits: got %d rows from %q to %q, want 150 from 5 to 1", len(hits), hits[0], hits[len(hits)-1])
	}
	run("filter", chromedp.Evaluate[chromedp.Void](`(() => { const b = `+card+`.querySelector('input.filter'); b.value = 'paged/14'; b.dispatchEvent(new Event('input')); })()`))
	if got := eval(table + `.querySelectorAll('tbody tr:not([hidden])').length.toString()`); got != "10" {
		t.Errorf("rows matching paged/14: got %s, want 10 (140–149)", got)
	}
	run("clear the filter", chromedp.Evaluate[chromedp.Void](`(() => { const b = `+card+`.querySelector('input.filter'); b.value = ''; b.dispatchEvent(new Event('input')); })()`))

	// The screenshot of the complete list, and the texts it shows.
	shotDir := os.Getenv("TIPD_SCREENSHOT_DIR")
	if shotDir == "" {
		shotDir = t.TempDir()
	}
	actx, acancel := context.WithTimeout(ctx, 20*time.Second)
	png, err := chromedp.Run(actx, chromedp.FullScreenshot(100))
	acancel()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot: not a PNG (%d bytes)", len(png))
	}
	shot := filepath.Join(shotDir, "portal-lists.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	shown := eval(`document.querySelector('#result').innerText`)
	for _, w := range []string{listIP, "Hosted URLs", "Showing 150 of 150; the whole list.", "files.example.com/paged/000.bin", "files.example.com/paged/149.bin"} {
		if !strings.Contains(shown, w) {
			t.Errorf("the page shown in the screenshot does not show %q", w)
		}
	}
	events.check(t)
}
