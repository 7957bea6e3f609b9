package gen

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// The feed-format writers below produce synthetic files in the exact shape
// of public feeds, about o.Size data lines each, over the same world
// addresses as Write (public space only, but for one documentation address
// the ipset list names; every fact invented). They exist for benchmarks and
// tests of the importers.

// feedWriter is the state of one feed-format writer.
type feedWriter struct {
	*world
	lines int
}

// newFeedWriter checks o as Write does and returns a writer on w.
func newFeedWriter(w io.Writer, o Options, what string) (*feedWriter, error) {
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	if o.Size < 0 || o.Size > MaxSize {
		return nil, fmt.Errorf("write %s: size %d out of range 1-%d", what, o.Size, MaxSize)
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC().Truncate(time.Hour)
	}
	return &feedWriter{world: newWorld(o, w), lines: o.Size}, nil
}

// line writes one line (without its line ending).
func (g *feedWriter) line(s string) {
	if g.err != nil {
		return
	}
	if _, g.err = g.bw.WriteString(s); g.err == nil {
		g.err = g.bw.WriteByte('\n')
	}
}

// printf writes one formatted line.
func (g *feedWriter) printf(format string, a ...any) {
	if g.err != nil {
		return
	}
	if _, g.err = fmt.Fprintf(g.bw, format, a...); g.err == nil {
		g.err = g.bw.WriteByte('\n')
	}
}

func (g *feedWriter) finish(what string) error {
	if g.err == nil {
		g.err = g.bw.Flush()
	}
	if g.err != nil {
		return fmt.Errorf("write %s: %w", what, g.err)
	}
	return nil
}

// abuse.ch date forms.
func dateTime(t time.Time) string { return t.UTC().Format(time.DateTime) }

var (
	malwareFamilies = []string{"Example Loader", "Example RAT", "Example Stealer", "Example Bot", "Example Beacon"}
	urlPaths        = []string{"bins/x86", "bins/arm7", "dl/invoice.exe", "a/payload.sh", "m.ps1", "files/"}
	urlTags         = []string{"elf,mirai", "exe", "32-bit,arm", "CoinMiner", "ransomware,exe", "sh"}
)

// WriteURLhaus writes a URLhaus CSV dump: banner, header comment, about
// o.Size quoted data lines; one in ten web addresses is on a domain.
func WriteURLhaus(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "URLhaus dump")
	if err != nil {
		return err
	}
	g.line("################################################################")
	g.line("# abuse.ch URLhaus Database Dump (CSV), synthetic: every entry is invented")
	g.printf("# Last updated: %s (UTC)", dateTime(g.now))
	g.line("################################################################")
	g.line("#")
	g.line("# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter")
	for i := 0; i < g.lines; i++ {
		r := newRNG(g.o.Seed, uint64(i), 301)
		host := urlHost(g.addr(i))
		if i%10 == 9 {
			host = g.c2Domain(i)
		}
		added := g.ago(r, 1, 60)
		status, last := "online", dateTime(g.ago(r, 0, 1))
		if r.intn(4) == 0 {
			status, last = "offline", ""
		}
		id := 3000000 + i
		g.printf(`"%d","%s","http://%s/%s","%s","%s","malware_download","%s","https://urlhaus.abuse.ch/url/%d/","example_reporter"`,
			id, dateTime(added), host, pick(r, urlPaths), status, last, pick(r, urlTags), id)
	}
	return g.finish("URLhaus dump")
}

// WriteThreatFox writes a ThreatFox CSV export: values quoted with a space
// after each comma, None for empty, every ioc_type.
func WriteThreatFox(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "ThreatFox export")
	if err != nil {
		return err
	}
	g.line("################################################################")
	g.line("# ThreatFox IOCs: full data dump (CSV), synthetic: every IOC is invented")
	g.printf("# Last updated: %s UTC", dateTime(g.now))
	g.line("################################################################")
	g.line("#")
	g.line(`# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"`)
	for i := 0; i < g.lines; i++ {
		r := newRNG(g.o.Seed, uint64(i), 302)
		value, typ, threat := g.threatFoxIOC(i, r)
		last := "None"
		if r.intn(2) == 0 {
			last = dateTime(g.ago(r, 0, 2))
		}
		fam := pick(r, malwareFamilies)
		g.printf(`"%s", "%d", "%s", "%s", "%s", "win.%s", "None", "%s", "%s", "%d", "None", "None", "0", "example_reporter"`,
			dateTime(g.ago(r, 2, 60)), 9000000+i, value, typ, threat, strings.ToLower(strings.ReplaceAll(fam, " ", "_")), fam, last, 50+25*r.intn(3))
	}
	return g.finish("ThreatFox export")
}

// WriteThreatFoxJSON writes the same IOCs as WriteThreatFox as the
// pretty-printed JSON export (one object keyed by ioc id).
func WriteThreatFoxJSON(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "ThreatFox export")
	if err != nil {
		return err
	}
	g.line("{")
	for i := 0; i < g.lines; i++ {
		r := newRNG(g.o.Seed, uint64(i), 302)
		value, typ, threat := g.threatFoxIOC(i, r)
		last := "null"
		if r.intn(2) == 0 {
			last = `"` + dateTime(g.ago(r, 0, 2)) + `"`
		}
		fam := pick(r, malwareFamilies)
		first := dateTime(g.ago(r, 2, 60))
		conf := 50 + 25*r.intn(3)
		sep := ","
		if i == g.lines-1 {
			sep = ""
		}
		g.printf(`    "%d": [
        {
            "ioc_value": "%s",
            "ioc_type": "%s",
            "threat_type": "%s",
            "malware": "win.%s",
            "malware_alias": null,
            "malware_printable": "%s",
            "first_seen_utc": "%s",
            "last_seen_utc": %s,
            "confidence_level": %d,
            "reference": null,
            "tags": null,
            "anonymous": "0",
            "reporter": "example_reporter"
        }
    ]%s`, 9000000+i, value, typ, threat, strings.ToLower(strings.ReplaceAll(fam, " ", "_")), fam, first, last, conf, sep)
	}
	g.line("}")
	return g.finish("ThreatFox export")
}

// threatFoxIOC is the i-th IOC: mostly ip:port, some URLs, domains and hashes.
func (g *feedWriter) threatFoxIOC(i int, r *rng) (value, typ, threat string) {
	switch k := r.intn(10); {
	case k < 6:
		return urlHost(g.addr(i)) + fmt.Sprintf(":%d", pick(r, []int{443, 8080, 2222, 4444})), "ip:port", pick(r, []string{"botnet_cc", "payload_delivery"})
	case k < 8:
		return "http://" + urlHost(g.addr(i)) + "/" + pick(r, urlPaths), "url", "payload_delivery"
	case k < 9:
		return g.c2Domain(i), "domain", "botnet_cc"
	}
	return strings.ToLower(g.md5(i, 7)), "md5_hash", "payload"
}

// WriteFeodo writes a Feodo Tracker IP block list CSV (current header).
func WriteFeodo(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "Feodo Tracker list")
	if err != nil {
		return err
	}
	g.line("################################################################")
	g.line("# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV), synthetic: every entry is invented")
	g.printf("# Last updated: %s UTC", dateTime(g.now))
	g.line("################################################################")
	g.line("#")
	g.line(`# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"`)
	for i := 0; i < g.lines; i++ {
		r := newRNG(g.o.Seed, uint64(i), 303)
		status := "online"
		if r.intn(3) == 0 {
			status = "offline"
		}
		g.printf(`"%s","%s",%d,"%s","%s","%s"`, dateTime(g.ago(r, 5, 60)), g.addr(i), pick(r, []int{443, 447, 8080}),
			status, day(g.ago(r, 0, 4)), pick(r, []string{"Dridex", "Emotet", "QakBot", "Pikabot"}))
	}
	g.printf("# END %d entries", g.lines)
	return g.finish("Feodo Tracker list")
}
