package netdata

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/gaissmai/bart"
)

// reservedTable lists the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (https://www.iana.org/assignments/iana-ipv4-special-registry,
// https://www.iana.org/assignments/iana-ipv6-special-registry), with the
// registries' own names and references, plus the IPv4 and IPv6 multicast
// blocks, which the registries do not list. The registry row that names two
// blocks (192.0.0.170/32, 192.0.0.171/32) is one entry per block here.
var reservedTable = [...]struct{ prefix, name, rfc string }{
	// IPv4 Special-Purpose Address Registry.
	{"0.0.0.0/8", `"This network"`, "RFC 791, Section 3.2"},
	{"0.0.0.0/32", `"This host on this network"`, "RFC 1122, Section 3.2.1.3"},
	{"10.0.0.0/8", "Private-Use", "RFC 1918"},
	{"100.64.0.0/10", "Shared Address Space", "RFC 6598"},
	{"127.0.0.0/8", "Loopback", "RFC 1122, Section 3.2.1.3"},
	{"169.254.0.0/16", "Link Local", "RFC 3927"},
	{"172.16.0.0/12", "Private-Use", "RFC 1918"},
	{"192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890, Section 2.1"},
	{"192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"},
	{"192.0.0.8/32", "IPv4 dummy address", "RFC 7600"},
	{"192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723"},
	{"192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155"},
	{"192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050, Section 2.2"},
	{"192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050, Section 2.2"},
	{"192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"},
	{"192.31.196.0/24", "AS112-v4", "RFC 7535"},
	{"192.52.193.0/24", "AMT", "RFC 7450"},
	{"192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"},
	{"192.168.0.0/16", "Private-Use", "RFC 1918"},
	{"192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534"},
	{"198.18.0.0/15", "Benchmarking", "RFC 2544"},
	{"198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"},
	{"203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"},
	{"240.0.0.0/4", "Reserved", "RFC 1112, Section 4"},
	{"255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919, Section 7"},
	// IPv4 multicast (IANA IPv4 Multicast Address Space Registry).
	{"224.0.0.0/4", "Multicast", "RFC 5771"},

	// IPv6 Special-Purpose Address Registry.
	{"::1/128", "Loopback Address", "RFC 4291"},
	{"::/128", "Unspecified Address", "RFC 4291"},
	{"::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291"},
	{"64:ff9b::/96", "IPv4-IPv6 Translat.", "RFC 6052"},
	{"64:ff9b:1::/48", "IPv4-IPv6 Translat.", "RFC 8215"},
	{"100::/64", "Discard-Only Address Block", "RFC 6666"},
	{"100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"},
	{"2001::/23", "IETF Protocol Assignments", "RFC 2928"},
	{"2001::/32", "TEREDO", "RFC 4380, RFC 8190"},
	{"2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723"},
	{"2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155"},
	{"2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665"},
	{"2001:2::/48", "Benchmarking", "RFC 5180, RFC Errata 1752"},
	{"2001:3::/32", "AMT", "RFC 7450"},
	{"2001:4:112::/48", "AS112-v6", "RFC 7535"},
	{"2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"},
	{"2001:20::/28", "ORCHIDv2", "RFC 7343"},
	{"2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374"},
	{"2001:db8::/32", "Documentation", "RFC 3849"},
	{"2002::/16", "6to4", "RFC 3056"},
	{"2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534"},
	{"3fff::/20", "Documentation", "RFC 9637"},
	{"5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"},
	{"fc00::/7", "Unique-Local", "RFC 4193, RFC 8190"},
	{"fe80::/10", "Link-Local Unicast", "RFC 4291"},
	// IPv6 multicast (IANA IPv6 Multicast Address Space Registry).
	{"ff00::/8", "Multicast", "RFC 4291"},
}

// reservedIndex is the parsed registry: blocks sorted by prefix, and a
// longest-prefix-match table of indices into blocks. It is built once and
// never modified.
type reservedIndex struct {
	blocks []ReservedBlock
	table  bart.Table[uint8]
}

var reserved = sync.OnceValue(func() *reservedIndex {
	x := &reservedIndex{blocks: make([]ReservedBlock, 0, len(reservedTable))}
	for _, e := range reservedTable {
		x.blocks = append(x.blocks, ReservedBlock{
			Prefix: netip.MustParsePrefix(e.prefix),
			Name:   e.name,
			RFC:    e.rfc,
		})
	}
	slices.SortFunc(x.blocks, func(a, b ReservedBlock) int { return comparePrefix(a.Prefix, b.Prefix) })
	for i, b := range x.blocks {
		x.table.Insert(b.Prefix, uint8(i))
	}
	return x
})

// Reserved reports the most specific special-purpose block containing ip:
// 192.0.0.9 is answered by 192.0.0.9/32 (Port Control Protocol Anycast), not
// by 192.0.0.0/24 (IETF Protocol Assignments). It needs no store.
//
// An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is answered as IPv6, that
// is by the ::ffff:0:0/96 block; callers that treat such addresses as IPv4
// must unmap them first (netip.Addr.Unmap). A zone is ignored.
func Reserved(ip netip.Addr) (ReservedBlock, bool) {
	x := reserved()
	i, ok := x.table.Lookup(ip)
	if !ok {
		return ReservedBlock{}, false
	}
	return x.blocks[i], true
}

// ReservedBlocks returns every special-purpose block, sorted by address and
// then by prefix length (IPv4 before IPv6). The slice is the caller's.
func ReservedBlocks() []ReservedBlock {
	return slices.Clone(reserved().blocks)
}

// Range returns the first and last address of the block.
func (b ReservedBlock) Range() (first, last netip.Addr) {
	return prefixRange(b.Prefix)
}

// prefixRange returns the first and last address of p.
func prefixRange(p netip.Prefix) (first, last netip.Addr) {
	p = p.Masked()
	first = p.Addr()
	if !first.IsValid() {
		return netip.Addr{}, netip.Addr{}
	}
	if first.Is4() {
		a := first.As4()
		setHostBits(a[:], p.Bits())
		return first, netip.AddrFrom4(a)
	}
	a := first.As16()
	setHostBits(a[:], p.Bits())
	return first, netip.AddrFrom16(a)
}

// setHostBits sets every bit of a after the first bits to one.
func setHostBits(a []byte, bits int) {
	for i := range a {
		switch {
		case bits >= 8:
			bits -= 8
		case bits > 0:
			a[i] |= 0xff >> bits
			bits = 0
		default:
			a[i] = 0xff
		}
	}
}

// comparePrefix orders prefixes by address (IPv4 before IPv6), then by
// length, shorter first.
func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
