package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/httpapi"
)

// from sends GET target from the client address remote with the
// Authorization header auth.
func (e *env) from(t testing.TB, remote, target, auth string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = remote
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// metric reads one unlabelled counter from /metrics.
func (e *env) metric(t testing.TB, name string) int {
	t.Helper()
	w := e.do(t, http.MethodGet, "/metrics", "")
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

func TestFailedAuthenticationLimit(t *testing.T) {
	clock := &manualClock{t: now}
	e := newConfiguredEnv(t, httpapi.Config{AuthFailures: 5, AuthWindow: 10 * time.Second}, clock.Now)
	good := "Bearer " + e.tokens["alice"]
	const bad = "Bearer tipd_guessed"
	const attacker = "203.0.113.7:4000"

	for i := range 5 {
		if w := e.from(t, attacker, "/api/ip/1.2.3.4", bad); w.Code != 401 {
			t.Fatalf("failure %d: %d %s, want 401", i+1, w.Code, w.Body)
		}
	}
	check := func(name, remote, auth string, status int, code string) {
		t.Helper()
		for _, target := range []string{"/api/ip/1.2.3.4", "/api/v1/search/ip?request=1.2.3.4", "/taxii2/"} {
			w := e.from(t, remote, target, auth)
			if w.Code != status {
				t.Errorf("%s, %s: %d %s, want %d", name, target, w.Code, w.Body, status)
				continue
			}
			if status != 429 {
				continue
			}
			if ra := w.Header().Get("Retry-After"); ra != "2" {
				t.Errorf("%s, %s: Retry-After %q, want 2", name, target, ra)
			}
			if target == "/api/ip/1.2.3.4" {
				if got, _ := errorOf(t, w); got != code {
					t.Errorf("%s: error %q, want %q", name, got, code)
				}
			} else if !strings.Contains(w.Body.String(), "failed authentications") {
				t.Errorf("%s, %s: body %s", name, target, w.Body)
			}
		}
	}
	const locked = "too_many_failed_authentications"
	check("sixth guess", attacker, bad, 429, locked)
	check("correct token during the lock-out", attacker, good, 429, locked)
	check("no credentials during the lock-out", attacker, "", 429, locked)
	check("same address, other port", "203.0.113.7:5000", good, 429, locked)
	check("another address", "203.0.113.8:4000", good, 200, "")
	check("another address, wrong token", "203.0.113.8:4000", bad, 401, "")
	if w := e.from(t, attacker, "/healthz", ""); w.Code != 200 {
		t.Errorf("healthz during the lock-out: %d", w.Code)
	}

	// IPv6 clients are counted by /64.
	for range 5 {
		e.from(t, "[2001:db8:1:2::5]:443", "/api/ip/1.2.3.4", bad)
	}
	check("same /64", "[2001:db8:1:2:ffff::9]:443", good, 429, locked)
	check("another /64", "[2001:db8:1:3::5]:443", good, 200, "")

	// The bucket refills at 5 per 10 s: one failure every 2 s.
	clock.Advance(2 * time.Second)
	check("after the wait", attacker, good, 200, "")
	if w := e.from(t, attacker, "/api/ip/1.2.3.4", bad); w.Code != 401 {
		t.Errorf("a guess after the wait: %d, want 401", w.Code)
	}
	check("after the wait, guessed again", attacker, good, 429, locked)
	clock.Advance(time.Minute)
	check("a minute later", attacker, good, 200, "")

	if n := e.dayCount(t, "alice"); n != 4*3 {
		t.Errorf("alice: %d requests counted, want 12 (429s count nothing)", n)
	}
	if got := e.metric(t, "tipd_auth_failures_total"); got != 5+3+5+1 {
		t.Errorf("tipd_auth_failures_total = %d, want 14", got)
	}
	if got := e.metric(t, "tipd_auth_lockouts_total"); got != 3*(4+1+1) {
		t.Errorf("tipd_auth_lockouts_total = %d, want 18", got)
	}
}

// TestFailedAuthenticationLog: 1,000 failed authentications from one
// address write a bounded number of lines: the first failure in full, then
// one summary line per window with the counts.
func TestFailedAuthenticationLog(t *testing.T) {
	clock := &manualClock{t: now}
	const window = time.Second
	e := newConfiguredEnv(t, httpapi.Config{AuthFailures: 20, AuthWindow: window}, clock.Now)
	start := time.Now()
	for i := range 1000 {
		w := e.from(t, "198.51.100.23:999", "/api/ip/1.2.3.4", "Bearer tipd_guess"+strconv.Itoa(i))
		if want := map[bool]int{true: 401, false: 429}[i < 20]; w.Code != want {
			t.Fatalf("request %d: %d, want %d", i, w.Code, want)
		}
	}
	elapsed := time.Since(start)
	// A full line, then summaries: at most one per window that began.
	if lines := strings.Count(e.logs.String(), "\n"); lines > 2+int(elapsed/window) {
		t.Errorf("%d log lines after %v for 1000 failures:\n%s", lines, elapsed, e.logs)
	}
	type line struct {
		Level, Msg, Client, Window string
		Status, Failed, Refused    int
	}
	var full, failed, refused int
	deadline := time.Now().Add(10 * window)
	for {
		full, failed, refused = 0, 0, 0
		for _, s := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
			var l line
			if err := json.Unmarshal([]byte(s), &l); err != nil {
				t.Fatalf("log line %q: %v", s, err)
			}
			switch l.Msg {
			case "request":
				full++
				if l.Status != 401 {
					t.Errorf("request line %s", s)
				}
			case "failed authentications":
				if l.Client != "198.51.100.23" || l.Window != "1s" || l.Level != "WARN" {
					t.Errorf("summary line %s", s)
				}
				failed += l.Failed
				refused += l.Refused
			default:
				t.Errorf("log line %s", s)
			}
		}
		if failed+refused == 999 || time.Now().After(deadline) {
			break
		}
		time.Sleep(window / 10)
	}
	if full != 1 || failed != 19 || refused != 980 {
		t.Errorf("%d full lines, summaries of %d failures and %d refusals; want 1, 19, 980:\n%s", full, failed, refused, e.logs)
	}
}
