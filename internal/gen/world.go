package gen

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"

	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
)

// Vocabulary of the invented world.
var (
	countries  = []string{"NL", "DE", "FR", "GB", "SE", "PL", "CZ", "IT", "ES", "RO", "UA", "FI", "SG", "JP", "BR", "US"}
	orgWords   = []string{"Alder", "Birch", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Jasper", "Kestrel", "Lumen", "Maple", "Nimbus", "Orchid", "Pioneer", "Quartz", "Raven", "Summit", "Tundra"}
	orgKinds   = []string{"Hosting", "Networks", "Telecom", "Cloud", "Datacenter", "Broadband"}
	streets    = []string{"Examplestraat", "Beispielweg", "Rue d'Exemple", "Example Road", "Exempelgatan"}
	cities     = []string{"Amsterdam", "Berlin", "Paris", "London", "Stockholm", "Warsaw", "Prague", "Milan"}
	redFeeds   = []string{"Example C2 Tracker", "Example Malware URL Feed", "Example Botnet Feed"}
	redCats    = []intel.Category{intel.CatBotnetCNC, intel.CatMalware, intel.CatBotnetCNC}
	archs      = []string{"x86", "arm7", "mips", "mpsl", "arm", "sh4"}
	detections = []string{"HEUR:Backdoor.Linux.Mirai.b", "HEUR:Trojan-Downloader.Shell.Agent.p", "Backdoor.Linux.Gafgyt.a", "HEUR:Trojan.Win32.Generic"}
	c2Words    = []string{"badcorp", "darkpanel", "updatesvc", "cdn-sync", "telemetry-hub"}
	orangeCats = []intel.Category{intel.CatScanner, intel.CatSpam, intel.CatBruteforce}
	orangeFeed = map[intel.Category]string{intel.CatScanner: "Example Scanner Feed", intel.CatSpam: "Example Spam Feed", intel.CatBruteforce: "Example Bruteforce Feed"}
	spamTypes  = []string{"Advertising", "Fraud", "Newsletter"}
	regions    = []string{"NL", "DE", "FR", "GB", "US", "IT", "ES", "PL"}
	kits       = []string{"ExampleKit", "Phishkit-Demo", "LoginClone"}
	stolen     = []string{"credentials", "card data", "personal data", "session cookies"}
	industries = []string{"Finance", "Telecommunications", "Government", "Energy", "Healthcare", "Manufacturing", "Retail", "Transportation"}
	orgs       = []string{"Example Bank", "Example Telecom", "Example Parcel Service", "Example Webmail"}
	actors     = []string{"Example Actor One", "Example Actor Two", "Example Group", "Example Cluster"}
	reportKind = []string{intel.ReportAPT, intel.ReportCrimeware, intel.ReportICS}
	topics     = []string{"Operation Glasswing", "Silent Relay", "Paper Lantern", "Rusty Valve", "Copper Harbor", "Night Ledger"}
)

// profile is what the world makes of one address.
type profile int

const (
	profGrey     profile = iota // nothing but network data
	profSeen                    // telemetry only: sightings, a benign resolution
	profRed                     // malware / botnet C&C
	profPhishing                // phishing host
	profOrange                  // one scanner/spam/brute-force listing
	profYellow                  // adware
)

func (g *world) profile(i int) profile {
	switch i {
	case 0:
		return profRed
	case 1:
		return profOrange
	case 2:
		return profYellow
	case 3:
		return profGrey
	case 4:
		return profPhishing
	}
	switch u := hash(g.o.Seed, uint64(i), 3) % 1000; {
	case u < 30:
		return profRed
	case u < 40:
		return profPhishing
	case u < 80:
		return profOrange
	case u < 90:
		return profYellow
	case u < 300:
		return profSeen
	}
	return profGrey
}

// networks writes country, AS and WHOIS data of every block, the allow
// lists and the network listings.
func (g *world) networks() {
	for j := 0; j < g.blocks; j++ {
		g.network(j, g.block(j))
	}
	for a := 0; a < g.allows; a++ {
		p := g.allowBlock(a)
		g.network(g.blocks+a, p)
		g.emit(&jsonl.Record{Kind: jsonl.KindAllow, Range: p.String(), List: "Example public resolvers"})
	}
	for n := 0; n < g.nets; n++ {
		p := g.netBlock(n)
		g.network(g.blocks+g.allows+n, p)
		r := newRNG(g.o.Seed, uint64(n), 10)
		first := g.ago(r, 90, 180)
		g.emit(&jsonl.Record{Kind: jsonl.KindNetListing, Range: p.String(), Category: string(intel.CatSpam),
			Feed: "Example DROP List", FirstSeen: ts(first), LastSeen: ts(g.ago(r, 0, 3))})
	}
}

func (g *world) network(j int, p netip.Prefix) {
	r := newRNG(g.o.Seed, uint64(j), 4)
	cc := pick(r, countries)
	word, kind := pick(r, orgWords), pick(r, orgKinds)
	org := word + " " + kind
	handle := strings.ToUpper(word[:2]) + base36(j)
	dom := strings.ToLower(word+"-"+kind) + ".example"
	g.emit(&jsonl.Record{Kind: jsonl.KindCountry, Range: p.String(), Country: cc})

	asn := uint32(64512 + r.intn(1023))
	if r.intn(5) == 0 {
		asn = uint32(4200000000 + r.intn(1000000))
	}
	g.emit(&jsonl.Record{Kind: jsonl.KindASN, Range: p.String(), ASN: &asn,
		Description: jsonl.Description(strings.ToUpper(word+"-"+kind)+"-AS", org+" Ltd")})

	last := lastOf(p)
	created := g.ago(r, 400, 4000)
	changed := g.ago(r, 30, 380)
	phone := fmt.Sprintf("+31 20 000 %04d", r.intn(10000))
	street := fmt.Sprintf("%s %d", pick(r, streets), 1+r.intn(200))
	city := pick(r, cities)
	g.emit(&jsonl.Record{Kind: jsonl.KindWhois, Range: p.Addr().String() + " - " + last.String(),
		Name:        strings.ToUpper(word) + "-NET-" + strings.ToUpper(base36(j)),
		Description: jsonl.Description(org+" customers", city),
		Created:     ts(created), Changed: ts(changed), Country: cc,
		Contacts: []jsonl.Contact{
			{Address: []string{street, city, cc}, OrganizationID: "ORG-" + handle + "-TEST", Name: org + " B.V.",
				Role: "owner", Type: "organisation", Phone: phone, Email: "noc@" + dom},
			{Address: []string{street, city}, OrganizationID: handle + "-TEST", Name: org + " Abuse Desk",
				Role: "abuse", Type: "role", Phone: phone, Email: "abuse@" + dom},
		}})
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for bit := p.Bits(); bit < len(b)*8; bit++ {
		b[bit/8] |= 0x80 >> (bit % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func (g *world) reportID(n int) string {
	return fmt.Sprintf("rpt-%d-%04d", g.now.Year(), n+1)
}

// reports writes the threat reports; the first one (APT) names the first
// address of the world in its indicator list.
func (g *world) reports() {
	for n := 0; n < g.nReports; n++ {
		g.emit(g.report(n))
	}
}

// report is the world's report n.
func (g *world) report(n int) *jsonl.Record {
	r := newRNG(g.o.Seed, uint64(n), 5)
	typ := reportKind[n%len(reportKind)]
	topic := pick(r, topics)
	rec := &jsonl.Record{Kind: jsonl.KindReport, ID: g.reportID(n), Type: typ,
		Title:       fmt.Sprintf("%s: %s campaign %d", topic, strings.ToLower(typ), n+1),
		Description: jsonl.Description("Invented report of the synthetic world.", "Indicators are made up."),
		Published:   day(g.daysAgo(7 * (n + 1))), Updated: day(g.daysAgo(n + 1)),
		Tags:       []string{strings.ToLower(typ), "synthetic"},
		Industries: []string{industries[n%len(industries)], industries[(n+3)%len(industries)]},
		Geo:        []string{pick(r, countries)},
		Actors:     []string{pick(r, actors)},
	}
	if typ == intel.ReportICS {
		rec.Industries = []string{"Energy", "Manufacturing"}
	}
	if n == 0 && g.o.Size > 0 {
		rec.IPs = []string{g.addr(0).String()}
	}
	return rec
}

// Domains of one address.
func (g *world) c2Domain(i int) string {
	return "c2-" + base36(i) + "." + c2Words[i%len(c2Words)] + ".example"
}
func (g *world) phishDomain(i int) string { return "login-" + base36(i) + ".secure-bank.test" }
func (g *world) adDomain(i int) string    { return "ads-" + base36(i) + ".popunder.test" }
func (g *world) siteDomain(i int) string  { return "www.site-" + base36(i) + ".example" }

// resolution writes a passive-DNS record with a daily peak.
func (g *world) resolution(r *rng, domain string, ip netip.Addr, minDays, maxDays int) {
	first := g.ago(r, minDays, maxDays)
	last := g.ago(r, 0, minDays)
	hits := int64(r.between(5, 5000))
	peak := 1 + hits/int64(r.between(2, 10))
	span := int(last.Sub(first).Hours() / 24)
	peakDay := first.AddDate(0, 0, r.intn(span+1))
	g.emit(&jsonl.Record{Kind: jsonl.KindResolution, Domain: domain, IP: ip.String(), FirstSeen: ts(first),
		LastSeen: ts(last), Hits: i64(hits), DailyPeak: i64(peak), PeakDate: day(peakDay)})
}

// dnsPass writes domain records and passive DNS of every address.
func (g *world) dnsPass() {
	for i := 0; i < g.o.Size; i++ {
		p := g.profile(i)
		if p == profGrey || p == profOrange {
			continue
		}
		ip := g.addr(i)
		r := newRNG(g.o.Seed, uint64(i), 6)
		switch p {
		case profRed:
			d := g.c2Domain(i)
			g.emit(&jsonl.Record{Kind: jsonl.KindDomain, Domain: d, Zone: string(intel.ZoneRed), Categories: []string{string(intel.CatBotnetCNC)}})
			g.resolution(r, d, ip, 10, 50)
		case profPhishing:
			d := g.phishDomain(i)
			g.emit(&jsonl.Record{Kind: jsonl.KindDomain, Domain: d, Zone: string(intel.ZoneRed), Categories: []string{string(intel.CatPhishing)}})
			g.resolution(r, d, ip, 3, 20)
		case profYellow:
			d := g.adDomain(i)
			g.emit(&jsonl.Record{Kind: jsonl.KindDomain, Domain: d, Zone: string(intel.ZoneYellow), Categories: []string{string(intel.CatAdware)}})
			g.resolution(r, d, ip, 10, 60)
		case profSeen:
			if r.intn(3) == 0 {
				g.resolution(r, g.siteDomain(i), ip, 10, 60)
			}
		}
	}
}

// evidencePass writes listings, sightings, URLs, files, masks, spam and
// phishing events and report links of every address.
func (g *world) evidencePass() {
	for i := 0; i < g.o.Size; i++ {
		ip := g.addr(i)
		r := newRNG(g.o.Seed, uint64(i), 7)
		switch g.profile(i) {
		case profGrey:
			g.example(intel.ZoneGrey, ip)
			if i == 3 { // a Grey site in the smallest worlds too; the address stays bare
				g.greyObjects(i, newRNG(g.o.Seed, uint64(i), 13))
			}
		case profSeen:
			g.sightings(r, ip, r.between(1, 3), 60, 10, 300)
			if newRNG(g.o.Seed, uint64(i), 6).intn(3) == 0 { // the site dnsPass resolved
				g.greyObjects(i, newRNG(g.o.Seed, uint64(i), 13))
			}
		case profRed:
			g.red(i, ip, r)
			g.example(intel.ZoneRed, ip)
		case profPhishing:
			g.phishing(i, ip, r)
		case profOrange:
			g.orange(ip, r)
			g.orangeObjects(i, newRNG(g.o.Seed, uint64(i), 14))
			g.example(intel.ZoneOrange, ip)
		case profYellow:
			g.yellow(i, ip, r)
			g.yellowObjects(i, newRNG(g.o.Seed, uint64(i), 15))
			g.example(intel.ZoneYellow, ip)
		}
	}
}

// sightings writes n sightings on distinct days within the last window days.
func (g *world) sightings(r *rng, ip netip.Addr, n, window, minHits, maxHits int) {
	start := r.intn(window - n + 1)
	stride := 1
	if n > 1 {
		stride = max(1, (window-start)/n)
	}
	for k := 0; k < n; k++ {
		g.emit(&jsonl.Record{Kind: jsonl.KindSighting, IP: ip.String(), Day: day(g.daysAgo(start + k*stride)),
			Hits: i64(int64(r.between(minHits, maxHits)))})
	}
}

func urlHost(ip netip.Addr) string {
	if ip.Is6() {
		return "[" + ip.String() + "]"
	}
	return ip.String()
}

func (g *world) md5(i int, salt uint64) string {
	var b [16]byte
	h1, h2 := hash(g.o.Seed, uint64(i), 100+salt), hash(g.o.Seed, uint64(i), 200+salt)
	for k := 0; k < 8; k++ {
		b[k], b[8+k] = byte(h1>>(8*k)), byte(h2>>(8*k))
	}
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

func (g *world) red(i int, ip netip.Addr, r *rng) {
	// Listings from two or three feeds.
	nFeeds := r.between(2, 3)
	off := r.intn(len(redFeeds))
	for k := 0; k < nFeeds; k++ {
		f := (off + k) % len(redFeeds)
		g.emit(&jsonl.Record{Kind: jsonl.KindListing, IP: ip.String(), Category: string(redCats[f]), Feed: redFeeds[f],
			FirstSeen: ts(g.ago(r, 10, 50)), LastSeen: ts(g.ago(r, 0, 2))})
	}
	g.sightings(r, ip, r.between(5, 10), 14, 10, 1000)
	// Binaries on the address itself, with the files downloaded from them.
	host := urlHost(ip)
	nBins := r.between(1, 3)
	aoff := r.intn(len(archs))
	for k := 0; k < nBins; k++ {
		u := "http://" + host + "/bins/" + archs[(aoff+k)%len(archs)]
		first, last := g.ago(r, 5, 30), g.ago(r, 0, 4)
		g.emit(&jsonl.Record{Kind: jsonl.KindURL, URL: u, IP: ip.String(), Zone: string(intel.ZoneRed),
			Categories: []string{string(intel.CatMalware)}, Hits: i64(int64(r.between(5, 500))), FirstSeen: ts(first), LastSeen: ts(last)})
		g.emit(&jsonl.Record{Kind: jsonl.KindFile, URL: u, IP: ip.String(), MD5: g.md5(i, uint64(k)), Zone: string(intel.ZoneRed),
			Detection: pick(r, detections), Hits: i64(int64(r.between(1, 100))), FirstSeen: ts(first), LastSeen: ts(last)})
	}
	g.emit(&jsonl.Record{Kind: jsonl.KindMask, Mask: "http://" + host + "/bins/", MaskType: intel.MaskURLPrefix,
		IP: ip.String(), Zone: string(intel.ZoneRed), Feeds: []string{"Malicious URL Feed"}, LastSeen: day(g.daysAgo(r.intn(3)))})
	// The C&C panel on its domain: no address given, the importer attaches
	// it to the addresses the domain resolved to.
	d := g.c2Domain(i)
	g.emit(&jsonl.Record{Kind: jsonl.KindURL, URL: "http://" + d + "/panel/gate.php", Zone: string(intel.ZoneRed),
		Categories: []string{string(intel.CatBotnetCNC)}, Hits: i64(int64(r.between(10, 900))),
		FirstSeen: ts(g.ago(r, 10, 40)), LastSeen: ts(g.ago(r, 0, 3))})
	g.emit(&jsonl.Record{Kind: jsonl.KindMask, Mask: d, MaskType: intel.MaskHost, Zone: string(intel.ZoneRed),
		Feeds: []string{"Botnet CC URL Feed"}, LastSeen: day(g.daysAgo(r.intn(3)))})
	var report string
	if i == 0 || hash(g.o.Seed, uint64(i), 8)%4 == 0 {
		report = g.reportID(int(hash(g.o.Seed, uint64(i), 9) % uint64(g.nReports)))
		g.emit(&jsonl.Record{Kind: jsonl.KindReportLink, IP: ip.String(), Report: report})
	}
	g.redObjects(i, ip, newRNG(g.o.Seed, uint64(i), 12), report)
}

func (g *world) phishing(i int, ip netip.Addr, r *rng) {
	g.emit(&jsonl.Record{Kind: jsonl.KindListing, IP: ip.String(), Category: string(intel.CatPhishing), Feed: "Example Phishing Feed",
		FirstSeen: ts(g.ago(r, 3, 20)), LastSeen: ts(g.ago(r, 0, 2))})
	g.sightings(r, ip, r.between(1, 4), 10, 5, 200)
	d := g.phishDomain(i)
	// The e-mail address is cut by the importer (the URL is flagged truncated).
	g.emit(&jsonl.Record{Kind: jsonl.KindURL, URL: "https://" + d + "/verify?email=user" + base36(i) + "@mail.example&step=2",
		IP: ip.String(), Zone: string(intel.ZoneRed), Categories: []string{string(intel.CatPhishing)},
		Hits: i64(int64(r.between(1, 80))), FirstSeen: ts(g.ago(r, 3, 20)), LastSeen: ts(g.ago(r, 0, 2))})
	g.emit(&jsonl.Record{Kind: jsonl.KindMask, Mask: "https://" + d + "/verify", MaskType: intel.MaskURL, IP: ip.String(),
		Zone: string(intel.ZoneRed), Feeds: []string{"Phishing URL Feed"}, LastSeen: day(g.daysAgo(r.intn(3)))})
	n := r.between(1, 5)
	for k := 0; k < n; k++ {
		g.emit(&jsonl.Record{Kind: jsonl.KindPhishing, IP: ip.String(), ID: fmt.Sprintf("ph-%s-%d", base36(i), k),
			Time: ts(g.ago(r, 0, 20)), Region: pick(r, regions), Kit: pick(r, kits),
			StolenData: []string{pick(r, stolen)}, Industry: "Finance", Organization: pick(r, orgs)})
	}
}

func (g *world) orange(ip netip.Addr, r *rng) {
	cat := pick(r, orangeCats)
	first := g.ago(r, 40, 60)
	g.emit(&jsonl.Record{Kind: jsonl.KindListing, IP: ip.String(), Category: string(cat), Feed: orangeFeed[cat],
		FirstSeen: ts(first), LastSeen: ts(g.ago(r, 7, 20))})
	g.sightings(r, ip, r.between(1, 3), 40, 1, 50)
	if cat == intel.CatSpam {
		n := r.between(1, 4)
		for k := 0; k < n; k++ {
			g.emit(&jsonl.Record{Kind: jsonl.KindSpam, IP: ip.String(), ID: fmt.Sprintf("spam-%s-%d", ip.String(), k),
				Time: ts(g.ago(r, 7, 40)), Type: pick(r, spamTypes)})
		}
	}
}

func (g *world) yellow(i int, ip netip.Addr, r *rng) {
	g.emit(&jsonl.Record{Kind: jsonl.KindListing, IP: ip.String(), Category: string(intel.CatAdware), Feed: "Example Adware Feed",
		FirstSeen: ts(g.ago(r, 20, 60)), LastSeen: ts(g.ago(r, 0, 10))})
	g.emit(&jsonl.Record{Kind: jsonl.KindURL, URL: "http://" + g.adDomain(i) + "/track.js", IP: ip.String(),
		Zone: string(intel.ZoneYellow), Categories: []string{string(intel.CatAdware)}, Hits: i64(int64(r.between(10, 3000))),
		FirstSeen: ts(g.ago(r, 20, 60)), LastSeen: ts(g.ago(r, 0, 10))})
}

// greenPass writes popular resolver-like addresses inside the allow-listed
// networks: daily sightings and passive DNS, no listings.
func (g *world) greenPass() {
	for a := 0; a < g.allows; a++ {
		base := g.allowBlock(a).Addr().As4()
		for _, host := range []byte{1, 53, 2} {
			b := base
			b[3] = host
			ip := netip.AddrFrom4(b)
			r := newRNG(g.o.Seed, uint64(a)<<8|uint64(host), 11)
			g.sightings(r, ip, 30, 60, 5000, 50000)
			g.resolution(r, fmt.Sprintf("dns%d.resolver-%s.example", host, base36(a)), ip, 30, 60)
			g.example(intel.ZoneGreen, ip)
		}
		g.greenObjects(a)
	}
}
