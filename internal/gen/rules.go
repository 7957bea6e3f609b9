package gen

import (
	"net/netip"

	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
)

// The objects of rulePass show the scoring rules the zones of the world
// do not: evidence an allow list suppresses, a special-purpose address a
// feed lists, listings of a file's hash, and live content on shared
// hosting. They are written once, after everything else, in every world.

// Fixed objects of rulePass.
const (
	// reservedAddr is a documentation address (RFC 5737) a block list
	// names, as real block lists do.
	reservedAddr = "192.0.2.44"
	// sharedPayload is the live payload on the first site of the
	// shared-hosting address.
	sharedPayload = "http://www.garden-club.example/wp-content/uploads/invoice-2026.zip"
)

// sharedNames resolve to the shared-hosting address: three registrable
// domains.
var sharedNames = []string{"www.garden-club.example", "www.corner-bakery.example", "shop.photo-studio.test", "photo-studio.test"}

// spareAddr is an address of the world's first block that no address of
// the world uses (the slot after the last one of a block).
func (g *world) spareAddr() netip.Addr {
	b := g.block(0).Addr().As4()
	off := int(hash(g.o.Seed, 0, 1) % 254)
	b[3] = byte(1 + (perBlock*37+off)%254)
	return netip.AddrFrom4(b)
}

// rulePass writes:
//
//   - a scanner listing of the third resolver address of the first
//     allow-listed network and a spam listing of its name (both
//     suppressed by the allow lists);
//   - a scanner listing of a documentation address and a report naming it
//     (a special-purpose address: Grey, the evidence ignored);
//   - a file listed as malware by an IOC feed (Red by the listing alone)
//     and with a bad-reputation listing of its MD5 (ignored: an Orange
//     category says nothing about a file's code);
//   - a shared-hosting address: names of three registrable domains
//     resolving to it, one compromised site serving a live payload.
func (g *world) rulePass() {
	r := newRNG(g.o.Seed, 0, 50)
	// Suppressed by the allow lists.
	base := g.allowBlock(0).Addr().As4()
	base[3] = 2
	g.emit(&jsonl.Record{Kind: jsonl.KindListing, IP: netip.AddrFrom4(base).String(), Category: string(intel.CatScanner),
		Feed: orangeFeed[intel.CatScanner], FirstSeen: ts(g.ago(r, 20, 40)), LastSeen: ts(g.ago(r, 1, 5))})
	g.emit(&jsonl.Record{Kind: jsonl.KindObjectListing, Domain: "dns2." + resolverDomain(0), Category: string(intel.CatSpam),
		Feed: "Example Spam Domain Feed", FirstSeen: ts(g.ago(r, 20, 40)), LastSeen: ts(g.ago(r, 1, 5))})

	// A special-purpose address a feed and a report name.
	g.emit(&jsonl.Record{Kind: jsonl.KindListing, IP: reservedAddr, Category: string(intel.CatScanner),
		Feed: orangeFeed[intel.CatScanner], FirstSeen: ts(g.ago(r, 20, 40)), LastSeen: ts(g.ago(r, 1, 5))})
	g.emit(&jsonl.Record{Kind: jsonl.KindReportLink, IP: reservedAddr, Report: g.reportID(0)})

	// A file known by its listings.
	md5, sha1, sha256 := g.fileHashes(-1000, 50)
	first, last := g.ago(r, 5, 30), g.ago(r, 0, 4)
	g.emit(&jsonl.Record{Kind: jsonl.KindFileInfo, MD5: md5, SHA1: sha1, SHA256: sha256, Size: i64(int64(r.between(50, 800)) * 1024),
		Type: "zip", Names: []string{"invoice-2026.zip"}, Hits: i64(int64(r.between(1, 50))), FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindObjectListing, Hash: sha256, Category: string(intel.CatMalware), Feed: "Example IOC Feed",
		FirstSeen: ts(first), LastSeen: ts(last)})
	g.emit(&jsonl.Record{Kind: jsonl.KindObjectListing, Hash: md5, Category: string(intel.CatBadReputation), Feed: "Example Reputation Feed",
		FirstSeen: ts(first), LastSeen: ts(last)})

	// Shared hosting with one compromised site.
	ip := g.spareAddr()
	for _, d := range sharedNames {
		g.resolution(r, d, ip, 30, 90)
	}
	g.sightings(r, ip, 5, 30, 10, 400)
	g.emit(&jsonl.Record{Kind: jsonl.KindURL, URL: sharedPayload, IP: ip.String(), Zone: string(intel.ZoneRed),
		Categories: []string{string(intel.CatMalware)}, Hits: i64(int64(r.between(5, 200))), FirstSeen: ts(first), LastSeen: ts(last)})
}
