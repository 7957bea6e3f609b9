package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browserSession is a headless Chromium that a browser test drives, with
// what the page must never do (dialogs, exceptions, policy violations)
// collected in events for the test to check.
type browserSession struct {
	t      *testing.T
	ctx    context.Context
	events pageEvents
}

// startBrowser starts Chromium for the test, which it skips when no
// browser is found, unless CI is set, where it fails. The browser stops
// when the test ends.
func startBrowser(t *testing.T) *browserSession {
	t.Helper()
	browser, err := findBrowser()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; CI is set, so the browser test must run: install it with scripts/ci-deps.sh (apt-get install chromium) or set TIPD_BROWSER", err)
		}
		t.Skipf("%v; install it (Debian: apt-get install chromium) or set TIPD_BROWSER to run the browser test", err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}
	b := &browserSession{t: t, ctx: ctx}
	if err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			b.events.add(fmt.Sprintf("a %s dialog opened: %q", d.Type, d.Message))
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
				b.events.add("console: " + text)
			}
		}
	}()
	// Cleanups run last first: the console stops before the browser.
	t.Cleanup(func() { stopConsole(); <-consoleDone })
	return b
}

// run runs actions, failing the test after 20 s or on an error.
func (b *browserSession) run(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	actx, acancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer acancel()
	if err := chromedp.Do(actx, actions...); err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
}

// eval evaluates a JavaScript expression whose value is a string.
func (b *browserSession) eval(expr string) string {
	b.t.Helper()
	actx, acancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer acancel()
	v, err := chromedp.Run(actx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls expr (a JavaScript expression) until it is true, for at
// most 20 s.
func (b *browserSession) waitFor(what, expr string) {
	b.t.Helper()
	actx, acancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer acancel()
	if _, err := chromedp.Run(actx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.t.Fatalf("wait for %s: %v (alert: %q, status: %q)", what, err,
			b.eval(`document.querySelector('#alert').textContent`), b.eval(`document.querySelector('#status').textContent`))
	}
}
