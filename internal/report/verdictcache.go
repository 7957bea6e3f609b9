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
// starts a new generation and the kept verdicts are dropped. While the
// store cannot tell its version (PostgreSQL before its listener for other
// processes' changes is connected, or after it lost it) nothing is kept:
// every verdict is computed.
//
// Besides the verdicts, a generation keeps the evidence behind the
// verdicts of domains, web addresses and files (their summaries, the
// reports and masks that name them): the next lookup of the same object
// reads only its lists.
//
// Reports read the kept verdicts without locks: a generation publishes
// its verdicts as a set that is never changed, and keeps the verdicts
// computed since in a second set, read under a lock, until reports have
// found enough of them there (a quarter of the kept verdicts) to make a
// new published set worth its copy. An address report looks up all its
// list items in one pass over each set.
//
// Memory is bounded: at most max verdicts (three quarters published, a
// quarter waiting; while a new set is published the old one lives on
// until its last reader is done), and evidence of at most
// max × EvidenceBytesPerVerdict bytes (estimated from its strings and
// items), are kept; a full generation replaces random kept entries by
// each new one.
type Verdicts struct {
	max int
	cur atomic.Pointer[verdictGen]
}

// EvidenceBytesPerVerdict is the evidence a Verdicts keeps per verdict it
// may keep: 32 MiB with DefaultVerdicts.
const EvidenceBytesPerVerdict = 256

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

	// read is the published set, looked up without locks and never
	// changed once published; nil before the first publication.
	read atomic.Pointer[verdictSet]
	// found counts the lookups answered from dirty since the last
	// publication.
	found atomic.Int64
	// publishAt is the value of found that makes publish worth its copy:
	// a quarter of the verdicts kept (read and dirty).
	publishAt atomic.Int64

	mu sync.RWMutex
	// dirty is the verdicts kept since the last publication (at most
	// dirtyMax), under mu.
	dirty verdictSet
	// ev is the kept evidence, of evBytes estimated bytes, under mu.
	ev      map[objKey]evidence
	evBytes int
}

// verdictSet is a set of kept verdicts, by kind of object.
type verdictSet struct {
	hosts map[string]hostVerdict
	urls  map[string]intel.Zone
	files map[string]intel.Zone
	ips   map[netip.Addr]ipEv
}

func newVerdictSet(n int) verdictSet {
	return verdictSet{hosts: make(map[string]hostVerdict, n/4), urls: make(map[string]intel.Zone, n/4),
		files: make(map[string]intel.Zone, n/4), ips: make(map[netip.Addr]ipEv, n/4)}
}

// addMissing copies into dst the entries of src whose keys dst lacks,
// counting them in total, until total reaches limit; it reports whether
// room is left.
func addMissing[K comparable, V any](dst, src map[K]V, total *int, limit int) bool {
	for k, v := range src {
		if *total >= limit {
			return false
		}
		if _, ok := dst[k]; !ok {
			dst[k] = v
			*total++
		}
	}
	return *total < limit
}

func (s *verdictSet) len() int {
	if s == nil {
		return 0
	}
	return len(s.hosts) + len(s.urls) + len(s.files) + len(s.ips)
}

// evidence is the evidence of one object (one of the pointers set) and
// its estimated size. It is never changed once kept.
type evidence struct {
	h    *hostEv
	u    *urlEv
	f    *fileEv
	size int
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
		ng := &verdictGen{key: k, keep: true, max: v.max, dirty: newVerdictSet(0), ev: map[objKey]evidence{}}
		ng.publishAt.Store(1)
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

// dirtyMax is the most verdicts dirty holds; the published set holds at
// most max - dirtyMax.
func (g *verdictGen) dirtyMax() int { return max(1, g.max/4) }

// room makes room in dirty for one more verdict; the caller holds g.mu.
func (g *verdictGen) room() {
	if g.dirty.len() < g.dirtyMax() {
		return
	}
	// Full: drop one verdict, from the first kind that has one (map
	// iteration starts at a random entry).
	for k := range g.dirty.hosts {
		delete(g.dirty.hosts, k)
		return
	}
	for k := range g.dirty.urls {
		delete(g.dirty.urls, k)
		return
	}
	for k := range g.dirty.files {
		delete(g.dirty.files, k)
		return
	}
	for k := range g.dirty.ips {
		delete(g.dirty.ips, k)
		return
	}
}

// foundDirty counts n lookups answered from dirty, and publishes when
// they are enough.
func (g *verdictGen) foundDirty(n int) {
	if n > 0 && g.found.Add(int64(n)) >= g.publishAt.Load() {
		g.publish()
	}
}

// publish makes the verdicts of dirty readable without locks: a new
// published set of them and of the published ones (random ones left out
// beyond max - dirtyMax), and an empty dirty.
func (g *verdictGen) publish() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.found.Load() < g.publishAt.Load() || g.dirty.len() == 0 {
		return // published by another report
	}
	old := g.read.Load()
	limit := g.max - g.dirtyMax()
	n := min(limit, old.len()+g.dirty.len())
	ns := newVerdictSet(n)
	total := 0
	add := func(src *verdictSet) {
		_ = addMissing(ns.hosts, src.hosts, &total, limit) &&
			addMissing(ns.urls, src.urls, &total, limit) &&
			addMissing(ns.files, src.files, &total, limit) &&
			addMissing(ns.ips, src.ips, &total, limit)
	}
	add(&g.dirty) // the newer verdicts first
	if old != nil {
		add(old)
	}
	g.read.Store(&ns)
	g.dirty = newVerdictSet(0)
	g.found.Store(0)
	g.publishAt.Store(int64(max(1, total/4)))
}

// kept reads a kept verdict from the map pick chooses: the published set
// without locks, then dirty.
func kept[K comparable, V any](g *verdictGen, pick func(*verdictSet) map[K]V, k K) (V, bool) {
	var v V
	if g == nil || !g.keep {
		return v, false
	}
	if r := g.read.Load(); r != nil {
		if v, ok := pick(r)[k]; ok {
			return v, true
		}
	}
	g.mu.RLock()
	v, ok := pick(&g.dirty)[k]
	g.mu.RUnlock()
	if ok {
		g.foundDirty(1)
	}
	return v, ok
}

// keep keeps a verdict in the map pick chooses. A verdict published
// already (the same object looked up again) takes no lock.
func keep[K comparable, V comparable](g *verdictGen, pick func(*verdictSet) map[K]V, k K, v V) {
	if g == nil || !g.keep {
		return
	}
	if r := g.read.Load(); r != nil {
		if old, ok := pick(r)[k]; ok && old == v {
			return
		}
	}
	g.mu.Lock()
	m := pick(&g.dirty)
	if old, ok := m[k]; ok && old == v {
		g.mu.Unlock()
		return
	} else if !ok {
		g.room()
	}
	m[k] = v
	g.publishAt.Store(int64(max(1, (g.read.Load().len()+g.dirty.len())/4)))
	g.mu.Unlock()
}

func genHosts(s *verdictSet) map[string]hostVerdict { return s.hosts }
func genURLs(s *verdictSet) map[string]intel.Zone   { return s.urls }
func genFiles(s *verdictSet) map[string]intel.Zone  { return s.files }
func genIPs(s *verdictSet) map[netip.Addr]ipEv      { return s.ips }

func (g *verdictGen) host(name string) (hostVerdict, bool) { return kept(g, genHosts, name) }
func (g *verdictGen) putHost(name string, v hostVerdict)   { keep(g, genHosts, name, v) }
func (g *verdictGen) url(key string) (intel.Zone, bool)    { return kept(g, genURLs, key) }
func (g *verdictGen) putURL(key string, z intel.Zone)      { keep(g, genURLs, key, z) }
func (g *verdictGen) file(hash string) (intel.Zone, bool)  { return kept(g, genFiles, hash) }
func (g *verdictGen) putFile(hash string, z intel.Zone)    { keep(g, genFiles, hash, z) }
func (g *verdictGen) ip(a netip.Addr) (ipEv, bool)         { return kept(g, genIPs, a) }
func (g *verdictGen) putIP(a netip.Addr, v ipEv)           { keep(g, genIPs, a, v) }

// keptCount is the number of verdicts kept, published and waiting.
func (g *verdictGen) keptCount() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.read.Load().len() + g.dirty.len()
}

// evidenceOf returns the kept evidence of an object.
func (g *verdictGen) evidenceOf(k objKey) (evidence, bool) {
	if g == nil || !g.keep {
		return evidence{}, false
	}
	g.mu.RLock()
	e, ok := g.ev[k]
	g.mu.RUnlock()
	return e, ok
}

// putEvidence keeps the evidence of an object, dropping random kept
// evidence while the budget is exceeded. Evidence larger than a
// sixteenth of the budget is not kept.
func (g *verdictGen) putEvidence(k objKey, e evidence) {
	if g == nil || !g.keep {
		return
	}
	budget := g.max * EvidenceBytesPerVerdict
	if e.size > budget/16 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.ev[k]; ok {
		g.evBytes -= old.size
		delete(g.ev, k)
	}
	for dk, d := range g.ev {
		if g.evBytes+e.size <= budget {
			break
		}
		g.evBytes -= d.size
		delete(g.ev, dk)
	}
	g.ev[k] = e
	g.evBytes += e.size
}

// Estimated sizes of evidence: the strings and items it holds, with a
// fixed cost per item for the rest.
const (
	itemBytes    = 64
	summaryBytes = 1024 // an ObjectSummary without its strings and listings
)

func summarySize(s *intel.ObjectSummary) int {
	if s == nil {
		return 0
	}
	n := summaryBytes + len(s.Key) + len(s.Info.Type) + len(s.Info.Packer) + len(s.Info.Signer) + stringsSize(s.Info.Allows)
	for i := range s.Listings {
		l := &s.Listings[i]
		n += itemBytes + len(l.Feed) + len(l.Category) + len(l.Source.Feed) + len(l.Source.File)
	}
	w := &s.Whois
	n += len(w.Domain) + len(w.Registrar) + len(w.RegistrarEmail) + len(w.RegistrationOrganization) +
		stringsSize(w.NameServers) + stringsSize(w.Status)
	for i := range w.Contacts {
		c := &w.Contacts[i]
		n += 2*itemBytes + len(c.Name) + len(c.Organization) + len(c.Address) + len(c.City) + len(c.State) +
			len(c.Phone) + len(c.Fax) + len(c.Email)
	}
	return n
}

func reportsSize(reports []intel.Report) int {
	n := 0
	for i := range reports {
		r := &reports[i]
		n += 4*itemBytes + len(r.ID) + len(r.Type) + len(r.Title) + len(r.Description) + stringsSize(r.Tags) +
			stringsSize(r.Industries) + stringsSize(r.Geo) + stringsSize(r.Actors) + stringsSize(r.Indicators)
	}
	return n
}

func masksSize(masks []intel.FeedMask) int {
	n := 0
	for i := range masks {
		n += itemBytes + len(masks[i].Mask) + len(masks[i].MaskType) + stringsSize(masks[i].Feeds)
	}
	return n
}

func stringsSize(ss []string) int {
	n := 16 * len(ss)
	for _, s := range ss {
		n += len(s)
	}
	return n
}

func (h *hostEv) size() int {
	n := summarySize(h.sum) + reportsSize(h.reports) + masksSize(h.in.Masks) + len(h.in.Allows)*itemBytes
	for _, a := range h.anc {
		n += summarySize(a)
	}
	return n
}

func (u *urlEv) size() int {
	n := summaryBytes + stringsSize(u.keys) + reportsSize(u.reports) + masksSize(u.masks) + 16*len(u.sum.IPs) +
		len(u.in.Listings)*itemBytes
	for _, s := range u.osums {
		n += summarySize(s)
	}
	if u.hostEv != nil {
		n += u.hostEv.size()
	}
	return n
}

func (f *fileEv) size() int {
	n := summaryBytes + stringsSize(f.keys) + len(f.in.Listings)*itemBytes
	for _, s := range f.sums {
		n += summarySize(s)
	}
	return n
}
