package intel

import (
	"net/netip"
	"slices"
	"testing"
)

func TestDomainSuffixes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a.b.badcorp.example", []string{"a.b.badcorp.example", "b.badcorp.example", "badcorp.example", "example"}},
		{"localhost", []string{"localhost"}},
		{"", nil},
	} {
		var got []string
		DomainSuffixes(tc.in, func(s string) { got = append(got, s) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("DomainSuffixes(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHoldMatches(t *testing.T) {
	const md5 = "0F343B0931126A20F133D67C2B018A3B"
	tests := []struct {
		h    Hold
		q    HoldQuery
		want bool
	}{
		{Hold{Domain: "badcorp.example"}, HoldQuery{Domain: "badcorp.example"}, true},
		{Hold{Domain: "badcorp.example"}, HoldQuery{Domain: "c2.badcorp.example"}, true},
		{Hold{Domain: "badcorp.example"}, HoldQuery{Domain: "xbadcorp.example"}, false},
		{Hold{Domain: "badcorp.example"}, HoldQuery{Domain: "example"}, false},
		{Hold{Domain: "badcorp.example"}, HoldQuery{URL: "badcorp.example/"}, false},
		{Hold{Hash: md5}, HoldQuery{Hashes: []string{"AB", md5}}, true},
		{Hold{Hash: md5}, HoldQuery{Hashes: []string{"AB"}}, false},
		{Hold{Hash: md5}, HoldQuery{Domain: md5}, false},
		{Hold{URL: "badcorp.example/x"}, HoldQuery{URL: "badcorp.example/x", Domain: "badcorp.example"}, true},
		{Hold{Prefix: netip.MustParsePrefix("10.0.0.0/8")}, HoldQuery{IP: netip.MustParseAddr("::ffff:10.1.2.3")}, true},
		{Hold{Prefix: netip.MustParsePrefix("10.0.0.0/8")}, HoldQuery{Domain: "badcorp.example"}, false},
	}
	for _, tc := range tests {
		if got := tc.h.Matches(tc.q); got != tc.want {
			t.Errorf("%+v.Matches(%+v): got %v, want %v", tc.h, tc.q, got, tc.want)
		}
	}
	for _, tc := range []struct {
		h    Hold
		want string
	}{
		{Hold{Domain: "badcorp.example"}, "badcorp.example"},
		{Hold{Hash: md5}, md5},
		{Hold{Prefix: netip.MustParsePrefix("10.0.0.1/32")}, "10.0.0.1"},
	} {
		if got := tc.h.Target(); got != tc.want {
			t.Errorf("%+v.Target(): got %q, want %q", tc.h, got, tc.want)
		}
	}
}
