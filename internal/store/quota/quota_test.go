package quota

import (
	"context"
	"sync"
	"testing"
	"time"
)

// counts is a Reserver in memory; it counts its calls.
type counts struct {
	mu       sync.Mutex
	n        map[[2]string]int64
	reserves int
	releases int
}

func newCounts() *counts { return &counts{n: map[[2]string]int64{}} }

func (c *counts) Reserve(_ context.Context, user, day string, n, quota int64) (int64, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reserves++
	k := [2]string{user, day}
	got := Grant(c.n[k], n, quota)
	c.n[k] += got
	return c.n[k], got, nil
}

func (c *counts) Release(_ context.Context, user, day string, n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.releases++
	k := [2]string{user, day}
	c.n[k] = max(0, c.n[k]-n)
	return nil
}

func (c *counts) stored(user, day string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[[2]string{user, day}]
}

// clock is a fixed clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func TestGrant(t *testing.T) {
	for _, tc := range []struct{ count, n, quota, want int64 }{
		{0, 8, 1000, 8},
		{0, 1024, 1000, 250},
		{990, 8, 1000, 3},
		{999, 8, 1000, 1},
		{1000, 8, 1000, 0},
		{1200, 8, 1000, 0},
		{0, 0, 1000, 0},
		{0, 5, 0, 0},
	} {
		if got := Grant(tc.count, tc.n, tc.quota); got != tc.want {
			t.Errorf("Grant(%d, %d, %d): got %d, want %d", tc.count, tc.n, tc.quota, got, tc.want)
		}
	}
}

// One Ledger counts exactly: every request its number, none over the
// quota, the stored count never below the counted ones; Close gives back
// the rest.
func TestLedgerExact(t *testing.T) {
	ctx := context.Background()
	c := newCounts()
	clk := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	l := New(c, Options{First: 8, Now: clk.now})
	const quota = 5000
	for i := int64(1); i <= quota; i++ {
		n, ok, err := l.Count(ctx, "bob", "2026-12-07", quota)
		if err != nil || !ok || n != i {
			t.Fatalf("request %d: got %d, %v, %v; want %d, true", i, n, ok, err, i)
		}
		if s := c.stored("bob", "2026-12-07"); s < i {
			t.Fatalf("request %d: stored %d, fewer than counted", i, s)
		}
		if got := c.stored("bob", "2026-12-07") - l.Unused("bob", "2026-12-07"); got != i {
			t.Fatalf("request %d: stored minus unused %d, want %d", i, got, i)
		}
	}
	if n, ok, err := l.Count(ctx, "bob", "2026-12-07", quota); ok || err != nil || n != quota {
		t.Errorf("over the quota: got %d, %v, %v; want %d, false", n, ok, err, quota)
	}
	if c.reserves > 100 {
		t.Errorf("%d reservations for %d requests, want blocks", c.reserves, quota)
	}
	// A raised quota, then a new day.
	if n, ok, _ := l.Count(ctx, "bob", "2026-12-07", quota+10); !ok || n != quota+1 {
		t.Errorf("raised quota: got %d, %v; want %d, true", n, ok, quota+1)
	}
	if n, ok, _ := l.Count(ctx, "bob", "2026-12-08", quota); !ok || n != 1 {
		t.Errorf("next day: got %d, %v; want 1, true", n, ok)
	}
	if got := c.stored("bob", "2026-12-07"); got != quota+1 {
		t.Errorf("the day before, once the next began: stored %d, want %d", got, quota+1)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.stored("bob", "2026-12-08"); got != 1 {
		t.Errorf("after Close: stored %d, want 1", got)
	}
}

// Small quotas are counted one by one: nothing is left reserved.
func TestLedgerSmallQuota(t *testing.T) {
	ctx := context.Background()
	c := newCounts()
	l := New(c, Options{First: 8})
	for i := int64(1); i <= 25; i++ {
		if n, ok, _ := l.Count(ctx, "bob", "d", 25); !ok || n != i {
			t.Fatalf("request %d: got %d, %v", i, n, ok)
		}
		if u := l.Unused("bob", "d"); u != 0 {
			t.Fatalf("request %d: %d unused, want 0", i, u)
		}
	}
}

// A lowered quota stops the counts at once, even those reserved under
// the old one.
func TestLedgerLoweredQuota(t *testing.T) {
	ctx := context.Background()
	c := newCounts()
	l := New(c, Options{First: 64})
	for i := 1; i <= 10; i++ {
		if _, ok, _ := l.Count(ctx, "bob", "d", 100000); !ok {
			t.Fatalf("request %d refused", i)
		}
	}
	if l.Unused("bob", "d") == 0 {
		t.Fatal("no block reserved ahead")
	}
	if _, ok, _ := l.Count(ctx, "bob", "d", 10); ok {
		t.Errorf("quota lowered to the count: the request was counted")
	}
	if n, ok, _ := l.Count(ctx, "bob", "d", 11); !ok || n != 11 {
		t.Errorf("quota lowered to one more: got %d, %v; want 11, true", n, ok)
	}
}

// Holds says whether a count would be handed out without the store: the
// Ledger holds one of that user and day under that quota.
func TestLedgerHolds(t *testing.T) {
	ctx := context.Background()
	c := newCounts()
	l := New(c, Options{First: 64})
	if l.Holds("bob", "d", 100000) {
		t.Error("holds a count before any was reserved")
	}
	for i := 1; i <= 10; i++ {
		if _, ok, _ := l.Count(ctx, "bob", "d", 100000); !ok {
			t.Fatalf("request %d refused", i)
		}
	}
	for _, tt := range []struct {
		user, day string
		quota     int64
		want      bool
	}{
		{"bob", "d", 100000, true},
		{"bob", "d", 11, true},  // the next count is 11
		{"bob", "d", 10, false}, // lowered to the count
		{"bob", "e", 100000, false},
		{"ann", "d", 100000, false},
	} {
		if got := l.Holds(tt.user, tt.day, tt.quota); got != tt.want {
			t.Errorf("Holds(%s, %s, %d) = %v, want %v", tt.user, tt.day, tt.quota, got, tt.want)
		}
	}
	for i := 0; ; i++ {
		if _, ok, _ := l.Count(ctx, "bob", "d", 74); !ok {
			break
		}
		if i > 100 {
			t.Fatal("counted past the quota of 74")
		}
	}
	if l.Holds("bob", "d", 74) {
		t.Errorf("holds a count after the quota of 74 was used up (%d stored)", c.stored("bob", "d"))
	}
}

// Several Ledgers on one store (several processes) never count past the
// quota together, and each count is handed out once.
func TestLedgersShareQuota(t *testing.T) {
	ctx := context.Background()
	c := newCounts()
	const quota, workers, each = 3000, 16, 400
	ledgers := []*Ledger{New(c, Options{First: 8}), New(c, Options{First: 8}), New(c, Options{First: 8})}
	var (
		mu   sync.Mutex
		ok   int
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			l := ledgers[w%len(ledgers)]
			for range each {
				n, counted, err := l.Count(ctx, "bob", "d", quota)
				if err != nil {
					t.Error(err)
					return
				}
				if counted {
					mu.Lock()
					ok++
					seen[n]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if ok > quota {
		t.Errorf("%d requests counted, more than the quota of %d", ok, quota)
	}
	var unused int64
	for _, l := range ledgers {
		unused += l.Unused("bob", "d")
	}
	if got := c.stored("bob", "d"); got != int64(ok)+unused {
		t.Errorf("stored %d, want the %d counted and %d unused", got, ok, unused)
	}
	// Without the shares of the others, a ledger would have been refused
	// while they held the rest: what is left unused is small.
	if unused > quota/10 {
		t.Errorf("%d counts left unused of %d", unused, quota)
	}
	for n, k := range seen {
		if k > 1 {
			t.Errorf("number %d handed out %d times", n, k)
		}
	}
	for _, l := range ledgers {
		if err := l.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.stored("bob", "d"); got != int64(ok) {
		t.Errorf("after every Close: stored %d, want the %d counted", got, ok)
	}
}

// Blocks grow under a fast rate, shrink under a slow one, and stay within
// MaxLease.
func TestLedgerBlockSizes(t *testing.T) {
	ctx := context.Background()
	c := newCounts()
	clk := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	l := New(c, Options{First: 1, Now: clk.now})
	const quota = 1 << 40
	for range 20000 {
		if _, ok, _ := l.Count(ctx, "bob", "d", quota); !ok {
			t.Fatal("refused")
		}
	}
	fast := c.reserves
	if fast > 30 {
		t.Errorf("fast rate: %d reservations for 20000 requests", fast)
	}
	if u := l.Unused("bob", "d"); u >= MaxLease {
		t.Errorf("fast rate: %d unused, want fewer than MaxLease %d", u, MaxLease)
	}
	// The sizes: doubled after a block that lasted under fastLease,
	// halved after one that lasted over slowLease, within 1 … MaxLease and
	// a 64th of the quota.
	now := clk.now()
	for _, tc := range []struct {
		size    int64
		lasted  time.Duration
		quota   int64
		want    int64
		comment string
	}{
		{0, 0, quota, 1, "first"},
		{8, time.Millisecond, quota, 16, "fast"},
		{8, 500 * time.Millisecond, quota, 8, "steady"},
		{8, 2 * time.Second, quota, 4, "slow"},
		{1, 2 * time.Second, quota, 1, "slow, at one"},
		{MaxLease, time.Millisecond, quota, MaxLease, "fast, at MaxLease"},
		{64, time.Millisecond, 640, 10, "a 64th of the quota"},
		{64, time.Millisecond, 25, 1, "small quota"},
	} {
		a := &account{size: tc.size, taken: now.Add(-tc.lasted)}
		if got := a.nextSize(now, tc.quota, 1); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.comment, got, tc.want)
		}
	}
}

// Idle users give their unused counts back.
func TestLedgerIdle(t *testing.T) {
	ctx := context.Background()
	c := newCounts()
	l := New(c, Options{First: 64, Idle: 20 * time.Millisecond})
	defer l.Close(ctx)
	if _, ok, _ := l.Count(ctx, "bob", "d", 1<<40); !ok {
		t.Fatal("refused")
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.stored("bob", "d") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("stored %d 10 s after the last request, want 1", c.stored("bob", "d"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n, ok, _ := l.Count(ctx, "bob", "d", 1<<40); !ok || n != 2 {
		t.Errorf("after the release: got %d, %v; want 2, true", n, ok)
	}
}
