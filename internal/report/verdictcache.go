package report

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
)

// Verdicts keeps the verdicts of domains, web addresses, files and
// addresses computed for one report so that the next reports reuse them:
// the same C&C address or payload is an item of thousands of answers, and
// an item's verdict costs several store reads (its summary, masks,
// reports, ancestors). One Verdicts serves every report of a Builder.
//
// A verdict is kept for one generation: one version of the store's intel
// data (store.IntelVersion), one snapshot of the network data, and one
// scoring time. With a Verdicts set, a Builder scores at the start of the
// current minute (VerdictEpoch) instead of the current instant, so that
// every verdict of one generation is computed at the same time, and an
// object's zone in a list equals its own lookup's whether either was
// computed now or read back. The next import, network refresh or minute
// starts a new generation and the kept verdicts are dropped. A store that
// cannot tell when its data changes (PostgreSQL, which other processes
// write) keeps nothing: every verdict is computed.
//
// Memory is bounded: at most max verdicts are kept; a full generation
// replaces a random kept verdict by each new one.
type Verdicts struct {
	max int
	cur atomic.Pointer[verdictGen]
}

// VerdictEpoch is the length of a generation's scoring time: verdicts are
// scored at the start of the current minute.
const VerdictEpoch = time.Minute

// DefaultVerdicts is the number of verdicts a Verdicts keeps by default:
// about 20 MiB with keys of typical length.
const DefaultVerdicts = 1 << 17

// NewVerdicts returns a Verdicts keeping at most max verdicts
// (DefaultVerdicts when max <= 0).
func NewVerdicts(max int) *Verdicts {
	if max <= 0 {
		max = DefaultVerdicts
	}
	return &Verdicts{max: max}
}

// genKey names a generation.
type genKey struct {
	store uint64
	net   *netdata.Snapshot
	at    int64 // scoring time, Unix nanoseconds
}

// verdictGen is the verdicts of one generation.
type verdictGen struct {
	key  genKey
	keep bool // false: a generation older than the current one, not kept
	max  int

	mu    sync.RWMutex
	n     int
	hosts map[string]hostVerdict
	urls  map[string]intel.Zone
	files map[string]intel.Zone
	ips   map[netip.Addr]ipEv
}

// hostVerdict is what a list item of a domain name shows of it.
type hostVerdict struct {
	zone              intel.Zone
	files, urls, hits int64
}

// generation returns the generation of key, starting it if key is newer
// than the current one. A key older than the current one (a report that
// started before an import, or before the minute turned) gets a
// generation of its own that keeps nothing.
func (v *Verdicts) generation(k genKey) *verdictGen {
	for {
		g := v.cur.Load()
		if g != nil && g.key == k {
			return g
		}
		if g != nil && (k.store < g.key.store || k.at < g.key.at) {
			return &verdictGen{key: k}
		}
		ng := &verdictGen{key: k, keep: true, max: v.max, hosts: map[string]hostVerdict{},
			urls: map[string]intel.Zone{}, files: map[string]intel.Zone{}, ips: map[netip.Addr]ipEv{}}
		if v.cur.CompareAndSwap(g, ng) {
			return ng
		}
	}
}

// generationOf returns the generation the reports of b start now, and the
// scoring time; nil when b keeps no verdicts.
func (b *Builder) generation() (*verdictGen, time.Time) {
	now := b.now()
	if b.Verdicts == nil {
		return nil, now
	}
	ver, ok := store.IntelVersion(b.Store)
	if !ok {
		return nil, now
	}
	at := now.Truncate(VerdictEpoch)
	var net *netdata.Snapshot
	if b.Net != nil {
		net = b.Net.Load()
	}
	return b.Verdicts.generation(genKey{store: ver, net: net, at: at.UnixNano()}), at
}

// room makes room for one more verdict; the caller holds g.mu.
func (g *verdictGen) room() {
	if g.n < g.max {
		g.n++
		return
	}
	// Full: drop one kept verdict, from the first kind that has one (map
	// iteration starts at a random entry).
	for k := range g.hosts {
		delete(g.hosts, k)
		return
	}
	for k := range g.urls {
		delete(g.urls, k)
		return
	}
	for k := range g.files {
		delete(g.files, k)
		return
	}
	for k := range g.ips {
		delete(g.ips, k)
		return
	}
}

func (g *verdictGen) host(name string) (hostVerdict, bool) {
	if g == nil || !g.keep {
		return hostVerdict{}, false
	}
	g.mu.RLock()
	v, ok := g.hosts[name]
	g.mu.RUnlock()
	return v, ok
}

func (g *verdictGen) putHost(name string, v hostVerdict) {
	if g == nil || !g.keep {
		return
	}
	g.mu.Lock()
	if _, ok := g.hosts[name]; !ok {
		g.room()
	}
	g.hosts[name] = v
	g.mu.Unlock()
}

func (g *verdictGen) url(key string) (intel.Zone, bool) {
	if g == nil || !g.keep {
		return "", false
	}
	g.mu.RLock()
	z, ok := g.urls[key]
	g.mu.RUnlock()
	return z, ok
}

func (g *verdictGen) putURL(key string, z intel.Zone) {
	if g == nil || !g.keep {
		return
	}
	g.mu.Lock()
	if _, ok := g.urls[key]; !ok {
		g.room()
	}
	g.urls[key] = z
	g.mu.Unlock()
}

func (g *verdictGen) file(hash string) (intel.Zone, bool) {
	if g == nil || !g.keep {
		return "", false
	}
	g.mu.RLock()
	z, ok := g.files[hash]
	g.mu.RUnlock()
	return z, ok
}

func (g *verdictGen) putFile(hash string, z intel.Zone) {
	if g == nil || !g.keep {
		return
	}
	g.mu.Lock()
	if _, ok := g.files[hash]; !ok {
		g.room()
	}
	g.files[hash] = z
	g.mu.Unlock()
}

func (g *verdictGen) ip(a netip.Addr) (ipEv, bool) {
	if g == nil || !g.keep {
		return ipEv{}, false
	}
	g.mu.RLock()
	v, ok := g.ips[a]
	g.mu.RUnlock()
	return v, ok
}

func (g *verdictGen) putIP(a netip.Addr, v ipEv) {
	if g == nil || !g.keep {
		return
	}
	g.mu.Lock()
	if _, ok := g.ips[a]; !ok {
		g.room()
	}
	g.ips[a] = v
	g.mu.Unlock()
}
