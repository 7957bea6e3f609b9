package httpapi

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// DefaultRateUsers is the default of Config.RateUsers: how many users the
// burst limiter tracks at once.
const DefaultRateUsers = 100_000

// rateSweepEvery is how often the limiter drops the buckets of idle users;
// a full map is swept at most once a second.
const rateSweepEvery = time.Minute

// limiter is a per-user token bucket: each user may send burst requests at
// once and rate requests per second on average. It lives in memory, one per
// process. Its map is bounded: a bucket that has refilled completely is the
// same as no bucket, so idle users are dropped by a sweep every
// rateSweepEvery, or sooner when the map is full; when maxUsers buckets are
// still tracked after that, one arbitrary bucket is dropped to make room
// (its user starts afresh with a full burst).
type limiter struct {
	rate     float64 // tokens per second, > 0
	burst    float64 // bucket size, >= 1
	maxUsers int
	now      func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

// bucket is one user's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

// newLimiter returns a limiter of rate requests per second and bursts of
// burst requests (at least 1), or nil when rate is not positive (no limit).
func newLimiter(rate float64, burst, maxUsers int, now func() time.Time) *limiter {
	if rate <= 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		return nil
	}
	if burst < 1 {
		burst = max(1, int(math.Ceil(rate)))
	}
	if maxUsers <= 0 {
		maxUsers = DefaultRateUsers
	}
	if now == nil {
		now = time.Now
	}
	return &limiter{
		rate: rate, burst: float64(burst), maxUsers: maxUsers, now: now,
		buckets: make(map[string]*bucket),
	}
}

// allow takes one token from user's bucket. When the bucket is empty it
// takes nothing and returns how many seconds until a token is available.
func (l *limiter) allow(user string) (ok bool, wait float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) >= rateSweepEvery || now.Before(l.lastSweep) {
		l.sweep(now)
	}
	b := l.buckets[user]
	if b == nil {
		if len(l.buckets) >= l.maxUsers && now.Sub(l.lastSweep) >= time.Second {
			l.sweep(now)
		}
		if len(l.buckets) >= l.maxUsers {
			for name := range l.buckets {
				delete(l.buckets, name)
				break
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[user] = b
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(l.burst, b.tokens+d.Seconds()*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, (1 - b.tokens) / l.rate
}

// sweep drops the buckets that have refilled completely by now.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	full := l.burst / l.rate // seconds; a tiny rate would overflow a Duration
	for name, b := range l.buckets {
		if now.Sub(b.last).Seconds() >= full {
			delete(l.buckets, name)
		}
	}
}

// len is the number of tracked users.
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// maxRetryAfter caps Retry-After (seconds) for very low rates.
const maxRetryAfter = 86400

// rateLimitedError is the error of a request over its user's burst limit;
// the wrapper answers it 429 with Retry-After.
type rateLimitedError struct {
	err        *intel.Error
	retryAfter int // whole seconds, >= 1
}

func (e *rateLimitedError) Error() string { return e.err.Error() }
func (e *rateLimitedError) Unwrap() error { return e.err }

// checkRate applies the burst limit to an authenticated user. It counts
// nothing against the daily quota.
func (s *server) checkRate(user string) error {
	if s.limiter == nil {
		return nil
	}
	ok, wait := s.limiter.allow(user)
	if ok {
		return nil
	}
	secs := int(min(math.Ceil(wait), maxRetryAfter))
	secs = max(1, secs)
	return &rateLimitedError{
		err: intel.Errorf(intel.KindRateLimited, "rate_limited",
			"too many requests per second for user %q; retry in %d s", user, secs),
		retryAfter: secs,
	}
}

// setRetryAfter sets Retry-After from a rate-limit error, if err is one.
func setRetryAfter(h http.Header, err error) {
	var rl *rateLimitedError
	if errors.As(err, &rl) {
		h.Set("Retry-After", strconv.Itoa(rl.retryAfter))
	}
}
