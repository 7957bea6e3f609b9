package pebble

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

var testNetRecords = struct {
	country intel.CountryRange
	as      intel.ASRange
	whois   intel.WhoisNet
	listing intel.NetListing
	allow   intel.Allow
}{
	country: intel.CountryRange{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "NL",
		Source: intel.Source{Feed: "RIPE NCC", File: "delegated", Imported: time.Date(2026, 11, 1, 2, 3, 4, 5, time.UTC)}},
	as: intel.ASRange{Prefix: netip.MustParsePrefix("2a03:b0c0::/32"), ASN: 4294967295, Description: []string{"DIGITALOCEAN-ASN", "US"}},
	whois: intel.WhoisNet{Prefix: netip.MustParsePrefix("::ffff:45.95.147.0/120"), Type: "inetnum",
		Start: netip.MustParseAddr("45.95.147.0"), End: netip.MustParseAddr("::ffff:45.95.147.255"), Name: "EXAMPLE-NET",
		Description: "line one\r\nline two", Created: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), Changed: time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC),
		Country: "NL", Contacts: []intel.Contact{
			{Address: []string{"Street 1", "Amsterdam"}, OrganizationID: "ORG-EX1-RIPE", Name: "Example B.V.", Role: "owner", Type: "organisation", Phone: "+31 20 000 0000"},
			{Name: "Abuse desk", Role: "abuse", Type: "role", Email: "abuse@example.net", Fax: "+31 20 000 0001"},
		}, Source: intel.Source{Feed: "RIPE NCC", File: "ripe.db.inetnum"}},
	listing: intel.NetListing{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Category: "CATEGORY_NOT_KNOWN_YET", Zone: "Purple",
		Feed: "DROP", FirstSeen: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), LastSeen: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
	allow: intel.Allow{Prefix: netip.MustParsePrefix("fe80::/64"), List: "link-local"},
}

// roundTrip decodes v as a T and returns the record and its encoding.
func roundTrip[T any](v []byte, code func(fieldCoder, *T)) (*T, []byte, error) {
	r := new(T)
	err := decNet(v, r, code)
	return r, encNet(nil, r, code), err
}

// netCodecs decode a value of each kind of network record and encode what
// they decoded again.
var netCodecs = map[byte]func(v []byte) (any, []byte, error){
	nCountry: func(v []byte) (any, []byte, error) { return roundTrip(v, codeCountry) },
	nAS:      func(v []byte) (any, []byte, error) { return roundTrip(v, codeASRange) },
	nWhois:   func(v []byte) (any, []byte, error) { return roundTrip(v, codeWhoisNet) },
	nListing: func(v []byte) (any, []byte, error) { return roundTrip(v, codeNetListing) },
	nAllow:   func(v []byte) (any, []byte, error) { return roundTrip(v, codeAllow) },
}

// testNetValues are the encodings of testNetRecords by kind.
func testNetValues() map[byte]struct {
	v    []byte
	want any
} {
	r := testNetRecords
	type value = struct {
		v    []byte
		want any
	}
	return map[byte]value{
		nCountry: {encNet(nil, &r.country, codeCountry), &r.country},
		nAS:      {encNet(nil, &r.as, codeASRange), &r.as},
		nWhois:   {encNet(nil, &r.whois, codeWhoisNet), &r.whois},
		nListing: {encNet(nil, &r.listing, codeNetListing), &r.listing},
		nAllow:   {encNet(nil, &r.allow, codeAllow), &r.allow},
	}
}

// Every network record decodes to what was encoded, fields and address
// families included, and a byte too many is a corrupt value.
func TestNetRecordsRoundTrip(t *testing.T) {
	for kind, x := range testNetValues() {
		got, _, err := netCodecs[kind](x.v)
		if err != nil {
			t.Fatalf("%c: %v", kind, err)
		}
		if !reflect.DeepEqual(got, x.want) {
			t.Errorf("%c: got %+v, want %+v", kind, got, x.want)
		}
		if _, _, err := netCodecs[kind](append(slices.Clone(x.v), 'x')); !errors.Is(err, errCorrupt) {
			t.Errorf("%c with a byte too many: %v, want errCorrupt", kind, err)
		}
	}
	w, _, _ := roundTrip(testNetValues()[nWhois].v, codeWhoisNet)
	if w.Start.Is4In6() || !w.End.Is4In6() || !w.Prefix.Addr().Is4In6() {
		t.Errorf("address families changed: start %v, end %v, prefix %v", w.Start, w.End, w.Prefix)
	}
}

// A corrupt value is an error, never a panic, and what decodes encodes to
// the same bytes.
func FuzzDecodeNetRecord(f *testing.F) {
	for kind, x := range testNetValues() {
		f.Add(kind, x.v)
	}
	f.Fuzz(func(t *testing.T, kind byte, v []byte) {
		codec, ok := netCodecs[kind]
		if !ok {
			return
		}
		_, re, err := codec(v)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v, want errCorrupt", err)
			}
			return
		}
		// Equal values may have had other encodings (an empty and a
		// missing list): a second round must change nothing.
		if _, re2, err := codec(re); err != nil || !bytes.Equal(re, re2) {
			t.Fatalf("re-encoded record: %v, %x != %x", err, re, re2)
		}
	})
}

// BenchmarkScanNetworks reads 50,000 WHOIS networks with two contacts each
// (what a network table rebuild reads) with ScanNetworks, and, for
// comparison in the same run, decodes the same records from the JSON that
// stores of format 5 kept.
func BenchmarkScanNetworks(b *testing.B) {
	const n = 50000
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var batch intel.Batch
	var js [][]byte
	for i := range n {
		w := testNetRecords.whois
		w.Prefix = netip.PrefixFrom(netip.AddrFrom4([4]byte{45, byte(i >> 8), byte(i), 0}), 24)
		w.Start, w.End = w.Prefix.Addr(), w.Prefix.Addr()
		batch.WhoisNets = append(batch.WhoisNets, w)
		j, err := json.Marshal(w)
		if err != nil {
			b.Fatal(err)
		}
		js = append(js, j)
	}
	if err := s.Apply(context.Background(), &batch); err != nil {
		b.Fatal(err)
	}
	b.Run("binary", func(b *testing.B) {
		for b.Loop() {
			got := 0
			if err := s.ScanNetworks(context.Background(), func(r store.NetRecord) error { got++; return nil }); err != nil || got != n {
				b.Fatalf("%d records, %v", got, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			for _, j := range js {
				var w intel.WhoisNet
				if err := json.Unmarshal(j, &w); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
}
