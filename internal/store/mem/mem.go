// Package mem is an in-memory store backend for tests and throwaway demos.
// It keeps every record in maps under one lock and sorts list sections when
// they are read, so list reads cost O(n log n) in the section size; it is
// the reference the other backends are checked against by storetest, not a
// backend for real data volumes.
package mem

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Store is an in-memory store.Store.
type Store struct {
	mu      sync.RWMutex
	applyMu sync.Mutex // serialises Apply, so that change fingerprints are exact
	changes changeLog
	version atomic.Uint64 // bumped after every Apply (store.IntelVersion)

	addrs   map[netip.Addr]*addrData
	domains map[string]*intel.DomainInfo
	domIPs  map[string]map[netip.Addr]*intel.Resolution
	urls    map[string]*urlData
	reports map[string]intel.Report
	// reportFiles holds the YARA rules and PDF of reports, apart from them.
	reportFiles map[string]reportFiles
	// reportAddrs indexes ReportLinks by report: id -> addresses.
	reportAddrs map[string]map[netip.Addr]bool

	countries map[netip.Prefix]intel.CountryRange
	asRanges  map[asKey]intel.ASRange
	whois     map[netip.Prefix]intel.WhoisNet
	netList   map[netListKey]intel.NetListing
	allows    map[allowKey]intel.Allow
	netVer    uint64

	users    map[string]intel.User
	tokens   map[string]intel.Token // by hash
	userToks map[string]string      // user -> hash
	counts   map[countKey]int64
	holds    []intel.Hold // sorted by reference

	objects  objects              // objects.go
	feedVers map[string]time.Time // feedversions.go
}

type asKey struct {
	p   netip.Prefix
	asn uint32
}

type netListKey struct {
	p    netip.Prefix
	feed string
	cat  intel.Category
}

type allowKey struct {
	p    netip.Prefix
	list string
}

type countKey struct{ user, day string }

type fileKey struct{ md5, url string }

type maskKey struct{ mask, typ string }

type listingKey struct {
	feed string
	cat  intel.Category
}

type addrData struct {
	sightings map[time.Time]int64
	first     time.Time
	last      time.Time
	listings  map[listingKey]*intel.Listing
	reportIDs map[string]bool
	spamIDs   map[string]bool
	spam      intel.SpamSummary
	phishIDs  map[string]bool
	phish     intel.PhishingState
	urls      map[string]*intel.HostedURL
	files     map[fileKey]*intel.FileDownload
	res       map[string]*intel.Resolution
	masks     map[maskKey]*intel.FeedMask
	redURLs   int64
	redFiles  int64
}

type urlData struct {
	hosted bool
	sum    intel.URLSummary
	files  map[string]*intel.FileDownload // by MD5
}

// New returns an empty store.
func New() *Store {
	return &Store{
		addrs:       map[netip.Addr]*addrData{},
		domains:     map[string]*intel.DomainInfo{},
		domIPs:      map[string]map[netip.Addr]*intel.Resolution{},
		urls:        map[string]*urlData{},
		reports:     map[string]intel.Report{},
		reportFiles: map[string]reportFiles{},
		reportAddrs: map[string]map[netip.Addr]bool{},
		countries:   map[netip.Prefix]intel.CountryRange{},
		asRanges:    map[asKey]intel.ASRange{},
		whois:       map[netip.Prefix]intel.WhoisNet{},
		netList:     map[netListKey]intel.NetListing{},
		allows:      map[allowKey]intel.Allow{},
		users:       map[string]intel.User{},
		tokens:      map[string]intel.Token{},
		userToks:    map[string]string{},
		counts:      map[countKey]int64{},
		changes:     changeLog{addrs: map[netip.Addr]time.Time{}, urls: map[string]time.Time{}},
	}
}

var _ store.Store = (*Store)(nil)

// Close does nothing; the data stays readable.
func (s *Store) Close() error { return nil }

func (s *Store) addr(ip netip.Addr) *addrData {
	a := s.addrs[ip]
	if a == nil {
		a = &addrData{
			sightings: map[time.Time]int64{},
			listings:  map[listingKey]*intel.Listing{},
			reportIDs: map[string]bool{},
			spamIDs:   map[string]bool{},
			phishIDs:  map[string]bool{},
			urls:      map[string]*intel.HostedURL{},
			files:     map[fileKey]*intel.FileDownload{},
			res:       map[string]*intel.Resolution{},
			masks:     map[maskKey]*intel.FeedMask{},
		}
		s.addrs[ip] = a
	}
	return a
}

func (a *addrData) seen(t time.Time) {
	if t.IsZero() {
		return
	}
	a.first = intel.MinTime(a.first, t)
	a.last = intel.MaxTime(a.last, t)
}

func (a *addrData) seenRange(first, last time.Time) {
	a.seen(first)
	a.seen(last)
}

// Apply implements store.Intel.
func (s *Store) Apply(ctx context.Context, b *intel.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	ips, urls := touched(b)
	objs := touchedObjects(b)
	beforeA, beforeU, err := s.fingerprints(ctx, ips, urls)
	if err != nil {
		return err
	}
	beforeO, err := s.objectFingerprints(ctx, objs)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.apply(b)
	s.mu.Unlock()
	s.version.Add(1)
	// Reads see the new state now; the stamps follow. Fingerprints are
	// not cancelled: the batch is applied already.
	afterA, afterU, err := s.fingerprints(context.WithoutCancel(ctx), ips, urls)
	if err != nil {
		return err
	}
	afterO, err := s.objectFingerprints(context.WithoutCancel(ctx), objs)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.stamp(beforeA, afterA, beforeU, afterU, beforeO, afterO)
	s.mu.Unlock()
	return nil
}

// apply merges the batch; the caller holds s.mu for writing.
func (s *Store) apply(b *intel.Batch) {
	for _, r := range b.Sightings {
		r.Normalize()
		a := s.addr(r.IP)
		a.sightings[r.Day] = r.Hits
		a.seen(r.Day)
	}
	for _, r := range b.Listings {
		r.Normalize()
		a := s.addr(r.IP)
		k := listingKey{r.Feed, r.Category}
		if old := a.listings[k]; old != nil {
			old.Merge(r)
		} else {
			a.listings[k] = &r
		}
		a.seenRange(r.FirstSeen, r.LastSeen)
	}
	for _, r := range b.HostedURLs {
		r.Normalize()
		a := s.addr(r.IP)
		old := a.urls[r.URL]
		wasRed := old != nil && old.Zone == intel.ZoneRed
		if old != nil {
			old.Merge(r)
		} else {
			c := r
			old = &c
			a.urls[r.URL] = old
		}
		if !wasRed && old.Zone == intel.ZoneRed {
			a.redURLs++
		}
		a.seenRange(r.FirstSeen, r.LastSeen)

		u := s.url(r.URL)
		u.sum.AddHosted(r, !u.hosted)
		u.hosted = true
	}
	for _, r := range b.Files {
		r.Normalize()
		a := s.addr(r.IP)
		k := fileKey{r.MD5, r.URL}
		old := a.files[k]
		wasRed := old != nil && old.Zone == intel.ZoneRed
		if old != nil {
			old.Merge(r)
		} else {
			c := r
			old = &c
			a.files[k] = old
		}
		if !wasRed && old.Zone == intel.ZoneRed {
			a.redFiles++
		}
		a.seenRange(r.FirstSeen, r.LastSeen)

		u := s.url(intel.URLKey(r.URL))
		if f := u.files[r.MD5]; f != nil {
			f.MergeByMD5(r)
		} else {
			c := r
			u.files[r.MD5] = &c
		}
	}
	for _, r := range b.Resolutions {
		r.Normalize()
		r.Zone, r.Categories = "", nil
		a := s.addr(r.IP)
		if old := a.res[r.Domain]; old != nil {
			old.Merge(r)
		} else {
			c := r
			a.res[r.Domain] = &c
			m := s.domIPs[r.Domain]
			if m == nil {
				m = map[netip.Addr]*intel.Resolution{}
				s.domIPs[r.Domain] = m
			}
			m[r.IP] = &c
		}
		a.seenRange(r.FirstSeen, r.LastSeen)
	}
	for _, r := range b.Domains {
		r.Normalize()
		if old := s.domains[r.Domain]; old != nil {
			old.Merge(r)
		} else {
			s.domains[r.Domain] = &r
		}
	}
	for _, r := range b.Masks {
		r.Normalize()
		a := s.addr(r.IP)
		k := maskKey{r.Mask, r.MaskType}
		if old := a.masks[k]; old != nil {
			old.Merge(r)
		} else {
			a.masks[k] = &r
		}
	}
	for _, r := range b.SpamEvents {
		r.Normalize()
		a := s.addr(r.IP)
		if a.spamIDs[r.ID] {
			continue
		}
		a.spamIDs[r.ID] = true
		a.spam.Add(r)
		a.seen(r.Time)
	}
	for _, r := range b.PhishingEvents {
		r.Normalize()
		a := s.addr(r.IP)
		if a.phishIDs[r.ID] {
			continue
		}
		a.phishIDs[r.ID] = true
		a.phish.Add(r)
		a.seen(r.Time)
	}
	for _, r := range b.Reports {
		r.Normalize()
		r.Tags = slices.Clone(r.Tags)
		r.Industries = slices.Clone(r.Industries)
		r.Geo = slices.Clone(r.Geo)
		r.Actors = slices.Clone(r.Actors)
		r.Indicators = slices.Clone(r.Indicators)
		s.setReportFiles(&r)
		s.reports[r.ID] = r
	}
	for _, r := range b.ReportLinks {
		ip := intel.NormIP(r.IP)
		s.addr(ip).reportIDs[r.ReportID] = true
		if s.reportAddrs[r.ReportID] == nil {
			s.reportAddrs[r.ReportID] = map[netip.Addr]bool{}
		}
		s.reportAddrs[r.ReportID][ip] = true
	}
	for _, r := range b.Countries {
		r.Normalize()
		s.countries[r.Prefix] = r
	}
	for _, r := range b.ASRanges {
		r.Normalize()
		r.Description = slices.Clone(r.Description)
		s.asRanges[asKey{r.Prefix, r.ASN}] = r
	}
	for _, r := range b.WhoisNets {
		r.Normalize()
		r.Contacts = cloneContacts(r.Contacts)
		s.whois[r.Prefix] = r
	}
	for _, r := range b.NetListings {
		r.Normalize()
		k := netListKey{r.Prefix, r.Feed, r.Category}
		if old, ok := s.netList[k]; ok {
			old.Merge(r)
			s.netList[k] = old
		} else {
			s.netList[k] = r
		}
	}
	for _, r := range b.Allows {
		r.Normalize()
		s.allows[allowKey{r.Prefix, r.List}] = r
	}
	s.applyObjects(b)
	if b.HasNetworkData() {
		s.netVer++
	}
}

func cloneContacts(cs []intel.Contact) []intel.Contact {
	if cs == nil {
		return nil
	}
	out := make([]intel.Contact, len(cs))
	for i, c := range cs {
		c.Address = slices.Clone(c.Address)
		out[i] = c
	}
	return out
}

func (s *Store) url(key string) *urlData {
	u := s.urls[key]
	if u == nil {
		u = &urlData{sum: intel.URLSummary{URL: key}, files: map[string]*intel.FileDownload{}}
		s.urls[key] = u
	}
	return u
}

// Address implements store.Intel.
func (s *Store) Address(ctx context.Context, ip netip.Addr) (intel.AddressSummary, error) {
	if err := ctx.Err(); err != nil {
		return intel.AddressSummary{}, err
	}
	ip = intel.NormIP(ip)
	sum := intel.AddressSummary{IP: ip}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.addrs[ip]
	if a == nil {
		return sum, nil
	}
	for _, h := range a.sightings {
		sum.Hits += h
	}
	sum.FirstSeen, sum.LastSeen = a.first, a.last
	for _, l := range a.listings {
		sum.Listings = append(sum.Listings, *l)
	}
	slices.SortFunc(sum.Listings, func(x, y intel.Listing) int {
		if c := strings.Compare(x.Feed, y.Feed); c != 0 {
			return c
		}
		return strings.Compare(string(x.Category), string(y.Category))
	})
	sum.ReportIDs = slices.Sorted(maps.Keys(a.reportIDs))
	sum.Spam = a.spam
	sum.Spam.Types = slices.Clone(a.spam.Types)
	p := a.phish.PhishingSummary
	p.Regions = maps.Clone(p.Regions)
	p.StolenData = slices.Clone(p.StolenData)
	p.Industries = slices.Clone(p.Industries)
	p.Organizations = slices.Clone(p.Organizations)
	sum.Phishing = p
	sum.RedURLs, sum.RedFiles = a.redURLs, a.redFiles
	return sum, nil
}

// byRecency orders newest LastSeen first, then more hits first, then by key.
func byRecency(lastA, lastB time.Time, hitsA, hitsB int64, key func() int) int {
	if c := lastB.Compare(lastA); c != 0 {
		return c
	}
	if hitsA != hitsB {
		if hitsA > hitsB {
			return -1
		}
		return 1
	}
	return key()
}

func top[T any](items []T, limit int, cmp func(a, b T) int) []T {
	slices.SortFunc(items, cmp)
	if limit < 0 {
		limit = 0
	}
	if len(items) > limit {
		items = items[:limit]
	}
	return items
}

// addrList reads one list of ip's under the read lock: a copy of each item
// (copyOf), the first limit in cmp order; finish, if given, runs on the
// result while the lock is still held.
func addrList[K comparable, T any](ctx context.Context, s *Store, ip netip.Addr, limit int,
	items func(*addrData) map[K]*T, copyOf func(*T) T, cmp func(x, y T) int, finish func([]T)) ([]T, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.addrs[intel.NormIP(ip)]
	if a == nil {
		return nil, nil
	}
	m := items(a)
	out := make([]T, 0, len(m))
	for _, it := range m {
		out = append(out, copyOf(it))
	}
	out = top(out, limit, cmp)
	if finish != nil {
		finish(out)
	}
	return out, nil
}

// HostedURLs implements store.Intel.
func (s *Store) HostedURLs(ctx context.Context, ip netip.Addr, limit int) ([]intel.HostedURL, error) {
	return addrList(ctx, s, ip, limit, func(a *addrData) map[string]*intel.HostedURL { return a.urls },
		func(u *intel.HostedURL) intel.HostedURL {
			c := *u
			c.Categories = slices.Clone(u.Categories)
			return c
		},
		func(x, y intel.HostedURL) int {
			return byRecency(x.LastSeen, y.LastSeen, x.Hits, y.Hits, func() int { return strings.Compare(x.URL, y.URL) })
		}, nil)
}

func fileCmp(x, y intel.FileDownload) int {
	return byRecency(x.LastSeen, y.LastSeen, x.Hits, y.Hits, func() int {
		if c := strings.Compare(x.MD5, y.MD5); c != 0 {
			return c
		}
		return strings.Compare(x.URL, y.URL)
	})
}

func deref[T any](p *T) T { return *p }

// Files implements store.Intel.
func (s *Store) Files(ctx context.Context, ip netip.Addr, limit int) ([]intel.FileDownload, error) {
	return addrList(ctx, s, ip, limit, func(a *addrData) map[fileKey]*intel.FileDownload { return a.files },
		deref[intel.FileDownload], fileCmp, nil)
}

// Resolutions implements store.Intel.
func (s *Store) Resolutions(ctx context.Context, ip netip.Addr, limit int) ([]intel.Resolution, error) {
	return addrList(ctx, s, ip, limit, func(a *addrData) map[string]*intel.Resolution { return a.res },
		deref[intel.Resolution],
		func(x, y intel.Resolution) int {
			return byRecency(x.LastSeen, y.LastSeen, x.Hits, y.Hits, func() int { return strings.Compare(x.Domain, y.Domain) })
		},
		func(out []intel.Resolution) {
			for i := range out {
				out[i].Zone, out[i].Categories = intel.ZoneGrey, nil
				if d := s.domains[out[i].Domain]; d != nil {
					if d.Zone != "" {
						out[i].Zone = d.Zone
					}
					out[i].Categories = slices.Clone(d.Categories)
				}
			}
		})
}

// Masks implements store.Intel.
func (s *Store) Masks(ctx context.Context, ip netip.Addr, limit int) ([]intel.FeedMask, error) {
	return addrList(ctx, s, ip, limit, func(a *addrData) map[maskKey]*intel.FeedMask { return a.masks },
		func(m *intel.FeedMask) intel.FeedMask {
			c := *m
			c.Feeds = slices.Clone(m.Feeds)
			return c
		},
		func(x, y intel.FeedMask) int {
			if sx, sy := x.Zone.Severity(), y.Zone.Severity(); sx != sy {
				return sy - sx
			}
			if c := strings.Compare(x.Mask, y.Mask); c != 0 {
				return c
			}
			return strings.Compare(x.MaskType, y.MaskType)
		}, nil)
}

// DomainIPs implements store.Intel.
func (s *Store) DomainIPs(ctx context.Context, domain string, limit int) ([]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.domIPs[domain]
	rs := make([]*intel.Resolution, 0, len(m))
	for _, r := range m {
		rs = append(rs, r)
	}
	rs = top(rs, limit, func(x, y *intel.Resolution) int {
		return byRecency(x.LastSeen, y.LastSeen, x.Hits, y.Hits, func() int { return intel.CompareAddr(x.IP, y.IP) })
	})
	if len(rs) == 0 {
		return nil, nil
	}
	out := make([]netip.Addr, len(rs))
	for i, r := range rs {
		out[i] = r.IP
	}
	return out, nil
}

// URL implements store.Intel.
func (s *Store) URL(ctx context.Context, url string) (intel.URLSummary, error) {
	if err := ctx.Err(); err != nil {
		return intel.URLSummary{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.urls[url]
	if u == nil {
		return intel.URLSummary{}, fmt.Errorf("url %q: %w", url, intel.ErrNotFound)
	}
	sum := u.sum
	sum.Categories = slices.Clone(sum.Categories)
	sum.IPs = slices.Clone(sum.IPs)
	sum.Files = int64(len(u.files))
	return sum, nil
}

// URLFiles implements store.Intel. Records of one file (MD5) downloaded from
// the web address on several addresses, or over http and https, are merged
// into one item by the FileDownload rules; its IP and URL are the smallest
// ones seen.
func (s *Store) URLFiles(ctx context.Context, url string, limit int) ([]intel.FileDownload, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.urls[url]
	if u == nil {
		return nil, nil
	}
	out := make([]intel.FileDownload, 0, len(u.files))
	for _, f := range u.files {
		out = append(out, *f)
	}
	return top(out, limit, fileCmp), nil
}

// Report implements store.Intel.
func (s *Store) Report(ctx context.Context, id string) (intel.Report, error) {
	if err := ctx.Err(); err != nil {
		return intel.Report{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.reports[id]
	if !ok {
		return intel.Report{}, fmt.Errorf("report %q: %w", id, intel.ErrNotFound)
	}
	r.Tags = slices.Clone(r.Tags)
	r.Industries = slices.Clone(r.Industries)
	r.Geo = slices.Clone(r.Geo)
	r.Actors = slices.Clone(r.Actors)
	r.Indicators = slices.Clone(r.Indicators)
	return r, nil
}

// ScanNetworks implements store.Intel. The records are copied under the
// lock and passed to fn without it, so fn may call the store.
func (s *Store) ScanNetworks(ctx context.Context, fn func(store.NetRecord) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	var recs []store.NetRecord
	for _, r := range s.countries {
		recs = append(recs, store.NetRecord{Country: &r})
	}
	for _, r := range s.asRanges {
		r.Description = slices.Clone(r.Description)
		recs = append(recs, store.NetRecord{AS: &r})
	}
	for _, r := range s.whois {
		r.Contacts = cloneContacts(r.Contacts)
		recs = append(recs, store.NetRecord{Whois: &r})
	}
	for _, r := range s.netList {
		recs = append(recs, store.NetRecord{NetListing: &r})
	}
	for _, r := range s.allows {
		recs = append(recs, store.NetRecord{Allow: &r})
	}
	s.mu.RUnlock()
	for i, r := range recs {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// IntelVersion implements store.Versioned: a count of Apply calls.
func (s *Store) IntelVersion() (uint64, bool) { return s.version.Load(), true }

// NetworkVersion implements store.Intel.
func (s *Store) NetworkVersion(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.netVer, nil
}

func cloneUser(u intel.User) intel.User {
	u.CertFingerprints = slices.Clone(u.CertFingerprints)
	return u
}

// PutUser implements store.Access.
func (s *Store) PutUser(ctx context.Context, u intel.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if u.Name == "" {
		return intel.Invalid("user name is empty")
	}
	u = cloneUser(u)
	u.Expires, u.Created = intel.UTC(u.Expires), intel.UTC(u.Created)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Name] = u
	return nil
}

// User implements store.Access.
func (s *Store) User(ctx context.Context, name string) (intel.User, error) {
	if err := ctx.Err(); err != nil {
		return intel.User{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[name]
	if !ok {
		return intel.User{}, fmt.Errorf("user %q: %w", name, intel.ErrNotFound)
	}
	return cloneUser(u), nil
}

// Users implements store.Access.
func (s *Store) Users(ctx context.Context) ([]intel.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]intel.User, 0, len(s.users))
	for _, name := range slices.Sorted(maps.Keys(s.users)) {
		out = append(out, cloneUser(s.users[name]))
	}
	return out, nil
}

// SetToken implements store.Access.
func (s *Store) SetToken(ctx context.Context, t intel.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.User == "" || t.Hash == "" {
		return intel.Invalid("token needs a user and a hash")
	}
	t.Issued, t.Expires = intel.UTC(t.Issued), intel.UTC(t.Expires)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.userToks[t.User]; ok {
		delete(s.tokens, old)
	}
	s.tokens[t.Hash] = t
	s.userToks[t.User] = t.Hash
	return nil
}

// TokenByHash implements store.Access.
func (s *Store) TokenByHash(ctx context.Context, hash string) (intel.Token, error) {
	if err := ctx.Err(); err != nil {
		return intel.Token{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[hash]
	if !ok {
		return intel.Token{}, fmt.Errorf("token: %w", intel.ErrNotFound)
	}
	return t, nil
}

// UserToken implements store.Access.
func (s *Store) UserToken(ctx context.Context, user string) (intel.Token, error) {
	if err := ctx.Err(); err != nil {
		return intel.Token{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.userToks[user]
	if !ok {
		return intel.Token{}, fmt.Errorf("token of %q: %w", user, intel.ErrNotFound)
	}
	return s.tokens[h], nil
}

// RevokeToken implements store.Access.
func (s *Store) RevokeToken(ctx context.Context, user string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.userToks[user]; ok {
		delete(s.tokens, h)
		delete(s.userToks, user)
	}
	return nil
}

// CountRequest implements store.Access.
func (s *Store) CountRequest(ctx context.Context, user, day string, quota int64) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := countKey{user, day}
	n := s.counts[k]
	if n >= quota {
		return n, false, nil
	}
	n++
	s.counts[k] = n
	return n, true, nil
}

// RequestCount implements store.Access.
func (s *Store) RequestCount(ctx context.Context, user, day string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.counts[countKey{user, day}], nil
}

var _ store.ListPager = (*Store)(nil)

// ListPage implements store.ListPager by reading the whole list, sorted
// (store.ScanPage): the reference the other backends are checked against.
func (s *Store) ListPage(ctx context.Context, ref store.ListRef, after store.ListCursor, limit int) (store.ListPage, error) {
	return store.ScanPage(ctx, s, ref, after, limit)
}
