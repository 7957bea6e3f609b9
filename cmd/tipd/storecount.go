package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// countEvery is how often a server counts what its store holds for
// /metrics: the count reads every summary key or row, so it runs in the
// background, not at each scrape.
const countEvery = 5 * time.Minute

// storeCounts keeps the latest count of a store for /metrics.
type storeCounts struct {
	st store.Counter

	mu     sync.Mutex
	counts store.Counts
	at     time.Time
}

// run counts at once and then every countEvery until ctx ends.
func (c *storeCounts) run(ctx context.Context, logger *slog.Logger) {
	for {
		counts, err := c.st.CountStored(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			logger.Warn("count the store", "err", err)
		} else {
			c.mu.Lock()
			c.counts, c.at = counts, time.Now()
			c.mu.Unlock()
		}
		t := time.NewTimer(countEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

var (
	descStoreAddrs   = prometheus.NewDesc("tipd_store_addresses", "Addresses the store holds a summary of, at the last count.", nil, nil)
	descStoreObjects = prometheus.NewDesc("tipd_store_objects", "Objects the store holds, by kind (host, url, file), at the last count.", []string{"kind"}, nil)
	descStoreCounted = prometheus.NewDesc("tipd_store_counted_timestamp_seconds", "When the store was last counted (every 5 minutes); 0 before the first count.", nil, nil)
)

func (c *storeCounts) Describe(ch chan<- *prometheus.Desc) {
	ch <- descStoreAddrs
	ch <- descStoreObjects
	ch <- descStoreCounted
}

func (c *storeCounts) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	counts, at := c.counts, c.at
	c.mu.Unlock()
	ts := 0.0
	if !at.IsZero() {
		ts = float64(at.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(descStoreCounted, prometheus.GaugeValue, ts)
	if at.IsZero() {
		return
	}
	ch <- prometheus.MustNewConstMetric(descStoreAddrs, prometheus.GaugeValue, float64(counts.Addresses))
	for _, k := range []intel.ObjectKind{intel.ObjectHost, intel.ObjectURL, intel.ObjectFile} {
		ch <- prometheus.MustNewConstMetric(descStoreObjects, prometheus.GaugeValue, float64(counts.Objects[k]), k.String())
	}
}
