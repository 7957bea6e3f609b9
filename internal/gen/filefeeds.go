package gen

import (
	"encoding/json"
	"io"
	"strings"
)

// Writers of the file feeds (MalwareBazaar, URLhaus payloads) and of RDAP
// domain answers over the world's files and domains: line i is about the
// i-th address's objects (its dropper, adware installer or site file; its
// registrable domain), so that the files and names are those of Write.

// worldFile is the file of address i in the feed files: name, type,
// MIME type, signature, ClamAV name, and where it was downloaded from.
func (g *feedWriter) worldFile(i int, r *rng) (md5, sha1, sha256, name, typ, mime, sig, clam, url string) {
	switch g.profile(i) {
	case profRed:
		md5, sha1, sha256 = g.fileHashes(i, 10)
		return md5, sha1, sha256, "update.exe", "exe", "application/x-dosexec", pick(r, malwareFamilies),
			"Win.Trojan.Generic-" + base36(i%5000+1000) + "-0", "http://" + g.c2Domain(i) + "/dl/update.exe"
	case profYellow:
		md5, sha1, sha256 = g.fileHashes(i, 20)
		return md5, sha1, sha256, "setup.exe", "exe", "application/x-dosexec", "",
			"Win.Adware.Popunder-" + base36(i%5000+1000) + "-0", "http://" + g.adDomain(i) + "/setup.exe"
	}
	md5, sha1, sha256 = g.fileHashes(i, 30)
	name = pick(r, siteFiles)
	typ = name[strings.LastIndexByte(name, '.')+1:]
	return md5, sha1, sha256, name, typ, "application/octet-stream", "", "",
		"http://" + g.siteDomain(i) + "/downloads/" + name
}

// WriteMalwareBazaar writes a MalwareBazaar CSV export: banner, header
// comment, about o.Size quoted data lines with a space after each comma
// and n/a for empty values.
func WriteMalwareBazaar(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "MalwareBazaar export")
	if err != nil {
		return err
	}
	g.line("################################################################")
	g.line("# MalwareBazaar full malware samples dump (CSV), synthetic: every sample is invented")
	g.printf("# Last updated: %s UTC", dateTime(g.now))
	g.line("################################################################")
	g.line("#")
	g.line(`# "first_seen_utc","sha256_hash","md5_hash","sha1_hash","reporter","file_name","file_type_guess","mime_type","signature","clamav","vtpercent","imphash","ssdeep","tlsh"`)
	na := func(s string) string {
		if s == "" {
			return "n/a"
		}
		return s
	}
	for i := 0; i < g.lines; i++ {
		r := newRNG(g.o.Seed, uint64(i), 310)
		md5, sha1, sha256, name, typ, mime, sig, clam, _ := g.worldFile(i, r)
		g.printf(`"%s", "%s", "%s", "%s", "example_reporter", "%s", "%s", "%s", "%s", "%s", "%d.%02d", "n/a", "n/a", "n/a"`,
			dateTime(g.ago(r, 1, 60)), strings.ToLower(sha256), strings.ToLower(md5), strings.ToLower(sha1), name, typ, mime,
			na(sig), na(clam), r.intn(90), r.intn(100))
	}
	return g.finish("MalwareBazaar export")
}

// WriteURLhausPayloads writes a URLhaus payloads CSV: banner, header
// comment, about o.Size quoted data lines, None for empty values.
func WriteURLhausPayloads(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "URLhaus payloads")
	if err != nil {
		return err
	}
	g.line("################################################################")
	g.line("# abuse.ch URLhaus Payloads (CSV), synthetic: every payload is invented")
	g.printf("# Last updated: %s (UTC)", dateTime(g.now))
	g.line("################################################################")
	g.line("#")
	g.line("# firstseen,url,filetype,md5,sha256,signature")
	for i := 0; i < g.lines; i++ {
		r := newRNG(g.o.Seed, uint64(i), 311)
		md5, _, sha256, _, typ, _, sig, _, url := g.worldFile(i, r)
		if sig == "" {
			sig = "None"
		}
		g.printf(`"%s","%s","%s","%s","%s","%s"`, dateTime(g.ago(r, 1, 60)), url, typ, strings.ToLower(md5), strings.ToLower(sha256), sig)
	}
	return g.finish("URLhaus payloads")
}

// rdapDomain is the registrable domain of address i's objects.
func (g *feedWriter) rdapDomain(i int) string {
	switch g.profile(i) {
	case profRed:
		return c2Words[i%len(c2Words)] + ".example"
	case profPhishing:
		return "secure-bank.test"
	case profYellow:
		return "popunder.test"
	case profOrange:
		return "bulk-sender.test"
	}
	return strings.TrimPrefix(g.siteDomain(i), "www.")
}

// WriteRDAP writes RDAP domain answers (RFC 9083), one JSON object per
// line, for the registrable domains of about o.Size addresses: status
// names, events, name servers, the registrar with its IANA ID and abuse
// contact, and a registrant jCard.
func WriteRDAP(w io.Writer, o Options) error {
	g, err := newFeedWriter(w, o, "RDAP answers")
	if err != nil {
		return err
	}
	type vcard = []any
	card := func(props ...[]any) []any {
		out := []any{[]any{"version", map[string]any{}, "text", "4.0"}}
		for _, p := range props {
			out = append(out, p)
		}
		return []any{"vcard", out}
	}
	for i := 0; i < g.lines; i++ {
		r := newRNG(g.o.Seed, uint64(i), 312)
		d := g.rdapDomain(i)
		reg := registrars[r.intn(len(registrars))]
		created := g.ago(r, 30, 2000)
		status := []string{"client transfer prohibited"}
		if r.intn(4) == 0 {
			status = append(status, "client hold")
		}
		ans := map[string]any{
			"objectClassName": "domain",
			"handle":          strings.ToUpper(base36(i)) + "_DOMAIN_EXAMPLE",
			"ldhName":         strings.ToUpper(d),
			"status":          status,
			"events": []map[string]string{
				{"eventAction": "registration", "eventDate": ts(created)},
				{"eventAction": "expiration", "eventDate": ts(g.daysAgo(-30 - r.intn(700)))},
				{"eventAction": "last changed", "eventDate": ts(g.ago(r, 1, 29))},
				{"eventAction": "last update of RDAP database", "eventDate": ts(g.now)},
			},
			"nameservers": []map[string]string{
				{"objectClassName": "nameserver", "ldhName": "NS1.DNS-" + strings.ToUpper(base36(r.intn(7))) + ".EXAMPLE"},
				{"objectClassName": "nameserver", "ldhName": "NS2.DNS-" + strings.ToUpper(base36(r.intn(7))) + ".EXAMPLE"},
			},
			"entities": []map[string]any{
				{"objectClassName": "entity", "handle": reg.id, "roles": []string{"registrar"},
					"publicIds":  []map[string]string{{"type": "IANA Registrar ID", "identifier": reg.id}},
					"vcardArray": card(vcard{"fn", map[string]any{}, "text", reg.name}),
					"entities": []map[string]any{{"objectClassName": "entity", "roles": []string{"abuse"},
						"vcardArray": card(vcard{"fn", map[string]any{}, "text", ""}, vcard{"email", map[string]any{}, "text", reg.email})}}},
				{"objectClassName": "entity", "roles": []string{"registrant"},
					"vcardArray": card(vcard{"fn", map[string]any{}, "text", "REDACTED FOR PRIVACY"},
						vcard{"org", map[string]any{}, "text", pick(r, privacyOrgs)},
						vcard{"adr", map[string]any{"cc": pick(r, countries)}, "text", []string{"", "", "REDACTED FOR PRIVACY", pick(r, cities), "", "", ""}})},
			},
			"rdapConformance": []string{"rdap_level_0"},
		}
		data, err := json.Marshal(ans)
		if err != nil {
			return err
		}
		g.line(string(data))
	}
	return g.finish("RDAP answers")
}
