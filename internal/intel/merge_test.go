package intel

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Validate names the first unfit record; ValidateText also refuses text a
// store cannot hold in fields that are not keys, with the same message.
func TestValidate(t *testing.T) {
	ip := netip.MustParseAddr("198.51.100.1")
	p := netip.MustParsePrefix("198.51.100.0/24")
	notUTF8 := func(s string) bool { return !utf8.ValidString(s) }
	tests := []struct {
		name     string
		b        Batch
		want     string // of Validate; "" for none
		wantText string // of ValidateText(notUTF8)
	}{
		{"empty", Batch{}, "", ""},
		{"good", Batch{
			Sightings:  []Sighting{{IP: ip}},
			HostedURLs: []HostedURL{{IP: ip, URL: "a.example/x", Categories: []Category{CatMalware}}},
			Countries:  []CountryRange{{Prefix: p, Country: "NL"}},
		}, "", ""},
		{"sighting without address", Batch{Sightings: []Sighting{{IP: ip}, {}}},
			"sighting 1: invalid address", "sighting 1: invalid address"},
		{"hosted URL without URL", Batch{HostedURLs: []HostedURL{{IP: ip}}},
			"hosted URL 0: invalid address or URL", "hosted URL 0: invalid address or URL"},
		{"NUL in a key", Batch{Files: []FileDownload{{IP: ip, MD5: "A", URL: "x\x00"}}},
			"file 0: invalid address, MD5 or URL", "file 0: invalid address, MD5 or URL"},
		{"NUL outside keys", Batch{Files: []FileDownload{{IP: ip, MD5: "A", DetectionName: "x\x00"}}},
			"", ""},
		{"bad text in a key", Batch{Listings: []Listing{{IP: ip, Feed: "\xff"}}},
			"", "listing 0: invalid address or key"},
		{"bad text in a source", Batch{Listings: []Listing{{IP: ip, Feed: "F", Source: Source{File: "\xff"}}}},
			"", "listing 0: invalid address or key"},
		{"bad text in a category", Batch{Domains: []DomainInfo{{Domain: "d.example", Categories: []Category{"\xff"}}}},
			"", "domain 0: invalid domain"},
		{"bad text in a contact", Batch{WhoisNets: []WhoisNet{{Prefix: p, Contacts: []Contact{{Address: []string{"\xff"}}}}}},
			"", "WHOIS network 0: invalid contact"},
		{"invalid prefix first", Batch{Allows: []Allow{{List: "\xff"}}},
			"allow entry 0: invalid prefix or list", "allow entry 0: invalid prefix or list"},
		{"kinds in order", Batch{Reports: []Report{{}}, ReportLinks: []ReportLink{{}}},
			"report 0: invalid ID", "report 0: invalid ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				what string
				err  error
				want string
			}{
				{"Validate", tt.b.Validate(), tt.want},
				{"ValidateText", tt.b.ValidateText(notUTF8), tt.wantText},
			} {
				switch {
				case c.want == "" && c.err != nil:
					t.Errorf("%s: got %v, want nil", c.what, c.err)
				case c.want != "" && (c.err == nil || c.err.Error() != c.want || KindOf(c.err) != KindInvalid):
					t.Errorf("%s: got %v (kind %d), want %q of KindInvalid", c.what, c.err, KindOf(c.err), c.want)
				}
			}
		})
	}
}

// Normalize puts a record in its stored form without touching the
// caller's slices.
func TestNormalize(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	cats := []Category{CatSpam, CatMalware, CatSpam}
	h := HostedURL{
		IP:         netip.MustParseAddr("::ffff:198.51.100.1"),
		FirstSeen:  time.Date(2024, 1, 2, 0, 30, 0, 0, cet),
		Categories: cats,
		Source:     Source{Imported: time.Date(2024, 1, 3, 1, 0, 0, 0, cet)},
	}
	h.Normalize()
	want := HostedURL{
		IP:         netip.MustParseAddr("198.51.100.1"),
		FirstSeen:  time.Date(2024, 1, 1, 23, 30, 0, 0, time.UTC),
		Categories: []Category{CatMalware, CatSpam},
		Source:     Source{Imported: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)},
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("HostedURL: got %+v, want %+v", h, want)
	}
	if !slices.Equal(cats, []Category{CatSpam, CatMalware, CatSpam}) {
		t.Errorf("the caller's categories changed: %v", cats)
	}

	s := Sighting{IP: netip.MustParseAddr("fe80::1%eth0"), Day: time.Date(2024, 1, 2, 0, 30, 0, 0, cet)}
	s.Normalize()
	if ws := (Sighting{IP: netip.MustParseAddr("fe80::1"), Day: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}); s != ws {
		t.Errorf("Sighting: got %+v, want %+v", s, ws)
	}

	n := NetListing{Prefix: netip.MustParsePrefix("198.51.100.7/24")}
	n.Normalize()
	if n.Prefix != netip.MustParsePrefix("198.51.100.0/24") {
		t.Errorf("NetListing prefix: got %v", n.Prefix)
	}
}

func TestMerge(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 1, day, 0, 0, 0, 0, time.UTC) }
	ip := func(i byte) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, i}) }

	h := HostedURL{Zone: ZoneOrange, Categories: []Category{CatSpam}, Hits: 5, FirstSeen: d(3), LastSeen: d(4), Source: Source{Feed: "A"}}
	h.Merge(HostedURL{Zone: "", Categories: []Category{CatMalware}, Hits: 2, Truncated: true, FirstSeen: d(1), LastSeen: d(2), Source: Source{Feed: "B"}})
	if w := (HostedURL{Zone: ZoneOrange, Categories: []Category{CatMalware, CatSpam}, Hits: 5, Truncated: true, FirstSeen: d(1), LastSeen: d(4), Source: Source{Feed: "B"}}); !reflect.DeepEqual(h, w) {
		t.Errorf("HostedURL.Merge: got %+v, want %+v", h, w)
	}

	f := FileDownload{IP: ip(9), URL: "https://a.example/x", DetectionName: "Trojan", Hits: 1}
	f.MergeByMD5(FileDownload{IP: ip(2), URL: "http://a.example/x", Hits: 3, Zone: ZoneRed})
	if w := (FileDownload{IP: ip(2), URL: "http://a.example/x", DetectionName: "Trojan", Hits: 3, Zone: ZoneRed}); !reflect.DeepEqual(f, w) {
		t.Errorf("FileDownload.MergeByMD5: got %+v, want %+v", f, w)
	}

	r := Resolution{DailyPeak: 7, PeakDate: d(5)}
	r.Merge(Resolution{DailyPeak: 7, PeakDate: d(3)})
	r.Merge(Resolution{DailyPeak: 6, PeakDate: d(1)})
	if r.DailyPeak != 7 || !r.PeakDate.Equal(d(3)) {
		t.Errorf("Resolution.Merge: peak %d on %v, want 7 on %v", r.DailyPeak, r.PeakDate, d(3))
	}

	var p PhishingState
	for _, e := range []PhishingEvent{
		{ID: "2", Time: d(2), Kit: "old", Region: "NL", Industry: "Banks"},
		{ID: "4", Time: d(5), Kit: "b", Region: "NL"},
		{ID: "3", Time: d(5), Kit: "a", Region: "DE", StolenData: []string{"cards", "logins"}},
		{ID: "5", Time: d(6), Region: "DE"},
	} {
		p.Add(e)
	}
	wp := PhishingSummary{Attacks: 4, Last: d(6), Regions: map[string]int64{"NL": 2, "DE": 2}, Kit: "b",
		StolenData: []string{"cards", "logins"}, Industries: []string{"Banks"}}
	if !reflect.DeepEqual(p.PhishingSummary, wp) {
		t.Errorf("PhishingState.Add: got %+v, want %+v", p.PhishingSummary, wp)
	}

	var sp SpamSummary
	for i := range capTypes + 3 {
		sp.Add(SpamEvent{Time: d(1 + i%3), Type: strings.Repeat("t", capTypes+3-i)})
	}
	if sp.Attacks != capTypes+3 || !sp.Last.Equal(d(3)) || len(sp.Types) != capTypes || sp.Types[0] != "t" || !slices.IsSorted(sp.Types) {
		t.Errorf("SpamSummary.Add: got %d attacks, last %v, %d types from %q", sp.Attacks, sp.Last, len(sp.Types), sp.Types[0])
	}
}

// The URL summary takes its first HostedURL record as it is, merges the
// others, and keeps the smallest addresses.
func TestURLSummaryAddHosted(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 1, day, 0, 0, 0, 0, time.UTC) }
	var s URLSummary
	s.AddHosted(HostedURL{IP: netip.MustParseAddr("2001:db8::1"), Hits: -1, LastSeen: d(2)}, true)
	if s.Hits != -1 || !s.LastSeen.Equal(d(2)) {
		t.Errorf("first record: got hits %d, last seen %v", s.Hits, s.LastSeen)
	}
	for i := 300; i > 0; i-- {
		s.AddHosted(HostedURL{IP: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), Zone: ZoneYellow, Hits: int64(i), FirstSeen: d(3)}, false)
	}
	s.AddHosted(HostedURL{IP: netip.AddrFrom4([4]byte{10, 0, 0, 1}), Zone: ZoneGreen, Categories: []Category{CatAdware}}, false)
	if s.Zone != ZoneYellow || s.Hits != 300 || !s.FirstSeen.Equal(d(3)) || !s.LastSeen.Equal(d(2)) || !slices.Equal(s.Categories, []Category{CatAdware}) {
		t.Errorf("merged: got %+v", s)
	}
	if len(s.IPs) != 256 || s.IPs[0] != netip.AddrFrom4([4]byte{10, 0, 0, 1}) || s.IPs[255] != netip.AddrFrom4([4]byte{10, 0, 1, 0}) ||
		!slices.IsSortedFunc(s.IPs, CompareAddr) {
		t.Errorf("IPs: got %d from %v to %v", len(s.IPs), s.IPs[0], s.IPs[len(s.IPs)-1])
	}
}
