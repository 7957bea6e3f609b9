package netdata

import (
	"net/netip"
	"slices"
	"testing"
)

// wantReserved is the registry as it must be answered: every entry of the
// IANA IPv4 and IPv6 special-purpose registries plus multicast.
var wantReserved = []struct{ prefix, name, rfc string }{
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
	{"224.0.0.0/4", "Multicast", "RFC 5771"},
	{"240.0.0.0/4", "Reserved", "RFC 1112, Section 4"},
	{"255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919, Section 7"},
	{"::/128", "Unspecified Address", "RFC 4291"},
	{"::1/128", "Loopback Address", "RFC 4291"},
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
	{"ff00::/8", "Multicast", "RFC 4291"},
}

func TestReservedBlocksListing(t *testing.T) {
	got := ReservedBlocks()
	if len(got) != len(wantReserved) {
		t.Fatalf("ReservedBlocks: got %d blocks, want %d", len(got), len(wantReserved))
	}
	for i, w := range wantReserved {
		want := ReservedBlock{Prefix: netip.MustParsePrefix(w.prefix), Name: w.name, RFC: w.rfc}
		if got[i] != want {
			t.Errorf("ReservedBlocks()[%d]: got %v, want %v", i, got[i], want)
		}
	}
	// The result is the caller's: changing it changes nothing.
	got[0].Name = "changed"
	if again := ReservedBlocks(); again[0].Name != wantReserved[0].name {
		t.Errorf("ReservedBlocks after changing a returned slice: got %q, want %q", again[0].Name, wantReserved[0].name)
	}
}

// TestReservedEveryBlock answers, for every block, an address inside it that
// no more specific block covers, and expects exactly that block back.
func TestReservedEveryBlock(t *testing.T) {
	blocks := ReservedBlocks()
	for _, b := range blocks {
		first, last := b.Range()
		var ip netip.Addr
		for _, c := range []netip.Addr{last, first, last.Prev(), first.Next()} {
			if c.IsValid() && b.Prefix.Contains(c) && !coveredByMoreSpecific(blocks, b, c) {
				ip = c
				break
			}
		}
		if !ip.IsValid() {
			t.Errorf("%v: no address inside it is answered by it", b.Prefix)
			continue
		}
		got, ok := Reserved(ip)
		if !ok || got != b {
			t.Errorf("Reserved(%v): got %v (%t), want %v", ip, got, ok, b)
		}
	}
}

func coveredByMoreSpecific(blocks []ReservedBlock, b ReservedBlock, ip netip.Addr) bool {
	for _, o := range blocks {
		if o.Prefix.Bits() > b.Prefix.Bits() && o.Prefix.Contains(ip) {
			return true
		}
	}
	return false
}

func TestReservedMostSpecific(t *testing.T) {
	tests := []struct {
		ip, prefix, name string
	}{
		{"192.0.0.9", "192.0.0.9/32", "Port Control Protocol Anycast"},
		{"192.0.0.8", "192.0.0.8/32", "IPv4 dummy address"},
		{"192.0.0.1", "192.0.0.0/29", "IPv4 Service Continuity Prefix"},
		{"192.0.0.11", "192.0.0.0/24", "IETF Protocol Assignments"},
		{"192.0.0.170", "192.0.0.170/32", "NAT64/DNS64 Discovery"},
		{"0.0.0.0", "0.0.0.0/32", `"This host on this network"`},
		{"0.0.0.1", "0.0.0.0/8", `"This network"`},
		{"255.255.255.255", "255.255.255.255/32", "Limited Broadcast"},
		{"255.255.255.254", "240.0.0.0/4", "Reserved"},
		{"224.0.0.1", "224.0.0.0/4", "Multicast"},
		{"239.255.255.250", "224.0.0.0/4", "Multicast"},
		{"10.1.2.3", "10.0.0.0/8", "Private-Use"},
		{"100.127.255.255", "100.64.0.0/10", "Shared Address Space"},
		{"127.0.0.1", "127.0.0.0/8", "Loopback"},
		{"192.0.2.1", "192.0.2.0/24", "Documentation (TEST-NET-1)"},
		{"198.19.255.255", "198.18.0.0/15", "Benchmarking"},
		{"2001:1::1", "2001:1::1/128", "Port Control Protocol Anycast"},
		{"2001:1::2", "2001:1::2/128", "Traversal Using Relays around NAT Anycast"},
		{"2001:1::4", "2001::/23", "IETF Protocol Assignments"},
		{"2001::1", "2001::/32", "TEREDO"},
		{"2001:db8::1", "2001:db8::/32", "Documentation"},
		{"ff02::1", "ff00::/8", "Multicast"},
		{"fe80::1", "fe80::/10", "Link-Local Unicast"},
		{"fe80::1%eth0", "fe80::/10", "Link-Local Unicast"},
		{"fd12:3456::1", "fc00::/7", "Unique-Local"},
		{"::1", "::1/128", "Loopback Address"},
		{"::", "::/128", "Unspecified Address"},
		{"::ffff:0:0", "::ffff:0:0/96", "IPv4-mapped Address"},
		{"::ffff:8.8.8.8", "::ffff:0:0/96", "IPv4-mapped Address"},
		{"64:ff9b::808:808", "64:ff9b::/96", "IPv4-IPv6 Translat."},
		{"100::1", "100::/64", "Discard-Only Address Block"},
		{"3fff:fff::1", "3fff::/20", "Documentation"},
	}
	for _, tt := range tests {
		got, ok := Reserved(netip.MustParseAddr(tt.ip))
		if !ok {
			t.Errorf("Reserved(%s): got not reserved, want %s", tt.ip, tt.prefix)
			continue
		}
		if got.Prefix != netip.MustParsePrefix(tt.prefix) || got.Name != tt.name {
			t.Errorf("Reserved(%s): got %v %q, want %s %q", tt.ip, got.Prefix, got.Name, tt.prefix, tt.name)
		}
	}
}

func TestReservedPublic(t *testing.T) {
	for _, s := range []string{
		"8.8.8.8", "1.1.1.1", "45.95.147.10", "103.234.36.190", "9.255.255.255", "11.0.0.0",
		"100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.0",
		"192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255",
		"2a00:1450::1", "2606:4700:4700::1111", "2001:200::1", "2001:db7:ffff::1", "2003::1",
		"::2", "::ffff:0:1:0",
	} {
		if got, ok := Reserved(netip.MustParseAddr(s)); ok {
			t.Errorf("Reserved(%s): got %v %q, want not reserved", s, got.Prefix, got.Name)
		}
	}
	// Unmapping is the caller's job: the unmapped address is public.
	if _, ok := Reserved(netip.MustParseAddr("::ffff:8.8.8.8").Unmap()); ok {
		t.Errorf("Reserved(unmapped ::ffff:8.8.8.8): got reserved, want not reserved")
	}
	if got, ok := Reserved(netip.Addr{}); ok {
		t.Errorf("Reserved(invalid): got %v, want not reserved", got)
	}
}

func TestReservedBlockRange(t *testing.T) {
	tests := []struct{ prefix, first, last string }{
		{"192.0.2.0/24", "192.0.2.0", "192.0.2.255"},
		{"198.18.0.0/15", "198.18.0.0", "198.19.255.255"},
		{"100.64.0.0/10", "100.64.0.0", "100.127.255.255"},
		{"255.255.255.255/32", "255.255.255.255", "255.255.255.255"},
		{"0.0.0.0/8", "0.0.0.0", "0.255.255.255"},
		{"2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"fc00::/7", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"3fff::/20", "3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"::1/128", "::1", "::1"},
	}
	for _, tt := range tests {
		first, last := ReservedBlock{Prefix: netip.MustParsePrefix(tt.prefix)}.Range()
		if first.String() != tt.first || last.String() != tt.last {
			t.Errorf("Range(%s): got %v-%v, want %s-%s", tt.prefix, first, last, tt.first, tt.last)
		}
	}
}

func TestReservedBlocksSorted(t *testing.T) {
	got := ReservedBlocks()
	if !slices.IsSortedFunc(got, func(a, b ReservedBlock) int { return comparePrefix(a.Prefix, b.Prefix) }) {
		t.Errorf("ReservedBlocks: got unsorted %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Prefix == got[i-1].Prefix {
			t.Errorf("ReservedBlocks: got %v twice, want each block once", got[i].Prefix)
		}
	}
}
