package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ImportFunc imports one fetched version of a feed (the file at path,
// named name for provenance) and returns the records it applied. An import
// is all or nothing with respect to the file: the file is whole before it
// starts.
type ImportFunc func(ctx context.Context, f Feed, path, name string) (applied int64, err error)

// LockFunc takes (or keeps) the feed's lock among the processes sharing a
// store, or reports that another process holds it (ok false).
type LockFunc func(ctx context.Context, name string) (ok bool, err error)

// Status is what is known of one feed's fetches.
type Status struct {
	Name     string
	URL      string // without query or user information
	Format   string
	Interval time.Duration
	// LastAttempt is when the last fetch started; LastSuccess when the
	// last fetch that succeeded (a new version imported, or 304) ended;
	// LastImport when a new version was last imported.
	LastAttempt, LastSuccess, LastImport time.Time
	// NextRun is when the feed is fetched next.
	NextRun time.Time
	// LastApplied is what the last import applied; Applied, Bytes,
	// Fetches, NotModified and Failures count since the process started.
	LastApplied                                    int64
	Applied, Bytes, Fetches, NotModified, Failures int64
	// LastError is the last failure's message ("" after a success);
	// LastFailure its time.
	LastError   string
	LastFailure time.Time
	// Elsewhere: another process sharing the store fetches this feed.
	Elsewhere bool
	// Validators of the version last imported.
	Validators Validators
}

// Outcome is what one run of a feed did.
type Outcome struct {
	// Elsewhere: another process sharing the store fetches the feed;
	// nothing was done here.
	Elsewhere bool
	// NotModified: the server answered 304.
	NotModified bool
	// Applied records of Bytes fetched, when a new version was imported.
	Applied, Bytes int64
}

// Scheduler fetches each feed on its interval and imports new versions.
type Scheduler struct {
	Feeds   []Feed
	Fetcher *Fetcher
	Import  ImportFunc
	// Lock, if set, makes one process of several fetch each feed.
	Lock   LockFunc
	Logger *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time

	// importing lets one import run at a time: fetches overlap, imports
	// (each holding its batches in memory) do not.
	importing sync.Mutex

	mu      sync.Mutex
	started time.Time
	status  map[string]*Status
	run     map[string]*sync.Mutex // one fetch of a feed at a time in this process
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Scheduler) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != nil {
		return
	}
	s.started = s.now()
	s.status = map[string]*Status{}
	s.run = map[string]*sync.Mutex{}
	for _, f := range s.Feeds {
		s.status[f.Name] = &Status{Name: f.Name, URL: RedactURL(f.URL), Format: f.Format, Interval: f.Interval, NextRun: s.started}
		s.run[f.Name] = &sync.Mutex{}
	}
}

// Run fetches every feed at once and then on its interval until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	s.init()
	var wg sync.WaitGroup
	for _, f := range s.Feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.loop(ctx, f)
		}()
	}
	wg.Wait()
}

func (s *Scheduler) loop(ctx context.Context, f Feed) {
	for {
		_, _ = s.RunFeed(ctx, f.Name)
		next := s.now().Add(f.Interval)
		s.mu.Lock()
		s.status[f.Name].NextRun = next
		s.mu.Unlock()
		t := time.NewTimer(f.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// ErrUnknownFeed is returned by RunFeed for a name the feeds file lacks.
var ErrUnknownFeed = errors.New("no such feed in the feeds file")

// RunFeed fetches one feed now, retrying failures that may pass with
// backoff and jitter, and imports its new version, if any.
func (s *Scheduler) RunFeed(ctx context.Context, name string) (Outcome, error) {
	s.init()
	i := slices.IndexFunc(s.Feeds, func(f Feed) bool { return f.Name == name })
	if i < 0 {
		return Outcome{}, fmt.Errorf("%w: %q", ErrUnknownFeed, name)
	}
	f := s.Feeds[i]
	run := s.run[name]
	run.Lock()
	defer run.Unlock()
	if s.Lock != nil {
		ok, err := s.Lock(ctx, name)
		if err != nil {
			return Outcome{}, s.failed(f, fmt.Errorf("take the feed's lock: %w", err))
		}
		s.mu.Lock()
		s.status[name].Elsewhere = !ok
		s.mu.Unlock()
		if !ok {
			return Outcome{Elsewhere: true}, nil
		}
	}
	base := max(f.RetryDelay, time.Millisecond)
	for attempt := 0; ; attempt++ {
		out, err := s.once(ctx, f)
		if err == nil {
			return out, nil
		}
		var fe *fetchError
		if !errors.As(err, &fe) || !fe.retry || attempt >= f.Retries || ctx.Err() != nil {
			return out, err
		}
		wait := min(base<<attempt, f.Interval/2)
		wait += time.Duration(rand.Int64N(int64(wait/2) + 1))
		if fe.after > wait && fe.after < f.Interval {
			wait = fe.after
		}
		s.logger().Warn("feed fetch failed; retrying", "feed", f.Name, "attempt", attempt+1, "in", wait.Round(time.Millisecond).String(), "error", err.Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Outcome{}, err
		case <-t.C:
		}
	}
}

// once is one fetch and, for a new version, its import.
func (s *Scheduler) once(ctx context.Context, f Feed) (Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	s.mu.Lock()
	st := s.status[f.Name]
	st.LastAttempt = s.now()
	st.Fetches++
	v := st.Validators
	s.mu.Unlock()

	res, err := s.Fetcher.Fetch(ctx, f, v)
	if err != nil {
		return Outcome{}, s.failed(f, err)
	}
	if res.NotModified {
		s.mu.Lock()
		st.NotModified++
		st.LastSuccess, st.LastError = s.now(), ""
		s.mu.Unlock()
		s.logger().Info("feed not modified", "feed", f.Name)
		return Outcome{NotModified: true}, nil
	}
	defer os.Remove(res.Path)
	s.mu.Lock()
	st.Bytes += res.Bytes
	s.mu.Unlock()
	s.importing.Lock()
	applied, err := s.Import(ctx, f, res.Path, res.Name)
	s.importing.Unlock()
	if err != nil {
		return Outcome{Bytes: res.Bytes}, s.failed(f, fmt.Errorf("import %s: %w", res.Name, err))
	}
	s.mu.Lock()
	st.Applied += applied
	st.LastApplied = applied
	st.LastSuccess, st.LastImport, st.LastError = s.now(), s.now(), ""
	// Only a version imported is one not to fetch again.
	st.Validators = res.Validators
	s.mu.Unlock()
	s.logger().Info("feed imported", "feed", f.Name, "file", res.Name, "bytes", res.Bytes, "applied", applied)
	return Outcome{Applied: applied, Bytes: res.Bytes}, nil
}

func (s *Scheduler) failed(f Feed, err error) error {
	s.mu.Lock()
	st := s.status[f.Name]
	st.Failures++
	st.LastError = err.Error()
	st.LastFailure = s.now()
	s.mu.Unlock()
	s.logger().Warn("feed failed", "feed", f.Name, "error", err.Error())
	return err
}

// Statuses returns every feed's status, in the feeds file's order.
func (s *Scheduler) Statuses() []Status {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.Feeds))
	for _, f := range s.Feeds {
		out = append(out, *s.status[f.Name])
	}
	return out
}

// Stale returns an error naming the feeds this process fetches whose last
// success (or, before any, the scheduler's start) is more than maxAge
// intervals old; nil when maxAge is 0 or every feed is fresh.
func (s *Scheduler) Stale(maxAge int) error {
	if maxAge <= 0 {
		return nil
	}
	s.init()
	now := s.now()
	var stale []string
	for _, st := range s.Statuses() {
		if st.Elsewhere {
			continue
		}
		since := st.LastSuccess
		if since.IsZero() {
			since = s.started
		}
		if age := now.Sub(since); age > time.Duration(maxAge)*st.Interval {
			stale = append(stale, fmt.Sprintf("%s (last fetched %s ago)", st.Name, age.Round(time.Second)))
		}
	}
	if len(stale) == 0 {
		return nil
	}
	return fmt.Errorf("feeds older than %d intervals: %v", maxAge, stale)
}

// Collector returns the feeds' metrics for a Prometheus registry.
func (s *Scheduler) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Scheduler }

var (
	descSuccess  = prometheus.NewDesc("tipd_feed_last_success_timestamp_seconds", "When the feed's last successful fetch (new version imported, or not modified) ended; 0 before any.", []string{"feed"}, nil)
	descImport   = prometheus.NewDesc("tipd_feed_last_import_timestamp_seconds", "When a new version of the feed was last imported; 0 before any.", []string{"feed"}, nil)
	descApplied  = prometheus.NewDesc("tipd_feed_records_applied_total", "Records the feed's imports applied.", []string{"feed"}, nil)
	descBytes    = prometheus.NewDesc("tipd_feed_bytes_total", "Bytes fetched for the feed.", []string{"feed"}, nil)
	descFetches  = prometheus.NewDesc("tipd_feed_fetches_total", "Fetches of the feed, by result.", []string{"feed", "result"}, nil)
	descFailing  = prometheus.NewDesc("tipd_feed_failing", "1 when the feed's last fetch or import failed.", []string{"feed"}, nil)
	descInterval = prometheus.NewDesc("tipd_feed_interval_seconds", "The feed's fetch interval.", []string{"feed"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSuccess, descImport, descApplied, descBytes, descFetches, descFailing, descInterval} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ts := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.UnixNano()) / 1e9
	}
	for _, st := range c.s.Statuses() {
		n := st.Name
		ch <- prometheus.MustNewConstMetric(descSuccess, prometheus.GaugeValue, ts(st.LastSuccess), n)
		ch <- prometheus.MustNewConstMetric(descImport, prometheus.GaugeValue, ts(st.LastImport), n)
		ch <- prometheus.MustNewConstMetric(descApplied, prometheus.CounterValue, float64(st.Applied), n)
		ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(st.Bytes), n)
		ok := st.Fetches - st.Failures - st.NotModified
		ch <- prometheus.MustNewConstMetric(descFetches, prometheus.CounterValue, float64(max(ok, 0)), n, "imported")
		ch <- prometheus.MustNewConstMetric(descFetches, prometheus.CounterValue, float64(st.NotModified), n, "not_modified")
		ch <- prometheus.MustNewConstMetric(descFetches, prometheus.CounterValue, float64(st.Failures), n, "failed")
		failing := 0.0
		if st.LastError != "" {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(descFailing, prometheus.GaugeValue, failing, n)
		ch <- prometheus.MustNewConstMetric(descInterval, prometheus.GaugeValue, st.Interval.Seconds(), n)
	}
}
