// Package netdata holds network-keyed reference data in memory: the IANA
// special-purpose (reserved) address registries, and the country, AS, WHOIS,
// feed-network and allow-list ranges loaded from the store.
//
// Reserved answers from a constant table and needs no store. Everything else
// is answered by a Snapshot: an immutable set of longest-prefix-match tables
// (github.com/gaissmai/bart) built from the store by Build. Where ranges
// overlap, the most specific one wins: Lookup answers the country, AS and
// WHOIS network of the longest matching prefix, and lists every network
// listing and allow-list entry that covers the address, most specific first.
//
// A Holder keeps the current snapshot. Readers call Load and never block;
// Refresh rebuilds the snapshot when the store's NetworkVersion changes and
// swaps it in atomically.
package netdata

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/gaissmai/bart"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// ReservedBlock is one entry of the IANA special-purpose registries (or
// multicast / limited broadcast).
type ReservedBlock struct {
	Prefix netip.Prefix
	Name   string // registry name, e.g. "Documentation (TEST-NET-1)"
	RFC    string // e.g. "RFC 5737"
}

// Info is everything network-keyed known about one address.
//
// Its slices and the WhoisNet it points to are shared with the snapshot and
// with other lookups: they are read-only.
type Info struct {
	Country  string             // most specific country range, "" if none
	AS       []intel.ASRange    // ASes of the most specific AS prefix (usually one)
	Whois    *intel.WhoisNet    // most specific WHOIS network, nil if none
	Listings []intel.NetListing // every network listing covering ip, most specific first
	Allows   []intel.Allow      // every allow-list entry covering ip, most specific first
}

// Snapshot is an immutable set of network-keyed data. It is safe for
// concurrent use. The zero Snapshot is empty.
type Snapshot struct {
	version uint64
	loaded  bool
	stats   Stats

	// Each table maps a prefix to a small value: an index, or a span of
	// records that share the prefix, into the slices below.
	country      bart.Table[uint32]
	countryCodes []string
	as           bart.Table[span]
	asEntries    []asEntry
	asDescs      [][]string
	asSources    []intel.Source
	whois        bart.Table[uint32]
	whoisNets    []intel.WhoisNet
	listings     bart.Table[span]
	listingRecs  []intel.NetListing
	allows       bart.Table[span]
	allowRecs    []intel.Allow
}

// span is a run of records with the same prefix: recs[off : off+n].
type span struct{ off, n uint32 }

// asEntry is an AS range without its prefix (the table key) and with its
// description and source interned.
type asEntry struct{ asn, desc, src uint32 }

// Stats counts what a snapshot holds, for metrics and logs.
type Stats struct {
	Countries   int // country prefixes
	ASRanges    int // (prefix, ASN) pairs
	ASPrefixes  int // distinct AS prefixes
	WhoisNets   int // WHOIS prefixes
	NetListings int // (prefix, feed, category) listings
	Allows      int // (prefix, list) allow-list entries
	Skipped     int // records without a valid prefix, ignored
}

// Prefixes is the number of prefixes in all tables of the snapshot.
func (st Stats) Prefixes() int {
	return st.Countries + st.ASPrefixes + st.WhoisNets + st.NetListings + st.Allows
}

// Version is the store's NetworkVersion the snapshot was built from.
func (s *Snapshot) Version() uint64 { return s.version }

// Loaded reports whether the snapshot was built from data (by Build or
// FromRecords), as opposed to the empty placeholder of a new Holder.
func (s *Snapshot) Loaded() bool { return s.loaded }

// Stats reports what the snapshot holds.
func (s *Snapshot) Stats() Stats { return s.stats }

// Lookup answers everything the snapshot knows about ip. An IPv4-mapped IPv6
// address is looked up as IPv4; a zone is ignored. Lookup does not consult
// the reserved registries: callers check Reserved first.
func (s *Snapshot) Lookup(ip netip.Addr) Info {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return Info{}
	}
	var info Info
	if i, ok := s.country.Lookup(ip); ok {
		info.Country = s.countryCodes[i]
	}
	host := netip.PrefixFrom(ip, ip.BitLen())
	if pfx, sp, ok := s.as.LookupPrefixLPM(host); ok {
		info.AS = make([]intel.ASRange, sp.n)
		for k, e := range s.asEntries[sp.off : sp.off+sp.n] {
			info.AS[k] = intel.ASRange{
				Prefix:      pfx,
				ASN:         e.asn,
				Description: s.asDescs[e.desc],
				Source:      s.asSources[e.src],
			}
		}
	}
	if i, ok := s.whois.Lookup(ip); ok {
		info.Whois = &s.whoisNets[i]
	}
	info.Listings = covering(&s.listings, s.listingRecs, host)
	info.Allows = covering(&s.allows, s.allowRecs, host)
	return info
}

// covering returns the records of every prefix of t that covers host, most
// specific prefix first. With one covering prefix the result is a
// capacity-limited window on recs, so appending to it never writes to recs.
func covering[T any](t *bart.Table[span], recs []T, host netip.Prefix) []T {
	var out []T
	for _, sp := range t.Supernets(host) {
		part := recs[sp.off : sp.off+sp.n : sp.off+sp.n]
		if out == nil {
			out = part
		} else {
			out = append(out, part...)
		}
	}
	return out
}

// Build loads every network record of st into a new snapshot. The snapshot's
// version is read before the records, so data applied during the scan makes
// the snapshot look stale rather than current.
func Build(ctx context.Context, st store.Intel) (*Snapshot, error) {
	version, err := st.NetworkVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read network version: %w", err)
	}
	b := newBuilder()
	n := 0
	err = st.ScanNetworks(ctx, func(r store.NetRecord) error {
		if n++; n%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b.add(r)
		return nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("scan networks: %w", err)
	}
	return b.finish(version), nil
}

// FromRecords builds a snapshot of recs with the given version, as Build
// does from a store.
func FromRecords(version uint64, recs []store.NetRecord) *Snapshot {
	b := newBuilder()
	for _, r := range recs {
		b.add(r)
	}
	return b.finish(version)
}

// Holder holds the current snapshot; readers never block. Use NewHolder.
type Holder struct {
	cur atomic.Pointer[Snapshot]
	mu  sync.Mutex // serialises Refresh
}

// NewHolder returns a holder with an empty snapshot.
func NewHolder() *Holder {
	h := &Holder{}
	h.cur.Store(&Snapshot{})
	return h
}

// Load returns the current snapshot.
func (h *Holder) Load() *Snapshot { return h.cur.Load() }

// Refresh rebuilds the snapshot from st if the store's NetworkVersion differs
// from the current snapshot's, or if the current snapshot was never loaded
// (or always, with force). Concurrent calls build one at a time, and a call
// that waited for another finds the snapshot current and returns. On error
// the current snapshot stays.
func (h *Holder) Refresh(ctx context.Context, st store.Intel, force bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !force {
		v, err := st.NetworkVersion(ctx)
		if err != nil {
			return fmt.Errorf("read network version: %w", err)
		}
		if cur := h.cur.Load(); cur.loaded && cur.version == v {
			return nil
		}
	}
	s, err := Build(ctx, st)
	if err != nil {
		return err
	}
	h.cur.Store(s)
	return nil
}
