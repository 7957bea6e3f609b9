package render

// STIX 2.1 bundles (format=stix). The layout of a bundle, the custom
// properties and the id scheme are documented in docs/stix.md.
//
// Ids. Cyber-observable objects (ipv4-addr, ipv6-addr, domain-name, url,
// file, autonomous-system) get the deterministic id of STIX 2.1 section
// 2.9: a UUIDv5 in the STIX namespace over the canonical JSON (RFC 8785) of
// their id-contributing properties, so any producer names the same address
// with the same id. Domain and relationship objects (identity, indicator,
// location, report, relationship) SHOULD carry UUIDv4 ids per the
// specification, and the OASIS schemas refuse version 6-8 ids (UUIDv7), yet
// two lookups of unchanged evidence must give the same ids so that consumers
// update objects instead of piling up copies. They are therefore derived:
// SHA-1 (UUIDv5) over "type\x00evidence key" in the tipd namespace, with the
// version nibble set to 4 and the RFC 4122 variant bits; the result is a
// well-formed UUIDv4 whose bits are a hash rather than random. Only the
// bundle id is random.
//
// Timestamps come from the evidence where there is a date (first seen, last
// seen, report publication); now is used only when no date is known. The
// identity of the portal and country locations carry a fixed date.

import (
	"crypto/rand"
	"crypto/sha1"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/jsontext"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

// MediaTypeSTIX is the Content-Type of a STIX 2.1 bundle.
const MediaTypeSTIX = "application/stix+json;version=2.1"

// stixNamespace is the UUIDv5 namespace of STIX cyber-observable ids.
// (00abedb4-aa42-466c-9c01-fed23315a9b7), as 16 bytes.
const stixNamespace = "\x00\xab\xed\xb4\xaa\x42\x46\x6c\x9c\x01\xfe\xd2\x33\x15\xa9\xb7"

// tipdNamespace (3ea001d9-e2ae-4aeb-916e-5bc4a4641b1c) is the namespace of
// the stable ids of tipd's domain and relationship objects. Changing it
// changes every such id.
const tipdNamespace = "\x3e\xa0\x01\xd9\xe2\xae\x4a\xeb\x91\x6e\x5b\xc4\xa4\x64\x1b\x1c"

// identityName is the name of the portal's identity, the producer of every
// domain object.
const identityName = "tipd"

// fixedDate is created/modified of objects that do not depend on evidence
// (the portal identity, country locations).
func fixedDate() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// maxSTIXItems caps every list of a bundle (format=stix ignores count).
const maxSTIXItems = report.DefaultCount

// IPSTIX renders an address report as one STIX 2.1 bundle. now is the time
// used where no evidence date exists. The bundle id is random; everything
// else depends only on r (and now for undated objects).
func IPSTIX(r *report.IPReport, now time.Time) ([]byte, error) {
	return appendIPBundle(make([]byte, 0, stixSizeHint(r)), r, now, randomBundleID()), nil
}

// URLSTIX renders a web-address report as one STIX 2.1 bundle.
func URLSTIX(r *report.URLReport, now time.Time) ([]byte, error) {
	size := 2048 + 700*len(r.Files) + 256*len(r.Whois.Contacts) + 500*(len(r.Resolutions)+len(r.ResolutionsIPv6)) + 650*len(r.FilesAccessed) +
		550*(len(r.Referrals)+len(r.ReferredTo)) + 160*len(r.Masks) + 600*len(r.Reports)
	return appendURLBundle(make([]byte, 0, size), r, now, randomBundleID()), nil
}

func stixSizeHint(r *report.IPReport) int {
	return 4096 + 900*len(r.Files) + 800*len(r.HostedURLs) + 850*len(r.Resolutions) +
		160*(len(r.Masks)+len(r.NetMasks)) + 256*len(r.Whois.Contacts) + 600*len(r.General.Reports)
}

// stixWriter writes the objects of a bundle. seen holds the ids written so
// far: an object is written once even when the evidence names it twice.
type stixWriter struct {
	writer
	now      time.Time
	identity string
	seen     map[string]struct{}
	nobj     int
}

func newSTIXWriter(dst []byte, now time.Time, bundleID string) *stixWriter {
	s := &stixWriter{now: now.UTC(), identity: stableID("identity", identityName), seen: make(map[string]struct{})}
	s.b = append(dst, `{"type":"bundle","id":"`...)
	s.b = append(s.b, bundleID...)
	s.b = append(s.b, `","objects":[`...)
	s.identityObject()
	return s
}

func (s *stixWriter) finish() []byte { return append(s.b, "]}"...) }

// begin opens an object unless its id was written already.
func (s *stixWriter) begin(typ, id string) bool {
	if _, dup := s.seen[id]; dup {
		return false
	}
	s.seen[id] = struct{}{}
	if s.nobj > 0 {
		s.b = append(s.b, ',')
	}
	s.nobj++
	s.b = append(s.b, `{"type":"`...)
	s.b = append(s.b, typ...)
	s.b = append(s.b, `","spec_version":"2.1","id":"`...)
	s.b = append(s.b, id...)
	s.b = append(s.b, '"')
	return true
}

// sdo opens a domain or relationship object with its producer and dates
// (created falls back to now, modified to created and is never before it).
func (s *stixWriter) sdo(typ, id string, created, modified time.Time) bool {
	if !s.begin(typ, id) {
		return false
	}
	if created.IsZero() {
		created = s.now
	}
	if modified.Before(created) {
		modified = created
	}
	s.kstr("created_by_ref", s.identity)
	s.ktime("created", created)
	s.ktime("modified", modified)
	return true
}

func (s *stixWriter) end() { s.b = append(s.b, '}') }

// k writes ,"name": inside an object.
func (s *stixWriter) k(name string) {
	s.b = append(s.b, ',', '"')
	s.b = append(s.b, name...)
	s.b = append(s.b, '"', ':')
}

func (s *stixWriter) kstr(name, v string) {
	s.k(name)
	s.str(v)
}

// kopt writes a string property unless it is empty.
func (s *stixWriter) kopt(name, v string) {
	if v != "" {
		s.kstr(name, v)
	}
}

func (s *stixWriter) kint(name string, v int64) {
	s.k(name)
	s.int(v)
}

func (s *stixWriter) kbool(name string, v bool) {
	s.k(name)
	s.bool(v)
}

// ktime writes a timestamp property unless t is zero.
func (s *stixWriter) ktime(name string, t time.Time) {
	if t.IsZero() {
		return
	}
	s.k(name)
	s.stamp(t)
}

// kstrs writes a list of strings unless it is empty (custom lists need at
// least one item).
func (s *stixWriter) kstrs(name string, ss []string) {
	if len(ss) == 0 {
		return
	}
	s.k(name)
	s.strs(ss[:min(len(ss), maxSTIXItems)])
}

// stamp writes t as a STIX timestamp in UTC with milliseconds.
func (s *stixWriter) stamp(t time.Time) {
	s.b = append(s.b, '"')
	s.b = t.UTC().AppendFormat(s.b, "2006-01-02T15:04:05.000Z")
	s.b = append(s.b, '"')
}

func (s *stixWriter) identityObject() {
	s.sdo("identity", s.identity, fixedDate(), fixedDate())
	s.kstr("name", identityName)
	s.kstr("identity_class", "system")
	s.kstr("description", "tipd threat-intelligence portal: verdicts computed from imported feeds, sightings, passive DNS, WHOIS and reports")
	s.end()
}

// rel writes a relationship and returns its id. Its id depends on the type
// and both ends only, so the same link keeps its id as dates change.
func (s *stixWriter) rel(typ, src, dst string, created, modified time.Time, extra func()) {
	id := stableID("relationship", typ+"\x00"+src+"\x00"+dst)
	if !s.sdo("relationship", id, created, modified) {
		return
	}
	s.kstr("relationship_type", typ)
	s.kstr("source_ref", src)
	s.kstr("target_ref", dst)
	if extra != nil {
		extra()
	}
	s.end()
}

// seenDates writes x_tipd_first_seen / x_tipd_last_seen.
func (s *stixWriter) seenDates(first, last time.Time) {
	s.ktime("x_tipd_first_seen", first)
	s.ktime("x_tipd_last_seen", last)
}

// kzone writes x_tipd_zone (Grey when unset).
func (s *stixWriter) kzone(z intel.Zone) {
	s.k("x_tipd_zone")
	s.zone(z)
}

func (s *stixWriter) kcategories(cats []score.CategoryZone) {
	if len(cats) == 0 {
		return
	}
	s.k("x_tipd_categories")
	s.b = append(s.b, '[')
	for i := range cats[:min(len(cats), maxSTIXItems)] {
		if i > 0 {
			s.b = append(s.b, ',')
		}
		s.b = append(s.b, `{"name":`...)
		s.str(string(cats[i].Name))
		s.b = append(s.b, `,"zone":`...)
		s.zone(cats[i].Zone)
		s.b = append(s.b, '}')
	}
	s.b = append(s.b, ']')
}

func (s *stixWriter) kmasks(name string, masks []intel.FeedMask) {
	if len(masks) == 0 {
		return
	}
	s.k(name)
	s.b = append(s.b, '[')
	for i := range masks[:min(len(masks), maxSTIXItems)] {
		m := &masks[i]
		if i > 0 {
			s.b = append(s.b, ',')
		}
		s.b = append(s.b, `{"mask":`...)
		s.str(m.Mask)
		s.b = append(s.b, `,"mask_type":`...)
		s.str(m.MaskType)
		s.b = append(s.b, `,"zone":`...)
		s.zone(m.Zone)
		if st := m.Zone.FeedStatus(); st != "" {
			s.b = append(s.b, `,"status":`...)
			s.str(st)
		}
		s.b = append(s.b, `,"feeds":`...)
		s.strs(m.Feeds)
		if !m.LastSeen.IsZero() {
			s.b = append(s.b, `,"last_seen":`...)
			s.stamp(m.LastSeen)
		}
		s.b = append(s.b, '}')
	}
	s.b = append(s.b, ']')
}

// ipObservable returns the type and deterministic id of an address.
func ipObservable(ip netip.Addr) (typ, id string) {
	typ = "ipv4-addr"
	if ip.Is6() && !ip.Is4In6() {
		typ = "ipv6-addr"
	}
	return typ, scoValueID(typ, ip.Unmap().String())
}

// appendIPBundle appends the bundle of an address report to dst.
func appendIPBundle(dst []byte, r *report.IPReport, now time.Time, bundleID string) []byte {
	s := newSTIXWriter(dst, now, bundleID)
	g := &r.General
	ipType, ipID := ipObservable(r.IP)
	ipValue := r.IP.Unmap().String()
	latest := latestEvidence(r)

	// The address with the verdict and every non-standard section.
	s.begin(ipType, ipID)
	s.kstr("value", ipValue)
	s.kzone(r.Zone)
	s.kint("x_tipd_threat_score", int64(g.ThreatScore))
	s.kopt("x_tipd_status", g.Status)
	if r.Reserved {
		s.kbool("x_tipd_reserved", true)
	}
	s.kint("x_tipd_hits", g.HitsCount)
	s.ktime("x_tipd_first_seen", g.FirstSeen)
	s.kbool("x_tipd_has_red_zone", r.HasRedZone)
	s.kbool("x_tipd_has_apt", g.HasAPT)
	s.kcategories(g.Categories)
	s.kmasks("x_tipd_feed_masks", r.AllFeedMasks())
	s.whois(&r.Whois)
	s.spam(&r.Spam)
	s.phishing(&r.Phishing)
	s.kstrs("x_tipd_industries", r.Industries)
	s.end()

	// The indicator for Red and Orange addresses.
	indID := ""
	if r.Zone == intel.ZoneRed || r.Zone == intel.ZoneOrange {
		indID = stableID("indicator", ipType+"\x00"+ipValue)
		created := g.FirstSeen
		s.indicator(indID, "["+ipType+":value = '"+patternEscape(ipValue)+"']", ipValue,
			r.Zone, g.ThreatScore, g.Categories, created, latest)
		s.rel("based-on", indID, ipID, created, latest, nil)
	}

	// Autonomous systems.
	for i := range r.Whois.ASN[:min(len(r.Whois.ASN), maxSTIXItems)] {
		a := &r.Whois.ASN[i]
		asID := scoID("autonomous-system", `{"number":`+strconv.FormatUint(uint64(a.ASN), 10)+`}`)
		if s.begin("autonomous-system", asID) {
			s.kint("number", int64(a.ASN))
			if len(a.Description) > 0 {
				s.kstr("name", strings.Join(a.Description, " "))
			}
			s.end()
		}
		s.rel("belongs-to", ipID, asID, g.FirstSeen, latest, nil)
	}

	// Country.
	if cc := g.CountryCode; cc != "" {
		locID := stableID("location", "country\x00"+cc)
		if s.sdo("location", locID, fixedDate(), fixedDate()) {
			s.kstr("name", cc)
			s.kstr("country", cc)
			s.end()
		}
		s.rel("located-at", ipID, locID, g.FirstSeen, latest, nil)
	}

	// Passive DNS: domain resolves-to address.
	for i := range r.Resolutions[:min(len(r.Resolutions), maxSTIXItems)] {
		d := &r.Resolutions[i]
		domID := scoValueID("domain-name", d.Domain)
		if s.begin("domain-name", domID) {
			s.kstr("value", d.Domain)
			s.kzone(d.Zone)
			s.kstrs("x_tipd_categories", categoryNames(d.Categories))
			s.end()
		}
		s.resolvesTo(domID, ipID, d.FirstSeen, d.LastSeen, d.Hits, d.DailyPeak, d.PeakDate)
	}

	// Hosted web addresses: url related-to address.
	for i := range r.HostedURLs[:min(len(r.HostedURLs), maxSTIXItems)] {
		u := &r.HostedURLs[i]
		urlID := s.urlObject(urlValue(u.URL), u.URL, u.Zone, func() {
			s.kint("x_tipd_hits", u.Hits)
			if u.Truncated {
				s.kbool("x_tipd_is_truncated", true)
			}
			s.seenDates(u.FirstSeen, u.LastSeen)
		})
		s.rel("related-to", urlID, ipID, u.FirstSeen, u.LastSeen, nil)
	}

	// Downloaded files: file related-to address.
	for i := range r.Files[:min(len(r.Files), maxSTIXItems)] {
		f := &r.Files[i]
		fileID := s.fileObject(f)
		if fileID == "" {
			continue
		}
		s.rel("related-to", fileID, ipID, f.FirstSeen, f.LastSeen, func() {
			s.kstr("description", "downloaded from the address")
			if f.URL != "" {
				s.kstr("x_tipd_download_url", urlValue(f.URL))
			}
		})
	}

	// Related reports.
	refs := []string{ipID}
	if indID != "" {
		refs = append(refs, indID)
	}
	s.reports(g.Reports, refs)
	return s.finish()
}

// appendURLBundle appends the bundle of a web-address report to dst.
func appendURLBundle(dst []byte, r *report.URLReport, now time.Time, bundleID string) []byte {
	s := newSTIXWriter(dst, now, bundleID)
	value := urlValue(r.URL)
	latest := latestURLEvidence(r)
	urlID := s.urlObject(value, r.URL, r.Zone, func() {
		s.kopt("x_tipd_host", r.Host)
		s.kbool("x_tipd_known", r.Known)
		if r.Truncated {
			s.kbool("x_tipd_is_truncated", true)
		}
		s.seenDates(r.FirstSeen, r.LastSeen)
		s.kbool("x_tipd_has_red_zone", r.HasRedZone)
		s.kint("x_tipd_ipv4_count", int64(r.IPv4Count))
		s.kint("x_tipd_files_count", report.RoundHits(r.FilesCount))
		s.kbool("x_tipd_has_apt", r.HasAPT)
		s.kcategories(r.Categories)
		s.kmasks("x_tipd_feed_masks", r.Masks)
		s.kstrs("x_tipd_industries", r.Industries)
	})
	indID := ""
	if r.Zone == intel.ZoneRed || r.Zone == intel.ZoneOrange {
		indID = stableID("indicator", "url\x00"+value)
		first := firstURLEvidence(r, latest)
		s.indicator(indID, "[url:value = '"+patternEscape(value)+"']", value, r.Zone, -1, r.Categories, first, latest)
		s.rel("based-on", indID, urlID, first, latest, nil)
	}
	for i := range r.Files[:min(len(r.Files), maxSTIXItems)] {
		f := &r.Files[i]
		fileID := s.fileObject(f)
		if fileID == "" {
			continue
		}
		s.rel("related-to", fileID, urlID, f.FirstSeen, f.LastSeen, func() {
			s.kstr("description", "downloaded from the web address")
			if f.URL != "" {
				s.kstr("x_tipd_download_url", urlValue(f.URL))
			}
		})
	}
	// A host name carries the registration record and the resolutions;
	// an address host has neither.
	if host := r.Host; host != "" && !isIPLiteral(host) {
		hostID := scoValueID("domain-name", host)
		if s.begin("domain-name", hostID) {
			s.kstr("value", host)
			s.domainWhois(&r.Whois)
			s.end()
		}
		s.relWith("related-to", relHostedOn, urlID, hostID, r.FirstSeen, r.LastSeen, nil)
		s.resolutions(hostID, r.Resolutions)
		s.resolutions(hostID, r.ResolutionsIPv6)
	}
	s.fileItems(urlID, r.FilesAccessed, relAccessed, "")
	s.urlItems(urlID, r.Referrals, false)
	s.urlItems(urlID, r.ReferredTo, true)
	refs := []string{urlID}
	if indID != "" {
		refs = append(refs, indID)
	}
	s.reports(r.Reports, refs)
	return s.finish()
}

// isIPLiteral reports whether a web address's host is an IP address
// (IPv6 with or without brackets).
func isIPLiteral(host string) bool {
	_, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil
}

// indicator writes an indicator object. Its confidence is the threat score
// (0-100); a web address has no score (threatScore < 0): Red is 85, Orange 60.
func (s *stixWriter) indicator(id, pattern, value string, zone intel.Zone, threatScore int, cats []score.CategoryZone, created, modified time.Time) {
	if !s.sdo("indicator", id, created, modified) {
		return
	}
	if created.IsZero() {
		created = s.now
	}
	s.kstr("name", value)
	s.kstr("description", "tipd verdict "+string(zone)+" for "+value)
	s.k("indicator_types")
	s.strs(indicatorTypes(zone, cats))
	s.kstr("pattern", pattern)
	s.kstr("pattern_type", "stix")
	s.kstr("pattern_version", "2.1")
	s.ktime("valid_from", created)
	confidence := threatScore
	if threatScore < 0 {
		confidence = 60
		if zone == intel.ZoneRed {
			confidence = 85
		}
	}
	s.kint("confidence", int64(max(0, min(100, confidence))))
	s.kzone(zone)
	if threatScore >= 0 {
		s.kint("x_tipd_threat_score", int64(threatScore))
	}
	s.end()
}

// indicatorTypes maps a verdict to STIX indicator types: Red and the
// categories of malware, C&C, phishing, APT and ransomware are
// malicious-activity; Tor and open proxies anonymization; compromised hosts
// compromised; other Orange categories (scanner, brute force, spam, miner,
// bad reputation) anomalous-activity.
func indicatorTypes(zone intel.Zone, cats []score.CategoryZone) []string {
	var out []string
	add := func(t string) {
		for _, o := range out {
			if o == t {
				return
			}
		}
		out = append(out, t)
	}
	if zone == intel.ZoneRed {
		add("malicious-activity")
	}
	for _, c := range cats {
		switch c.Name {
		case intel.CatMalware, intel.CatBotnetCNC, intel.CatPhishing, intel.CatAPT, intel.CatRansomware:
			add("malicious-activity")
		case intel.CatTor, intel.CatProxy:
			add("anonymization")
		case intel.CatCompromised:
			add("compromised")
		case intel.CatScanner, intel.CatBruteforce, intel.CatSpam, intel.CatMiner, intel.CatBadReputation:
			add("anomalous-activity")
		}
	}
	if len(out) == 0 {
		add("anomalous-activity")
	}
	return out
}

// urlObject writes a url observable (once) and returns its id; extra writes
// its custom properties.
func (s *stixWriter) urlObject(value, key string, zone intel.Zone, extra func()) string {
	id := scoValueID("url", value)
	if s.begin("url", id) {
		s.kstr("value", value)
		if key != value {
			s.kstr("x_tipd_key", key)
		}
		s.kzone(zone)
		extra()
		s.end()
	}
	return id
}

// fileObject writes a file observable identified by its MD5 (once) and
// returns its id ("" for a file without a valid MD5).
func (s *stixWriter) fileObject(f *intel.FileDownload) string {
	md5 := strings.ToLower(f.MD5)
	if !isHex(md5, 32) {
		return ""
	}
	id := scoID("file", `{"hashes":{"MD5":"`+md5+`"}}`)
	if s.begin("file", id) {
		s.k("hashes")
		s.b = append(s.b, `{"MD5":"`...)
		s.b = append(s.b, md5...)
		s.b = append(s.b, `"}`...)
		s.kzone(f.Zone)
		s.kopt("x_tipd_detection_name", f.DetectionName)
		s.kint("x_tipd_hits", f.Hits)
		s.seenDates(f.FirstSeen, f.LastSeen)
		s.end()
	}
	return id
}

// reports writes one report object per related report, referring to refs.
func (s *stixWriter) reports(reps []report.ReportRef, refs []string) {
	for i := range reps[:min(len(reps), maxSTIXItems)] {
		rp := &reps[i]
		published := rp.Published
		if published.IsZero() {
			published = rp.Updated
		}
		id := stableID("report", rp.ID)
		if !s.sdo("report", id, published, rp.Updated) {
			continue
		}
		name := rp.Title
		if name == "" {
			name = rp.ID
		}
		s.kstr("name", name)
		s.k("report_types")
		s.b = append(s.b, `["threat-report"]`...)
		if published.IsZero() {
			published = s.now
		}
		s.ktime("published", published)
		s.k("object_refs")
		s.strs(refs)
		s.k("external_references")
		s.b = append(s.b, `[{"source_name":"tipd","external_id":`...)
		s.str(rp.ID)
		s.b = append(s.b, `}]`...)
		s.kopt("x_tipd_report_type", rp.Type)
		s.end()
	}
}

func (s *stixWriter) whois(wh *report.Whois) {
	if wh.Type == "" && wh.Status == "" && wh.Net == nil && len(wh.Contacts) == 0 {
		return
	}
	s.k("x_tipd_whois")
	s.b = append(s.b, '{')
	n := 0
	key := func(k string) {
		if n > 0 {
			s.b = append(s.b, ',')
		}
		n++
		s.b = append(s.b, '"')
		s.b = append(s.b, k...)
		s.b = append(s.b, '"', ':')
	}
	opt := func(k, v string) {
		if v != "" {
			key(k)
			s.str(v)
		}
	}
	opt("type", wh.Type)
	opt("status", wh.Status)
	if net := wh.Net; net != nil {
		key("net")
		start, end := net.Start, net.End
		if (!start.IsValid() || !end.IsValid()) && net.Prefix.IsValid() {
			start, end = prefixRange(net.Prefix)
		}
		s.b = append(s.b, '{')
		m := 0
		sub := func(k string) {
			if m > 0 {
				s.b = append(s.b, ',')
			}
			m++
			s.b = append(s.b, '"')
			s.b = append(s.b, k...)
			s.b = append(s.b, '"', ':')
		}
		if start.IsValid() {
			sub("range_start")
			s.addr(start)
			sub("range_end")
			s.addr(end)
		}
		for _, kv := range [][2]string{{"name", net.Name}, {"description", net.Description}} {
			if kv[1] != "" {
				sub(kv[0])
				s.str(kv[1])
			}
		}
		if !net.Created.IsZero() {
			sub("created")
			s.stamp(net.Created)
		}
		if !net.Changed.IsZero() {
			sub("changed")
			s.stamp(net.Changed)
		}
		s.b = append(s.b, '}')
	}
	if len(wh.Contacts) > 0 {
		key("contacts")
		s.b = append(s.b, '[')
		for i := range wh.Contacts[:min(len(wh.Contacts), maxSTIXItems)] {
			c := &wh.Contacts[i]
			if i > 0 {
				s.b = append(s.b, ',')
			}
			s.b = append(s.b, '{')
			m := 0
			for _, kv := range [][2]string{{"name", c.Name}, {"organization_id", c.OrganizationID},
				{"role", c.Role}, {"type", c.Type}, {"email", c.Email}, {"phone", c.Phone}, {"fax", c.Fax}} {
				if kv[1] == "" {
					continue
				}
				if m > 0 {
					s.b = append(s.b, ',')
				}
				m++
				s.b = append(s.b, '"')
				s.b = append(s.b, kv[0]...)
				s.b = append(s.b, '"', ':')
				s.str(kv[1])
			}
			if len(c.Address) > 0 {
				if m > 0 {
					s.b = append(s.b, ',')
				}
				s.b = append(s.b, `"address":`...)
				s.strs(c.Address)
			}
			s.b = append(s.b, '}')
		}
		s.b = append(s.b, ']')
	}
	s.b = append(s.b, '}')
}

func (s *stixWriter) spam(p *report.Spam) {
	if p.Attacks == 0 && len(p.Types) == 0 && p.Last.IsZero() {
		return
	}
	s.k("x_tipd_spam")
	s.b = append(s.b, `{"attacks":`...)
	s.int(p.Attacks)
	s.b = append(s.b, `,"ratio":`...)
	s.float(p.Ratio)
	if !p.Last.IsZero() {
		s.b = append(s.b, `,"last_attack":`...)
		s.stamp(p.Last)
	}
	if len(p.Types) > 0 {
		s.b = append(s.b, `,"attack_types":`...)
		s.strs(p.Types)
	}
	s.b = append(s.b, '}')
}

func (s *stixWriter) phishing(p *report.Phishing) {
	if p.Attacks == 0 && p.Last.IsZero() && p.Kit == "" && len(p.Regions)+len(p.StolenData)+len(p.Industries)+len(p.Organizations) == 0 {
		return
	}
	s.k("x_tipd_phishing")
	s.b = append(s.b, `{"attacks":`...)
	s.int(p.Attacks)
	if !p.Last.IsZero() {
		s.b = append(s.b, `,"last_attack":`...)
		s.stamp(p.Last)
	}
	for _, kv := range []struct {
		k  string
		vs []string
	}{{"regions", p.Regions}, {"stolen_data_types", p.StolenData}, {"attacked_industries", p.Industries},
		{"attacked_organizations", p.Organizations}} {
		if len(kv.vs) > 0 {
			s.b = append(s.b, `,"`...)
			s.b = append(s.b, kv.k...)
			s.b = append(s.b, `":`...)
			s.strs(kv.vs[:min(len(kv.vs), maxSTIXItems)])
		}
	}
	if p.Kit != "" {
		s.b = append(s.b, `,"phish_kit":`...)
		s.str(p.Kit)
	}
	s.b = append(s.b, '}')
}

// latestEvidence is the most recent evidence date of a report: modified of
// the indicator and the address's relationships.
func latestEvidence(r *report.IPReport) time.Time {
	t := maxTime(r.General.FirstSeen, r.LastSeen)
	for i := range r.Files {
		t = maxTime(t, r.Files[i].LastSeen)
	}
	for i := range r.HostedURLs {
		t = maxTime(t, r.HostedURLs[i].LastSeen)
	}
	for i := range r.Resolutions {
		t = maxTime(t, r.Resolutions[i].LastSeen)
	}
	for m := range r.EachFeedMask {
		t = maxTime(t, m.LastSeen)
	}
	t = maxTime(t, r.Spam.Last)
	return maxTime(t, r.Phishing.Last)
}

// latestURLEvidence is the latest evidence date of a web-address report.
func latestURLEvidence(r *report.URLReport) time.Time {
	latest := r.LastSeen
	for i := range r.Files {
		latest = maxTime(latest, r.Files[i].LastSeen)
	}
	for i := range r.Masks {
		latest = maxTime(latest, r.Masks[i].LastSeen)
	}
	return latest
}

// firstURLEvidence is when the evidence of a web address starts: its own
// first sighting, else the earliest date of the files downloaded from it,
// else latest (its latest evidence), so that an indicator's version does
// not depend on the clock when the address itself is undated.
func firstURLEvidence(r *report.URLReport, latest time.Time) time.Time {
	if !r.FirstSeen.IsZero() {
		return r.FirstSeen
	}
	var first time.Time
	for i := range r.Files {
		f := &r.Files[i]
		first = intel.MinTime(first, intel.MinTime(f.FirstSeen, f.LastSeen))
	}
	if first.IsZero() {
		return latest
	}
	return first
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func categoryNames(cats []intel.Category) []string {
	if len(cats) == 0 {
		return nil
	}
	out := make([]string, len(cats))
	for i, c := range cats {
		out[i] = string(c)
	}
	return out
}

// urlValue turns a stored web-address key (no scheme) into the value of a
// url observable: keys are scheme-less, so http:// is written; a value that
// already has a scheme is kept.
func urlValue(key string) string {
	if hasScheme(key) {
		return key
	}
	return "http://" + key
}

func hasScheme(s string) bool {
	l := len(s)
	return (l >= 7 && strings.EqualFold(s[:7], "http://")) || (l >= 8 && strings.EqualFold(s[:8], "https://"))
}

// patternEscape escapes a string literal of a STIX pattern (quote and
// backslash).
func patternEscape(v string) string {
	if !strings.ContainsAny(v, `'\`) {
		return v
	}
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// scoValueID is the deterministic id of an observable identified by its
// value (ipv4-addr, ipv6-addr, domain-name, url).
func scoValueID(typ, value string) string {
	return scoID(typ, `{"value":"`+string(jsontext.AppendCanonical(nil, value))+`"}`)
}

// scoID is typ--UUIDv5(STIX namespace, canonical JSON).
func scoID(typ, canonical string) string {
	return typ + "--" + formatUUID(uuid5(stixNamespace, canonical))
}

// stableID is the id of a domain or relationship object: UUIDv5 of
// "typ\x00key" in the tipd namespace, re-marked as version 4.
func stableID(typ, key string) string {
	u := uuid5(tipdNamespace, typ+"\x00"+key)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return typ + "--" + formatUUID(u)
}

// uuid5 is the RFC 4122 name-based UUID (SHA-1) of name in namespace ns.
func uuid5(ns, name string) [16]byte {
	h := sha1.New()
	h.Write([]byte(ns))
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

func randomBundleID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return "bundle--" + formatUUID(u)
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(b[:])
}
