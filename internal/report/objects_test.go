package report

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
)

// Hashes of the object fixture: fileMal is detected (MD5, SHA-1 and
// SHA-256 known), fileBare was downloaded from a Red web address without
// a detection, fileAdware has only an adware-type detection.
const (
	malMD5     = "0F343B0931126A20F133D67C2B018A3B"
	malSHA1    = "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8"
	malSHA256  = "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
	bareMD5    = "99DACD7B9C3D9926A650918005EB9F1D"
	adwareMD5  = "75ECF1A9F52C9A20BFCFDD29C8014C4D"
	starterMD5 = "11111111111111111111111111111111"
)

// objectFixture is a small world of domains, web addresses and files,
// with the links the importer derives from address records.
func objectFixture() *intel.Batch {
	b := &intel.Batch{}
	other := netip.MustParseAddr("93.184.216.34")
	// The red address of the IP fixture: listed by two feeds.
	b.Listings = []intel.Listing{
		{IP: redIP, Category: intel.CatMalware, Feed: "Feed A", FirstSeen: daysAgo(20), LastSeen: now, Source: src},
		{IP: redIP, Category: intel.CatBotnetCNC, Feed: "Feed C", FirstSeen: daysAgo(5), LastSeen: daysAgo(2), Source: src},
	}
	b.Resolutions = []intel.Resolution{
		{IP: redIP, Domain: "c2.badcorp.example", FirstSeen: daysAgo(30), LastSeen: daysAgo(1), Hits: 50, DailyPeak: 9, PeakDate: daysAgo(10).Truncate(24 * time.Hour), Source: src},
		{IP: other, Domain: "c2.badcorp.example", FirstSeen: daysAgo(60), LastSeen: daysAgo(40), Hits: 7, Source: src},
		{IP: netip.MustParseAddr("10.0.0.1"), Domain: "c2.badcorp.example", FirstSeen: daysAgo(3), LastSeen: daysAgo(3), Hits: 1, Source: src},
		{IP: netip.MustParseAddr("2001:db8::1"), Domain: "c2.badcorp.example", FirstSeen: daysAgo(3), LastSeen: daysAgo(3), Hits: 2, Source: src},
		// A neighbour on the red address: shared hosting.
		{IP: redIP, Domain: "neighbour.example", FirstSeen: daysAgo(5), LastSeen: daysAgo(1), Hits: 3, Source: src},
	}
	b.HostedURLs = []intel.HostedURL{
		{IP: redIP, URL: "c2.badcorp.example/bins/x86", Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatMalware}, Hits: 37, FirstSeen: daysAgo(8), LastSeen: daysAgo(1), Source: src},
		{IP: redIP, URL: "c2.badcorp.example/index.html", Zone: intel.ZoneGrey, Hits: 5, FirstSeen: daysAgo(9), LastSeen: daysAgo(2), Source: src},
		{IP: redIP, URL: "api.c2.badcorp.example/v1", Zone: intel.ZoneGrey, Hits: 5, FirstSeen: daysAgo(9), LastSeen: daysAgo(2), Source: src},
		{IP: redIP, URL: "neighbour.example/shop", Zone: intel.ZoneGrey, Hits: 5, FirstSeen: daysAgo(9), LastSeen: daysAgo(2), Source: src},
		// Two stored forms of one web address (one match key).
		{IP: other, URL: "www.variant.example/Path/", Zone: intel.ZoneGrey, Categories: []intel.Category{intel.CatSpam}, Hits: 4, FirstSeen: daysAgo(9), LastSeen: daysAgo(4), Source: src},
		{IP: other, URL: "variant.example/path", Zone: intel.ZoneOrange, Hits: 6, FirstSeen: daysAgo(7), LastSeen: daysAgo(3), Source: src},
	}
	b.Files = []intel.FileDownload{
		{IP: redIP, MD5: malMD5, URL: "http://c2.badcorp.example/bins/x86", DetectionName: "HEUR:Backdoor.Linux.Mirai.b", Hits: 37, FirstSeen: daysAgo(8), LastSeen: daysAgo(1), Source: src},
		{IP: redIP, MD5: bareMD5, URL: "http://c2.badcorp.example/bins/x86", Hits: 5, FirstSeen: daysAgo(6), LastSeen: daysAgo(2), Source: src},
		{IP: other, MD5: adwareMD5, URL: "http://variant.example/path", DetectionName: "not-a-virus:HEUR:AdWare.Win32.Agent.a", Hits: 2, FirstSeen: daysAgo(6), LastSeen: daysAgo(5), Source: src},
	}
	b.Reports = []intel.Report{
		{ID: "rpt-1", Type: intel.ReportAPT, Title: "Example campaign", Published: daysAgo(30), Industries: []string{"Telecommunications", "Government"}},
		{ID: "rpt-2", Type: intel.ReportCrimeware, Title: "Mirai wave", Published: daysAgo(10), Industries: []string{"Energy"}},
	}
	b.AddObjects()
	b.DateLinks(daysAgo(100))

	b.ObjectListings = []intel.ObjectListing{
		{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Category: intel.CatBotnetCNC, Feed: "Feed A", FirstSeen: daysAgo(10), LastSeen: daysAgo(1), Source: src},
		{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Category: intel.CatMalware, Feed: "Feed B", FirstSeen: daysAgo(10), LastSeen: daysAgo(2), Source: src},
		{Kind: intel.ObjectHost, Key: "sub.good.example", Category: intel.CatMalware, Feed: "Feed A", FirstSeen: daysAgo(1), LastSeen: daysAgo(1), Source: src},
		{Kind: intel.ObjectFile, Key: malSHA256, Category: intel.CatBotnetCNC, Feed: "ThreatFox", FirstSeen: daysAgo(9), LastSeen: daysAgo(9), Source: src},
	}
	b.ObjectInfos = []intel.ObjectInfo{
		{Kind: intel.ObjectHost, Key: "good.example", Allows: []string{"Top sites"}, Source: src},
		{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Hits: 900, FirstSeen: daysAgo(40), LastSeen: daysAgo(1), Source: src},
		{Kind: intel.ObjectFile, Key: malSHA256, Size: 65536, Type: "elf.32.le", Packer: "UPX", Hits: 60, FirstSeen: daysAgo(12), LastSeen: daysAgo(3), Source: src},
	}
	b.FileHashes = []intel.FileHashes{{MD5: malMD5, SHA1: malSHA1, SHA256: malSHA256, Source: src}}
	b.Whois = []intel.DomainWhois{{Domain: "badcorp.example", Created: daysAgo(400), Expires: now.AddDate(1, 0, 0),
		NameServers: []string{"ns1.host.example"}, Registrar: "Example Registrar, Inc.", RegistrarID: "9999", Source: src}}
	link := func(l intel.Link) {
		l.Source = src
		b.Links = append(b.Links, l)
	}
	// A Red Host mask on a name that never resolved, and one on the c2 name.
	link(intel.Link{List: intel.LinkHostMasks, Owner: "evil.example", Item: "evil.example" + intel.ItemSep + intel.MaskHost,
		Zone: intel.ZoneRed, LastSeen: daysAgo(1), Attrs: []string{"Botnet CC URL Feed"}})
	link(intel.Link{List: intel.LinkHostMasks, Owner: "c2.badcorp.example", Item: "c2.badcorp.example" + intel.ItemSep + intel.MaskHost,
		Zone: intel.ZoneRed, LastSeen: daysAgo(1), Attrs: []string{"Botnet CC URL Feed"}})
	link(intel.Link{List: intel.LinkHostMasks, Owner: "good.example", Item: "good.example" + intel.ItemSep + intel.MaskHost,
		Zone: intel.ZoneRed, LastSeen: daysAgo(1), Attrs: []string{"Some Feed"}})
	link(intel.Link{List: intel.LinkHostMasks, Owner: "good.example", Item: "good.example/bad/" + intel.ItemSep + intel.MaskURLPrefix,
		Zone: intel.ZoneRed, LastSeen: daysAgo(1), Attrs: []string{"Malicious URL Feed"}})
	link(intel.Link{List: intel.LinkHostReferrals, Owner: "c2.badcorp.example", Item: "paste.example/raw/a1b2", FirstSeen: daysAgo(9), LastSeen: daysAgo(3)})
	link(intel.Link{List: intel.LinkHostReferredTo, Owner: "c2.badcorp.example", Item: "evil.example/next", FirstSeen: daysAgo(9), LastSeen: daysAgo(4)})
	link(intel.Link{List: intel.LinkHostAccessed, Owner: "c2.badcorp.example", Item: starterMD5, Hits: 12, FirstSeen: daysAgo(7)})
	link(intel.Link{List: intel.LinkURLAccessed, Owner: "c2.badcorp.example/bins/x86", Item: starterMD5, Hits: 12, FirstSeen: daysAgo(7)})
	link(intel.Link{List: intel.LinkURLReferrals, Owner: "variant.example/path", Item: "c2.badcorp.example/bins/x86", FirstSeen: daysAgo(5), LastSeen: daysAgo(5)})
	link(intel.Link{List: intel.LinkDetections, Owner: malSHA256, Item: "Mirai", Zone: intel.DetectionZone("Mirai"),
		FirstSeen: daysAgo(12), LastSeen: daysAgo(9), Attrs: []string{"", "https://malpedia.example/details/elf.mirai"}})
	link(intel.Link{List: intel.LinkFileNames, Owner: malSHA1, Item: "x86", Hits: 37, FirstSeen: daysAgo(8)})
	link(intel.Link{List: intel.LinkFileNames, Owner: malSHA256, Item: "mirai.elf", Hits: 3, FirstSeen: daysAgo(9)})
	link(intel.Link{List: intel.LinkFilePaths, Owner: malSHA256, Item: "~" + intel.ItemSep + ".cache/x86", Hits: 2, FirstSeen: daysAgo(9)})
	link(intel.Link{List: intel.LinkFileStartedBy, Owner: malMD5, Item: starterMD5, Hits: 10, LastSeen: daysAgo(2),
		Attrs: []string{"~", ".cache/", "loader.sh", ""}})
	link(intel.Link{List: intel.LinkFileReports, Owner: malSHA256, Item: "rpt-2"})
	link(intel.Link{List: intel.LinkHostReports, Owner: "c2.badcorp.example", Item: "rpt-1"})
	link(intel.Link{List: intel.LinkFileCertificates, Owner: malSHA256, Item: "0A1B", LastSeen: daysAgo(9),
		Attrs: []string{"Example CA", "Example Corp", "2026-11-19T08:00:00Z", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"}})
	link(intel.Link{List: intel.LinkDetections, Owner: adwareMD5, Item: "not-a-virus:HEUR:AdWare.Win32.Agent.a",
		Zone: intel.ZoneYellow, LastSeen: daysAgo(5)})
	return b
}

func objectBuilder(t testing.TB) *Builder {
	t.Helper()
	b, _ := newBuilder(t, objectFixture())
	return b
}

func TestDomainReport(t *testing.T) {
	b := objectBuilder(t)
	ctx := context.Background()
	r, err := b.Domain(ctx, "c2.badcorp.example", AllDomainSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("Known", r.Known, true)
	check("Zone", r.Zone, intel.ZoneRed)
	check("HasRedZone", r.HasRedZone, true)
	check("FilesCount", r.FilesCount, 2)
	check("URLsCount", r.URLsCount, 2)
	check("HitsCount", r.HitsCount, 50+7+1+2+900)
	check("IPv4Count", r.IPv4Count, 3)
	check("Categories", r.Categories, []score.CategoryZone{{Name: intel.CatBotnetCNC, Zone: intel.ZoneRed}, {Name: intel.CatMalware, Zone: intel.ZoneRed}})
	check("HasAPT", r.HasAPT, true)
	check("reports", len(r.Reports), 1)
	check("Whois", []any{r.Whois.Domain, r.Whois.Registrar, r.Whois.NameServers}, []any{"badcorp.example", "Example Registrar, Inc.", []string{"ns1.host.example"}})
	var ips []string
	for _, it := range r.Resolutions {
		ips = append(ips, fmt.Sprintf("%s %s %d %d", it.IP, it.Zone, it.ThreatScore, it.Hits))
	}
	redScore := mustIP(t, b, redIP)
	check("Resolutions", ips, []string{
		fmt.Sprintf("45.95.147.10 Red %d 50", redScore),
		"10.0.0.1 Grey 0 1",
		"93.184.216.34 Grey 0 7",
	})
	if len(r.Resolutions) == 3 {
		res := r.Resolutions[0]
		check("peak", []any{res.DailyPeak, res.PeakDate.Format("2006-01-02")}, []any{9, daysAgo(10).Format("2006-01-02")})
		check("no peak", r.Resolutions[2].PeakDate.IsZero(), true)
	}
	var files []string
	for _, f := range r.FilesDownloaded {
		files = append(files, fmt.Sprintf("%s %s %d %s %s", f.MD5, f.Zone, f.Hits, f.DetectionName, f.URL))
	}
	check("FilesDownloaded", files, []string{
		malMD5 + " Red 37 HEUR:Backdoor.Linux.Mirai.b c2.badcorp.example/bins/x86",
		bareMD5 + " Grey 5  c2.badcorp.example/bins/x86",
	})
	check("FilesAccessed", len(r.FilesAccessed), 1)
	if len(r.FilesAccessed) == 1 {
		f := r.FilesAccessed[0]
		check("accessed", []any{f.MD5, f.Zone, f.URL, f.LastSeen.Equal(daysAgo(7))}, []any{starterMD5, intel.ZoneGrey, "", true})
	}
	check("Referrals", r.Referrals, []URLItem{{Zone: intel.ZoneGrey, URL: "paste.example/raw/a1b2", FirstSeen: daysAgo(9), LastSeen: daysAgo(3)}})
	check("ReferredTo", r.ReferredTo, []URLItem{{Zone: intel.ZoneRed, URL: "evil.example/next", FirstSeen: daysAgo(9), LastSeen: daysAgo(4)}})
	check("Subdomains", r.Subdomains, []SubdomainItem{{Name: "api.c2.badcorp.example", Zone: intel.ZoneGrey, URLsCount: 1}})
	check("FeedMasks", len(r.Masks), 1)
	if len(r.Masks) == 1 {
		m := r.Masks[0]
		check("mask", []any{m.Mask, m.MaskType, m.Zone, m.Feeds}, []any{"c2.badcorp.example", intel.MaskHost, intel.ZoneRed, []string{"Botnet CC URL Feed"}})
	}
	check("Industries", r.Industries, []string{"Government", "Telecommunications"})
	if r.Items() == 0 {
		t.Error("Items: got 0")
	}

	// count caps every capped list.
	r1, err := b.Domain(ctx, "c2.badcorp.example", AllDomainSections, 1)
	if err != nil {
		t.Fatal(err)
	}
	check("count=1", []int{len(r1.Resolutions), len(r1.FilesDownloaded)}, []int{1, 1})
	check("count=1 first", r1.FilesDownloaded[0].MD5, malMD5)
}

// mustIP is the threat score of an address's own lookup.
func mustIP(t testing.TB, b *Builder, ip netip.Addr) int {
	t.Helper()
	r, err := b.IP(context.Background(), ip, SecIPGeneralInfo|SecZone, 10)
	if err != nil {
		t.Fatal(err)
	}
	return r.General.ThreatScore
}

func TestUnknownObjects(t *testing.T) {
	b := objectBuilder(t)
	ctx := context.Background()
	d, err := b.Domain(ctx, "nothing.badcorp.example", AllDomainSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d.Known || d.Zone != intel.ZoneGrey || d.HasRedZone || d.FilesCount != 0 || len(d.Resolutions) != 0 || len(d.Subdomains) != 0 {
		t.Errorf("unknown domain: got %+v, want Grey, unknown, empty", d)
	}
	if d.Whois.Domain != "badcorp.example" {
		t.Errorf("unknown domain WHOIS: got %q, want the registrable domain badcorp.example", d.Whois.Domain)
	}
	const unknownSHA1 = "0000000000000000000000000000000000000001"
	f, err := b.File(ctx, unknownSHA1, AllFileSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if f.Known || f.Zone != intel.ZoneGrey || f.Status != FileStatusNotCategorized || f.SHA1 != unknownSHA1 || f.MD5 != "" || f.SHA256 != "" ||
		len(f.Detections) != 0 || f.HasRedZone {
		t.Errorf("unknown file: got %+v, want Grey, Not categorized, only its SHA-1", f)
	}
	u, err := b.URL(ctx, "http://nothing.example/x", AllURLSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if u.Known || u.Zone != intel.ZoneGrey || u.Host != "nothing.example" || u.Resolutions == nil || len(u.Resolutions) != 0 || u.Whois.Domain != "nothing.example" {
		t.Errorf("unknown web address: got %+v, want Grey, unknown, shaped", u)
	}
}

func TestFileReportSameForEveryHash(t *testing.T) {
	b := objectBuilder(t)
	ctx := context.Background()
	var reports []*FileReport
	for _, h := range []string{malMD5, malSHA1, malSHA256} {
		r, err := b.File(ctx, h, AllFileSections, 10)
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, r)
	}
	r := reports[0]
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("zone", []any{r.Zone, r.Status, r.Known}, []any{intel.ZoneRed, FileStatusMalware, true})
	check("hashes", []string{r.MD5, r.SHA1, r.SHA256}, []string{malMD5, malSHA1, malSHA256})
	check("meta", []any{r.Size, r.Type, r.Packer}, []any{65536, "elf.32.le", "UPX"})
	check("HitsCount", r.HitsCount, 60+37)
	check("seen", []bool{r.FirstSeen.Equal(daysAgo(12)), r.LastSeen.Equal(daysAgo(1))}, []bool{true, true})
	check("Categories", r.Categories, []intel.Category{intel.CatBotnetCNC})
	check("reports", []any{len(r.Reports), r.HasAPT}, []any{1, false})
	var dets []string
	for _, d := range r.Detections {
		dets = append(dets, fmt.Sprintf("%s %s %s %s", d.Name, d.Zone, d.Method, d.DescriptionURL))
	}
	check("Detections", dets, []string{
		"HEUR:Backdoor.Linux.Mirai.b Red HEUR ",
		"Mirai Red Signature https://malpedia.example/details/elf.mirai",
	})
	check("Names", r.Names, []NameItem{{Name: "x86", Hits: 37}, {Name: "mirai.elf", Hits: 3}})
	check("Paths", r.Paths, []PathItem{{Path: ".cache/x86", Location: "~", Hits: 2}})
	check("DownloadedFrom", len(r.DownloadedFrom), 1)
	if len(r.DownloadedFrom) == 1 {
		u := r.DownloadedFrom[0]
		check("from", []any{u.URL, u.Domain, u.Zone, u.Hits}, []any{"c2.badcorp.example/bins/x86", "c2.badcorp.example", intel.ZoneRed, 37})
	}
	check("StartedBy", r.StartedBy, []RelatedFileItem{{Zone: intel.ZoneGrey, Hits: 10, MD5: starterMD5, Location: "~", Path: ".cache/", Name: "loader.sh", Last: daysAgo(2)}})
	check("Certificates", len(r.Certificates), 1)
	if len(r.Certificates) == 1 {
		c := r.Certificates[0]
		check("certificate", []any{c.Vendor, c.Publisher, c.SerialNumber, c.TimeStamp.Format(time.RFC3339)}, []any{"Example CA", "Example Corp", "0A1B", "2026-11-19T08:00:00Z"})
	}
	check("HasRedZone", r.HasRedZone, true)
	check("Industries", r.Industries, []string{"Energy"})
	for i, o := range reports[1:] {
		o.Query = r.Query
		if fmt.Sprintf("%+v", *o) != fmt.Sprintf("%+v", *r) {
			t.Errorf("hash %d: got\n%+v\nwant the MD5's\n%+v", i+1, *o, *r)
		}
	}
	// count caps lists but never detections.
	r1, err := b.File(ctx, malSHA1, AllFileSections, 1)
	if err != nil {
		t.Fatal(err)
	}
	check("count=1", []int{len(r1.Names), len(r1.Detections)}, []int{1, 2})
	check("count=1 first name", r1.Names[0].Name, "x86")
}

func TestFileZones(t *testing.T) {
	b := objectBuilder(t)
	ctx := context.Background()
	tests := []struct {
		hash   string
		zone   intel.Zone
		status string
	}{
		{malMD5, intel.ZoneRed, FileStatusMalware},
		{adwareMD5, intel.ZoneYellow, FileStatusAdware},
		{bareMD5, intel.ZoneGrey, FileStatusNotCategorized}, // downloaded from a Red web address only
		{starterMD5, intel.ZoneGrey, FileStatusNotCategorized},
	}
	for _, tt := range tests {
		r, err := b.File(ctx, tt.hash, SecZone|SecFileGeneralInfo, 10)
		if err != nil {
			t.Fatal(err)
		}
		if r.Zone != tt.zone || r.Status != tt.status {
			t.Errorf("%s: got %s %q, want %s %q", tt.hash, r.Zone, r.Status, tt.zone, tt.status)
		}
	}
	x, err := b.ExplainFile(ctx, bareMD5)
	if err != nil {
		t.Fatal(err)
	}
	if x.Zone != intel.ZoneGrey || !strings.Contains(fmt.Sprint(x.Contributions), "not convicted by where it was seen") {
		t.Errorf("explanation of a file from a Red web address: got %s %+v, want Grey and the reason", x.Zone, x.Contributions)
	}
}

func TestURLReport(t *testing.T) {
	b := objectBuilder(t)
	ctx := context.Background()
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	r, err := b.URL(ctx, "http://c2.badcorp.example/bins/x86", AllURLSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	check("zone", []any{r.Zone, r.HasRedZone, r.Known}, []any{intel.ZoneRed, true, true})
	check("Whois", r.Whois.Domain, "badcorp.example")
	check("Resolutions", len(r.Resolutions), 3)
	check("IPv4Count", r.IPv4Count, 3)
	check("Reports", len(r.Reports), 1) // the host's
	check("Industries", r.Industries, []string{"Government", "Telecommunications"})
	check("FilesAccessed", len(r.FilesAccessed), 1)
	var files []string
	for _, f := range r.Files {
		files = append(files, string(f.Zone)+" "+f.MD5)
	}
	check("Files", files, []string{"Red " + malMD5, "Grey " + bareMD5})
	var masks []string
	for _, m := range r.Masks {
		masks = append(masks, m.MaskType+" "+m.Mask)
	}
	check("FeedMasks", masks, []string{"Host c2.badcorp.example"})

	// Every stored form with one match key is found together.
	v, err := b.URL(ctx, "HTTP://Variant.example:8080//path/", AllURLSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	check("variant zone", []any{v.Zone, v.Known}, []any{intel.ZoneOrange, true})
	check("variant categories", v.Categories, []score.CategoryZone{{Name: intel.CatSpam, Zone: intel.ZoneOrange}})
	check("variant files", len(v.Files), 1)
	check("variant referrals", v.Referrals, []URLItem{{Zone: intel.ZoneRed, URL: "c2.badcorp.example/bins/x86", FirstSeen: daysAgo(5), LastSeen: daysAgo(5)}})
	check("variant HasRedZone", v.HasRedZone, true)

	// An IP host: no WHOIS, no resolutions, shaped.
	ip, err := b.URL(ctx, "http://45.95.147.10/bins/x86", AllURLSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	check("IP host", []any{ip.Whois.Domain, ip.Resolutions != nil, len(ip.Resolutions), ip.IPv4Count}, []any{"", true, 0, 1})
}

// The consistency rules of docs/scoring.md.
func TestObjectConsistency(t *testing.T) {
	b := objectBuilder(t)
	ctx := context.Background()
	zoneOf := func(t *testing.T, what string) intel.Zone {
		t.Helper()
		r, err := b.URL(ctx, what, SecZone, 10)
		if err != nil {
			t.Fatal(err)
		}
		return r.Zone
	}
	domainZone := func(t *testing.T, name string) intel.Zone {
		t.Helper()
		r, err := b.Domain(ctx, name, SecZone, 10)
		if err != nil {
			t.Fatal(err)
		}
		return r.Zone
	}
	t.Run("Red host mask without resolutions", func(t *testing.T) {
		if got := zoneOf(t, "http://evil.example/any/page"); got != intel.ZoneRed {
			t.Errorf("got %s, want Red", got)
		}
	})
	t.Run("web address on a Red domain", func(t *testing.T) {
		if got := domainZone(t, "c2.badcorp.example"); got != intel.ZoneRed {
			t.Fatalf("domain: got %s, want Red", got)
		}
		for _, u := range []string{"c2.badcorp.example/index.html", "c2.badcorp.example/never/seen"} {
			if got := zoneOf(t, u); got == intel.ZoneGrey || got != intel.ZoneRed {
				t.Errorf("%s: got %s, want Red (never Grey)", u, got)
			}
		}
	})
	t.Run("allow-listed names are Green", func(t *testing.T) {
		for _, n := range []string{"good.example", "sub.good.example", "a.b.good.example"} {
			if got := domainZone(t, n); got != intel.ZoneGreen {
				t.Errorf("%s: got %s, want Green", n, got)
			}
		}
		if got := zoneOf(t, "good.example/page"); got != intel.ZoneGreen {
			t.Errorf("good.example/page: got %s, want Green (Host mask suppressed)", got)
		}
		if got := zoneOf(t, "good.example/bad/x"); got != intel.ZoneRed {
			t.Errorf("good.example/bad/x: got %s, want Red (its own UrlPrefix mask counts)", got)
		}
	})
	t.Run("a domain is not convicted by its addresses", func(t *testing.T) {
		r, err := b.Domain(ctx, "neighbour.example", AllDomainSections, 10)
		if err != nil {
			t.Fatal(err)
		}
		if r.Zone != intel.ZoneGrey || r.HasRedZone {
			t.Errorf("got %s HasRedZone %v, want Grey false (its only address is Red)", r.Zone, r.HasRedZone)
		}
		if len(r.Resolutions) != 1 || r.Resolutions[0].Zone != intel.ZoneRed {
			t.Errorf("resolutions: got %+v, want the Red address", r.Resolutions)
		}
	})
	t.Run("list items carry their own lookup's zone", func(t *testing.T) {
		for _, name := range []string{"c2.badcorp.example", "badcorp.example", "neighbour.example"} {
			d, err := b.Domain(ctx, name, AllDomainSections, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range d.Resolutions {
				r, err := b.IP(ctx, it.IP, SecZone|SecIPGeneralInfo, 10)
				if err != nil {
					t.Fatal(err)
				}
				if r.Zone != it.Zone || r.General.ThreatScore != it.ThreatScore {
					t.Errorf("%s resolution %s: got %s %d, own lookup %s %d", name, it.IP, it.Zone, it.ThreatScore, r.Zone, r.General.ThreatScore)
				}
			}
			for _, it := range slices.Concat(d.FilesDownloaded, d.FilesAccessed) {
				checkFileZone(t, b, it.MD5, it.Zone)
			}
			for _, it := range slices.Concat(d.Referrals, d.ReferredTo) {
				if z := zoneOf(t, it.URL); z != it.Zone {
					t.Errorf("%s web address %s: got %s, own lookup %s", name, it.URL, it.Zone, z)
				}
			}
			for _, it := range d.Subdomains {
				if z := domainZone(t, it.Name); z != it.Zone {
					t.Errorf("%s subdomain %s: got %s, own lookup %s", name, it.Name, it.Zone, z)
				}
			}
		}
		f, err := b.File(ctx, malSHA256, AllFileSections, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range slices.Concat(f.DownloadedFrom, f.AccessedURLs) {
			if z := zoneOf(t, it.URL); z != it.Zone {
				t.Errorf("file web address %s: got %s, own lookup %s", it.URL, it.Zone, z)
			}
		}
		for _, it := range slices.Concat(f.Started, f.StartedBy, f.DownloadedObjects, f.DownloadedBy) {
			checkFileZone(t, b, it.MD5, it.Zone)
		}
		u, err := b.URL(ctx, "c2.badcorp.example/bins/x86", AllURLSections, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range u.Files {
			checkFileZone(t, b, it.MD5, it.Zone)
		}
		for _, it := range u.FilesAccessed {
			checkFileZone(t, b, it.MD5, it.Zone)
		}
	})
}

func checkFileZone(t *testing.T, b *Builder, md5 string, zone intel.Zone) {
	t.Helper()
	r, err := b.File(context.Background(), md5, SecZone, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Zone != zone {
		t.Errorf("file %s: got %s in a list, own lookup %s", md5, zone, r.Zone)
	}
}

// boundStore records the largest limit of the list reads of one list.
type boundStore struct {
	store.Intel
	list     intel.LinkList
	maxLimit int
	reads    int
}

func (s *boundStore) Links(ctx context.Context, list intel.LinkList, owner string, limit int) ([]intel.Link, error) {
	if list == s.list {
		s.maxLimit = max(s.maxLimit, limit)
		s.reads++
	}
	return s.Intel.Links(ctx, list, owner, limit)
}

// count=10 on a domain with 10,000 files and web addresses reads and
// returns 10 (the HasRedZone scan reads relScan).
func TestDomainBoundedRead(t *testing.T) {
	const n = 10000
	bt := &intel.Batch{}
	for i := range n {
		url := fmt.Sprintf("big.example/f/%05d", i)
		bt.HostedURLs = append(bt.HostedURLs, intel.HostedURL{IP: redIP, URL: url, Zone: intel.ZoneGrey, Hits: 1,
			FirstSeen: daysAgo(i % 300), LastSeen: daysAgo(i % 300), Source: src})
		bt.Files = append(bt.Files, intel.FileDownload{IP: redIP, MD5: fmt.Sprintf("%032X", i), URL: "http://" + url, Hits: 1,
			FirstSeen: daysAgo(i % 300), LastSeen: daysAgo(i % 300), Source: src})
	}
	bt.AddObjects()
	b, st := newBuilder(t, bt)
	bs := &boundStore{Intel: st, list: intel.LinkHostFiles}
	b.Store = bs
	r, err := b.Domain(context.Background(), "big.example", AllDomainSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.FilesDownloaded) != 10 || r.FilesCount != n || r.URLsCount != n {
		t.Errorf("got %d files, FilesCount %d, UrlsCount %d; want 10, %d, %d", len(r.FilesDownloaded), r.FilesCount, r.URLsCount, n, n)
	}
	if bs.maxLimit > max(10, relScan) {
		t.Errorf("got a LinkHostFiles read of %d items, want at most %d", bs.maxLimit, max(10, relScan))
	}
	for i := 1; i < len(r.FilesDownloaded); i++ {
		if r.FilesDownloaded[i].LastSeen.After(r.FilesDownloaded[i-1].LastSeen) {
			t.Errorf("files not newest first: %v after %v", r.FilesDownloaded[i].LastSeen, r.FilesDownloaded[i-1].LastSeen)
		}
	}
}

// Explanations give the lookups' verdicts, with the evidence behind them.
func TestExplainObjects(t *testing.T) {
	b := objectBuilder(t)
	ctx := context.Background()
	for _, name := range []string{"c2.badcorp.example", "good.example", "sub.good.example", "neighbour.example", "evil.example", "nothing.example"} {
		r, err := b.Domain(ctx, name, SecZone, 10)
		if err != nil {
			t.Fatal(err)
		}
		x, err := b.ExplainDomain(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if x.Zone != r.Zone || x.Known != r.Known {
			t.Errorf("domain %s: explained %s known %v, lookup %s known %v", name, x.Zone, x.Known, r.Zone, r.Known)
		}
	}
	for _, u := range []string{"http://c2.badcorp.example/bins/x86", "evil.example/a", "good.example/bad/x", "good.example/y", "variant.example/path", "45.95.147.10/bins/x86"} {
		r, err := b.URL(ctx, u, SecZone, 10)
		if err != nil {
			t.Fatal(err)
		}
		x, err := b.ExplainURL(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if x.Zone != r.Zone || x.Key != r.URL {
			t.Errorf("web address %s: explained %s %s, lookup %s %s", u, x.Key, x.Zone, r.URL, r.Zone)
		}
	}
	for _, h := range []string{malMD5, malSHA256, adwareMD5, bareMD5, starterMD5} {
		r, err := b.File(ctx, h, SecZone, 10)
		if err != nil {
			t.Fatal(err)
		}
		x, err := b.ExplainFile(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if x.Zone != r.Zone || x.Status != r.Status {
			t.Errorf("file %s: explained %s %s, lookup %s %s", h, x.Zone, x.Status, r.Zone, r.Status)
		}
	}
	x, err := b.ExplainURL(ctx, "evil.example/a")
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(x.Contributions); !strings.Contains(s, "feed mask Host evil.example (Red)") || !strings.Contains(s, "Botnet CC URL Feed") {
		t.Errorf("web address under a Red Host mask: got %s, want the mask and its feed", s)
	}
	x, err = b.ExplainDomain(ctx, "sub.good.example")
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(x.Contributions); !strings.Contains(s, "allow list names good.example") || !strings.Contains(s, "suppressed") {
		t.Errorf("allow-listed ancestor: got %s, want the allow list and the suppressed listing", s)
	}
	x, err = b.ExplainFile(ctx, malSHA1)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(x.Hashes) != fmt.Sprint([]string{malMD5, malSHA1, malSHA256}) || !strings.Contains(fmt.Sprint(x.Contributions), "HEUR:Backdoor.Linux.Mirai.b") {
		t.Errorf("file: got hashes %v, contributions %v", x.Hashes, x.Contributions)
	}
}

// TestIPv6Resolutions: the STIX sections of a domain and of a web address
// carry the IPv6 addresses the name resolved to; the JSON sections do not.
func TestIPv6Resolutions(t *testing.T) {
	b := objectBuilder(t)
	ctx := context.Background()
	ips := func(items []ResolutionItem) string {
		var out []string
		for _, it := range items {
			out = append(out, it.IP.String()+" "+string(it.Zone))
		}
		return strings.Join(out, ", ")
	}
	d, err := b.Domain(ctx, "c2.badcorp.example", AllDomainSTIXSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ips(d.ResolutionsIPv6), "2001:db8::1 Grey"; got != want {
		t.Errorf("domain, IPv6: got %s, want %s", got, want)
	}
	if got, want := ips(d.Resolutions), "45.95.147.10 Red, 10.0.0.1 Grey, 93.184.216.34 Grey"; got != want {
		t.Errorf("domain, IPv4: got %s, want %s", got, want)
	}
	u, err := b.URL(ctx, "http://c2.badcorp.example/bins/x86", AllURLSTIXSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ips(u.ResolutionsIPv6), "2001:db8::1 Grey"; got != want {
		t.Errorf("web address, IPv6: got %s, want %s", got, want)
	}
	if d, err = b.Domain(ctx, "c2.badcorp.example", AllDomainSections, 10); err != nil {
		t.Fatal(err)
	}
	if len(d.ResolutionsIPv6) != 0 {
		t.Errorf("JSON sections: got IPv6 resolutions %s", ips(d.ResolutionsIPv6))
	}
}
