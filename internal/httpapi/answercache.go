package httpapi

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

// answerCache keeps rendered answers of the lookups, so that a repeated
// lookup is a map read instead of a report's build and render. An answer
// depends on the request (kind, object, sections, count, format, path or
// search form), on the store's intel data, on the network snapshot, on
// the scoring time and on the legal holds (held items are left out of the
// lists); it never depends on the user but for LicenseInfo, which is kept
// out of the kept bytes and written exact into every answer.
//
// An answer is kept for one generation, as report.Verdicts keeps
// verdicts: one version of the store's intel data (store.IntelVersion),
// one network snapshot, one scoring minute (report.VerdictEpoch), and one
// set of legal holds (read on every request; a hold placed or lifted
// starts a new generation). The next import, network refresh, minute or
// hold change drops every kept answer. While the store cannot tell its
// version (PostgreSQL before its listener for other processes' changes is
// connected, or after it lost it) nothing is kept.
//
// What a lookup checks on every request is checked on hits too, in the
// same order: credentials, the burst limit, the request, the licence,
// legal holds on the object, API access, the quota (counted), the memory
// for the answer. A hit skips only the report's build and its rendering.
//
// Memory is bounded: the kept answers of the current generation, with an
// estimate of their keys, weigh at most max bytes; a full generation
// drops random kept answers for each new one, and an answer over a
// sixteenth of max is not kept.
type answerCache struct {
	max     int64
	metrics *Metrics
	store   store.Intel
	net     *netdata.Holder
	holds   func(ctx context.Context) ([]intel.Hold, error) // nil: no holds
	minute  func() int64                                    // the scoring minute, Unix nanoseconds

	cur atomic.Pointer[answerGen]
}

// answerGenKey names a generation but for its holds.
type answerGenKey struct {
	store  uint64
	net    *netdata.Snapshot
	minute int64
}

// answerGen is the kept answers of one generation.
type answerGen struct {
	key   answerGenKey
	holds []holdKey
	c     *answerCache

	mu    sync.RWMutex
	m     map[answerKey]*keptAnswer // nil once retired
	bytes int64
}

// holdKey is what of a hold decides which items it leaves out.
type holdKey struct {
	prefix                 netip.Prefix
	url, domain, hash, ref string
}

// answerKey is what an answer depends on in its request.
type answerKey struct {
	kind     lookupKind
	search   bool
	ip       netip.Addr
	object   string // kindURL: the web address as requested; kindDomain, kindHash: normalised
	sections report.Sections
	count    int
}

// keptAnswer is a rendered answer. It is never changed once kept.
type keptAnswer struct {
	// body is the answer without LicenseInfo: when license is set, what
	// follows `{"LicenseInfo":{…}` (a "," and the other sections, or
	// "}"); otherwise the whole answer.
	body    []byte
	license bool
	// known is false for a search for an object nothing is known about
	// (answered 404 no_data).
	known bool
}

// keyOverhead estimates the memory of an entry besides its body and
// object: the map slot, the key and the keptAnswer.
const keyOverhead = 160

func (a *keptAnswer) size(k *answerKey) int64 {
	return int64(len(a.body)+len(k.object)) + keyOverhead
}

// newAnswerCache returns a cache of at most max bytes; nil when max <= 0.
func newAnswerCache(max int64, b *report.Builder, holds func(ctx context.Context) ([]intel.Hold, error), m *Metrics) *answerCache {
	if max <= 0 || b == nil {
		return nil
	}
	return &answerCache{max: max, metrics: m, store: b.Store, net: b.Net, holds: holds,
		minute: func() int64 { return b.Clock().Truncate(report.VerdictEpoch).UnixNano() }}
}

// cacheable reports whether the answer to req may be kept: the JSON of a
// lookup, path or search form (not an explanation, not a STIX bundle,
// whose identifiers and times are its own).
func cacheable(req *lookupRequest) bool {
	return !req.explain && req.page == nil && req.format == formatJSON
}

func keyOf(req *lookupRequest) answerKey {
	k := answerKey{kind: req.kind, search: req.search, sections: req.sections, count: req.count}
	switch req.kind {
	case kindIP:
		k.ip = req.ip
	case kindURL:
		k.object = req.url
	default:
		k.object = req.object
	}
	return k
}

// generation returns the current generation, starting a new one when the
// store's version, the network snapshot, the minute or the holds moved
// on; nil when nothing can be kept now (the store cannot tell its
// version, or the request saw an older state than the current
// generation's). It is read before an answer is built, so that an answer
// built from data older than a generation is never kept in it.
//
// It also returns the legal holds it read, sorted by reference, and
// whether it read them (the store lists holds): the lookup checks its
// object against them instead of asking the store again.
func (c *answerCache) generation(ctx context.Context) (*answerGen, []intel.Hold, bool, error) {
	ver, ok := store.IntelVersion(c.store)
	var hs []intel.Hold
	if c.holds != nil {
		var err error
		if hs, err = c.holds(ctx); err != nil {
			return nil, nil, false, err
		}
	}
	if !ok {
		return nil, hs, c.holds != nil, nil
	}
	k := answerGenKey{store: ver, minute: c.minute()}
	if c.net != nil {
		k.net = c.net.Load()
	}
	for {
		g := c.cur.Load()
		if g != nil && g.key == k && equalHolds(g.holds, hs) {
			return g, hs, c.holds != nil, nil
		}
		if g != nil && (k.store < g.key.store || k.minute < g.key.minute) {
			return nil, hs, c.holds != nil, nil
		}
		holds := make([]holdKey, len(hs))
		for i, h := range hs {
			holds[i] = keyOfHold(h)
		}
		ng := &answerGen{key: k, holds: holds, c: c, m: map[answerKey]*keptAnswer{}}
		if c.cur.CompareAndSwap(g, ng) {
			if g != nil {
				g.retire()
			}
			return ng, hs, c.holds != nil, nil
		}
	}
}

func keyOfHold(h intel.Hold) holdKey {
	return holdKey{prefix: h.Prefix, url: h.URL, domain: h.Domain, hash: h.Hash, ref: h.Ref}
}

func equalHolds(a []holdKey, b []intel.Hold) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != keyOfHold(b[i]) {
			return false
		}
	}
	return true
}

// retire drops the answers of a generation that is no longer current.
func (g *answerGen) retire() {
	g.mu.Lock()
	g.c.metrics.answerCacheBytes.Sub(float64(g.bytes))
	g.m, g.bytes = nil, 0
	g.mu.Unlock()
}

// get returns the kept answer of k.
func (g *answerGen) get(k *answerKey) (*keptAnswer, bool) {
	g.mu.RLock()
	a, ok := g.m[*k]
	g.mu.RUnlock()
	return a, ok
}

// put keeps a, dropping random kept answers while the cache is over its
// bound. A generation that is no longer current keeps nothing.
func (g *answerGen) put(k *answerKey, a *keptAnswer) {
	c := g.c
	size := a.size(k)
	if size > c.max/16 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		return
	}
	if old, ok := g.m[*k]; ok {
		g.bytes -= old.size(k)
		c.metrics.answerCacheBytes.Sub(float64(old.size(k)))
		delete(g.m, *k)
	}
	for dk, d := range g.m {
		if g.bytes+size <= c.max {
			break
		}
		ds := d.size(&dk)
		g.bytes -= ds
		c.metrics.answerCacheBytes.Sub(float64(ds))
		c.metrics.answerCacheEvictions.Inc()
		delete(g.m, dk)
	}
	g.m[*k] = a
	g.bytes += size
	c.metrics.answerCacheBytes.Add(float64(size))
}
