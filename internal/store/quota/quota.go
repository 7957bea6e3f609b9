// Package quota counts the requests of users against their daily quota in
// memory, in blocks reserved from a store. A backend whose count is a
// write (Pebble) or a round trip (PostgreSQL) would otherwise pay it on
// every request: a Ledger reserves a block of counts (a lease) with one
// atomic write that never takes the stored count past the quota, hands
// the counts of the block out from memory, and gives back what it did not
// use when it closes (and, where several processes share the counts, when
// a user has been idle a while).
//
// The rules, on which the backends' documentation relies:
//
//   - The stored count is never below the number of requests counted: a
//     count is handed out only from a block already written. A process
//     killed with SIGKILL loses no count; it leaves counted the unused
//     rest of its blocks, at most MaxLease per user (a user's quota is
//     charged for at most that many requests that were never answered).
//   - No request over the quota is ever counted, whatever the number of
//     processes: every process hands out only counts it reserved, and a
//     reservation never takes the stored count past the quota.
//   - In one process the count returned for a request is its exact number
//     among the day's counted requests. With several processes sharing the
//     counts it is the request's place in the stored count, in which the
//     blocks of the other processes count whole.
//   - A block is sized to what the user used lately: it starts at
//     Options.First, doubles when the last one lasted less than
//     fastLease, halves when it lasted more than slowLease, never exceeds
//     MaxLease nor a 64th of the quota (so that small quotas are counted
//     one by one), and is granted at most a Share-th of what is left of the
//     quota, so that one process never holds the rest of a day's quota
//     while another is refused for lack of it.
package quota

import (
	"context"
	"sync"
	"time"
)

// MaxLease is the largest block of counts a Ledger reserves at once.
const MaxLease = 1024

// Share bounds a grant: a reservation is granted at most a Share-th of
// what is left of the quota (rounded up), see Grant.
const Share = 4

// Lease lifetimes that make the next block larger or smaller.
const (
	fastLease = 100 * time.Millisecond
	slowLease = time.Second
)

// Reserver is what a Ledger needs of a store.
type Reserver interface {
	// Reserve adds Grant(count, n, quota) to the stored count of user on
	// day, atomically, and returns the count after the call and what was
	// added (0 when the count is at or over quota). The addition is
	// durable before Reserve returns, as far as the backend's writes are.
	Reserve(ctx context.Context, user, day string, n, quota int64) (count, got int64, err error)
	// Release subtracts n from the stored count of user on day (never
	// below zero): counts reserved and not used.
	Release(ctx context.Context, user, day string, n int64) error
}

// Grant is what a reservation of n counts is granted when count are
// stored and the quota is quota: n, but never past the quota, and at most
// a Share-th of what is left (rounded up, so at least one while any is).
func Grant(count, n, quota int64) int64 {
	left := quota - count
	if left <= 0 || n <= 0 {
		return 0
	}
	return min(n, (left+Share-1)/Share)
}

// Options tune a Ledger.
type Options struct {
	// First is the size of a user's first block of the day (default 1).
	First int64
	// Idle gives back the unused counts of a user who has counted nothing
	// for this long (checked every Idle/2); 0 keeps them until Close.
	Idle time.Duration
	// Now is the clock that sizes blocks and finds idle users (default
	// time.Now).
	Now func() time.Time
}

// Ledger counts requests from blocks reserved from a Reserver. It is safe
// for concurrent use; the requests of one user are counted one at a time,
// those of different users in parallel.
type Ledger struct {
	r    Reserver
	opts Options

	mu    sync.Mutex
	users map[string]*account
	stop  chan struct{}
	done  chan struct{}
}

// account is what a Ledger holds for one user: the blocks of one day.
type account struct {
	mu    sync.Mutex
	day   string
	spans []span    // reserved, not all used
	size  int64     // the next block's size; 0: Options.First
	taken time.Time // when the last block was reserved
	used  time.Time // when the last count was handed out
	gone  bool      // dropped from the Ledger: look the user up again
}

// span is a reserved block: counts next+1 … end are not handed out yet.
type span struct{ next, end int64 }

// New returns a Ledger over r. With Options.Idle set it runs a goroutine
// until Close.
func New(r Reserver, opts Options) *Ledger {
	if opts.First <= 0 {
		opts.First = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Ledger{r: r, opts: opts, users: map[string]*account{}}
	if opts.Idle > 0 {
		l.stop, l.done = make(chan struct{}), make(chan struct{})
		go l.idleLoop()
	}
	return l
}

// lock returns the account of user, locked.
func (l *Ledger) lock(user string) *account {
	for {
		l.mu.Lock()
		a := l.users[user]
		if a == nil {
			a = &account{}
			l.users[user] = a
		}
		l.mu.Unlock()
		a.mu.Lock()
		if !a.gone {
			return a
		}
		a.mu.Unlock()
	}
}

// Count counts one request of user on day if the quota allows it, and
// returns its number (see the package rules) and whether it was counted;
// when it was not, the number is the stored count.
func (l *Ledger) Count(ctx context.Context, user, day string, quota int64) (int64, bool, error) {
	a := l.lock(user)
	defer a.mu.Unlock()
	if a.day != day {
		// The rest of the day before goes back; if it cannot, it stays
		// counted on a day that is over, which refuses nobody.
		_ = l.releaseLocked(ctx, user, a)
		a.day, a.size, a.taken = day, 0, time.Time{}
	}
	now := l.opts.Now()
	for {
		for i := range a.spans {
			sp := &a.spans[i]
			if sp.next+1 > quota {
				continue // reserved under a larger quota
			}
			sp.next++
			n := sp.next
			if sp.next == sp.end {
				a.spans = append(a.spans[:i], a.spans[i+1:]...)
			}
			a.used = now
			return n, true, nil
		}
		count, got, err := l.r.Reserve(ctx, user, day, a.nextSize(now, quota, l.opts.First), quota)
		if err != nil {
			return 0, false, err
		}
		if got <= 0 {
			return count, false, nil
		}
		a.spans = append(a.spans, span{next: count - got, end: count})
		a.taken = now
	}
}

// nextSize sizes the next block from how long the last one lasted.
func (a *account) nextSize(now time.Time, quota, first int64) int64 {
	switch {
	case a.size == 0:
		a.size = first
	case now.Sub(a.taken) < fastLease:
		a.size *= 2
	case now.Sub(a.taken) > slowLease:
		a.size /= 2
	}
	a.size = max(1, min(a.size, MaxLease, quota/64))
	return a.size
}

// Unused returns the counts of user on day that this Ledger reserved and
// has not handed out.
func (l *Ledger) Unused(user, day string) int64 {
	n, _ := l.Counted(user, day, func() (int64, error) { return 0, nil })
	return -n
}

// Holds reports whether the Ledger holds a count of user on day that it
// would hand out under quota now: then a request of the user is within
// the quota, which is known without asking the store.
func (l *Ledger) Holds(user, day string, quota int64) bool {
	l.mu.Lock()
	a := l.users[user]
	l.mu.Unlock()
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gone || a.day != day {
		return false
	}
	for _, sp := range a.spans {
		if sp.next+1 <= quota {
			return true
		}
	}
	return false
}

// Counted returns the requests of user on day that the store counts
// (stored returns its count) but for those this Ledger reserved and has
// not handed out; stored runs while no count of the user is handed out
// or reserved, so that the two agree.
func (l *Ledger) Counted(user, day string, stored func() (int64, error)) (int64, error) {
	l.mu.Lock()
	a := l.users[user]
	l.mu.Unlock()
	if a == nil {
		return stored()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	n, err := stored()
	if err != nil || a.day != day {
		return n, err
	}
	return n - a.unused(), nil
}

func (a *account) unused() int64 {
	var n int64
	for _, sp := range a.spans {
		n += sp.end - sp.next
	}
	return n
}

// releaseLocked gives back the unused counts of a (whose lock is held).
func (l *Ledger) releaseLocked(ctx context.Context, user string, a *account) error {
	n := a.unused()
	a.spans = a.spans[:0]
	if n == 0 {
		return nil
	}
	return l.r.Release(ctx, user, a.day, n)
}

// Close gives back every unused count and stops the idle loop. It returns
// the first error of a release; the counts it could not give back stay
// counted (never fewer than were used).
func (l *Ledger) Close(ctx context.Context) error {
	if l.stop != nil {
		close(l.stop)
		<-l.done
		l.stop = nil
	}
	return l.release(ctx, func(*account) bool { return true })
}

// release gives back the unused counts of the users that match.
func (l *Ledger) release(ctx context.Context, match func(*account) bool) error {
	l.mu.Lock()
	users := make(map[string]*account, len(l.users))
	for u, a := range l.users {
		users[u] = a
	}
	l.mu.Unlock()
	var first error
	for u, a := range users {
		a.mu.Lock()
		if match(a) {
			if err := l.releaseLocked(ctx, u, a); err != nil && first == nil {
				first = err
			}
			a.size = 0
		}
		a.mu.Unlock()
	}
	return first
}

// idleLoop gives back the counts of idle users every Idle/2 and forgets
// the users idle for longer than a day.
func (l *Ledger) idleLoop() {
	defer close(l.done)
	t := time.NewTicker(l.opts.Idle / 2)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		now := l.opts.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		// A failed release is retried at the next tick: the counts stay
		// reserved meanwhile.
		_ = l.release(ctx, func(a *account) bool { return len(a.spans) > 0 && now.Sub(a.used) >= l.opts.Idle })
		cancel()
		l.mu.Lock()
		for u, a := range l.users {
			if a.mu.TryLock() {
				if len(a.spans) == 0 && now.Sub(a.used) > 24*time.Hour {
					a.gone = true
					delete(l.users, u)
				}
				a.mu.Unlock()
			}
		}
		l.mu.Unlock()
	}
}
