package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

// Error codes of the lookups the gate turns away.
const (
	codeServerBusy      = "server_busy"
	codeTooManyInFlight = "too_many_in_flight"
)

// Defaults of the bounds on lookups in flight (Config).
const (
	DefaultLookupMemory = 128 << 20
	DefaultUserInFlight = 16
	DefaultMemoryWait   = 5 * time.Second
	DefaultWriteStall   = 10 * time.Second
)

// Weights of answers, in bytes of memory: what a lookup is assumed to hold
// from its report's build until its answer is written. Measured on a
// Pebble store: a report holds about 300 bytes per list item once built
// and allocates about 1 KiB per item while it is built; its JSON is about
// 180 bytes per item, written in chunks of streamChunk; a STIX bundle
// (lists of at most report.DefaultCount) is about 900 bytes per item,
// built in one buffer.
const (
	weightBase     = 64 << 10
	weightPerItem  = 512
	weightPerSTIX  = 2 << 10
	streamChunk    = 32 << 10
	retryAfterBusy = 1 // seconds
)

// gate bounds what lookups hold in memory: each user may have at most
// perUser lookups in flight (more wait, in order of arrival, at most wait
// for one of them to end, then are refused, 429), and the
// answers in flight together may weigh at most budget bytes, one user's
// at most half of it, so that one user cannot take the memory every other
// user needs. A lookup waits for its weight at most wait, in no strict
// order: a light lookup passes a heavy one that does not fit yet, so
// heavy lookups cannot hold light ones up; a heavy one that waited too
// long is answered 503.
type gate struct {
	budget  int64 // 0: no memory bound
	share   int64 // the most one user may hold, unless it holds nothing
	perUser int   // 0: no cap
	wait    time.Duration

	mu      sync.Mutex
	used    int64
	users   map[string]*userLoad // idle ones too, until a sweep
	sweepAt int                  // sweep idle users when there are more
	waiters []*waiter
}

// minSweep is the fewest tracked users that make leave sweep idle ones.
const minSweep = 1024

// userLoad is what one user has in flight.
type userLoad struct {
	n     int             // lookups
	held  int64           // weight
	queue []chan struct{} // lookups waiting for a place, oldest first
}

// waiter is a lookup waiting for its weight.
type waiter struct {
	u     *userLoad
	w     int64
	ready chan struct{} // closed when granted
}

func newGate(budget int64, perUser int, wait time.Duration) *gate {
	return &gate{budget: max(budget, 0), share: max(budget, 0) / 2, perUser: max(perUser, 0), wait: wait,
		users: make(map[string]*userLoad), sweepAt: minSweep}
}

// ticket is one lookup's place in the gate: taken by enter, given back by
// leave.
type ticket struct {
	g    *gate
	u    *userLoad
	held int64
}

// enter admits one more lookup of user. When the user has perUser lookups
// in flight already, it waits for one of them to end, at most g.wait or
// until ctx ends, and is refused (429) if none does: a client that opens
// more connections than the cap is slowed to the cap, not turned away.
// It counts nothing against the daily quota.
func (g *gate) enter(ctx context.Context, user string) (ticket, error) {
	g.mu.Lock()
	u := g.users[user]
	if u == nil {
		u = &userLoad{}
		g.users[user] = u
	}
	if g.perUser == 0 || u.n < g.perUser {
		u.n++
		g.mu.Unlock()
		return ticket{g: g, u: u}, nil
	}
	place := make(chan struct{})
	u.queue = append(u.queue, place)
	g.mu.Unlock()

	err := await(ctx, g, place, &u.queue, place, func() error {
		return &rateLimitedError{
			err: intel.Errorf(intel.KindRateLimited, codeTooManyInFlight,
				"user %q has had %d lookups in progress for %s; wait for their answers before sending more", user, g.perUser, g.wait),
			retryAfter: 1,
		}
	})
	if err != nil {
		return ticket{}, err
	}
	return ticket{g: g, u: u}, nil
}

// await waits at most g.wait, or until ctx ends, for ready to be closed: the
// grant of a place or of weight, made under g.mu. Granted, even while giving
// up, it returns nil; otherwise it takes item out of *queue and returns
// timeout() or the context's error.
func await[T comparable](ctx context.Context, g *gate, ready chan struct{}, queue *[]T, item T, timeout func() error) error {
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	var err error
	select {
	case <-ready:
		return nil
	case <-timer.C:
		err = timeout()
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-ready: // granted while giving up: keep it
		return nil
	default:
	}
	if i := slices.Index(*queue, item); i >= 0 {
		*queue = slices.Delete(*queue, i, i+1)
	}
	return err
}

// fits reports whether w more bytes fit for u; g.mu is held.
func (g *gate) fits(u *userLoad, w int64) bool {
	return g.used+w <= g.budget && (u.held == 0 || u.held+w <= g.share)
}

// acquire takes w bytes of the budget for the ticket's lookup, waiting at
// most g.wait, or until ctx ends, for them. No lookup is weighed more than
// one user's share: one that would be (with a -max-count far above the
// default) runs alone for its user, leaving the other half to others.
func (t *ticket) acquire(ctx context.Context, w int64) error {
	g := t.g
	if g == nil || g.budget == 0 {
		return nil
	}
	w = min(max(w, 1), max(g.share, 1))
	g.mu.Lock()
	if g.fits(t.u, w) {
		g.grant(t.u, w)
		g.mu.Unlock()
		t.held = w
		return nil
	}
	wt := &waiter{u: t.u, w: w, ready: make(chan struct{})}
	g.waiters = append(g.waiters, wt)
	g.mu.Unlock()

	err := await(ctx, g, wt.ready, &g.waiters, wt, func() error {
		return intel.Errorf(intel.KindUnavailable, codeServerBusy,
			"the server is answering too many large lookups right now; retry in a moment, or ask for a smaller count")
	})
	if err != nil {
		return err
	}
	t.held = w
	return nil
}

// grant gives w bytes to u; g.mu is held.
func (g *gate) grant(u *userLoad, w int64) {
	g.used += w
	u.held += w
}

// wake grants, in order of arrival, every waiter that fits; g.mu is held.
func (g *gate) wake() {
	kept := g.waiters[:0]
	for _, wt := range g.waiters {
		if g.fits(wt.u, wt.w) {
			g.grant(wt.u, wt.w)
			close(wt.ready)
			continue
		}
		kept = append(kept, wt)
	}
	clear(g.waiters[len(kept):])
	g.waiters = kept
}

// shrink gives back what the ticket holds beyond w bytes: the answer
// turned out smaller than assumed.
func (t *ticket) shrink(w int64) {
	if t.held <= w || t.g == nil {
		return
	}
	g := t.g
	g.mu.Lock()
	d := t.held - w
	g.used -= d
	t.u.held -= d
	t.held = w
	if len(g.waiters) > 0 {
		g.wake()
	}
	g.mu.Unlock()
}

// leave gives back the ticket's weight and its place.
func (t *ticket) leave() {
	g := t.g
	if g == nil {
		return
	}
	g.mu.Lock()
	g.used -= t.held
	t.u.held -= t.held
	t.held = 0
	if len(t.u.queue) > 0 {
		// The place goes to the user's oldest waiting lookup.
		close(t.u.queue[0])
		t.u.queue[0] = nil
		t.u.queue = t.u.queue[1:]
	} else {
		t.u.n--
	}
	if t.u.n == 0 && len(g.users) > g.sweepAt {
		// Idle users are kept, so that a user's next lookup allocates
		// nothing, until there are many of them.
		for name, u := range g.users {
			if u.n == 0 {
				delete(g.users, name)
			}
		}
		g.sweepAt = max(minSweep, 2*len(g.users))
	}
	if len(g.waiters) > 0 {
		g.wake()
	}
	g.mu.Unlock()
}

// requestWeight is the weight a lookup is assumed to need before its
// report is built: count items in every list section it asks for, and
// uncappedItems in every list that count does not cap.
func requestWeight(req lookupRequest) int64 {
	sec := req.sections
	if req.kind != kindIP {
		items := req.count*bits.OnesCount64(uint64(sec&cappedLists[req.kind])) +
			uncappedItems*bits.OnesCount64(uint64(sec&uncappedLists[req.kind]))
		return itemsWeight(items, req.format)
	}
	items := 0
	for _, s := range []report.Sections{report.SecFilesDownloadedFromIP, report.SecHostedURLs, report.SecFeedMasks} {
		if sec.Has(s) {
			items += req.count
		}
	}
	res := 0
	if sec.Has(report.SecIPDNSResolutions) {
		res = req.count
	}
	if sec.Has(report.SecZone | report.SecRelatedObjects | report.SecIPGeneralInfo) {
		res = max(res, report.RedDomainScan) // read to score the address
	}
	return itemsWeight(items+res, req.format)
}

// cappedLists are the list sections of each kind of lookup that count
// caps, uncappedLists those it does not (DetectionsInfo,
// FileParentCertificates), assumed to hold uncappedItems items each until
// the report is built.
var (
	cappedLists = [...]report.Sections{
		kindURL: report.SecDomainDNSResolutions | report.SecDNSResolutionsIPv6 | report.SecFilesDownloaded | report.SecFilesAccessed |
			report.SecURLReferrals | report.SecURLReferredTo | report.SecFeedMasks,
		kindDomain: report.SecDomainDNSResolutions | report.SecDNSResolutionsIPv6 | report.SecFilesDownloaded | report.SecFilesAccessed |
			report.SecURLReferrals | report.SecURLReferredTo | report.SecSubdomains | report.SecFeedMasks,
		kindHash: report.SecFileCertificates | report.SecFileNames | report.SecFilePaths |
			report.SecFileDownloadedFromURLs | report.SecFileAccessedURLs | report.SecFileStartedObjects |
			report.SecFileStartedBy | report.SecFileDownloadedObjects | report.SecFileDownloadedBy,
	}
	uncappedLists = [...]report.Sections{
		kindHash: report.SecDetectionsInfo | report.SecFileParentCertificates,
	}
)

const uncappedItems = 100

// itemsWeight is the weight of an answer of items list items.
func itemsWeight(items int, format string) int64 {
	per := int64(weightPerItem)
	if format == formatSTIX {
		per = weightPerSTIX
	}
	return weightBase + int64(items)*per
}

// ipItems counts a built address report's list items.
func ipItems(r *report.IPReport) int {
	return len(r.Files) + len(r.HostedURLs) + len(r.Masks) + len(r.NetMasks) + len(r.Resolutions)
}

// errStalled is the error of an answer whose client stopped reading it.
var errStalled = errors.New("the client stopped reading the answer")

// scratch is what one lookup renders with, pooled with its buffer.
type scratch struct {
	body []byte
	out  bodyStream
}

// bodyStream is where a large answer is written as it is rendered: the
// status and headers (without Content-Length) go first, then each chunk
// with a write deadline of stall from now, so that a client that stops
// reading is dropped after stall without progress rather than holding the
// answer's memory until the server's write timeout.
type bodyStream struct {
	w           http.ResponseWriter
	contentType string
	stall       time.Duration
	rc          *http.ResponseController // once started
}

func (s *bodyStream) Write(p []byte) (int, error) {
	if s.rc == nil {
		s.rc = http.NewResponseController(s.w)
		s.w.Header().Set("Content-Type", s.contentType)
		s.w.WriteHeader(http.StatusOK)
	}
	s.rc.SetWriteDeadline(time.Now().Add(s.stall)) //nolint:errcheck // not supported: the server's timeout stands
	n, err := s.w.Write(p)
	if err != nil {
		return n, fmt.Errorf("%w: %w", errStalled, err)
	}
	return n, nil
}

// started reports whether the status and headers were written.
func (s *bodyStream) started() bool { return s.rc != nil }
