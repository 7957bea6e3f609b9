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

	// One prefix table for every kind of record, so that a lookup walks one
	// path through one trie: the entry of a prefix holds small indices and
	// spans into the slices below.
	table        bart.Table[entry]
	countryCodes []string
	whoisNets    []intel.WhoisNet
	asEntries    []asEntry
	asDescs      [][]string
	asSources    []intel.Source
	listingRecs  []intel.NetListing
	allowRecs    []intel.Allow
	byASN        asIndex // asn.go
}

// entry is what the snapshot knows at one prefix.
type entry struct {
	country  uint32 // 1 + index into countryCodes; 0 if none
	whois    uint32 // 1 + index into whoisNets; 0 if none
	as       span   // into asEntries, ordered by ASN
	listings span   // into listingRecs, ordered by feed and category
	allows   span   // into allowRecs, ordered by list
}

// span is a run of records with the same prefix: recs[off : off+n].
type span struct{ off, n uint32 }

// asEntry is an AS range without its prefix (the table key) and with its
// description and source interned.
type asEntry struct{ asn, desc, src uint32 }

// Stats counts what a snapshot holds, for metrics and logs.
type Stats struct {
	Prefixes    int // distinct prefixes over all kinds
	Countries   int // country prefixes
	ASRanges    int // (prefix, ASN) pairs
	ASPrefixes  int // distinct AS prefixes
	WhoisNets   int // WHOIS prefixes
	NetListings int // (prefix, feed, category) listings
	Allows      int // (prefix, list) allow-list entries
	Skipped     int // records without a valid prefix, ignored
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
	haveCountry := false
	// Supernets yields every prefix covering ip, most specific first.
	for pfx, e := range s.table.Supernets(netip.PrefixFrom(ip, ip.BitLen())) {
		if e.country != 0 && !haveCountry {
			info.Country, haveCountry = s.countryCodes[e.country-1], true
		}
		if e.whois != 0 && info.Whois == nil {
			info.Whois = &s.whoisNets[e.whois-1]
		}
		if e.as.n != 0 && info.AS == nil {
			info.AS = make([]intel.ASRange, e.as.n)
			for k, a := range spanOf(e.as, s.asEntries) {
				info.AS[k] = intel.ASRange{
					Prefix:      pfx,
					ASN:         a.asn,
					Description: s.asDescs[a.desc],
					Source:      s.asSources[a.src],
				}
			}
		}
		info.Listings = appendSpan(info.Listings, e.listings, s.listingRecs)
		info.Allows = appendSpan(info.Allows, e.allows, s.allowRecs)
	}
	return info
}

// spanOf returns the records of sp in recs, capacity-limited so that
// appending to the result never writes to recs.
func spanOf[T any](sp span, recs []T) []T {
	return recs[sp.off : sp.off+sp.n : sp.off+sp.n]
}

// appendSpan appends the records of sp to out. While out is empty the
// result is the window spanOf(sp, recs): no copy is made for the common
// case of a single covering prefix.
func appendSpan[T any](out []T, sp span, recs []T) []T {
	if sp.n == 0 {
		return out
	}
	if out == nil {
		return spanOf(sp, recs)
	}
	return append(out, spanOf(sp, recs)...)
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
