package importer

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

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
	// per batch: domain -> addresses
	cache map[string][]netip.Addr

	// With a pipelining store, the domains resolved by batches handed to
	// the store and not committed yet (counted per batch), and a function
	// that waits for those commits: a join of such a domain waits, so that
	// it reads what a one-batch-at-a-time import would read.
	mu       sync.Mutex
	inflight map[string]int
	wait     func()
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
	seen := make(map[string]bool)
	lookup := func(host string) ([]netip.Addr, error) {
		if ip, err := netip.ParseAddr(host); err == nil {
			return []netip.Addr{ip.Unmap()}, nil
		}
		if host == "" {
			return nil, nil
		}
		if seen[host] {
			return j.cache[host], nil
		}
		seen[host] = true
		j.settled(host)
		ips, err := j.st.DomainIPs(ctx, host, MaxDomainAddresses)
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", host, err)
		}
		cur := j.cache[host]
		for _, ip := range ips {
			cur = appendAddr(cur, ip)
		}
		j.cache[host] = cur
		return cur, nil
	}
	var dropped int64
	var err error
	var n int64
	b.HostedURLs, n, err = join(b.HostedURLs, func(r *intel.HostedURL) *netip.Addr { return &r.IP },
		func(r *intel.HostedURL) string { return intel.URLHost(r.URL) }, lookup)
	if err != nil {
		return 0, err
	}
	dropped += n
	b.Files, n, err = join(b.Files, func(r *intel.FileDownload) *netip.Addr { return &r.IP },
		func(r *intel.FileDownload) string { return intel.URLHost(intel.URLKey(r.URL)) }, lookup)
	if err != nil {
		return 0, err
	}
	dropped += n
	b.Masks, n, err = join(b.Masks, func(r *intel.FeedMask) *netip.Addr { return &r.IP }, maskHost, lookup)
	if err != nil {
		return 0, err
	}
	dropped += n
	b.ReportLinks, n, err = join(b.ReportLinks, func(r *intel.ReportLink) *netip.Addr { return &r.IP },
		func(r *intel.ReportLink) string { return r.Domain }, lookup)
	if err != nil {
		return 0, err
	}
	dropped += n
	b.PhishingEvents, n, err = join(b.PhishingEvents, func(r *intel.PhishingEvent) *netip.Addr { return &r.IP },
		func(r *intel.PhishingEvent) string { return r.Domain }, lookup)
	if err != nil {
		return 0, err
	}
	dropped += n
	return dropped, nil
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
	for i := range b.HostedURLs {
		if !b.HostedURLs[i].IP.IsValid() {
			return true
		}
	}
	for i := range b.Files {
		if !b.Files[i].IP.IsValid() {
			return true
		}
	}
	for i := range b.Masks {
		if !b.Masks[i].IP.IsValid() {
			return true
		}
	}
	for i := range b.ReportLinks {
		if !b.ReportLinks[i].IP.IsValid() {
			return true
		}
	}
	for i := range b.PhishingEvents {
		if !b.PhishingEvents[i].IP.IsValid() {
			return true
		}
	}
	return false
}

// join replaces every record without an address by one copy per address of
// its host; records whose host has none are dropped and counted.
func join[T any](recs []T, addr func(*T) *netip.Addr, host func(*T) string,
	lookup func(string) ([]netip.Addr, error)) ([]T, int64, error) {
	var extra []T
	var dropped int64
	out := recs[:0]
	for i := range recs {
		r := recs[i]
		if addr(&r).IsValid() {
			out = append(out, r)
			continue
		}
		ips, err := lookup(host(&r))
		if err != nil {
			return recs, 0, err
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
	return append(out, extra...), dropped, nil
}

// fillSources records provenance on every record that has none.
func (j *joiner) fillSources(b *intel.Batch) {
	for i := range b.Listings {
		j.fill(&b.Listings[i].Source, b.Listings[i].Feed)
	}
	for i := range b.HostedURLs {
		j.fill(&b.HostedURLs[i].Source, "")
	}
	for i := range b.Files {
		j.fill(&b.Files[i].Source, "")
	}
	for i := range b.Resolutions {
		j.fill(&b.Resolutions[i].Source, "")
	}
	for i := range b.Domains {
		j.fill(&b.Domains[i].Source, "")
	}
	for i := range b.Masks {
		feed := ""
		if len(b.Masks[i].Feeds) > 0 {
			feed = b.Masks[i].Feeds[0]
		}
		j.fill(&b.Masks[i].Source, feed)
	}
	for i := range b.SpamEvents {
		j.fill(&b.SpamEvents[i].Source, "")
	}
	for i := range b.PhishingEvents {
		j.fill(&b.PhishingEvents[i].Source, "")
	}
	for i := range b.Reports {
		j.fill(&b.Reports[i].Source, "")
	}
	for i := range b.ReportLinks {
		j.fill(&b.ReportLinks[i].Source, "")
	}
	for i := range b.Countries {
		j.fill(&b.Countries[i].Source, "")
	}
	for i := range b.ASRanges {
		j.fill(&b.ASRanges[i].Source, "")
	}
	for i := range b.WhoisNets {
		j.fill(&b.WhoisNets[i].Source, "")
	}
	for i := range b.NetListings {
		j.fill(&b.NetListings[i].Source, b.NetListings[i].Feed)
	}
	for i := range b.Allows {
		j.fill(&b.Allows[i].Source, b.Allows[i].List)
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
