package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

// TestGate walks the gate through its rules: the per-user cap, the budget,
// one user's half of it, light lookups passing heavy waiting ones, and
// shrinking.
func TestGate(t *testing.T) {
	ctx := context.Background()
	g := newGate(100, 3, 50*time.Millisecond)

	// Per-user cap: the fourth lookup of a user waits for a place and is
	// refused when none comes within the wait; another user's is not
	// held up; leaving makes room again.
	var ts []ticket
	for range 3 {
		tk, err := g.enter(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tk)
	}
	_, err := g.enter(ctx, "a")
	var rl *rateLimitedError
	if !errors.As(err, &rl) || rl.err.Code != "too_many_in_flight" || rl.retryAfter != 1 {
		t.Fatalf("fourth lookup in flight: %v, want too_many_in_flight", err)
	}
	b, err := g.enter(ctx, "b")
	if err != nil {
		t.Fatalf("another user: %v", err)
	}

	// A lookup waiting for a place gets the one a leaving lookup gives
	// up, oldest waiting first.
	type entered struct {
		tk  ticket
		err error
	}
	got := make(chan entered, 2)
	for range 2 {
		go func() {
			tk, err := g.enter(ctx, "a")
			got <- entered{tk, err}
		}()
	}
	for {
		g.mu.Lock()
		n := len(g.users["a"].queue)
		g.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ts[2].leave()
	first := <-got
	if first.err != nil {
		t.Fatalf("waiting lookup after a leave: %v", first.err)
	}
	ts[2] = first.tk
	g.mu.Lock()
	n := g.users["a"].n
	g.mu.Unlock()
	if n != 3 {
		t.Fatalf("after one leave and one admission: %d in flight, want 3", n)
	}
	if second := <-got; !errors.As(second.err, &rl) || rl.err.Code != "too_many_in_flight" {
		t.Fatalf("second waiting lookup: %v, want too_many_in_flight after the wait", second.err)
	}
	g.mu.Lock()
	queued := len(g.users["a"].queue)
	g.mu.Unlock()
	if queued != 0 {
		t.Fatalf("%d lookups still queued after the wait, want 0", queued)
	}

	// One user gets at most half the budget, unless it holds nothing.
	if err := ts[0].acquire(ctx, 40); err != nil {
		t.Fatal(err)
	}
	if err := ts[1].acquire(ctx, 20); intel.KindOf(err) != intel.KindUnavailable {
		t.Fatalf("a over its half: %v, want KindUnavailable", err)
	}
	// b holds nothing: its first lookup passes although it is heavier
	// than half, weighed as half (no lookup takes more).
	if err := b.acquire(ctx, 70); err != nil {
		t.Fatalf("b's first lookup: %v", err)
	}
	if g.used != 90 {
		t.Fatalf("used %d, want 90", g.used)
	}

	// A waiting lookup is granted once room is made.
	c, err := g.enter(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.acquire(ctx, 20) }()
	for {
		g.mu.Lock()
		n := len(g.waiters)
		g.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.shrink(5) // b's answer was smaller than assumed
	if err := <-done; err != nil {
		t.Fatalf("after shrink: %v", err)
	}
	if g.used != 65 || g.users["a"].held != 40 || g.users["b"].held != 5 || g.users["c"].held != 20 {
		t.Fatalf("used %d, a %d, b %d, c %d; want 65, 40, 5, 20", g.used, g.users["a"].held, g.users["b"].held, g.users["c"].held)
	}

	// A cancelled wait gives up without holding anything.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := ts[2].acquire(cctx, 1000); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	for _, tk := range ts {
		tk.leave()
	}
	b.leave()
	c.leave()
	if g.used != 0 || len(g.waiters) != 0 || g.users["a"].n != 0 || g.users["b"].n != 0 || g.users["c"].n != 0 {
		t.Fatalf("after every leave: used %d, %d waiters, users %v", g.used, len(g.waiters), g.users)
	}

	// Idle users are forgotten once there are many.
	for i := range minSweep + 1 {
		tk, err := g.enter(ctx, fmt.Sprint("u", i))
		if err != nil {
			t.Fatal(err)
		}
		tk.leave()
	}
	if len(g.users) > minSweep {
		t.Errorf("%d users tracked after they all left, want at most %d", len(g.users), minSweep)
	}
}

// TestRequestWeight checks that the weight follows count, the sections
// asked for and the format.
func TestRequestWeight(t *testing.T) {
	ip := lookupRequest{sections: report.AllIPSections, count: 10000, format: formatJSON}
	if got, want := requestWeight(ip), itemsWeight(40000, formatJSON); got != want {
		t.Errorf("every section, count 10000: %d, want %d", got, want)
	}
	zone := lookupRequest{sections: report.SecZone, count: 10000, format: formatJSON}
	if got, want := requestWeight(zone), itemsWeight(report.RedDomainScan, formatJSON); got != want {
		t.Errorf("Zone only: %d, want %d (the resolutions read for the score)", got, want)
	}
	tests := []struct {
		name string
		req  lookupRequest
		want int64
	}{
		// Six capped lists: resolutions, files downloaded and accessed,
		// referrals both ways, masks.
		{"web address, STIX", lookupRequest{kind: kindURL, url: "http://example.com/", sections: report.AllURLSections, count: 100, format: formatSTIX},
			itemsWeight(600, formatSTIX)},
		{"web address, Zone", lookupRequest{kind: kindURL, url: "http://example.com/", sections: report.SecZone, count: 100, format: formatJSON},
			itemsWeight(0, formatJSON)},
		// Seven capped lists (Subdomains too).
		{"domain, every section", lookupRequest{kind: kindDomain, object: "example.com", sections: report.AllDomainSections, count: 10, format: formatJSON},
			itemsWeight(70, formatJSON)},
		// Nine capped lists, two uncapped ones.
		{"file, every section", lookupRequest{kind: kindHash, object: "0F343B0931126A20F133D67C2B018A3B", sections: report.AllFileSections, count: 10, format: formatJSON},
			itemsWeight(90+2*uncappedItems, formatJSON)},
		{"file search", lookupRequest{kind: kindHash, object: "0F343B0931126A20F133D67C2B018A3B", sections: searchHashSections, count: 1000, format: formatJSON},
			itemsWeight(uncappedItems, formatJSON)},
	}
	for _, tt := range tests {
		if got := requestWeight(tt.req); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestLookupTurnedAway checks the answers of lookups the gate turns away:
// 429 over the user's lookups in flight, 503 when the memory budget stays
// taken, both with Retry-After and a JSON body, neither counted.
func TestLookupTurnedAway(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := mem.New()
	acc := &access.Service{Store: st, Now: clock}
	if _, err := acc.AddUser(ctx, "alice", access.License{Access: intel.AccessCommercial, DayQuota: 100, APIAccess: true}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := acc.IssueToken(ctx, "alice", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(nil, Config{LookupMemory: 1 << 20, UserInFlight: 2, MemoryWait: 20 * time.Millisecond}, Deps{
		Access: acc, Reports: &report.Builder{Store: st, Net: netdata.NewHolder(), Now: clock}, Now: clock,
	}).(*server)
	do := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/ip/45.95.147.10?count=10000", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	check := func(w *httptest.ResponseRecorder, status int, code string) {
		t.Helper()
		var body errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != status || body.Error != code || body.Message == "" {
			t.Fatalf("status %d body %s; want %d %s", w.Code, w.Body, status, code)
		}
		if w.Header().Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q, want 1", w.Header().Get("Retry-After"))
		}
	}

	// Two other users hold the whole budget: alice waits, then 503.
	var others []ticket
	for _, name := range []string{"o1", "o2"} {
		o, _ := s.gate.enter(ctx, name)
		if err := o.acquire(ctx, 1<<20); err != nil {
			t.Fatal(err)
		}
		others = append(others, o)
	}
	check(do(), http.StatusServiceUnavailable, "server_busy")
	for _, o := range others {
		o.leave()
	}

	// alice has two lookups in flight already: 429.
	t1, _ := s.gate.enter(ctx, "alice")
	t2, _ := s.gate.enter(ctx, "alice")
	check(do(), http.StatusTooManyRequests, "too_many_in_flight")
	t1.leave()
	t2.leave()

	mw := httptest.NewRecorder()
	s.ServeHTTP(mw, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`tipd_lookups_turned_away_total{reason="memory"} 1`,
		`tipd_lookups_turned_away_total{reason="in_flight"} 1`,
	} {
		if !strings.Contains(mw.Body.String(), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if n, _ := st.RequestCount(ctx, "alice", store.Day(now)); n != 0 {
		t.Errorf("day count %d after turned-away lookups, want 0", n)
	}
	if w := do(); w.Code != http.StatusOK {
		t.Errorf("with room again: status %d, body %s", w.Code, w.Body)
	}
}
