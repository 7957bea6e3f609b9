package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

// manualClock is a clock that moves only when told.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newConfiguredEnv is a server over a mem store with users alice
// (unlimited quota) and trial (20 a day), built with cfg; the burst limiter
// runs on clock.
func newConfiguredEnv(t testing.TB, cfg httpapi.Config, clock func() time.Time) *env {
	t.Helper()
	ctx := context.Background()
	st := mem.New()
	acc := &access.Service{Store: st, Now: fixedNow}
	e := &env{st: st, acc: acc, logs: &syncBuffer{}, tokens: map[string]string{}}
	for name, quota := range map[string]int64{"alice": 1 << 40, "trial": 20} {
		if _, err := acc.AddUser(ctx, name, access.License{Access: intel.AccessCommercial, DayQuota: quota, APIAccess: true}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := acc.IssueToken(ctx, name, 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	reg := prometheus.NewRegistry()
	e.h = httpapi.NewServer(slog.New(slog.NewJSONHandler(e.logs, nil)), cfg, httpapi.Deps{
		Access:   acc,
		Reports:  &report.Builder{Store: st, Net: netdata.NewHolder(), Now: fixedNow},
		Metrics:  httpapi.NewMetrics(reg),
		Registry: reg,
		Now:      clock,
	})
	return e
}

func (e *env) dayCount(t testing.TB, user string) int64 {
	t.Helper()
	n, err := e.st.RequestCount(context.Background(), user, store.Day(now))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBurstLimit(t *testing.T) {
	clock := &manualClock{t: now}
	e := newConfiguredEnv(t, httpapi.Config{RatePerSecond: 0.5, Burst: 3}, clock.Now)

	for i := range 3 {
		if w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice"); w.Code != http.StatusOK {
			t.Fatalf("request %d of the burst: got %d %s, want 200", i+1, w.Code, w.Body)
		}
	}
	for range 5 {
		w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice")
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("over the burst: got %d %s, want 429", w.Code, w.Body)
		}
		if code, _ := errorOf(t, w); code != "rate_limited" {
			t.Errorf("code = %q, want rate_limited", code)
		}
		// One token per 2 s: the next one is 2 s away.
		if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra != 2 {
			t.Errorf("Retry-After = %q, want 2", w.Header().Get("Retry-After"))
		}
	}
	if n := e.dayCount(t, "alice"); n != 3 {
		t.Errorf("day count = %d after 3 answers and 5 refusals, want 3", n)
	}

	// Another user has a burst of their own.
	if w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "trial"); w.Code != http.StatusOK {
		t.Errorf("other user: got %d, want 200", w.Code)
	}

	// After 1.5 s there is still no whole token; Retry-After rounds up.
	clock.Advance(1500 * time.Millisecond)
	w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("after 1.5 s: got %d Retry-After %q, want 429 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	clock.Advance(500 * time.Millisecond)
	if w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice"); w.Code != http.StatusOK {
		t.Fatalf("after waiting: got %d %s, want 200", w.Code, w.Body)
	}
	if w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("one token used again: got %d, want 429", w.Code)
	}
	clock.Advance(time.Hour)
	for i := range 3 {
		if w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice"); w.Code != http.StatusOK {
			t.Fatalf("refilled burst, request %d: got %d, want 200", i+1, w.Code)
		}
	}
	if n := e.dayCount(t, "alice"); n != 7 {
		t.Errorf("day count = %d, want 7", n)
	}
}

// TestBurstLimitOrder: credentials come first (an anonymous flood is 401,
// not 429), and a limited user's malformed requests are 429 too, before
// anything about the request is looked at.
func TestBurstLimitOrder(t *testing.T) {
	clock := &manualClock{t: now}
	e := newConfiguredEnv(t, httpapi.Config{RatePerSecond: 1, Burst: 1}, clock.Now)
	for range 3 {
		if w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", ""); w.Code != http.StatusUnauthorized {
			t.Fatalf("no credentials: got %d, want 401", w.Code)
		}
	}
	if w := e.do(t, http.MethodGet, "/api/ip/nonsense", "alice"); w.Code != http.StatusBadRequest {
		t.Fatalf("malformed: got %d, want 400", w.Code)
	}
	if w := e.do(t, http.MethodGet, "/api/ip/nonsense", "alice"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("malformed over the limit: got %d, want 429", w.Code)
	}
	if n := e.dayCount(t, "alice"); n != 0 {
		t.Errorf("day count = %d, want 0", n)
	}
}

func TestBurstLimitOff(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	for i := range 50 {
		if w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice"); w.Code != http.StatusOK {
			t.Fatalf("request %d without a limit: got %d", i+1, w.Code)
		}
	}
}

// TestBurstLimitTinyRate: a rate so low that the wait overflows a
// time.Duration still answers a bounded Retry-After.
func TestBurstLimitTinyRate(t *testing.T) {
	clock := &manualClock{t: now}
	e := newConfiguredEnv(t, httpapi.Config{RatePerSecond: 1e-12, Burst: 1}, clock.Now)
	if w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice"); w.Code != http.StatusOK {
		t.Fatalf("first request: got %d", w.Code)
	}
	clock.Advance(2 * time.Minute) // past a sweep: the bucket is not full, so it stays
	w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "86400" {
		t.Errorf("got %d Retry-After %q, want 429 and 86400", w.Code, w.Header().Get("Retry-After"))
	}
}

// doCounted asks alice's GET of target and checks its status and whether
// it took one count of her quota (counted) or none; it returns the answer,
// or nil after an error when the status is not the one wanted.
func (e *env) doCounted(t testing.TB, target string, status int, counted bool) *httptest.ResponseRecorder {
	t.Helper()
	before := e.dayCount(t, "alice")
	w := e.do(t, http.MethodGet, target, "alice")
	if w.Code != status {
		t.Errorf("%s: got status %d, want %d; body %s", target, w.Code, status, w.Body)
		return nil
	}
	if n := e.dayCount(t, "alice") - before; n != map[bool]int64{true: 1}[counted] {
		t.Errorf("%s: counted %d times, want counted=%v", target, n, counted)
	}
	return w
}
