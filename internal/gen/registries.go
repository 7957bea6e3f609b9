package gen

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
)

// Registry and reference-data formats: passive DNS (COF), RIR delegated
// statistics, ip2asn, an RPSL WHOIS dump and a MISP warninglist, written
// over the world's address blocks. Every fact in them is invented.

// WritePDNS writes passive DNS in the Common Output Format: o.Size lines,
// one A or AAAA record per world address (some with two addresses in an
// rdata list), and every tenth line a CNAME or NS record.
func WritePDNS(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "passive DNS")
	if err != nil {
		return err
	}
	for i := 0; i < g.lines; i++ {
		r := newRNG(o.Seed, uint64(i), 40)
		name := fmt.Sprintf("h%s.%s.example", base36(i), pick(r, c2Words))
		last := g.ago(r, 0, 30)
		first := last.Add(-time.Duration(r.intn(60*86400)) * time.Second)
		count := 1 + r.intn(500)
		var rec string
		switch {
		case i%10 == 9 && r.intn(2) == 0:
			rec = fmt.Sprintf(`{"rrname":"www.%s.","rrtype":"CNAME","rdata":"%s.","time_first":%d,"time_last":%d,"count":%d}`,
				name, name, first.Unix(), last.Unix(), count)
		case i%10 == 9:
			rec = fmt.Sprintf(`{"rrname":"%s","rrtype":"NS","rdata":["ns1.dns.test.","ns2.dns.test."],"time_first":%d,"time_last":%d,"count":%d}`,
				name, first.Unix(), last.Unix(), count)
		default:
			ip := g.addr(i)
			typ := "A"
			if ip.Is6() {
				typ = "AAAA"
			}
			rdata := `"` + ip.String() + `"`
			if next := g.addr(i + 1); i%7 == 3 && next.Is6() == ip.Is6() {
				rdata = `["` + ip.String() + `","` + next.String() + `"]`
			}
			rec = fmt.Sprintf(`{"rrname":"%s.","rrtype":"%s","rdata":%s,"time_first":%d,"time_last":%d,"count":%d,"bailiwick":"%s","sensor_id":"sensor-%d"}`,
				name, typ, rdata, first.Unix(), last.Unix(), count, name[strings.IndexByte(name, '.')+1:], r.intn(8))
		}
		g.line(rec)
	}
	return g.finish("passive DNS")
}

// WriteDelegated writes an RIR delegated-extended file: version and
// summary lines, then o.Size records over the world's blocks: ipv4 records
// (a /24, or 768 or 384 addresses: counts that are not powers of two),
// every tenth an ipv6 /48 or /32, one in twenty an asn record; some space
// available or reserved.
func WriteDelegated(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "delegated file")
	if err != nil {
		return err
	}
	var n4, n6, nasn int
	for i := 0; i < g.lines; i++ {
		switch delegatedKind(i) {
		case "ipv4":
			n4++
		case "ipv6":
			n6++
		default:
			nasn++
		}
	}
	day := g.now.Format("20060102")
	g.printf("2.3|ripencc|%s|%d|19830705|%s|+0000", day, g.lines, day)
	g.printf("ripencc|*|asn|*|%d|summary", nasn)
	g.printf("ripencc|*|ipv4|*|%d|summary", n4)
	g.printf("ripencc|*|ipv6|*|%d|summary", n6)
	for i := 0; i < g.lines; i++ {
		r := newRNG(o.Seed, uint64(i), 41)
		cc := pick(r, countries)
		status := "allocated"
		switch u := r.intn(20); {
		case u < 6:
			status = "assigned"
		case u == 18:
			status, cc = "available", "ZZ"
		case u == 19:
			status, cc = "reserved", "ZZ"
		}
		date := g.daysAgo(365 + r.intn(3000)).Format("20060102")
		if cc == "ZZ" {
			date = ""
		}
		id := fmt.Sprintf("%08x-example-%04x", hash(o.Seed, uint64(i), 42)>>32, i%65536)
		switch delegatedKind(i) {
		case "ipv4":
			count := pick(r, []int{256, 256, 768, 384})
			g.printf("ripencc|%s|ipv4|%s|%d|%s|%s|%s", cc, g.v4Block(i).Addr(), count, date, status, id)
		case "ipv6":
			bits := pick(r, []int{48, 48, 32})
			p := netip.PrefixFrom(g.v6Block(i).Addr(), bits).Masked()
			g.printf("ripencc|%s|ipv6|%s|%d|%s|%s|%s", cc, p.Addr(), bits, date, status, id)
		default:
			g.printf("ripencc|%s|asn|%d|%d|%s|%s|%s", cc, 64512+i%1000, 1, date, status, id)
		}
	}
	return g.finish("delegated file")
}

func delegatedKind(i int) string {
	switch {
	case i%20 == 19:
		return "asn"
	case i%10 == 9:
		return "ipv6"
	}
	return "ipv4"
}

// WriteIPtoASN writes an ip2asn-combined file: o.Size tab-separated
// inclusive ranges over the world's blocks (ranges that are not CIDRs),
// every tenth IPv6, one in eight "Not routed" (AS 0).
func WriteIPtoASN(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "ip2asn file")
	if err != nil {
		return err
	}
	for i := 0; i < g.lines; i++ {
		r := newRNG(o.Seed, uint64(i), 43)
		var start, end netip.Addr
		if i%10 == 9 {
			p := g.v6Block(i)
			start = p.Addr()
			b := start.As16()
			b[6], b[7] = 0xff, byte(r.intn(256))
			end = netip.AddrFrom16(b)
		} else {
			p := g.v4Block(i)
			start = p.Addr()
			b := start.As4()
			b[3] = byte(r.between(9, 255))
			end = netip.AddrFrom4(b)
		}
		if i%8 == 7 {
			g.printf("%s\t%s\t0\tNone\tNot routed", start, end)
			continue
		}
		asn := 64512 + int(hash(o.Seed, uint64(i/4), 44)%1000)
		g.printf("%s\t%s\t%d\t%s\tEXAMPLE-AS%d %s %s", start, end, asn, pick(r, countries), asn,
			pick(r, orgWords), pick(r, orgKinds))
	}
	return g.finish("ip2asn file")
}

// WriteRPSL writes an RPSL WHOIS dump of about o.Size lines: inetnum and
// inet6num objects over the world's blocks, route objects, then the
// organisation, role and aut-num objects they refer to (a dump's split
// files concatenated are a dump too).
func WriteRPSL(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "RPSL dump")
	if err != nil {
		return err
	}
	nets := max(1, g.lines/14)
	orgs := 1 + nets/16
	g.line("% Synthetic RPSL dump: every object is invented.")
	g.line("")
	for i := 0; i < nets; i++ {
		r := newRNG(o.Seed, uint64(i), 45)
		org := i % orgs
		created := g.daysAgo(400 + r.intn(3000))
		changed := created.Add(time.Duration(r.intn(300)) * 24 * time.Hour)
		if i%10 == 9 {
			g.printf("inet6num:       %s", g.v6Block(i))
		} else {
			p := g.v4Block(i)
			b := p.Addr().As4()
			b[3] = 255
			g.printf("inetnum:        %s - %s", p.Addr(), netip.AddrFrom4(b))
		}
		g.printf("netname:        EXAMPLE-NET-%s", strings.ToUpper(base36(i)))
		g.printf("descr:          %s %s customers", orgWords[org%len(orgWords)], orgKinds[org%len(orgKinds)])
		g.printf("descr:          %s", pick(r, cities))
		g.printf("country:        %s", pick(r, countries))
		g.printf("org:            ORG-E%s-TEST", strings.ToUpper(base36(org)))
		g.printf("admin-c:        EN%s-TEST", strings.ToUpper(base36(org)))
		g.printf("tech-c:         EN%s-TEST", strings.ToUpper(base36(org)))
		g.printf("status:         ASSIGNED PA")
		g.printf("created:        %s", ts(created))
		g.printf("last-modified:  %s", ts(changed))
		g.printf("source:         TEST")
		g.line("")
	}
	for i := 0; i < nets; i += 4 {
		p, route := g.v4Block(i), "route: "
		if i%10 == 9 {
			p, route = g.v6Block(i), "route6:"
		}
		g.printf("%s        %s", route, p)
		g.printf("origin:         AS%d", 64512+(i%orgs)%1000)
		g.printf("source:         TEST")
		g.line("")
	}
	for k := 0; k < orgs; k++ {
		h := strings.ToUpper(base36(k))
		name := fmt.Sprintf("%s %s B.V.", orgWords[k%len(orgWords)], orgKinds[k%len(orgKinds)])
		g.printf("organisation:   ORG-E%s-TEST", h)
		g.printf("org-name:       %s", name)
		g.printf("org-type:       OTHER")
		g.printf("address:        %s %d", streets[k%len(streets)], 1+k%200)
		g.printf("address:        %s", cities[k%len(cities)])
		g.printf("phone:          +31 20 %03d %04d", k%1000, k%10000)
		g.printf("e-mail:         noc@org%s.example", base36(k))
		g.printf("abuse-c:        EN%s-TEST", h)
		g.printf("source:         TEST")
		g.line("")
		g.printf("role:           %s NOC", name)
		g.printf("address:        %s %d", streets[k%len(streets)], 1+k%200)
		g.printf("e-mail:         noc@org%s.example", base36(k))
		g.printf("abuse-mailbox:  abuse@org%s.example", base36(k))
		g.printf("nic-hdl:        EN%s-TEST", h)
		g.printf("source:         TEST")
		g.line("")
		if k < 1000 {
			g.printf("aut-num:        AS%d", 64512+k)
			g.printf("as-name:        EXAMPLE-AS%d", 64512+k)
			g.printf("descr:          %s", name)
			g.printf("org:            ORG-E%s-TEST", h)
			g.printf("source:         TEST")
			g.line("")
		}
	}
	return g.finish("RPSL dump")
}

// WriteWarninglist writes a MISP warninglist of type cidr with o.Size
// entries: networks after the world's address blocks and single addresses,
// with some IPv6 networks.
func WriteWarninglist(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "warninglist")
	if err != nil {
		return err
	}
	g.line("{")
	g.line(`  "description": "Synthetic list of known-benign networks: every entry is invented.",`)
	g.line(`  "list": [`)
	for i := 0; i < g.lines; i++ {
		var e string
		switch {
		case i%10 == 9:
			e = g.v6Block(g.blocks + i).String()
		case i%3 == 2:
			e = g.allowAddr(i).String()
		default:
			e = g.v4Block(g.v4Blocks + g.allows + g.nets + i).String()
		}
		sep := ","
		if i == g.lines-1 {
			sep = ""
		}
		q, _ := json.Marshal(e)
		g.printf("    %s%s", q, sep)
	}
	g.line("  ],")
	g.line(`  "matching_attributes": ["ip-src", "ip-dst", "domain|ip"],`)
	g.line(`  "name": "Example known-benign networks",`)
	g.line(`  "type": "cidr",`)
	g.printf(`  "version": %s`, g.now.Format("20060102"))
	g.line("}")
	return g.finish("warninglist")
}

// allowAddr is an address in the extra blocks after the world's networks.
func (g *feedWriter) allowAddr(i int) netip.Addr {
	b := g.v4Block(g.v4Blocks + g.allows + g.nets + i).Addr().As4()
	b[3] = byte(1 + i%254)
	return netip.AddrFrom4(b)
}
