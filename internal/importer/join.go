package importer

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// joiner prepares a parsed batch for the store: it records provenance on
// every record and attaches web addresses, files, feed masks, report links
// and phishing events whose host is a domain (and which name no address) to
// the addresses the domain resolved to.
type joiner struct {
	st  store.Intel
	o   Options
	src intel.Source
	// per batch: domain -> addresses, the hosts read from the store (as a
	// set and a list)
	cache map[string][]netip.Addr
	read  map[string]bool
	hosts []string

	// With a pipelining store, the domains resolved by batches handed to
	// the store and not committed yet (counted per batch), and a function
	// that waits for those commits: a join of such a domain waits, so that
	// it reads what a one-batch-at-a-time import would read.
	mu       sync.Mutex
	inflight map[string]int
	wait     func()

	// The dates of the file's listings, per feed (prepare's goroutine
	// only): a feed all of whose listings carry one date is a snapshot of
	// that date, its version (see versions).
	dates map[string]*dateSpan
}

// dateSpan is the earliest and latest LastSeen of one feed's listings.
type dateSpan struct{ min, max time.Time }

// noteDates widens the feeds' date spans by b's listings.
func (j *joiner) noteDates(b *intel.Batch) {
	note := func(src intel.Source, last time.Time) {
		if j.dates == nil {
			j.dates = map[string]*dateSpan{}
		}
		d := j.dates[src.Feed]
		if d == nil {
			j.dates[src.Feed] = &dateSpan{min: last, max: last}
			return
		}
		if last.Before(d.min) {
			d.min = last
		}
		if last.After(d.max) {
			d.max = last
		}
	}
	for i := range b.Listings {
		note(b.Listings[i].Source, b.Listings[i].LastSeen)
	}
	for i := range b.NetListings {
		note(b.NetListings[i].Source, b.NetListings[i].LastSeen)
	}
	for i := range b.ObjectListings {
		note(b.ObjectListings[i].Source, b.ObjectListings[i].LastSeen)
	}
}

// versions are the feed versions of a whole file: the feeds whose listings
// all carry one date (a list dated by its file, or undated and dated by the
// import). A feed whose entries carry dates of their own has no version.
func (j *joiner) versions() map[string]time.Time {
	out := map[string]time.Time{}
	for feed, d := range j.dates {
		if feed != "" && !d.max.IsZero() && d.min.Equal(d.max) {
			out[feed] = d.max
		}
	}
	return out
}

// hold counts the domains b resolves as in flight until release is called
// with what hold returned.
func (j *joiner) hold(b *intel.Batch) []string {
	if len(b.Resolutions) == 0 {
		return nil
	}
	doms := make([]string, 0, len(b.Resolutions))
	for i := range b.Resolutions {
		doms = append(doms, b.Resolutions[i].Domain)
	}
	slices.Sort(doms)
	doms = slices.Compact(doms)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.inflight == nil {
		j.inflight = make(map[string]int)
	}
	for _, d := range doms {
		j.inflight[d]++
	}
	return doms
}

func (j *joiner) release(doms []string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, d := range doms {
		if j.inflight[d]--; j.inflight[d] <= 0 {
			delete(j.inflight, d)
		}
	}
}

// settled waits, if host was resolved by a batch still in flight, for
// every batch in flight.
func (j *joiner) settled(host string) {
	j.mu.Lock()
	n := j.inflight[host]
	j.mu.Unlock()
	if n > 0 && j.wait != nil {
		j.wait()
	}
}

// prepare fills provenance and joins domains; it returns how many records
// were dropped for want of an address.
func (j *joiner) prepare(ctx context.Context, b *intel.Batch) (int64, error) {
	j.fillSources(b)
	b.AddObjects()
	b.DateLinks(j.src.Imported)
	b.DateListings(j.src.Imported)
	j.noteDates(b)
	if !needsJoin(b) {
		return 0, nil
	}
	if j.cache == nil {
		j.cache = make(map[string][]netip.Addr)
	}
	clear(j.cache)
	// Resolutions of this batch are not in the store yet: use them too.
	for i := range b.Resolutions {
		r := &b.Resolutions[i]
		j.cache[r.Domain] = appendAddr(j.cache[r.Domain], r.IP)
	}
	// The store's addresses of the hosts of the records to join, read in
	// one pass (store.DomainsIPs), after the batches in flight that
	// resolve any of them.
	hosts := j.hosts[:0]
	addHost := func(host string) {
		if host == "" || j.read[host] {
			return
		}
		if _, ok := intel.HostAddr(host); ok {
			return
		}
		if j.read == nil {
			j.read = map[string]bool{}
		}
		j.read[host] = true
		hosts = append(hosts, host)
	}
	clear(j.read)
	eachHost(b.HostedURLs, urlAddr, urlHost, addHost)
	eachHost(b.Files, fileAddr, fileHost, addHost)
	eachHost(b.Masks, maskAddr, maskHost, addHost)
	eachHost(b.ReportLinks, linkAddr, linkHost, addHost)
	eachHost(b.PhishingEvents, phishAddr, phishHost, addHost)
	slices.Sort(hosts)
	j.hosts = hosts
	for _, h := range hosts {
		j.settled(h)
	}
	err := store.DomainsIPs(ctx, j.st, hosts, MaxDomainAddresses, func(i int, ips []netip.Addr) {
		cur := j.cache[hosts[i]]
		for _, ip := range ips {
			cur = appendAddr(cur, ip)
		}
		j.cache[hosts[i]] = cur
	})
	if err != nil {
		return 0, fmt.Errorf("addresses of domains: %w", err)
	}
	lookup := func(host string) ([]netip.Addr, error) {
		if ip, ok := intel.HostAddr(host); ok {
			return []netip.Addr{ip.Unmap()}, nil
		}
		return j.cache[host], nil
	}
	jr := joinRun{lookup: lookup}
	join(&jr, &b.HostedURLs, urlAddr, urlHost)
	join(&jr, &b.Files, fileAddr, fileHost)
	join(&jr, &b.Masks, maskAddr, maskHost)
	join(&jr, &b.ReportLinks, linkAddr, linkHost)
	join(&jr, &b.PhishingEvents, phishAddr, phishHost)
	if jr.err != nil {
		return 0, jr.err
	}
	return jr.dropped, nil
}

// The address fields of the records join may attach to a domain's addresses.
var (
	urlAddr   = func(r *intel.HostedURL) *netip.Addr { return &r.IP }
	fileAddr  = func(r *intel.FileDownload) *netip.Addr { return &r.IP }
	maskAddr  = func(r *intel.FeedMask) *netip.Addr { return &r.IP }
	linkAddr  = func(r *intel.ReportLink) *netip.Addr { return &r.IP }
	phishAddr = func(r *intel.PhishingEvent) *netip.Addr { return &r.IP }
)

// The hosts of the records join may attach to a domain's addresses.
var (
	urlHost   = func(r *intel.HostedURL) string { return intel.URLHost(r.URL) }
	fileHost  = func(r *intel.FileDownload) string { return intel.URLHost(intel.URLKey(r.URL)) }
	linkHost  = func(r *intel.ReportLink) string { return r.Domain }
	phishHost = func(r *intel.PhishingEvent) string { return r.Domain }
)

// eachHost calls fn with the host of every record of recs without an
// address.
func eachHost[T any](recs []T, addr func(*T) *netip.Addr, host func(*T) string, fn func(string)) {
	for i := range recs {
		if !addr(&recs[i]).IsValid() {
			fn(host(&recs[i]))
		}
	}
}

func maskHost(m *intel.FeedMask) string {
	if m.MaskType == intel.MaskHost {
		return strings.TrimSuffix(strings.TrimPrefix(m.Mask, "["), "]")
	}
	return intel.URLHost(m.Mask)
}

func appendAddr(ips []netip.Addr, ip netip.Addr) []netip.Addr {
	if !ip.IsValid() || len(ips) >= MaxDomainAddresses {
		return ips
	}
	for _, x := range ips {
		if x == ip {
			return ips
		}
	}
	return append(ips, ip)
}

func needsJoin(b *intel.Batch) bool {
	return unaddressed(b.HostedURLs, urlAddr) || unaddressed(b.Files, fileAddr) || unaddressed(b.Masks, maskAddr) ||
		unaddressed(b.ReportLinks, linkAddr) || unaddressed(b.PhishingEvents, phishAddr)
}

// unaddressed reports whether a record of recs has no address.
func unaddressed[T any](recs []T, addr func(*T) *netip.Addr) bool {
	for i := range recs {
		if !addr(&recs[i]).IsValid() {
			return true
		}
	}
	return false
}

// joinRun is one batch's join: the domain lookup, the records dropped so
// far and the first error, after which join does nothing.
type joinRun struct {
	lookup  func(string) ([]netip.Addr, error)
	dropped int64
	err     error
}

// join replaces every record of *recs without an address by one copy per
// address of its host; records whose host has none are dropped and counted.
func join[T any](jr *joinRun, recs *[]T, addr func(*T) *netip.Addr, host func(*T) string) {
	if jr.err != nil {
		return
	}
	var extra []T
	var dropped int64
	out := (*recs)[:0]
	for i := range *recs {
		r := (*recs)[i]
		if addr(&r).IsValid() {
			out = append(out, r)
			continue
		}
		ips, err := jr.lookup(host(&r))
		if err != nil {
			jr.err = err
			return
		}
		if len(ips) == 0 {
			dropped++
			continue
		}
		for _, ip := range ips {
			c := r
			*addr(&c) = ip
			extra = append(extra, c)
		}
	}
	*recs = append(out, extra...)
	jr.dropped += dropped
}

// fillSources records provenance on every record that has none.
func (j *joiner) fillSources(b *intel.Batch) {
	type src = intel.Source
	fillEach(j, b.Listings, func(r *intel.Listing) (*src, string) { return &r.Source, r.Feed })
	fillEach(j, b.HostedURLs, func(r *intel.HostedURL) (*src, string) { return &r.Source, "" })
	fillEach(j, b.Files, func(r *intel.FileDownload) (*src, string) { return &r.Source, "" })
	fillEach(j, b.Resolutions, func(r *intel.Resolution) (*src, string) { return &r.Source, "" })
	fillEach(j, b.Domains, func(r *intel.DomainInfo) (*src, string) { return &r.Source, "" })
	fillEach(j, b.Masks, func(r *intel.FeedMask) (*src, string) {
		if len(r.Feeds) > 0 {
			return &r.Source, r.Feeds[0]
		}
		return &r.Source, ""
	})
	fillEach(j, b.SpamEvents, func(r *intel.SpamEvent) (*src, string) { return &r.Source, "" })
	fillEach(j, b.PhishingEvents, func(r *intel.PhishingEvent) (*src, string) { return &r.Source, "" })
	fillEach(j, b.Reports, func(r *intel.Report) (*src, string) { return &r.Source, "" })
	fillEach(j, b.ReportLinks, func(r *intel.ReportLink) (*src, string) { return &r.Source, "" })
	fillEach(j, b.Countries, func(r *intel.CountryRange) (*src, string) { return &r.Source, "" })
	fillEach(j, b.ASRanges, func(r *intel.ASRange) (*src, string) { return &r.Source, "" })
	fillEach(j, b.WhoisNets, func(r *intel.WhoisNet) (*src, string) { return &r.Source, "" })
	fillEach(j, b.NetListings, func(r *intel.NetListing) (*src, string) { return &r.Source, r.Feed })
	fillEach(j, b.Allows, func(r *intel.Allow) (*src, string) { return &r.Source, r.List })
	fillEach(j, b.ObjectInfos, func(r *intel.ObjectInfo) (*src, string) { return &r.Source, "" })
	fillEach(j, b.ObjectListings, func(r *intel.ObjectListing) (*src, string) { return &r.Source, r.Feed })
	fillEach(j, b.Links, func(r *intel.Link) (*src, string) { return &r.Source, "" })
	fillEach(j, b.FileHashes, func(r *intel.FileHashes) (*src, string) { return &r.Source, "" })
	fillEach(j, b.Whois, func(r *intel.DomainWhois) (*src, string) { return &r.Source, "" })
}

// fillEach fills the provenance of every record of recs; src returns a
// record's Source and its own feed.
func fillEach[T any](j *joiner, recs []T, src func(*T) (*intel.Source, string)) {
	for i := range recs {
		j.fill(src(&recs[i]))
	}
}

// fill sets the empty fields of s: the feed named on the command line, else
// the record's own feed; the file's base name; the import time.
func (j *joiner) fill(s *intel.Source, feed string) {
	if s.Feed == "" {
		if j.src.Feed != "" {
			s.Feed = j.src.Feed
		} else {
			s.Feed = feed
		}
	}
	if s.File == "" {
		s.File = j.src.File
	}
	if s.Imported.IsZero() {
		s.Imported = j.src.Imported
	}
}
