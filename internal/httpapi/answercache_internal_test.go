package httpapi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store/mem"
)

// The kept answers never weigh more than the bound, as the metrics say;
// an answer over a sixteenth of it is not kept; an import drops them all.
func TestAnswerCacheBounded(t *testing.T) {
	ctx := context.Background()
	st := mem.New()
	m := NewMetrics(prometheus.NewRegistry())
	at := time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	b := &report.Builder{Store: st, Now: func() time.Time { return at }}
	const max = 64 << 10
	c := newAnswerCache(max, b, st.Holds, m)
	g, _, _, err := c.generation(ctx)
	if err != nil || g == nil {
		t.Fatalf("generation: %v %v", g, err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		k := answerKey{kind: kindDomain, object: fmt.Sprintf("d%d.example", i%700), count: 10}
		g.put(&k, &keptAnswer{body: make([]byte, rng.IntN(max/12)), known: true})
		if g.bytes > max {
			t.Fatalf("put %d: %d bytes kept, over the bound %d", i, g.bytes, max)
		}
		var sum int64
		for k, a := range g.m {
			sum += a.size(&k)
		}
		if sum != g.bytes {
			t.Fatalf("put %d: entries weigh %d, counted %d", i, sum, g.bytes)
		}
		if got := value(t, m.answerCacheBytes); got != float64(g.bytes) {
			t.Fatalf("put %d: tipd_answer_cache_bytes %v, want %d", i, got, g.bytes)
		}
	}
	if value(t, m.answerCacheEvictions) == 0 {
		t.Errorf("no evictions counted")
	}
	big := answerKey{kind: kindIP, ip: netip.MustParseAddr("192.0.2.1")}
	g.put(&big, &keptAnswer{body: make([]byte, max/16), known: true})
	if _, ok := g.get(&big); ok {
		t.Errorf("an answer over a sixteenth of the bound was kept")
	}

	if err := st.Apply(ctx, &intel.Batch{Listings: []intel.Listing{{IP: netip.MustParseAddr("192.0.2.1"),
		Category: intel.CatBotnetCNC, Feed: "f", FirstSeen: at, LastSeen: at}}}); err != nil {
		t.Fatal(err)
	}
	g2, _, _, err := c.generation(ctx)
	if err != nil || g2 == nil || g2 == g {
		t.Fatalf("generation after an import: %p (before %p), %v", g2, g, err)
	}
	if got := value(t, m.answerCacheBytes); got != 0 {
		t.Errorf("tipd_answer_cache_bytes %v after an import, want 0", got)
	}
	k := answerKey{kind: kindDomain, object: "d1.example", count: 10}
	if _, ok := g2.get(&k); ok {
		t.Errorf("an answer of before the import is kept after it")
	}
	g.put(&k, &keptAnswer{known: true})
	if got := value(t, m.answerCacheBytes); got != 0 {
		t.Errorf("a put into a retired generation counted: %v bytes", got)
	}
}

// value reads a counter or a gauge.
func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// Lookups keep and read answers while imports start new generations: no
// race, and the bytes counted are those of the current generation.
func TestAnswerCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	st := mem.New()
	m := NewMetrics(prometheus.NewRegistry())
	at := time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	c := newAnswerCache(16<<10, &report.Builder{Store: st, Now: func() time.Time { return at }}, st.Holds, m)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				g, _, _, err := c.generation(ctx)
				if err != nil {
					t.Errorf("generation: %v", err)
					return
				}
				if g == nil {
					continue // read the version before another lookup started a newer generation
				}
				k := answerKey{kind: kindDomain, object: fmt.Sprintf("d%d-%d.example", w, i%50)}
				if _, ok := g.get(&k); !ok {
					g.put(&k, &keptAnswer{body: make([]byte, 100+i%300), known: true})
				}
			}
		}()
	}
	for range 50 {
		if err := st.Apply(ctx, &intel.Batch{Listings: []intel.Listing{{IP: netip.MustParseAddr("192.0.2.1"),
			Category: intel.CatBotnetCNC, Feed: "f", FirstSeen: at, LastSeen: at}}}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	g, _, _, _ := c.generation(ctx)
	g.mu.RLock()
	defer g.mu.RUnlock()
	if got := value(t, m.answerCacheBytes); got != float64(g.bytes) || g.bytes > c.max {
		t.Errorf("tipd_answer_cache_bytes %v, current generation %d bytes (bound %d)", got, g.bytes, c.max)
	}
}
