package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/store"
)

// The network index (store.NetworkAddresses): every address whose
// summary has a LastSeen has one key in each of two buckets, the /24 and
// /16 that hold it (IPv4) or its /48 and /32 (IPv6):
//
//	G kind bucket recency host     (empty value)
//
// kind is one byte (netSmall4, netLarge4, netSmall6, netLarge6), bucket
// the bucket's leading bytes (3, 2, 6 or 4), recency the 20-byte sort key
// of the lists (newest LastSeen first, then more hits), host the address
// (4 or 16 bytes): the keys of one bucket sort in the order of
// store.NetworkItem. Apply keeps the keys with the summaries: an address
// summary whose LastSeen or hits the batch changed loses its two old keys
// and gets two new ones, in the same batch (writeNetIndex). A page of
// NetworkAddresses is one iterator and store.MergeNetworkPage over the
// query's buckets: one seek per bucket and per refill of a bucket.
const tNetIndex = 'G'

// Kinds of network index keys (second byte).
const (
	netSmall4 = 'a' // IPv4 /24
	netLarge4 = 'b' // IPv4 /16
	netSmall6 = 'c' // IPv6 /48
	netLarge6 = 'd' // IPv6 /32
)

// netBucketPrefix is the key prefix of the bucket p (a /24 or /16, /48
// or /32).
func netBucketPrefix(dst []byte, p netip.Prefix) []byte {
	a := p.Addr()
	small, _ := store.BucketSizes(a.Is4())
	var kind byte
	switch {
	case a.Is4() && p.Bits() == small:
		kind = netSmall4
	case a.Is4():
		kind = netLarge4
	case p.Bits() == small:
		kind = netSmall6
	default:
		kind = netLarge6
	}
	dst = append(dst, tNetIndex, kind)
	return append(dst, a.AsSlice()[:p.Bits()/8]...)
}

// netIndexKey is the key of ip in the bucket p.
func netIndexKey(dst []byte, p netip.Prefix, ip netip.Addr, last time.Time, hits int64) []byte {
	dst = netBucketPrefix(dst, p)
	dst = recencyKey(dst, last, hits)
	return append(dst, ip.AsSlice()...)
}

// netBuckets returns the two buckets of ip.
func netBuckets(ip netip.Addr) [2]netip.Prefix {
	small, large := store.BucketSizes(ip.Is4())
	s, _ := ip.Prefix(small)
	l, _ := ip.Prefix(large)
	return [2]netip.Prefix{s, l}
}

// writeNetIndex moves the network index keys of every address summary
// whose LastSeen or hits the batch changed: the keys of the values
// before the batch (last0, hits0) are deleted, the new ones written.
func (a *applier) writeNetIndex() {
	var buf []byte
	for k, s := range a.addrs {
		if s.last.Equal(s.last0) && s.hits == s.hits0 {
			continue
		}
		ip := netip.AddrFrom16(k).Unmap()
		for _, b := range netBuckets(ip) {
			if !s.last0.IsZero() {
				buf = netIndexKey(buf[:0], b, ip, s.last0, s.hits0)
				a.del(buf)
			}
			if !s.last.IsZero() {
				buf = netIndexKey(buf[:0], b, ip, s.last, s.hits)
				a.set(buf, nil)
			}
		}
	}
}

// NetworkAddresses implements store.NetworkAddresses from the network
// index.
func (s *Store) NetworkAddresses(ctx context.Context, q store.NetworkQuery) (store.NetworkPage, error) {
	if err := ctx.Err(); err != nil {
		return store.NetworkPage{}, err
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tNetIndex}, UpperBound: []byte{tNetIndex + 1}})
	if err != nil {
		return store.NetworkPage{}, fmt.Errorf("network addresses: %w", err)
	}
	var key []byte
	page, err := store.MergeNetworkPage(q, func(reqs []*store.BucketRead) error {
		for _, r := range reqs {
			if err := ctx.Err(); err != nil {
				return err
			}
			prefix := netBucketPrefix(nil, r.Bucket)
			key = append(key[:0], prefix...)
			if !r.After.IsZero() {
				// Just after the cursor's key (keys of a bucket have
				// one length).
				key = recencyKey(key, r.After.LastSeen, r.After.Hits)
				key = append(append(key, r.After.IP.AsSlice()...), 0)
			}
			r.Items = r.Items[:0]
			for ok := it.SeekGE(key); ok && len(r.Items) < r.N && bytes.HasPrefix(it.Key(), prefix); ok = it.Next() {
				item, ok := decNetIndexKey(it.Key()[len(prefix):])
				if !ok {
					return fmt.Errorf("network index key %x: %w", it.Key(), errCorrupt)
				}
				r.Items = append(r.Items, item)
			}
			if err := it.Error(); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := it.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return store.NetworkPage{}, fmt.Errorf("network addresses: %w", err)
	}
	return page, nil
}

// decNetIndexKey decodes the part of a network index key after its
// bucket: recency and host.
func decNetIndexKey(k []byte) (store.NetworkItem, bool) {
	if len(k) != recencyKeyLen+4 && len(k) != recencyKeyLen+16 {
		return store.NetworkItem{}, false
	}
	var it store.NetworkItem
	sec := ^binary.BigEndian.Uint64(k)
	ns := ^binary.BigEndian.Uint32(k[8:])
	if sec != 0 {
		it.LastSeen = time.Unix(int64(sec)-unixToInternal, int64(ns)).UTC()
	}
	it.Hits = int64(^binary.BigEndian.Uint64(k[12:]) ^ (1 << 63))
	it.IP, _ = netip.AddrFromSlice(k[recencyKeyLen:])
	return it, true
}

// The in-place upgrade "network-index" (an indexUpgrade) writes the
// network index keys of the address summaries of a store written before
// the index existed. Its batches run between Apply's merges (serial), so
// that a summary an import changes meanwhile never gets the index key of
// its old value after Apply moved it.
const upgradeNetIndex = "network-index"

// keyNetIndex holds the state of the network-index upgrade: absent (not
// started), backfillRunning followed by the last summary key walked, or
// backfillDone.
var keyNetIndex = []byte{tMeta, 'n', 'e', 't', 'i', 'd', 'x'}

// netIndexUpgrade walks the address summaries and writes the two index
// keys of each one with a LastSeen.
var netIndexUpgrade = indexUpgrade{
	state:  keyNetIndex,
	serial: true,
	ranges: [][2][]byte{{{tAddr}, {tAddr + 1}}},
	index: eachAddrSummary(func(b *pebble.Batch, ip netip.Addr, sum *addrSum) error {
		if sum.last.IsZero() {
			return nil
		}
		var buf []byte
		for _, bk := range netBuckets(ip) {
			buf = netIndexKey(buf[:0], bk, ip, sum.last, sum.hits)
			if err := b.Set(buf, nil, nil); err != nil {
				return err
			}
		}
		return nil
	}),
}
