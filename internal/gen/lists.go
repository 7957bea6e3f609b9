package gen

import (
	"fmt"
	"io"
	"time"
)

// WriteDROP writes a Spamhaus DROP list in its text form: `;` comments with
// Last-Modified, then `CIDR ; SBLnnnn` lines over the world's IPv4 blocks.
func WriteDROP(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "DROP list")
	if err != nil {
		return err
	}
	g.printf("; Spamhaus DROP List %s - synthetic: every entry is invented", g.now.Format("2006/01/02"))
	g.printf("; Last-Modified: %s", g.now.Format(time.RFC1123))
	for i := 0; i < g.lines; i++ {
		g.printf("%s ; SBL%d", g.v4Block(i), 900000+i)
	}
	return g.finish("DROP list")
}

// WriteDROPJSON writes the same list in the JSON form, with its final
// metadata line.
func WriteDROPJSON(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "DROP list")
	if err != nil {
		return err
	}
	for i := 0; i < g.lines; i++ {
		g.printf(`{"cidr":"%s","sblid":"SBL%d","rir":"ripencc"}`, g.v4Block(i), 900000+i)
	}
	g.printf(`{"type":"metadata","timestamp":%d,"size":0,"records":%d,"copyright":"synthetic"}`, g.now.Unix(), g.lines)
	return g.finish("DROP list")
}

// WriteIPSet writes a FireHOL-style netset: the header block, then single
// addresses and, one line in eight, the world's /24 blocks. As real block
// lists do, it names one special-purpose address: its fourth line is the
// documentation address the world's jsonl lists too.
func WriteIPSet(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "ipset list")
	if err != nil {
		return err
	}
	for _, l := range []string{"#", "# example_synthetic", "#", "# ipv4 hash:net ipset", "#",
		"# A synthetic list: every entry is invented.", "#", "# Maintainer      : Example", "#"} {
		g.line(l)
	}
	g.printf("# This File Date  : %s", g.now.Format(time.UnixDate))
	g.printf("# Entries         : %d", g.lines)
	g.line("#")
	for i := 0; i < g.lines; i++ {
		switch {
		case i == 3:
			g.line(reservedAddr)
		case i%8 == 7:
			g.line(g.v4Block(i).String())
		default:
			g.line(g.addr(i).String())
		}
	}
	return g.finish("ipset list")
}

// WriteOpenPhish writes an OpenPhish feed: one web address per line.
func WriteOpenPhish(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "OpenPhish feed")
	if err != nil {
		return err
	}
	for i := 0; i < g.lines; i++ {
		g.line(g.phishURL(i))
	}
	return g.finish("OpenPhish feed")
}

// WritePhishTank writes a PhishTank CSV with its header line.
func WritePhishTank(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "PhishTank list")
	if err != nil {
		return err
	}
	g.line("phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target")
	for i := 0; i < g.lines; i++ {
		r := newRNG(g.o.Seed, uint64(i), 304)
		sub := g.ago(r, 1, 30)
		online := "yes"
		if r.intn(5) == 0 {
			online = "no"
		}
		id := 8800000 + i
		g.printf("%d,%s,http://www.phishtank.com/phish_detail.php?phish_id=%d,%s,yes,%s,%s,%s", id, g.phishURL(i), id,
			sub.Format(time.RFC3339), sub.Add(30*time.Minute).Format(time.RFC3339), online,
			pick(r, []string{"Example Bank", "Example Mail", "Other", `"Example Pay, Inc."`}))
	}
	return g.finish("PhishTank list")
}

// phishURL is the i-th phishing web address; one in five is on a domain.
func (g *feedWriter) phishURL(i int) string {
	if i%5 == 4 {
		return fmt.Sprintf("https://%s/verify/account-%d.php", g.phishDomain(i), i)
	}
	return fmt.Sprintf("http://%s/signin/%d/", urlHost(g.addr(i)), i)
}
