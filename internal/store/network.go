package store

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Bounds of NetworkAddresses (see NetworkAddresses in store.go).
const (
	// MaxNetworkBuckets is the most buckets one page reads: the buckets of
	// an AS's ranges beyond it are left out and the page says Truncated.
	// One network of the widest size accepted (/8, or /24 for IPv6) has
	// 256 buckets.
	MaxNetworkBuckets = 4096
	// MaxNetworkScan is the most index entries outside the asked networks
	// that one page skips (only a network narrower than its bucket has
	// such entries: a /25 inside its /24, a /56 inside its /48); a page
	// that reaches it ends early, with fewer items than asked and a Next
	// cursor to go on from.
	MaxNetworkScan = 4096
	// MaxNetworkLimit is the most items of one page.
	MaxNetworkLimit = 1000
)

// The bucket sizes: every address the store knows is indexed in the
// bucket of each size that holds it, newest LastSeen first.
const (
	bucket4Small, bucket4Large = 24, 16
	bucket6Small, bucket6Large = 48, 32
	// The widest networks accepted: 256 large buckets.
	widest4, widest6 = 8, 24
)

// BucketSizes are the prefix lengths of the index buckets of an address
// family (small first): /24 and /16 for IPv4, /48 and /32 for IPv6.
func BucketSizes(is4 bool) (small, large int) {
	if is4 {
		return bucket4Small, bucket4Large
	}
	return bucket6Small, bucket6Large
}

// NetworkItem is one address of a NetworkAddresses page, and a position
// in its order: newest LastSeen first, then more Hits, then IP
// (netip.Addr.Compare).
type NetworkItem struct {
	IP       netip.Addr
	LastSeen time.Time
	Hits     int64
}

// IsZero reports whether c is the zero item (as a cursor: the start).
func (c NetworkItem) IsZero() bool { return !c.IP.IsValid() }

// CompareNetworkItems orders items as NetworkAddresses lists them.
func CompareNetworkItems(a, b NetworkItem) int {
	if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Hits, a.Hits); c != 0 {
		return c
	}
	return a.IP.Compare(b.IP)
}

// NetworkQuery asks NetworkAddresses for one page.
type NetworkQuery struct {
	// Networks are the networks listed together: one for a network page,
	// the ranges of an AS for its page. Each is at most a /8 (IPv4) or a
	// /24 (IPv6) wide; networks inside another one of the list are left
	// out.
	Networks []netip.Prefix
	// After is the cursor: the page starts strictly after it in the
	// order of NetworkItem. The zero item starts at the newest address.
	After NetworkItem
	// Limit is the most items of the page (1 to MaxNetworkLimit).
	Limit int
}

// NetworkPage is one page of NetworkAddresses.
type NetworkPage struct {
	Items []NetworkItem
	// Next is the cursor of the next page (the last item examined); zero
	// when the page holds the last address.
	Next NetworkItem
	// Truncated is set when the networks have more than MaxNetworkBuckets
	// buckets: only the addresses of the first buckets, the networks
	// taken in address order, are listed.
	Truncated bool
}

// NetBucket is one bucket a query reads: the index bucket Net (a /24 or
// /16, /48 or /32) and the part of it asked for, Filter (Net itself or a
// narrower network inside it).
type NetBucket struct {
	Net, Filter netip.Prefix
}

// CheckNetwork validates one network of a NetworkQuery: a valid, masked
// prefix, not IPv4-mapped, at most a /8 (IPv4) or /24 (IPv6) wide.
func CheckNetwork(p netip.Prefix) (netip.Prefix, error) {
	if !p.IsValid() || p.Addr().Zone() != "" {
		return p, intel.Invalid("%q is not a network", p.String())
	}
	if p.Addr().Is4In6() {
		bits := p.Bits() - 96
		if bits < 0 {
			return p, intel.Invalid("network %s is not an IPv4 network", p)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), bits)
	}
	p = p.Masked()
	if p.Addr().Is4() && p.Bits() < widest4 {
		return p, intel.Invalid("network %s is wider than /%d; ask for a narrower one", p, widest4)
	}
	if p.Addr().Is6() && p.Bits() < widest6 {
		return p, intel.Invalid("network %s is wider than /%d; ask for a narrower one", p, widest6)
	}
	return p, nil
}

// NetworkBuckets returns the buckets a query of nets reads, and whether
// some were left out (more than MaxNetworkBuckets). The networks are
// checked (CheckNetwork), sorted, and those inside another one dropped,
// so that the buckets' filters never overlap: no address is listed twice.
// Each network maps to buckets so that it is read whole and no bucket
// holds more than one network's worth of foreign entries:
//
//	IPv4 /24–/32: its /24, filtered;   /17–/23: its /24s (2–128);
//	     /16: its /16;                  /8–/15: its /16s (2–256)
//	IPv6 /48–/128: its /48, filtered;  /40–/47: its /48s (2–256);
//	     /33–/39: its /32, filtered;    /32: its /32; /24–/31: its /32s (2–256)
func NetworkBuckets(nets []netip.Prefix) ([]NetBucket, bool, error) {
	ps := make([]netip.Prefix, 0, len(nets))
	for _, p := range nets {
		p, err := CheckNetwork(p)
		if err != nil {
			return nil, false, err
		}
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Bits(), b.Bits())
	})
	var out []NetBucket
	var last netip.Prefix
	for _, p := range ps {
		if last.IsValid() && last.Overlaps(p) { // sorted: p is inside last
			continue
		}
		last = p
		small, large := BucketSizes(p.Addr().Is4())
		size := large
		if p.Bits() >= small || (p.Bits() > large && (p.Addr().Is4() || small-p.Bits() <= 8)) {
			size = small
		}
		if p.Bits() >= size {
			if len(out) == MaxNetworkBuckets {
				return out, true, nil
			}
			out = append(out, NetBucket{Net: netip.PrefixFrom(p.Addr(), size).Masked(), Filter: p})
			continue
		}
		a := p.Addr()
		for range 1 << (size - p.Bits()) {
			if len(out) == MaxNetworkBuckets {
				return out, true, nil
			}
			b := netip.PrefixFrom(a, size)
			out = append(out, NetBucket{Net: b, Filter: b})
			a = NextPrefix(netip.PrefixFrom(a, size))
		}
	}
	return out, false, nil
}

// NextPrefix returns the first address after the prefix p (wrapping to
// the first address of the family after the last prefix).
func NextPrefix(p netip.Prefix) netip.Addr {
	bits := p.Bits()
	b := p.Masked().Addr().AsSlice()
	i := (bits - 1) / 8
	inc := byte(1) << (7 - (bits-1)%8)
	for ; i >= 0; i-- {
		s := b[i] + inc
		carry := s < b[i]
		b[i] = s
		if !carry {
			break
		}
		inc = 1
	}
	n, _ := netip.AddrFromSlice(b)
	return n
}

// CheckNetworkQuery validates q and returns the buckets it reads
// (NetworkBuckets) and whether some were left out.
func CheckNetworkQuery(q NetworkQuery) ([]NetBucket, bool, error) {
	if q.Limit < 1 || q.Limit > MaxNetworkLimit {
		return nil, false, intel.Invalid("a page of addresses holds 1 to %d items, not %d", MaxNetworkLimit, q.Limit)
	}
	if len(q.Networks) == 0 {
		return nil, false, intel.Invalid("no network to list")
	}
	if !q.After.IsZero() {
		if _, err := CheckNetwork(netip.PrefixFrom(q.After.IP, q.After.IP.BitLen())); err != nil {
			return nil, false, intel.Invalid("the cursor's address %s is not valid", q.After.IP)
		}
	}
	return NetworkBuckets(q.Networks)
}

// BucketRead is one read of MergeNetworkPage: at most N entries of the
// index bucket Bucket (every address of it, whatever the query's
// filter), strictly after After in the order of NetworkItem, into Items.
// A read that returns fewer than N entries has read the whole rest of
// the bucket.
type BucketRead struct {
	Bucket netip.Prefix
	After  NetworkItem
	N      int
	Items  []NetworkItem
}

// MergeNetworkPage answers q by merging its buckets, for backends whose
// index is kept in buckets (see NetworkAddresses): read fills the Items
// of each BucketRead it is given (the first call has one read per bucket,
// later calls one read of one bucket whose entries ran out). Entries
// outside the query's networks are skipped, at most MaxNetworkScan of
// them. A bucket is first read a few entries at a time, then in reads
// twice as large each time, so that a page costs at most one read per
// bucket plus about log2(q.Limit) reads per bucket that holds many of its
// items.
func MergeNetworkPage(q NetworkQuery, read func(reqs []*BucketRead) error) (NetworkPage, error) {
	buckets, truncated, err := CheckNetworkQuery(q)
	if err != nil {
		return NetworkPage{}, err
	}
	page := NetworkPage{Truncated: truncated}
	first := max(2, min(q.Limit+1, (q.Limit+1)/len(buckets)+2))
	streams := make([]*netStream, len(buckets))
	reqs := make([]*BucketRead, len(buckets))
	for i, b := range buckets {
		streams[i] = &netStream{b: b, next: first}
		reqs[i] = &BucketRead{Bucket: b.Net, After: q.After, N: first}
	}
	if err := read(reqs); err != nil {
		return NetworkPage{}, err
	}
	h := make(netHeap, 0, len(buckets))
	for i, s := range streams {
		s.take(reqs[i])
		if len(s.buf) > 0 {
			h = append(h, s)
		}
	}
	h.init()
	skipped := 0
	var last NetworkItem // the last entry examined
	for len(h) > 0 {
		s := h[0]
		it := s.buf[0]
		if len(page.Items) == q.Limit {
			// One more entry of the networks means another page.
			if s.b.Filter.Contains(it.IP) {
				page.Next = page.Items[len(page.Items)-1]
				return page, nil
			}
		}
		last = it
		s.buf = s.buf[1:]
		if s.b.Filter.Contains(it.IP) {
			if len(page.Items) < q.Limit {
				page.Items = append(page.Items, it)
			}
		} else if skipped++; skipped >= MaxNetworkScan {
			page.Next = last
			if len(page.Items) == q.Limit {
				page.Next = page.Items[len(page.Items)-1]
			}
			return page, nil
		}
		if len(s.buf) == 0 && !s.done {
			r := &BucketRead{Bucket: s.b.Net, After: last, N: s.next}
			if err := read([]*BucketRead{r}); err != nil {
				return NetworkPage{}, err
			}
			s.next = min(2*s.next, 2*MaxNetworkLimit)
			s.take(r)
		}
		if len(s.buf) == 0 {
			h.pop()
		} else {
			h.fix()
		}
	}
	return page, nil
}

// netStream is the entries of one bucket read and not yet merged.
type netStream struct {
	b    NetBucket
	buf  []NetworkItem
	done bool // the bucket has no entries after buf
	next int  // the size of the next read
}

func (s *netStream) take(r *BucketRead) {
	s.buf = r.Items
	s.done = len(r.Items) < r.N
}

// netHeap is a min-heap of streams by their first entry.
type netHeap []*netStream

func (h netHeap) less(i, j int) bool { return CompareNetworkItems(h[i].buf[0], h[j].buf[0]) < 0 }

func (h netHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// fix restores the heap after the first stream's entry changed.
func (h netHeap) fix() { h.down(0) }

func (h *netHeap) pop() {
	old := *h
	n := len(old) - 1
	old[0] = old[n]
	old[n] = nil
	*h = old[:n]
	h.down(0)
}

func (h netHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		j := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}
