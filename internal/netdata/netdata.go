// Package netdata holds network-keyed reference data in memory: the IANA
// special-purpose (reserved) address registries, and the country, AS, WHOIS,
// feed-network and allow-list ranges loaded from the store. Lookups are
// longest-prefix matches over immutable snapshots that are swapped atomically
// when the store's network data changes.
package netdata

import (
	"context"
	"net/netip"
	"sync/atomic"

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

// Reserved reports the most specific special-purpose block containing ip
// (IPv4-mapped IPv6 must be unmapped by the caller). It needs no store.
func Reserved(ip netip.Addr) (ReservedBlock, bool) {
	return ReservedBlock{}, false // TODO(netdata): implement
}

// Info is everything network-keyed known about one address.
type Info struct {
	Country  string             // most specific country range, "" if none
	AS       []intel.ASRange    // ASes of the most specific AS prefix (usually one)
	Whois    *intel.WhoisNet    // most specific WHOIS network, nil if none
	Listings []intel.NetListing // every network listing covering ip, most specific first
	Allows   []intel.Allow      // every allow-list entry covering ip, most specific first
}

// Snapshot is an immutable set of network-keyed data.
type Snapshot struct {
	version uint64
}

// Build loads every network record of st into a new snapshot.
func Build(ctx context.Context, st store.Intel) (*Snapshot, error) {
	return &Snapshot{}, nil // TODO(netdata): implement
}

// Version is the store's NetworkVersion the snapshot was built from.
func (s *Snapshot) Version() uint64 { return s.version }

// Lookup answers everything the snapshot knows about ip.
func (s *Snapshot) Lookup(ip netip.Addr) Info {
	return Info{} // TODO(netdata): implement
}

// Holder holds the current snapshot; readers never block.
type Holder struct {
	cur atomic.Pointer[Snapshot]
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
// from the current snapshot's (or always, with force).
func (h *Holder) Refresh(ctx context.Context, st store.Intel, force bool) error {
	return nil // TODO(netdata): implement
}
