package netdata

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// builder collects records into a new snapshot. Strings and the slices that
// repeat across records (AS descriptions, WHOIS contacts) are interned, so a
// range split into many prefixes, or an organisation with many networks,
// costs its text once.
type builder struct {
	s *Snapshot

	strs      map[string]string
	countries map[string]uint32
	descs     map[string]uint32
	sources   map[intel.Source]uint32
	contacts  map[string][]intel.Contact

	as       []pendingAS
	listings []intel.NetListing
	allows   []intel.Allow
}

type pendingAS struct {
	prefix netip.Prefix
	e      asEntry
}

func newBuilder() *builder {
	return &builder{
		s:         &Snapshot{},
		strs:      make(map[string]string),
		countries: make(map[string]uint32),
		descs:     make(map[string]uint32),
		sources:   make(map[intel.Source]uint32),
		contacts:  make(map[string][]intel.Contact),
	}
}

// add takes one record. A record without a valid prefix is counted as
// skipped. Countries and WHOIS networks are keyed by prefix: a later record
// for the same prefix replaces an earlier one.
func (b *builder) add(r store.NetRecord) {
	s := b.s
	if c := r.Country; c != nil {
		p, ok := normPrefix(c.Prefix)
		if !ok {
			s.stats.Skipped++
			return
		}
		i, ok := b.countries[c.Country]
		if !ok {
			s.countryCodes = append(s.countryCodes, c.Country)
			i = uint32(len(s.countryCodes))
			b.countries[c.Country] = i
		}
		s.table.Modify(p, func(e entry, _ bool) (entry, bool) {
			if e.country == 0 {
				s.stats.Countries++
			}
			e.country = i
			return e, false
		})
	}
	if a := r.AS; a != nil {
		p, ok := normPrefix(a.Prefix)
		if !ok {
			s.stats.Skipped++
			return
		}
		b.as = append(b.as, pendingAS{p, asEntry{asn: a.ASN, desc: b.desc(a.Description), src: b.source(a.Source)}})
	}
	if w := r.Whois; w != nil {
		p, ok := normPrefix(w.Prefix)
		if !ok {
			s.stats.Skipped++
			return
		}
		n := *w
		n.Prefix = p
		n.Type = b.str(n.Type)
		n.Name = b.str(n.Name)
		n.Description = b.str(n.Description)
		n.Country = b.str(n.Country)
		n.Contacts = b.contactList(n.Contacts)
		n.Source = b.internSource(n.Source)
		s.table.Modify(p, func(e entry, _ bool) (entry, bool) {
			if e.whois != 0 {
				s.whoisNets[e.whois-1] = n
			} else {
				s.whoisNets = append(s.whoisNets, n)
				e.whois = uint32(len(s.whoisNets))
			}
			return e, false
		})
	}
	if l := r.NetListing; l != nil {
		p, ok := normPrefix(l.Prefix)
		if !ok {
			s.stats.Skipped++
			return
		}
		n := *l
		n.Prefix = p
		n.Category = intel.Category(b.str(string(n.Category)))
		n.Zone = intel.Zone(b.str(string(n.Zone)))
		n.Feed = b.str(n.Feed)
		n.Source = b.internSource(n.Source)
		b.listings = append(b.listings, n)
	}
	if a := r.Allow; a != nil {
		p, ok := normPrefix(a.Prefix)
		if !ok {
			s.stats.Skipped++
			return
		}
		n := *a
		n.Prefix = p
		n.List = b.str(n.List)
		n.Source = b.internSource(n.Source)
		b.allows = append(b.allows, n)
	}
}

// finish lays out the multi-record tables and returns the snapshot; the
// builder must not be used afterwards.
func (b *builder) finish(version uint64) *Snapshot {
	s := b.s
	s.version = version
	s.loaded = true

	// AS ranges: one span per prefix, ASes in ASN order; the last record
	// for a (prefix, ASN) wins.
	slices.SortStableFunc(b.as, func(x, y pendingAS) int {
		return cmp.Or(comparePrefix(x.prefix, y.prefix), cmp.Compare(x.e.asn, y.e.asn))
	})
	b.as = lastOfRuns(b.as, func(x, y pendingAS) bool { return x.prefix == y.prefix && x.e.asn == y.e.asn })
	s.asEntries = make([]asEntry, len(b.as))
	for i, p := range b.as {
		s.asEntries[i] = p.e
	}
	forRuns(b.as, func(x, y pendingAS) bool { return x.prefix == y.prefix }, func(off, n int) {
		s.stats.ASPrefixes++
		s.table.Modify(b.as[off].prefix, func(e entry, _ bool) (entry, bool) {
			e.as = span{uint32(off), uint32(n)}
			return e, false
		})
	})
	b.as = nil

	// Network listings: feed, then category, within a prefix; the last
	// record for a (prefix, feed, category) wins.
	slices.SortStableFunc(b.listings, func(x, y intel.NetListing) int {
		return cmp.Or(comparePrefix(x.Prefix, y.Prefix), strings.Compare(x.Feed, y.Feed), strings.Compare(string(x.Category), string(y.Category)))
	})
	s.listingRecs = lastOfRuns(b.listings, func(x, y intel.NetListing) bool {
		return x.Prefix == y.Prefix && x.Feed == y.Feed && x.Category == y.Category
	})
	forRuns(s.listingRecs, func(x, y intel.NetListing) bool { return x.Prefix == y.Prefix }, func(off, n int) {
		s.table.Modify(s.listingRecs[off].Prefix, func(e entry, _ bool) (entry, bool) {
			e.listings = span{uint32(off), uint32(n)}
			return e, false
		})
	})

	// Allow lists: by list name within a prefix; one entry per (prefix, list).
	slices.SortStableFunc(b.allows, func(x, y intel.Allow) int {
		return cmp.Or(comparePrefix(x.Prefix, y.Prefix), strings.Compare(x.List, y.List))
	})
	s.allowRecs = lastOfRuns(b.allows, func(x, y intel.Allow) bool { return x.Prefix == y.Prefix && x.List == y.List })
	forRuns(s.allowRecs, func(x, y intel.Allow) bool { return x.Prefix == y.Prefix }, func(off, n int) {
		s.table.Modify(s.allowRecs[off].Prefix, func(e entry, _ bool) (entry, bool) {
			e.allows = span{uint32(off), uint32(n)}
			return e, false
		})
	})

	s.stats.Prefixes = s.table.Size()
	s.stats.ASRanges = len(s.asEntries)
	s.stats.WhoisNets = len(s.whoisNets)
	s.stats.NetListings = len(s.listingRecs)
	s.stats.Allows = len(s.allowRecs)
	b.s = nil
	return s
}

// lastOfRuns keeps, of every run of adjacent equal elements, the last one.
// It reuses the backing array of xs and clips the result to its length.
func lastOfRuns[T any](xs []T, eq func(a, b T) bool) []T {
	out := xs[:0]
	for i, x := range xs {
		if i+1 < len(xs) && eq(x, xs[i+1]) {
			continue
		}
		out = append(out, x)
	}
	clear(xs[len(out):])
	return slices.Clip(out)
}

// forRuns calls fn with the offset and length of every run of adjacent
// equal elements of xs.
func forRuns[T any](xs []T, eq func(a, b T) bool, fn func(off, n int)) {
	for off := 0; off < len(xs); {
		end := off + 1
		for end < len(xs) && eq(xs[off], xs[end]) {
			end++
		}
		fn(off, end-off)
		off = end
	}
}

// normPrefix validates p and returns it masked, with an IPv4-mapped IPv6
// prefix of at least 96 bits turned into the IPv4 prefix it maps (lookups
// unmap addresses, so a mapped prefix would never match).
func normPrefix(p netip.Prefix) (netip.Prefix, bool) {
	if !p.IsValid() {
		return netip.Prefix{}, false
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

func (b *builder) str(s string) string {
	if v, ok := b.strs[s]; ok {
		return v
	}
	b.strs[s] = s
	return s
}

func (b *builder) internSource(src intel.Source) intel.Source {
	src.Feed = b.str(src.Feed)
	src.File = b.str(src.File)
	return src
}

// source interns src into the snapshot's AS sources.
func (b *builder) source(src intel.Source) uint32 {
	src = b.internSource(src)
	if i, ok := b.sources[src]; ok {
		return i
	}
	i := uint32(len(b.s.asSources))
	b.sources[src] = i
	b.s.asSources = append(b.s.asSources, src)
	return i
}

// desc interns an AS description into the snapshot's AS descriptions.
func (b *builder) desc(lines []string) uint32 {
	k := joinKey(nil, lines...)
	if i, ok := b.descs[string(k)]; ok {
		return i
	}
	i := uint32(len(b.s.asDescs))
	b.descs[string(k)] = i
	var d []string
	if len(lines) > 0 {
		d = make([]string, len(lines))
		for j, l := range lines {
			d[j] = b.str(l)
		}
	}
	b.s.asDescs = append(b.s.asDescs, d)
	return i
}

// contactList interns a WHOIS contact list.
func (b *builder) contactList(cs []intel.Contact) []intel.Contact {
	if len(cs) == 0 {
		return nil
	}
	var k []byte
	for _, c := range cs {
		k = strconv.AppendInt(k, int64(len(c.Address)), 10)
		k = append(k, ';')
		k = joinKey(k, c.Address...)
		k = joinKey(k, c.OrganizationID, c.Name, c.Role, c.Type, c.Fax, c.Phone, c.Email)
	}
	if v, ok := b.contacts[string(k)]; ok {
		return v
	}
	out := make([]intel.Contact, len(cs))
	for i, c := range cs {
		var addr []string
		if len(c.Address) > 0 {
			addr = make([]string, len(c.Address))
			for j, a := range c.Address {
				addr[j] = b.str(a)
			}
		}
		out[i] = intel.Contact{
			Address:        addr,
			OrganizationID: b.str(c.OrganizationID),
			Name:           b.str(c.Name),
			Role:           b.str(c.Role),
			Type:           b.str(c.Type),
			Fax:            b.str(c.Fax),
			Phone:          b.str(c.Phone),
			Email:          b.str(c.Email),
		}
	}
	b.contacts[string(k)] = out
	return out
}

// joinKey appends an unambiguous encoding of ss to k.
func joinKey(k []byte, ss ...string) []byte {
	for _, s := range ss {
		k = strconv.AppendInt(k, int64(len(s)), 10)
		k = append(k, ':')
		k = append(k, s...)
	}
	return k
}
