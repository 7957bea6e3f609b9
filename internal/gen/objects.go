package gen

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
)

// The world's domains, web addresses and files as objects of their own
// (the domain, URL and hash lookups): registrations of the registrable
// domains, file metadata with all three hashes, detections, signing
// certificates, names and paths, the files a file started or downloaded,
// files contacting web addresses, crawler links between pages, report
// links and allow lists. Per zone:
//
//   - Red: each malware address's C&C domain (Red Host mask) with its panel
//     and dropper web addresses, the dropper (a detected, signed Windows
//     file with every file section) and the files around it;
//   - Orange: a bulk-mail domain per Orange spam address, listed once by
//     a spam feed weeks ago, and a web address on it;
//   - Yellow: each adware domain, its tracker and an adware installer
//     (only a not-a-virus detection);
//   - Green: the resolver names of each allow-listed network, allow-listed
//     by a top-sites list, a web address on them, and a resolver setup file
//     listed as known benign;
//   - Grey: the sites of telemetry-only addresses, a page on each and a
//     file downloaded from it, with no verdict.

// ObjectExamples lists domains, web addresses and file hashes that the
// world built to land in each zone (files are never Orange): up to two of
// each per zone, in the forms the lookups take (a domain name; a web
// address with its scheme; a SHA-256 or MD5).
type ObjectExamples struct {
	Domains map[intel.Zone][]string `json:"domains"`
	URLs    map[intel.Zone][]string `json:"urls"`
	Hashes  map[intel.Zone][]string `json:"hashes"`
}

func newObjectExamples() ObjectExamples {
	return ObjectExamples{Domains: map[intel.Zone][]string{}, URLs: map[intel.Zone][]string{}, Hashes: map[intel.Zone][]string{}}
}

// objectExamplesPerZone is how many examples of each kind a zone keeps.
const objectExamplesPerZone = 2

func addObjectExample(m map[intel.Zone][]string, z intel.Zone, v string) {
	if len(m[z]) < objectExamplesPerZone {
		m[z] = append(m[z], v)
	}
}

// Vocabulary of the object world.
var (
	registrars = []struct{ name, id, email string }{
		{"Example Registrar, Inc.", "9999", "abuse@registrar.example"},
		{"Example Names B.V.", "9998", "abuse@names.example"},
		{"Test Domains Ltd", "9997", "abuse@domains.test"},
	}
	privacyOrgs = []string{"Example Privacy Service", "Whois Shield Example", "Redacted for Privacy"}
	adwareNames = []string{"not-a-virus:HEUR:AdWare.Win32.Agent.gen", "not-a-virus:AdWare.Win32.Example.a", "not-a-virus:HEUR:Downloader.Win32.Popunder.b"}
	benignNames = []string{"resolver-setup.exe", "dns-client.msi", "netcheck.exe"}
	siteFiles   = []string{"brochure.pdf", "price-list.xlsx", "setup.zip", "manual.pdf"}
)

// hexHash is n bytes of invented hash for file i (salt selects the file of
// the address, kind the hash), upper-case hex.
func (g *world) hexHash(i int, salt uint64, kind uint64, n int) string {
	b := make([]byte, 0, n)
	for k := uint64(0); len(b) < n; k++ {
		h := hash(g.o.Seed, uint64(i), 1000+kind*100+salt*7+k*1009)
		for s := 0; s < 8 && len(b) < n; s++ {
			b = append(b, byte(h>>(8*s)))
		}
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// fileHashes are the three hashes of file salt of address i; the MD5 is
// g.md5's.
func (g *world) fileHashes(i int, salt uint64) (md5, sha1, sha256 string) {
	return g.md5(i, salt), g.hexHash(i, salt, 1, 20), g.hexHash(i, salt, 2, 32)
}

// registration writes the registration record of a registrable domain.
func (g *world) registration(domain string, key uint64) {
	r := newRNG(g.o.Seed, key, 40)
	reg := registrars[r.intn(len(registrars))]
	created := g.ago(r, 30, 2000)
	rec := &jsonl.Record{Kind: jsonl.KindDomainWhois, Domain: domain, Created: ts(created), Updated: ts(g.ago(r, 1, 29)),
		Expires: ts(g.daysAgo(-30 - r.intn(700))), NameServers: []string{"ns1.dns-" + base36(r.intn(7)) + ".example", "ns2.dns-" + base36(r.intn(7)) + ".example"},
		Status: []string{"clientTransferProhibited"}, Registrar: reg.name, RegistrarID: reg.id, RegistrarEmail: reg.email,
		RegistrationOrg: reg.name,
		Contacts: []jsonl.Contact{
			{Type: "registrant", Organization: pick(r, privacyOrgs), Address: []string{fmt.Sprintf("%d %s", 1+r.intn(99), pick(r, streets))},
				City: pick(r, cities), CountryCode: pick(r, countries), Email: "owner@privacy.example"},
			{Type: "technical", Name: "Hostmaster", Organization: pick(r, privacyOrgs), CountryCode: pick(r, countries),
				Phone: fmt.Sprintf("+354.55500%02d", r.intn(100)), Email: "tech@privacy.example"},
		}}
	if strings.HasPrefix(domain, "secure-bank") || r.intn(4) == 0 {
		rec.Status = append(rec.Status, "clientHold")
	}
	g.emit(rec)
}

// registrations writes the records of the registrable domains shared by
// many addresses: the C&C, phishing, adware and bulk-mail domains.
func (g *world) registrations() {
	for k, w := range c2Words {
		g.registration(w+".example", uint64(k))
	}
	for k, d := range []string{"secure-bank.test", "popunder.test", "bulk-sender.test"} {
		g.registration(d, uint64(100+k))
	}
}

// redObjects writes the objects around a malware address i: its C&C
// domain's web addresses, a signed dropper served from it, the document
// that fetched the dropper and the second stage it fetched, their
// metadata, detections, certificates, names, paths and relations, the
// pages linking to the panel, and the report links of the address's
// report.
func (g *world) redObjects(i int, ip netip.Addr, r *rng, report string) {
	d := g.c2Domain(i)
	panel := "http://" + d + "/panel/gate.php"
	dropURL := "http://" + d + "/dl/update.exe"
	first, last := g.ago(r, 10, 30), g.ago(r, 0, 3)
	md5, sha1, sha256 := g.fileHashes(i, 10)
	stage2 := g.md5(i, 11)
	doc := g.md5(i, 12)
	g.emit(&jsonl.Record{Kind: jsonl.KindURL, URL: dropURL, IP: ip.String(), Zone: string(intel.ZoneRed),
		Categories: []string{string(intel.CatMalware)}, Hits: i64(int64(r.between(5, 300))), FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindFile, URL: dropURL, IP: ip.String(), MD5: md5, Zone: string(intel.ZoneRed),
		Detection: "HEUR:Trojan.Win32.Generic", Hits: i64(int64(r.between(1, 60))), FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindFileInfo, MD5: md5, SHA1: sha1, SHA256: sha256, Size: i64(int64(r.between(40, 900)) * 1024),
		Type: "exe", Packer: "UPX", Signer: "Example Signing Ltd", SignerStatus: "Not trusted", Names: []string{"update.exe", "svchost32.exe"},
		Hits: i64(int64(r.between(10, 2000))), FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindDetection, Hash: sha256, Detection: "Backdoor.Win32.Example." + base36(i%26+10),
		DescURL: "https://threats.example/backdoor-win32-example", FirstSeen: ts(first), LastSeen: ts(last)})
	serial := g.hexHash(i, 10, 3, 8)
	issued := g.daysAgo(200 + r.intn(100))
	g.emit(&jsonl.Record{Kind: jsonl.KindCertificate, Hash: md5, Serial: serial, Vendor: "Example Code Signing CA",
		Publisher: "Example Signing Ltd", TimeStamp: ts(first.Add(-2 * time.Hour)), Issued: day(issued), Expires: day(issued.AddDate(1, 0, 0))})
	g.emit(&jsonl.Record{Kind: jsonl.KindCertificate, Hash: md5, Relation: "parent", Serial: "0E" + serial[2:],
		Vendor: "Example Root CA", Publisher: "Example Code Signing CA", Issued: day(issued.AddDate(-3, 0, 0)), Expires: day(issued.AddDate(7, 0, 0))})
	g.emit(&jsonl.Record{Kind: jsonl.KindLink, List: "file_paths", Owner: md5, Location: "%appdata%", Path: "Microsoft\\Update\\",
		Hits: i64(int64(r.between(1, 50))), FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindFileAccess, MD5: md5, URL: panel, Detection: "HEUR:Trojan.Win32.Generic",
		Hits: i64(int64(r.between(1, 80))), FirstSeen: ts(first), LastSeen: ts(last)})
	// The document that fetched and started the dropper, and the second
	// stage the dropper fetched and started.
	g.emit(&jsonl.Record{Kind: jsonl.KindFileInfo, MD5: doc, Type: "docm", Names: []string{"invoice-" + base36(i) + ".docm"}})
	g.emit(&jsonl.Record{Kind: jsonl.KindDetection, Hash: doc, Detection: "HEUR:Trojan-Downloader.MSOffice.Agent.gen", LastSeen: ts(first)})
	g.emit(&jsonl.Record{Kind: jsonl.KindFileInfo, MD5: stage2, Type: "dll", Names: []string{"stage2.dll"}})
	g.emit(&jsonl.Record{Kind: jsonl.KindDetection, Hash: stage2, Detection: "HEUR:Trojan-Spy.Win32.Stealer.gen", LastSeen: ts(last)})
	for _, rel := range []string{"downloaded", "started"} {
		g.emit(&jsonl.Record{Kind: jsonl.KindFileRelation, MD5: doc, Relation: rel, TargetMD5: md5, Location: "%temp%",
			Name: "update.exe", Detection: "HEUR:Trojan.Win32.Generic", Hits: i64(int64(r.between(1, 20))), LastSeen: ts(first)})
		g.emit(&jsonl.Record{Kind: jsonl.KindFileRelation, MD5: md5, Relation: rel, TargetMD5: stage2, Location: "%appdata%",
			Path: "Microsoft\\Update\\", Name: "stage2.dll", Detection: "HEUR:Trojan-Spy.Win32.Stealer.gen",
			Hits: i64(int64(r.between(1, 20))), LastSeen: ts(last)})
	}
	// A page linking to the dropper; the panel redirects to the binaries.
	g.emit(&jsonl.Record{Kind: jsonl.KindReferral, URL: "https://forum-" + base36(i%97) + ".example/thread/" + base36(i), TargetURL: dropURL,
		Hits: i64(int64(r.between(1, 40))), FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindReferral, URL: "https://forum-" + base36(i%97) + ".example/thread/" + base36(i), TargetURL: panel,
		Hits: i64(int64(r.between(1, 40))), FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindReferral, URL: panel, TargetURL: "http://" + urlHost(ip) + "/bins/" + archs[i%len(archs)],
		Hits: i64(int64(r.between(1, 40))), FirstSeen: ts(first), LastSeen: ts(last)})
	// A name below the C&C domain.
	g.resolution(r, "cdn."+d, ip, 5, 20)
	if report != "" {
		for _, l := range []struct{ list, owner string }{{"host_reports", d}, {"url_reports", panel}, {"file_reports", md5}} {
			g.emit(&jsonl.Record{Kind: jsonl.KindLink, List: l.list, Owner: l.owner, Item: report})
		}
	}
	addObjectExample(g.objects.Domains, intel.ZoneRed, d)
	addObjectExample(g.objects.URLs, intel.ZoneRed, panel)
	addObjectExample(g.objects.URLs, intel.ZoneRed, dropURL)
	addObjectExample(g.objects.Hashes, intel.ZoneRed, sha256)
}

// orangeDomain is the bulk-mail domain of Orange spam address i.
func (g *world) orangeDomain(i int) string { return "mail-" + base36(i) + ".bulk-sender.test" }

// orangeObjects writes a bulk-mail domain listed once by a spam feed
// weeks ago, and its unsubscribe page.
func (g *world) orangeObjects(i int, r *rng) {
	d := g.orangeDomain(i)
	first, last := g.ago(r, 40, 60), g.ago(r, 7, 20)
	g.emit(&jsonl.Record{Kind: jsonl.KindObjectListing, Domain: d, Category: string(intel.CatSpam), Feed: "Example Spam Domain Feed",
		FirstSeen: ts(first), LastSeen: ts(last)})
	u := "http://" + d + "/unsubscribe"
	g.emit(&jsonl.Record{Kind: jsonl.KindObject, URL: u, Hits: i64(int64(r.between(5, 500))), FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindLink, List: "host_urls", Owner: d, Item: u, Hits: i64(int64(r.between(5, 500))),
		FirstSeen: ts(first), LastSeen: ts(last)})
	addObjectExample(g.objects.Domains, intel.ZoneOrange, d)
	addObjectExample(g.objects.URLs, intel.ZoneOrange, u)
}

// yellowObjects writes an adware installer served from an adware domain:
// only a not-a-virus detection.
func (g *world) yellowObjects(i int, r *rng) {
	d := g.adDomain(i)
	u := "http://" + d + "/setup.exe"
	md5, _, sha256 := g.fileHashes(i, 20)
	first, last := g.ago(r, 20, 60), g.ago(r, 0, 10)
	hits := i64(int64(r.between(1, 400)))
	g.emit(&jsonl.Record{Kind: jsonl.KindFileInfo, MD5: md5, SHA256: sha256, Type: "exe", Size: i64(int64(r.between(200, 4000)) * 1024),
		Names: []string{"setup.exe"}, Hits: hits, FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindDetection, Hash: md5, Detection: pick(r, adwareNames), FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindLink, List: "file_urls", Owner: md5, Item: u, Hits: hits, FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindLink, List: "host_files", Owner: d, MD5: md5, URL: u, Hits: hits, FirstSeen: ts(first),
		LastSeen: ts(last)})
	addObjectExample(g.objects.Domains, intel.ZoneYellow, d)
	addObjectExample(g.objects.URLs, intel.ZoneYellow, "http://"+d+"/track.js")
	addObjectExample(g.objects.Hashes, intel.ZoneYellow, sha256)
}

// greyObjects writes a telemetry-only address's site: its registration,
// a page and a file downloaded from it, with no verdict.
func (g *world) greyObjects(i int, r *rng) {
	d := g.siteDomain(i)
	g.registration(strings.TrimPrefix(d, "www."), uint64(1000+i))
	u := "http://" + d + "/downloads/"
	first, last := g.ago(r, 10, 60), g.ago(r, 0, 10)
	g.emit(&jsonl.Record{Kind: jsonl.KindObject, URL: u, Hits: i64(int64(r.between(1, 300))), FirstSeen: ts(first), LastSeen: ts(last)})
	md5, sha1, sha256 := g.fileHashes(i, 30)
	name := pick(r, siteFiles)
	hits := i64(int64(r.between(1, 100)))
	g.emit(&jsonl.Record{Kind: jsonl.KindFileInfo, MD5: md5, SHA1: sha1, SHA256: sha256, Size: i64(int64(r.between(10, 5000)) * 1024),
		Type: name[strings.LastIndexByte(name, '.')+1:], Names: []string{name}, Hits: hits, FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindLink, List: "file_urls", Owner: md5, Item: u + name, Hits: hits, FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindLink, List: "host_files", Owner: d, MD5: md5, URL: u + name, Hits: hits, FirstSeen: ts(first),
		LastSeen: ts(last)})
	addObjectExample(g.objects.Domains, intel.ZoneGrey, d)
	addObjectExample(g.objects.URLs, intel.ZoneGrey, u)
	addObjectExample(g.objects.Hashes, intel.ZoneGrey, md5)
}

// resolverDomain is the registrable domain of allow-listed network a.
func resolverDomain(a int) string { return "resolver-" + base36(a) + ".example" }

// greenObjects writes what is known of allow-listed network a's resolver
// names: a top-sites allow list naming their registrable domain, its
// registration, a web address on it, and a signed setup file listed as
// known benign.
func (g *world) greenObjects(a int) {
	r := newRNG(g.o.Seed, uint64(a), 41)
	d := resolverDomain(a)
	g.emit(&jsonl.Record{Kind: jsonl.KindObject, Domain: d, List: "Example top sites"})
	g.registration(d, uint64(500+a))
	u := "https://dns1." + d + "/dns-query"
	first, last := g.ago(r, 30, 60), g.ago(r, 0, 1)
	g.emit(&jsonl.Record{Kind: jsonl.KindObject, URL: u, Hits: i64(int64(r.between(10000, 90000))), FirstSeen: ts(first), LastSeen: ts(last)})
	md5, sha1, sha256 := g.fileHashes(-1-a, 40)
	name := benignNames[a%len(benignNames)]
	dl := "https://www." + d + "/download/" + name
	hits := i64(int64(r.between(100, 5000)))
	g.emit(&jsonl.Record{Kind: jsonl.KindFileInfo, MD5: md5, SHA1: sha1, SHA256: sha256, Size: i64(int64(r.between(500, 9000)) * 1024),
		Type: name[strings.LastIndexByte(name, '.')+1:], Signer: "Example Software Foundation", SignerStatus: "Trusted",
		Names: []string{name}, Hits: hits, FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindObjectListing, Hash: sha256, Category: string(intel.CatBenign), Feed: "Example Software Allow List",
		FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindCertificate, Hash: sha256, Serial: g.hexHash(-1-a, 40, 3, 10), Vendor: "Example Code Signing CA",
		Publisher: "Example Software Foundation", TimeStamp: ts(first), Issued: day(g.daysAgo(300)), Expires: day(g.daysAgo(-400))})
	g.emit(&jsonl.Record{Kind: jsonl.KindLink, List: "file_urls", Owner: md5, Item: dl, Hits: hits, FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindLink, List: "host_files", Owner: "www." + d, MD5: md5, URL: dl, Hits: hits,
		FirstSeen: ts(first), LastSeen: ts(last)})
	addObjectExample(g.objects.Domains, intel.ZoneGreen, "dns1."+d)
	addObjectExample(g.objects.URLs, intel.ZoneGreen, u)
	addObjectExample(g.objects.Hashes, intel.ZoneGreen, sha256)
}
