package httpapi

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Defaults of the failed-authentication limit (Config.AuthFailures).
const (
	DefaultAuthWindow  = 10 * time.Second
	DefaultAuthClients = 100_000
)

// authLimiter limits failed authentications per client address (IPv4
// address, IPv6 /64) and aggregates their log lines.
//
// Each address has a token bucket of failures: it holds burst failures and
// refills at burst per window. A failed authentication takes one; while
// the bucket holds less than one, requests from the address are refused
// 429 before their credentials are looked at (a correct token too).
// Successful authentications cost nothing and are not counted.
//
// Log lines: the first failure of an address is logged in full (the
// request line); the failures and refusals that follow are only counted,
// and every window a summary line per address gives the counts. An
// address with nothing to report for a whole window starts afresh.
//
// Memory is bounded like the burst limiter's (ratelimit.go): at most
// maxAddrs addresses; an address whose bucket is full and that has nothing
// to report is forgotten by a sweep every window, or sooner when the table
// is full, and when it is still full one arbitrary address is dropped (its
// counts are logged first).
type authLimiter struct {
	burst    float64
	rate     float64 // failures per second
	window   time.Duration
	maxAddrs int
	now      func() time.Time
	logger   *slog.Logger
	metrics  *Metrics

	tracked atomic.Int64 // len(addrs), read without the lock

	mu        sync.Mutex
	addrs     map[netip.Prefix]*authEntry
	lastSweep time.Time
	timer     bool // a summary is scheduled
}

// authEntry is one address.
type authEntry struct {
	tokens float64
	last   time.Time
	open   bool // a window is open: the first failure was logged in full
	failed int  // failures since the last line
	locked int  // refusals since the last line
}

// newAuthLimiter returns the limiter of cfg, or nil when
// cfg.AuthFailures is not positive (no limit, every line logged).
func newAuthLimiter(cfg Config, now func() time.Time, logger *slog.Logger, m *Metrics) *authLimiter {
	if cfg.AuthFailures <= 0 {
		return nil
	}
	w := cfg.AuthWindow
	if w <= 0 {
		w = DefaultAuthWindow
	}
	n := cfg.AuthClients
	if n <= 0 {
		n = DefaultAuthClients
	}
	return &authLimiter{
		burst: float64(cfg.AuthFailures), rate: float64(cfg.AuthFailures) / w.Seconds(), window: w,
		maxAddrs: n, now: now, logger: logger, metrics: m,
		addrs: make(map[netip.Prefix]*authEntry),
	}
}

// clientKey is the address of a request's client as the limit counts it:
// the IPv4 address, or the /64 of an IPv6 address. Requests whose address
// cannot be read share one key.
func clientKey(remoteAddr string) netip.Prefix {
	ap, err := netip.ParseAddrPort(remoteAddr)
	var a netip.Addr
	if err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(remoteAddr); err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap().WithZone("")
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// check is called before credentials are read. When key is locked out it
// returns how long until it may try again, and whether the refusal is
// only counted (true) or logged in full.
func (l *authLimiter) check(key netip.Prefix) (locked bool, wait float64, quiet bool) {
	if l.tracked.Load() == 0 {
		return false, 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.addrs[key]
	if e == nil {
		return false, 0, false
	}
	now := l.now()
	l.refill(e, now)
	if e.tokens >= 1 {
		return false, 0, false
	}
	if quiet = l.note(key, e); quiet {
		e.locked++
	}
	return true, (1 - e.tokens) / l.rate, quiet
}

// failed records a failed authentication from key and reports whether its
// log line is only counted (true) or written in full.
func (l *authLimiter) failed(key netip.Prefix) (quiet bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e := l.addrs[key]
	if e == nil {
		e = l.add(key, now)
	}
	l.refill(e, now)
	e.tokens = max(0, e.tokens-1)
	quiet = l.note(key, e)
	if quiet {
		e.failed++
	}
	return quiet
}

// note opens a window for e if none is open (the event is then logged in
// full: false) or reports that the event is to be counted (true).
func (l *authLimiter) note(key netip.Prefix, e *authEntry) bool {
	if e.open {
		return true
	}
	e.open = true
	if !l.timer {
		l.timer = true
		time.AfterFunc(l.window, l.summarise)
	}
	return false
}

func (l *authLimiter) refill(e *authEntry, now time.Time) {
	if d := now.Sub(e.last); d > 0 {
		e.tokens = min(l.burst, e.tokens+d.Seconds()*l.rate)
	}
	e.last = now
}

// add tracks a new address, making room if the table is full.
func (l *authLimiter) add(key netip.Prefix, now time.Time) *authEntry {
	if len(l.addrs) >= l.maxAddrs && now.Sub(l.lastSweep) >= time.Second {
		l.sweep(now)
	}
	if len(l.addrs) >= l.maxAddrs {
		for k, e := range l.addrs {
			l.report(k, e)
			delete(l.addrs, k)
			break
		}
	}
	e := &authEntry{tokens: l.burst, last: now}
	l.addrs[key] = e
	l.tracked.Store(int64(len(l.addrs)))
	return e
}

// sweep forgets the addresses whose bucket is full again and that have
// nothing to report.
func (l *authLimiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, e := range l.addrs {
		if !e.open && e.tokens+max(0, now.Sub(e.last).Seconds())*l.rate >= l.burst {
			delete(l.addrs, k)
		}
	}
	l.tracked.Store(int64(len(l.addrs)))
}

// summarise runs every window while some address has a window open: it
// writes a line for each address with counts, closes the windows of the
// others and sweeps.
func (l *authLimiter) summarise() {
	l.mu.Lock()
	defer l.mu.Unlock()
	more := false
	for k, e := range l.addrs {
		if !e.open {
			continue
		}
		if e.failed == 0 && e.locked == 0 {
			e.open = false
			continue
		}
		l.report(k, e)
		more = true
	}
	l.sweep(l.now())
	l.timer = more
	if more {
		time.AfterFunc(l.window, l.summarise)
	}
}

// report writes the summary line of an address and resets its counts.
func (l *authLimiter) report(key netip.Prefix, e *authEntry) {
	if e.failed == 0 && e.locked == 0 {
		return
	}
	l.logger.LogAttrs(context.Background(), slog.LevelWarn, "failed authentications",
		slog.String("client", clientString(key)),
		slog.Int("failed", e.failed),
		slog.Int("refused", e.locked),
		slog.String("window", l.window.String()))
	e.failed, e.locked = 0, 0
}

// clientString shows a key: the IPv4 address, the IPv6 /64.
func clientString(key netip.Prefix) string {
	switch {
	case !key.IsValid():
		return "unknown"
	case key.Addr().Is4():
		return key.Addr().String()
	}
	return key.String()
}

// len is the number of tracked addresses.
func (l *authLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.addrs)
}

// authLockedError is the error of a request from a locked-out address.
func authLockedError(key netip.Prefix, wait float64) error {
	secs := max(1, int(min(math.Ceil(wait), maxRetryAfter)))
	return &rateLimitedError{
		err: intel.Errorf(intel.KindRateLimited, "too_many_failed_authentications",
			"too many failed authentications from %s; retry in %d s with valid credentials", clientString(key), secs),
		retryAfter: secs,
	}
}

// checkAuthLock refuses a request from a locked-out client address before
// its credentials are read.
func (s *server) checkAuthLock(r *http.Request, info *requestInfo) error {
	if s.authFail == nil || s.authFail.tracked.Load() == 0 {
		return nil // no address has failed: nothing to parse or look up
	}
	key := clientKey(r.RemoteAddr)
	locked, wait, quiet := s.authFail.check(key)
	if !locked {
		return nil
	}
	s.metrics.authLockouts.Inc()
	info.quiet = quiet
	return authLockedError(key, wait)
}

// authFailed records a failed authentication (err of kind
// KindUnauthenticated) of r.
func (s *server) authFailed(r *http.Request, info *requestInfo, err error) {
	if intel.KindOf(err) != intel.KindUnauthenticated {
		return
	}
	s.metrics.authFailures.Inc()
	if s.authFail != nil {
		info.quiet = s.authFail.failed(clientKey(r.RemoteAddr))
	}
}
