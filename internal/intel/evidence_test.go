package intel

import (
	"net/netip"
	"slices"
	"testing"
)

// EachAddress visits the address of every address-keyed record, one call
// per record, and no record of another kind.
func TestEachAddress(t *testing.T) {
	ip := func(i byte) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, i}) }
	b := Batch{
		Sightings:      []Sighting{{IP: ip(1)}, {IP: ip(1)}},
		Listings:       []Listing{{IP: ip(2)}},
		HostedURLs:     []HostedURL{{IP: ip(3)}},
		Files:          []FileDownload{{IP: ip(4)}},
		Resolutions:    []Resolution{{IP: ip(5)}},
		Masks:          []FeedMask{{IP: ip(6)}},
		SpamEvents:     []SpamEvent{{IP: ip(7)}},
		PhishingEvents: []PhishingEvent{{IP: ip(8)}},
		ReportLinks:    []ReportLink{{IP: ip(9)}},
		Domains:        []DomainInfo{{Domain: "example.com"}},
		Countries:      []CountryRange{{Prefix: netip.MustParsePrefix("198.51.100.0/24")}},
	}
	var got []netip.Addr
	b.EachAddress(func(a netip.Addr) { got = append(got, a) })
	want := []netip.Addr{ip(1), ip(1), ip(2), ip(3), ip(4), ip(5), ip(6), ip(7), ip(8), ip(9)}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
