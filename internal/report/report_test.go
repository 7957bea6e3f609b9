package report

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

var (
	now    = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	redIP  = netip.MustParseAddr("45.95.147.10")
	src    = intel.Source{Feed: "test", File: "fixture.jsonl", Imported: now}
	clock  = func() time.Time { return now }
	redNet = netip.MustParsePrefix("45.95.147.0/24")
)

func daysAgo(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }

// fixture fills st with a fully populated address (n items per list) and
// returns the batch applied.
func fixture(n int) *intel.Batch {
	b := &intel.Batch{}
	for d := range 10 {
		b.Sightings = append(b.Sightings, intel.Sighting{IP: redIP, Day: daysAgo(d).Truncate(24 * time.Hour), Hits: 100})
	}
	b.Listings = []intel.Listing{
		{IP: redIP, Category: intel.CatMalware, Feed: "Feed A", FirstSeen: daysAgo(20), LastSeen: now, Source: src},
		{IP: redIP, Category: intel.CatMalware, Feed: "Feed B", FirstSeen: daysAgo(5), LastSeen: daysAgo(1), Source: src},
		{IP: redIP, Category: intel.CatBotnetCNC, Feed: "Feed C", FirstSeen: daysAgo(5), LastSeen: daysAgo(2), Source: src},
	}
	for i := range n {
		t := now.Add(-time.Duration(i) * time.Hour)
		zone := intel.ZoneGrey
		if i%3 == 0 {
			zone = intel.ZoneRed
		}
		url := fmt.Sprintf("45.95.147.10/bins/f%03d", i)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: redIP, URL: url, Zone: zone, Hits: int64(1000 - i),
			FirstSeen: t.Add(-time.Hour), LastSeen: t, Source: src})
		b.Files = append(b.Files, intel.FileDownload{IP: redIP, MD5: fmt.Sprintf("%032X", i), URL: "http://" + url,
			Zone: zone, DetectionName: "HEUR:Trojan.Test", Hits: int64(500 - i), FirstSeen: t.Add(-time.Hour), LastSeen: t, Source: src})
		dom := fmt.Sprintf("d%03d.bad.example", i)
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: redIP, Domain: dom, FirstSeen: t.Add(-48 * time.Hour),
			LastSeen: t, Hits: 50, DailyPeak: 9, PeakDate: t.Truncate(24 * time.Hour), Source: src})
		b.Domains = append(b.Domains, intel.DomainInfo{Domain: dom, Zone: zone, Categories: []intel.Category{intel.CatBotnetCNC}, Source: src})
		b.Masks = append(b.Masks, intel.FeedMask{IP: redIP, Mask: fmt.Sprintf("45.95.147.10/bins/f%03d", i), MaskType: intel.MaskURL,
			Zone: intel.ZoneRed, Feeds: []string{"Malicious URL Feed"}, LastSeen: t, Source: src})
	}
	b.Masks = append(b.Masks,
		intel.FeedMask{IP: redIP, Mask: "45.95.147.10/bins/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed,
			Feeds: []string{"Malicious URL Feed"}, LastSeen: now, Source: src},
		intel.FeedMask{IP: redIP, Mask: "45.95.147.10", MaskType: intel.MaskHost, Zone: intel.ZoneOrange,
			Feeds: []string{"Botnet CC URL Feed"}, LastSeen: now, Source: src})
	regions := []string{"DE", "NL", "FR", "US", "GB", "IT", "ES", "PL", "SE", "NO", "FI", "DK"}
	for i := range 30 {
		b.SpamEvents = append(b.SpamEvents, intel.SpamEvent{IP: redIP, ID: fmt.Sprintf("s%d", i), Time: daysAgo(i % 5),
			Type: []string{"Malware", "Phishing"}[i%2], Source: src})
		b.PhishingEvents = append(b.PhishingEvents, intel.PhishingEvent{IP: redIP, ID: fmt.Sprintf("p%d", i), Time: daysAgo(i % 7),
			Region: regions[i%len(regions)], Kit: "16shop", StolenData: []string{"credentials"}, Industry: "Banking",
			Organization: "Example Bank", Source: src})
	}
	b.Reports = []intel.Report{
		{ID: "rpt-1", Type: intel.ReportAPT, Title: "Example campaign", Published: daysAgo(30), Industries: []string{"Telecommunications", "Government"}},
		{ID: "rpt-2", Type: intel.ReportCrimeware, Title: "Mirai wave", Published: daysAgo(10), Industries: []string{"Telecommunications"}},
	}
	b.ReportLinks = []intel.ReportLink{{IP: redIP, ReportID: "rpt-1"}, {IP: redIP, ReportID: "rpt-2"}, {IP: redIP, ReportID: "rpt-missing"}}
	b.Countries = []intel.CountryRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "NL"}}
	b.ASRanges = []intel.ASRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), ASN: 213371, Description: []string{"EXAMPLE-HOSTING-AS"}}}
	b.WhoisNets = []intel.WhoisNet{{Prefix: redNet, Type: "inetnum", Start: redNet.Addr(), End: netip.MustParseAddr("45.95.147.255"),
		Name: "EXAMPLE-NET", Description: "Example Hosting", Created: daysAgo(1000), Changed: daysAgo(100), Country: "NL",
		Contacts: []intel.Contact{{Name: "Example NOC", Role: "abuse", Type: "role", Email: "abuse@hosting.example"}}}}
	b.NetListings = []intel.NetListing{
		{Prefix: redNet, Category: intel.CatBotnetCNC, Zone: intel.ZoneRed, Feed: "DROP", FirstSeen: daysAgo(50), LastSeen: daysAgo(3)},
		{Prefix: redNet, Category: intel.CatScanner, Zone: intel.ZoneOrange, Feed: "Scanners", FirstSeen: daysAgo(50), LastSeen: daysAgo(3)},
	}
	return b
}

func newBuilder(t testing.TB, b *intel.Batch) (*Builder, store.Intel) {
	t.Helper()
	st := mem.New()
	ctx := context.Background()
	if err := st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	h := netdata.NewHolder()
	if err := h.Refresh(ctx, st, true); err != nil {
		t.Fatal(err)
	}
	return &Builder{Store: st, Net: h, Now: clock}, st
}

func TestParseSections(t *testing.T) {
	tests := []struct {
		in      string
		url     bool
		want    Sections
		wantBad string
	}{
		{in: "", want: AllIPSections},
		{in: "", url: true, want: AllURLSections},
		{in: "Zone", want: SecZone},
		{in: "Zone,Zone,IpWhoIs", want: SecZone | SecIPWhoIs},
		{in: "LicenseInfo,Zone,RelatedObjects,IpGeneralInfo,FilesDownloadedFromIp,HostedUrls,FeedMasks,IpWhoIs,IpDnsResolutions,IPSpamInfo,IPPhishingInfo,Industries", want: AllIPSections},
		{in: "UrlGeneralInfo,FilesDownloaded,FeedMasks", url: true, want: SecURLGeneralInfo | SecFilesDownloaded | SecFeedMasks},
		{in: "zone", wantBad: `"zone"`},
		{in: "Zone,ipwhois", wantBad: `"ipwhois"`},
		{in: "Zone,", wantBad: `""`},
		{in: "Zone, IpWhoIs", wantBad: `" IpWhoIs"`},
		{in: "UrlGeneralInfo", wantBad: `"UrlGeneralInfo"`},
		{in: "HostedUrls", url: true, wantBad: `"HostedUrls"`},
	}
	for _, tt := range tests {
		parse := ParseIPSections
		valid := ipSectionList
		if tt.url {
			parse, valid = ParseURLSections, urlSectionList
		}
		got, err := parse(tt.in)
		if tt.wantBad == "" {
			if err != nil || got != tt.want {
				t.Errorf("parse(%q): got %b, %v; want %b", tt.in, got, err, tt.want)
			}
			continue
		}
		var ie *intel.Error
		if !errors.As(err, &ie) || ie.Kind != intel.KindInvalid || ie.Code != "invalid_sections" {
			t.Errorf("parse(%q): got %v, want an invalid_sections error", tt.in, err)
			continue
		}
		if !strings.Contains(ie.Message, tt.wantBad) || !strings.Contains(ie.Message, valid) {
			t.Errorf("parse(%q): message %q does not name %s and %s", tt.in, ie.Message, tt.wantBad, valid)
		}
	}
}

func TestRoundHits(t *testing.T) {
	tests := []struct{ in, want int64 }{
		{0, 0}, {-5, 0}, {1, 1}, {3, 1}, {4, 10}, {10, 10}, {31, 10}, {32, 100}, {316, 100}, {317, 1000},
		{999, 1000}, {3162, 1000}, {3163, 10000}, {1_000_000, 1_000_000}, {9_000_000_000_000_000_000, 1_000_000_000_000_000_000},
	}
	for _, tt := range tests {
		if got := RoundHits(tt.in); got != tt.want {
			t.Errorf("RoundHits(%d): got %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestSpamRatio(t *testing.T) {
	tests := []struct {
		attacks, hits int64
		want          float64
	}{{0, 0, 0}, {0, 100, 0}, {5, 0, 1}, {5, 3, 1}, {1, 3, 0.3333}, {3, 1000, 0.003}, {1, 30000, 0}}
	for _, tt := range tests {
		if got := SpamRatio(tt.attacks, tt.hits); got != tt.want {
			t.Errorf("SpamRatio(%d, %d): got %g, want %g", tt.attacks, tt.hits, got, tt.want)
		}
	}
}

func TestTopRegions(t *testing.T) {
	got := TopRegionsOf(map[string]int64{"DE": 5, "NL": 7, "FR": 5, "US": 1}, 3)
	if want := []string{"NL", "DE", "FR"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestIPFull(t *testing.T) {
	b, _ := newBuilder(t, fixture(150))
	r, err := b.IP(context.Background(), redIP, AllIPSections, 100)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sections != AllIPSections || r.Reserved {
		t.Errorf("sections %b reserved %v", r.Sections, r.Reserved)
	}
	if r.Zone != intel.ZoneRed || !r.HasRedZone {
		t.Errorf("zone %s, HasRedZone %v; want Red, true", r.Zone, r.HasRedZone)
	}
	g := r.General
	// Feed A (70) + Feed B (25 x 0.992 = 25) + BOTNET_CNC/C and DROP (...) + related + reports: capped.
	if g.ThreatScore != 100 {
		t.Errorf("ThreatScore: got %d, want 100", g.ThreatScore)
	}
	if g.Status != StatusKnown || g.CountryCode != "NL" {
		t.Errorf("status %q country %q", g.Status, g.CountryCode)
	}
	if g.HitsCount != 1000 { // 10 days x 100
		t.Errorf("HitsCount: got %d, want 1000", g.HitsCount)
	}
	wantCats := []score.CategoryZone{{Name: intel.CatMalware, Zone: intel.ZoneRed}, {Name: intel.CatBotnetCNC, Zone: intel.ZoneRed}, {Name: intel.CatPhishing, Zone: intel.ZoneRed}, {Name: intel.CatSpam, Zone: intel.ZoneOrange}, {Name: intel.CatScanner, Zone: intel.ZoneOrange}}
	if !slices.Equal(g.Categories, wantCats) {
		t.Errorf("categories: got %v, want %v", g.Categories, wantCats)
	}
	if !g.HasAPT || len(g.Reports) != 2 || g.Reports[0].ID != "rpt-2" || g.Reports[1].ID != "rpt-1" {
		t.Errorf("reports: HasAPT %v, %+v (want rpt-2 then rpt-1, the missing one skipped)", g.HasAPT, g.Reports)
	}
	masks := r.AllFeedMasks()
	if len(r.Files) != 100 || len(r.HostedURLs) != 100 || len(r.Resolutions) != 100 || len(masks) != 100 {
		t.Errorf("list sizes: files %d urls %d resolutions %d masks %d, want 100 each",
			len(r.Files), len(r.HostedURLs), len(r.Resolutions), len(masks))
	}
	if r.HostedURLs[0].URL != "45.95.147.10/bins/f000" || r.HostedURLs[99].URL != "45.95.147.10/bins/f099" {
		t.Errorf("hosted URLs not newest first: %s ... %s", r.HostedURLs[0].URL, r.HostedURLs[99].URL)
	}
	// Masks: Red first, then by mask: the network mask of DROP (Red via BOTNET_CNC, Scanners merged).
	if m := masks[0]; m.Mask != "45.95.147.0/24" || m.MaskType != intel.MaskNetwork || m.Zone != intel.ZoneRed ||
		!slices.Equal(m.Feeds, []string{"DROP", "Scanners"}) {
		t.Errorf("first mask: got %+v", m)
	}
	if r.Whois.Net == nil || r.Whois.Net.Name != "EXAMPLE-NET" || r.Whois.Type != "inetnum" || len(r.Whois.ASN) != 1 ||
		len(r.Whois.Contacts) != 1 || r.Whois.Status != StatusKnown {
		t.Errorf("whois: got %+v", r.Whois)
	}
	if r.Spam.Attacks != 30 || r.Spam.Ratio != 0.03 || !slices.Equal(r.Spam.Types, []string{"Malware", "Phishing"}) {
		t.Errorf("spam: got %+v, want 30 attacks, ratio 30/1000", r.Spam)
	}
	if r.Phishing.Attacks != 30 || len(r.Phishing.Regions) != 10 || r.Phishing.Regions[0] != "DE" || r.Phishing.Kit != "16shop" {
		t.Errorf("phishing: got %+v", r.Phishing)
	}
	if !slices.Equal(r.Industries, []string{"Government", "Telecommunications"}) {
		t.Errorf("industries: got %v", r.Industries)
	}
	if !r.General.FirstSeen.Equal(daysAgo(20)) {
		t.Errorf("FirstSeen: got %v, want %v", r.General.FirstSeen, daysAgo(20))
	}
}

// countingStore records which reads a report makes.
type countingStore struct {
	store.Intel
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingStore) count(name string) {
	c.mu.Lock()
	c.calls[name]++
	c.mu.Unlock()
}

func (c *countingStore) Address(ctx context.Context, ip netip.Addr) (intel.AddressSummary, error) {
	c.count("Address")
	return c.Intel.Address(ctx, ip)
}

func (c *countingStore) HostedURLs(ctx context.Context, ip netip.Addr, n int) ([]intel.HostedURL, error) {
	c.count("HostedURLs")
	return c.Intel.HostedURLs(ctx, ip, n)
}

func (c *countingStore) Files(ctx context.Context, ip netip.Addr, n int) ([]intel.FileDownload, error) {
	c.count("Files")
	return c.Intel.Files(ctx, ip, n)
}

func (c *countingStore) Resolutions(ctx context.Context, ip netip.Addr, n int) ([]intel.Resolution, error) {
	c.count("Resolutions")
	return c.Intel.Resolutions(ctx, ip, n)
}

func (c *countingStore) Masks(ctx context.Context, ip netip.Addr, n int) ([]intel.FeedMask, error) {
	c.count("Masks")
	return c.Intel.Masks(ctx, ip, n)
}

func (c *countingStore) Report(ctx context.Context, id string) (intel.Report, error) {
	c.count("Report")
	return c.Intel.Report(ctx, id)
}

func (c *countingStore) URL(ctx context.Context, u string) (intel.URLSummary, error) {
	c.count("URL")
	return c.Intel.URL(ctx, u)
}

func (c *countingStore) URLFiles(ctx context.Context, u string, n int) ([]intel.FileDownload, error) {
	c.count("URLFiles")
	return c.Intel.URLFiles(ctx, u, n)
}

func TestIPReadsOnlyWhatSectionsNeed(t *testing.T) {
	b, st := newBuilder(t, fixture(5))
	tests := []struct {
		sections string
		want     map[string]int
	}{
		{"LicenseInfo", map[string]int{}},
		// Each hosted web address's own verdict reads its summary; the
		// masks of its (IP-literal) host are read once for all of them
		// (a short read first, then the rest).
		{"HostedUrls", map[string]int{"HostedURLs": 1, "URL": 5, "Masks": 2}},
		{"FilesDownloadedFromIp,HostedUrls", map[string]int{"HostedURLs": 1, "Files": 1, "URL": 5, "Masks": 2}},
		{"IpWhoIs", map[string]int{}},
		{"FeedMasks", map[string]int{"Masks": 1}},
		{"IPSpamInfo,IPPhishingInfo", map[string]int{"Address": 1}},
		{"Industries", map[string]int{"Address": 1, "Report": 3}},
		{"Zone", map[string]int{"Address": 1, "Report": 3, "Resolutions": 1}},
		{"Zone,IpDnsResolutions,IpGeneralInfo", map[string]int{"Address": 1, "Report": 3, "Resolutions": 1}},
	}
	for _, tt := range tests {
		cs := &countingStore{Intel: st, calls: map[string]int{}}
		b2 := *b
		b2.Store = cs
		sec, err := ParseIPSections(tt.sections)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b2.IP(context.Background(), redIP, sec, 10); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(cs.calls) != fmt.Sprint(tt.want) {
			t.Errorf("sections=%s: reads %v, want %v", tt.sections, cs.calls, tt.want)
		}
	}
}

func TestVerdictIndependentOfCountAndSections(t *testing.T) {
	b, _ := newBuilder(t, fixture(60))
	var first *IPReport
	for _, count := range []int{1, 5, 31, 32, 33, 100} {
		for _, secs := range []string{"Zone,IpGeneralInfo,RelatedObjects", ""} {
			sec, _ := ParseIPSections(secs)
			r, err := b.IP(context.Background(), redIP, sec, count)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = r
				continue
			}
			if r.Zone != first.Zone || r.General.ThreatScore != first.General.ThreatScore || r.HasRedZone != first.HasRedZone {
				t.Errorf("count=%d sections=%q: verdict %s/%d/%v, want %s/%d/%v", count, secs, r.Zone,
					r.General.ThreatScore, r.HasRedZone, first.Zone, first.General.ThreatScore, first.HasRedZone)
			}
		}
	}
	ex, err := b.Explain(context.Background(), redIP)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Result.Score != first.General.ThreatScore || ex.Result.Zone != first.Zone {
		t.Errorf("Explain: %d %s, report %d %s", ex.Result.Score, ex.Result.Zone, first.General.ThreatScore, first.Zone)
	}
}

// panicStore fails the test on any read.
type panicStore struct{ store.Intel }

func TestReserved(t *testing.T) {
	b := &Builder{Store: panicStore{}, Now: clock}
	tests := []struct {
		ip, start, end, name, rfc string
	}{
		{"10.1.2.3", "10.0.0.0", "10.255.255.255", "Private-Use", "RFC 1918"},
		{"::ffff:192.168.0.1", "192.168.0.0", "192.168.255.255", "Private-Use", "RFC 1918"},
		{"2001:db8::1", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "Documentation", "RFC 3849"},
		{"255.255.255.255", "255.255.255.255", "255.255.255.255", "Limited Broadcast", "RFC 8190, RFC 919, Section 7"},
		{"224.0.0.251", "224.0.0.0", "239.255.255.255", "Multicast", "RFC 5771"},
	}
	for _, tt := range tests {
		for _, secs := range []string{"", "HostedUrls", "Zone"} {
			sec, _ := ParseIPSections(secs)
			r, err := b.IP(context.Background(), netip.MustParseAddr(tt.ip), sec, 10)
			if err != nil {
				t.Fatal(err)
			}
			if r.Sections != ReservedSections || !r.Reserved || r.Zone != intel.ZoneGrey {
				t.Errorf("%s sections=%q: got sections %b reserved %v zone %s", tt.ip, secs, r.Sections, r.Reserved, r.Zone)
			}
			g := r.General
			if g.Status != StatusReserved || g.CountryCode != "" || g.ThreatScore != 0 || len(g.Categories) != 0 {
				t.Errorf("%s: general %+v", tt.ip, g)
			}
			n := r.Whois.Net
			if r.Whois.Status != StatusReserved || r.Whois.Type != WhoisTypeReserved || n == nil ||
				n.Start.String() != tt.start || n.End.String() != tt.end || n.Name != tt.name || n.Description != tt.rfc {
				t.Errorf("%s: whois %+v net %+v", tt.ip, r.Whois, n)
			}
		}
		ex, err := (&Builder{Store: mem.New(), Now: clock}).Explain(context.Background(), netip.MustParseAddr(tt.ip))
		if err != nil || !ex.Reserved || ex.Result.Zone != intel.ZoneGrey {
			t.Errorf("Explain(%s): %+v, %v", tt.ip, ex, err)
		}
	}
}

func TestUnknownAddress(t *testing.T) {
	b, _ := newBuilder(t, fixture(3))
	r, err := b.IP(context.Background(), netip.MustParseAddr("2a00:1450:4001:80b::200e"), AllIPSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Zone != intel.ZoneGrey || r.General.ThreatScore != 0 || r.General.Status != StatusNoInfo || r.HasRedZone ||
		len(r.Files)+len(r.HostedURLs)+len(r.Masks)+len(r.Resolutions) != 0 || r.Whois.Net != nil || r.General.HitsCount != 0 {
		t.Errorf("unknown address: got %+v", r)
	}
	// Known address space, no evidence: Known, WHOIS, Grey.
	r, err = b.IP(context.Background(), netip.MustParseAddr("45.95.147.99"), AllIPSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.General.Status != StatusKnown || r.General.CountryCode != "NL" || r.Whois.Net == nil {
		t.Errorf("known space: got %+v %+v", r.General, r.Whois)
	}
	// Covered by the network listings only: DROP (BOTNET_CNC, 3 days: 68) + Scanners (65/4 x 0.977: 16) = 84.
	if r.Zone != intel.ZoneRed || r.General.ThreatScore != 84 {
		t.Errorf("network-listed neighbour: zone %s score %d, want Red 84", r.Zone, r.General.ThreatScore)
	}
}

func TestAllowListed(t *testing.T) {
	fx := fixture(3)
	fx.Allows = []intel.Allow{{Prefix: netip.MustParsePrefix("45.95.147.0/25"), List: "Example CDN"}}
	b, _ := newBuilder(t, fx)
	r, err := b.IP(context.Background(), redIP, AllIPSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Zone != intel.ZoneGreen || r.General.ThreatScore != 0 {
		t.Errorf("allow-listed: zone %s score %d", r.Zone, r.General.ThreatScore)
	}
	masks := r.AllFeedMasks()
	for _, m := range masks {
		if m.MaskType == intel.MaskNetwork || m.MaskType == intel.MaskHost {
			t.Errorf("suppressed mask shown: %+v", m)
		}
	}
	if len(masks) != 4 { // the prefix mask and the three URL masks
		t.Errorf("masks: got %d, want 4", len(masks))
	}
	ex, err := b.Explain(context.Background(), redIP)
	if err != nil {
		t.Fatal(err)
	}
	suppressed := 0
	for _, c := range ex.Result.Contributions {
		if strings.HasPrefix(c.Note, "suppressed") {
			suppressed++
		}
	}
	// Feeds A, B, C, network listings DROP and Scanners, spam and phishing activity.
	if suppressed != 7 {
		t.Errorf("suppressed contributions: got %d, want 7: %+v", suppressed, ex.Result.Contributions)
	}
	if ex.Result.Zone != intel.ZoneGreen || ex.Result.Contributions[0].Source != "Example CDN" {
		t.Errorf("Explain of an allow-listed address: %+v", ex.Result)
	}
}

func TestURL(t *testing.T) {
	fx := fixture(3)
	fx.HostedURLs = append(fx.HostedURLs, intel.HostedURL{IP: redIP, URL: "45.95.147.10/bins/f000", Zone: intel.ZoneRed,
		Categories: []intel.Category{intel.CatMalware, intel.CatAPT}, Hits: 5, LastSeen: now})
	b, _ := newBuilder(t, fx)
	ctx := context.Background()
	r, err := b.URL(ctx, "HTTP://45.95.147.10:80/bins/f000#frag", AllURLSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != "45.95.147.10/bins/f000" || r.Host != "45.95.147.10" || !r.Known || r.Zone != intel.ZoneRed {
		t.Errorf("url: got %+v", r)
	}
	if r.IPv4Count != 1 || r.FilesCount != 1 || len(r.Files) != 1 || !r.HasRedZone || !r.HasAPT || len(r.Reports) != 2 {
		t.Errorf("general: got %+v", r)
	}
	if want := []score.CategoryZone{{Name: intel.CatAPT, Zone: intel.ZoneRed}, {Name: intel.CatMalware, Zone: intel.ZoneRed}}; !slices.Equal(r.Categories, want) {
		t.Errorf("categories: got %v, want %v", r.Categories, want)
	}
	var got []string
	for _, m := range r.Masks {
		got = append(got, m.MaskType+" "+m.Mask)
	}
	want := []string{"Network 45.95.147.0/24", "UrlPrefix 45.95.147.10/bins/", "Url 45.95.147.10/bins/f000", "Host 45.95.147.10"}
	if !slices.Equal(got, want) {
		t.Errorf("masks: got %v, want %v", got, want)
	}

	r, err = b.URL(ctx, "https://unknown.example/x", AllURLSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Known || r.Zone != intel.ZoneGrey || r.Host != "unknown.example" || len(r.Masks)+len(r.Files) != 0 || r.HasRedZone {
		t.Errorf("unknown url: got %+v", r)
	}

	_, err = b.URL(ctx, "ftp://x.example/", AllURLSections, 10)
	if intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("ftp URL: got %v, want KindInvalid", err)
	}
}

func BenchmarkIP(b *testing.B) {
	bld, _ := newBuilder(b, fixture(150))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bld.IP(ctx, redIP, AllIPSections, 100); err != nil {
			b.Fatal(err)
		}
	}
}

// frozenStore answers every read with the same prepared values, so that
// BenchmarkIPAssembly measures the report's own work.
type frozenStore struct {
	store.Intel
	sum   intel.AddressSummary
	urls  []intel.HostedURL
	files []intel.FileDownload
	res   []intel.Resolution
	masks []intel.FeedMask
	reps  map[string]intel.Report
	// urlSums are the summaries of the hosted web addresses, read by the
	// items' own verdicts; the fixture has no objects (Object, Links and
	// FileHashes answer as for unknown ones).
	urlSums map[string]intel.URLSummary
}

func (f *frozenStore) URL(_ context.Context, u string) (intel.URLSummary, error) {
	s, ok := f.urlSums[u]
	if !ok {
		return s, intel.ErrNotFound
	}
	return s, nil
}

func (f *frozenStore) Object(_ context.Context, kind intel.ObjectKind, key string) (intel.ObjectSummary, error) {
	return intel.ObjectSummary{Kind: kind, Key: key}, nil
}

func (f *frozenStore) Links(context.Context, intel.LinkList, string, int) ([]intel.Link, error) {
	return nil, nil
}

func (f *frozenStore) FileHashes(context.Context, string) (intel.FileHashes, bool, error) {
	return intel.FileHashes{}, false, nil
}

func (f *frozenStore) Address(context.Context, netip.Addr) (intel.AddressSummary, error) {
	return f.sum, nil
}

func (f *frozenStore) HostedURLs(_ context.Context, _ netip.Addr, n int) ([]intel.HostedURL, error) {
	return f.urls[:min(n, len(f.urls))], nil
}

func (f *frozenStore) Files(_ context.Context, _ netip.Addr, n int) ([]intel.FileDownload, error) {
	return f.files[:min(n, len(f.files))], nil
}

func (f *frozenStore) Resolutions(_ context.Context, _ netip.Addr, n int) ([]intel.Resolution, error) {
	return f.res[:min(n, len(f.res))], nil
}

func (f *frozenStore) Masks(_ context.Context, _ netip.Addr, n int) ([]intel.FeedMask, error) {
	return f.masks[:min(n, len(f.masks))], nil
}

func (f *frozenStore) Report(_ context.Context, id string) (intel.Report, error) {
	r, ok := f.reps[id]
	if !ok {
		return r, intel.ErrNotFound
	}
	return r, nil
}

func freeze(t testing.TB, st store.Intel) *frozenStore {
	ctx := context.Background()
	f := &frozenStore{reps: map[string]intel.Report{}}
	var err error
	if f.sum, err = st.Address(ctx, redIP); err != nil {
		t.Fatal(err)
	}
	f.urls, _ = st.HostedURLs(ctx, redIP, 1000)
	f.files, _ = st.Files(ctx, redIP, 1000)
	f.res, _ = st.Resolutions(ctx, redIP, 1000)
	f.masks, _ = st.Masks(ctx, redIP, 1000)
	f.urlSums = map[string]intel.URLSummary{}
	for _, u := range f.urls {
		if s, err := st.URL(ctx, u.URL); err == nil {
			f.urlSums[u.URL] = s
		}
	}
	for _, id := range f.sum.ReportIDs {
		if r, err := st.Report(ctx, id); err == nil {
			f.reps[id] = r
		}
	}
	return f
}

// versionedFrozen is a frozenStore that tells a constant data version,
// so that a Builder with Verdicts keeps them.
type versionedFrozen struct{ *frozenStore }

func (versionedFrozen) IntelVersion() (uint64, bool) { return 1, true }

// BenchmarkIPAssembly is BenchmarkIP without the store's cost: every read
// returns prepared values. "computed" judges every list item afresh in
// each report; "kept" reads the items' verdicts kept by earlier reports
// (a Verdicts of the same generation, as a server has).
func BenchmarkIPAssembly(b *testing.B) {
	bld, st := newBuilder(b, fixture(150))
	frozen := freeze(b, st)
	ctx := context.Background()
	for _, v := range []struct {
		name string
		bld  Builder
	}{
		{"computed", Builder{Store: frozen, Net: bld.Net, Now: bld.Now}},
		{"kept", Builder{Store: versionedFrozen{frozen}, Net: bld.Net, Now: bld.Now, Verdicts: NewVerdicts(0)}},
	} {
		b.Run(v.name, func(b *testing.B) {
			bld := v.bld
			r, err := bld.IP(ctx, redIP, AllIPSections, 100)
			if err != nil {
				b.Fatal(err)
			}
			r.Release()
			benchIP(b, &bld, 100, nil)
		})
	}
}

func TestAddressMasksMerge(t *testing.T) {
	m := func(zone intel.Zone, mask string) intel.FeedMask {
		return intel.FeedMask{Zone: zone, Mask: mask, MaskType: intel.MaskURL}
	}
	store := []intel.FeedMask{m(intel.ZoneRed, "a/1"), m(intel.ZoneRed, "c/1"), m(intel.ZoneOrange, "a/2"), m(intel.ZoneYellow, "z")}
	info := &netdata.Info{Listings: []intel.NetListing{
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Category: intel.CatMalware, Feed: "F1"},
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Category: intel.CatScanner, Feed: "F0"},
		{Prefix: netip.MustParsePrefix("9.0.0.0/8"), Category: intel.CatAdware, Feed: "F2"},
		{Prefix: netip.MustParsePrefix("8.0.0.0/8"), Category: "CATEGORY_UNKNOWN", Zone: intel.ZoneGreen, Feed: "F3"},
	}}
	tests := []struct {
		count int
		want  []string
	}{
		{100, []string{"10.0.0.0/8", "a/1", "c/1", "a/2", "9.0.0.0/8", "z"}},
		{1, []string{"10.0.0.0/8"}},
		{3, []string{"10.0.0.0/8", "a/1", "c/1"}},
		{5, []string{"10.0.0.0/8", "a/1", "c/1", "a/2", "9.0.0.0/8"}},
	}
	for _, tt := range tests {
		a, b := addressMasks(slices.Clone(store), info, tt.count)
		got := (&IPReport{Masks: a, NetMasks: b}).AllFeedMasks()
		var names []string
		for _, x := range got {
			names = append(names, x.Mask)
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("count %d: got %v, want %v", tt.count, names, tt.want)
		}
		if len(got) > 0 && got[0].Mask == "10.0.0.0/8" && !slices.Equal(got[0].Feeds, []string{"F0", "F1"}) {
			t.Errorf("merged feeds: got %v", got[0].Feeds)
		}
	}
	if a, b := addressMasks(store[:2], &netdata.Info{}, 100); len(a) != 2 || len(b) != 0 {
		t.Errorf("no listings: got %d and %d masks, want 2 and 0", len(a), len(b))
	}
}
