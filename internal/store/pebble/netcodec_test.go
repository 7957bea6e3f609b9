package pebble

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
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

// Every network record decodes to what was encoded, fields and address
// families included.
func TestNetRecordsRoundTrip(t *testing.T) {
	r := testNetRecords
	var c intel.CountryRange
	var a intel.ASRange
	var w intel.WhoisNet
	var l intel.NetListing
	var al intel.Allow
	for _, x := range []struct {
		name      string
		v         []byte
		dec       func(*dec) error
		got, want any
	}{
		{"country", encCountry(nil, &r.country), func(d *dec) error { return decCountry(d, &c) }, &c, &r.country},
		{"AS", encASRange(nil, &r.as), func(d *dec) error { return decASRange(d, &a) }, &a, &r.as},
		{"WHOIS", encWhoisNet(nil, &r.whois), func(d *dec) error { return decWhoisNet(d, &w) }, &w, &r.whois},
		{"listing", encNetListing(nil, &r.listing), func(d *dec) error { return decNetListing(d, &l) }, &l, &r.listing},
		{"allow", encAllow(nil, &r.allow), func(d *dec) error { return decAllow(d, &al) }, &al, &r.allow},
	} {
		if err := x.dec(&dec{s: string(x.v)}); err != nil {
			t.Fatalf("%s: %v", x.name, err)
		}
		if !reflect.DeepEqual(x.got, x.want) {
			t.Errorf("%s: got %+v, want %+v", x.name, x.got, x.want)
		}
		if err := x.dec(&dec{s: string(x.v) + "x"}); !errors.Is(err, errCorrupt) {
			t.Errorf("%s with a byte too many: %v, want errCorrupt", x.name, err)
		}
	}
	if w.Start.Is4In6() || !w.End.Is4In6() || !w.Prefix.Addr().Is4In6() {
		t.Errorf("address families changed: start %v, end %v, prefix %v", w.Start, w.End, w.Prefix)
	}
}

// recode decodes a network record of kind and encodes it again.
func recode(kind byte, v []byte) ([]byte, error) {
	d := &dec{s: string(v)}
	switch kind {
	case nCountry:
		var x intel.CountryRange
		err := decCountry(d, &x)
		return encCountry(nil, &x), err
	case nAS:
		var x intel.ASRange
		err := decASRange(d, &x)
		return encASRange(nil, &x), err
	case nWhois:
		var x intel.WhoisNet
		err := decWhoisNet(d, &x)
		return encWhoisNet(nil, &x), err
	case nListing:
		var x intel.NetListing
		err := decNetListing(d, &x)
		return encNetListing(nil, &x), err
	case nAllow:
		var x intel.Allow
		err := decAllow(d, &x)
		return encAllow(nil, &x), err
	}
	return nil, errCorrupt
}

// A corrupt value is an error, never a panic, and what decodes encodes to
// the same bytes.
func FuzzDecodeNetRecord(f *testing.F) {
	r := testNetRecords
	f.Add(byte(nCountry), encCountry(nil, &r.country))
	f.Add(byte(nAS), encASRange(nil, &r.as))
	f.Add(byte(nWhois), encWhoisNet(nil, &r.whois))
	f.Add(byte(nListing), encNetListing(nil, &r.listing))
	f.Add(byte(nAllow), encAllow(nil, &r.allow))
	f.Fuzz(func(t *testing.T, kind byte, v []byte) {
		re, err := recode(kind, v)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v, want errCorrupt", err)
			}
			return
		}
		// Equal values may have had other encodings (an empty and a
		// missing list): a second round must change nothing.
		if re2, err := recode(kind, re); err != nil || !bytes.Equal(re, re2) {
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
