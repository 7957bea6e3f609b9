// Package render turns reports into wire formats: the TIP JSON of the lookup
// API and STIX 2.1 bundles (stix.go). Output is deterministic (a STIX
// bundle's own id aside).
//
// The JSON is written by hand into one byte slice: keys in the order of the
// API contract, only the report's sections, and inside a section every field
// present (null for unknown scalars, [] for empty lists, false for unknown
// booleans) — but in the OpenTIP search forms (search.go), which leave
// empty values out. The domain and file reports are in objects.go. Dates are UTC: list items' FirstSeen/LastSeen at minute
// precision ("2006-01-02T15:04Z"), other date-times at second precision
// ("2006-01-02T15:04:05Z"), PeakDate as a day ("2006-01-02").
package render

import (
	"io"
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/jsontext"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

// IPJSON renders an address report as the lookup API's JSON body
// (only the report's Sections, keys in the documented order).
func IPJSON(r *report.IPReport) ([]byte, error) {
	return AppendIPJSON(make([]byte, 0, ipSizeHint(r)), r), nil
}

// URLJSON renders a web-address report as the lookup API's JSON body.
func URLJSON(r *report.URLReport) ([]byte, error) {
	return AppendURLJSON(make([]byte, 0, urlSizeHint(r)), r), nil
}

func urlSizeHint(r *report.URLReport) int {
	return 2048 + 192*(len(r.Files)+len(r.FilesAccessed)+len(r.Resolutions)) +
		128*(len(r.Masks)+len(r.Referrals)+len(r.ReferredTo)) + 256*len(r.Whois.Contacts)
}

func ipSizeHint(r *report.IPReport) int {
	return 1536 + 256*len(r.Files) + 160*len(r.HostedURLs) + 128*(len(r.Masks)+len(r.NetMasks)) +
		192*len(r.Resolutions) + 256*len(r.Whois.Contacts)
}

// leading writes the sections both reports begin with: LicenseInfo, Zone
// and RelatedObjects, those of them that s holds.
func (w *writer) leading(s report.Sections, lic *intel.LicenseInfo, zone intel.Zone, hasRed bool) {
	if s.Has(report.SecLicenseInfo) {
		w.license(lic)
	}
	if s.Has(report.SecZone) {
		w.key("Zone")
		w.zone(zone)
	}
	if s.Has(report.SecRelatedObjects) {
		w.key("RelatedObjects")
		w.b = append(w.b, `{"HasRedZone":`...)
		w.bool(hasRed)
		w.b = append(w.b, '}')
	}
}

// AppendIPJSON appends the JSON body of r to dst.
func AppendIPJSON(dst []byte, r *report.IPReport) []byte {
	w := writer{b: dst}
	w.ip(r)
	return w.b
}

// StreamIPJSON renders r as AppendIPJSON does, into buf, but hands the
// bytes to out whenever chunk or more of them are pending, so that a large
// answer never holds much more than chunk bytes of buf. It returns buf with
// the bytes not handed to out yet (the whole body when out was never
// called) and the first error of out, after which it stops rendering.
func StreamIPJSON(buf []byte, r *report.IPReport, out io.Writer, chunk int) ([]byte, error) {
	w := writer{b: buf, out: out, chunk: chunk}
	w.ip(r)
	return w.b, w.err
}

// StreamURLJSON is StreamIPJSON for a web-address report.
func StreamURLJSON(buf []byte, r *report.URLReport, out io.Writer, chunk int) ([]byte, error) {
	w := writer{b: buf, out: out, chunk: chunk}
	w.url(r)
	return w.b, w.err
}

// ip writes the JSON body of r.
func (w *writer) ip(r *report.IPReport) {
	s := r.Sections
	w.b = append(w.b, '{')
	w.leading(s, &r.License, r.Zone, r.HasRedZone)
	if s.Has(report.SecIPGeneralInfo) {
		g := &r.General
		w.key("IpGeneralInfo")
		w.b = append(w.b, `{"Ip":"`...)
		w.b = r.IP.AppendTo(w.b)
		w.b = append(w.b, `","Status":`...)
		w.nstr(g.Status)
		w.b = append(w.b, `,"CountryCode":`...)
		w.nstr(g.CountryCode)
		w.b = append(w.b, `,"HitsCount":`...)
		w.int(g.HitsCount)
		w.b = append(w.b, `,"FirstSeen":`...)
		w.dateTime(g.FirstSeen)
		w.b = append(w.b, `,"ThreatScore":`...)
		w.int(int64(g.ThreatScore))
		w.categories(g.Categories)
		w.aptTail(g.HasAPT, g.Reports)
	}
	if s.Has(report.SecFilesDownloadedFromIP) {
		w.key("FilesDownloadedFromIp")
		w.files(r.Files)
	}
	if s.Has(report.SecHostedURLs) {
		w.key("HostedUrls")
		w.b = append(w.b, '[')
		for i := range r.HostedURLs {
			if !w.spill() {
				break
			}
			u := &r.HostedURLs[i]
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, `{"Zone":`...)
			w.zone(u.Zone)
			w.b = append(w.b, `,"UrlHitsCount":`...)
			w.int(u.Hits)
			w.b = append(w.b, `,"Url":`...)
			w.str(u.URL)
			w.b = append(w.b, `,"IsUrlTruncated":`...)
			w.bool(u.Truncated)
			w.b = append(w.b, `,"FirstSeen":`...)
			w.minute(u.FirstSeen)
			w.b = append(w.b, `,"LastSeen":`...)
			w.minute(u.LastSeen)
			w.b = append(w.b, '}')
		}
		w.b = append(w.b, ']')
	}
	if s.Has(report.SecFeedMasks) {
		w.key("FeedMasks")
		w.b = append(w.b, '[')
		first := true
		for m := range r.EachFeedMask {
			if !w.spill() {
				break
			}
			if !first {
				w.b = append(w.b, ',')
			}
			first = false
			w.mask(m)
		}
		w.b = append(w.b, ']')
	}
	if s.Has(report.SecIPWhoIs) {
		w.key("IpWhoIs")
		w.whois(&r.Whois)
	}
	if s.Has(report.SecIPDNSResolutions) {
		w.key("IpDnsResolutions")
		w.b = append(w.b, '[')
		for i := range r.Resolutions {
			if !w.spill() {
				break
			}
			d := &r.Resolutions[i]
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, `{"Zone":`...)
			w.zone(d.Zone)
			w.b = append(w.b, `,"Domain":`...)
			w.str(d.Domain)
			w.b = append(w.b, `,"FirstSeen":`...)
			w.minute(d.FirstSeen)
			w.b = append(w.b, `,"LastSeen":`...)
			w.minute(d.LastSeen)
			w.b = append(w.b, `,"HitsCount":`...)
			w.int(d.Hits)
			w.b = append(w.b, `,"DailyPeak":`...)
			w.int(d.DailyPeak)
			w.b = append(w.b, `,"PeakDate":`...)
			w.day(d.PeakDate)
			w.b = append(w.b, `,"Categories":[`...)
			for j, c := range d.Categories {
				if j > 0 {
					w.b = append(w.b, ',')
				}
				w.str(string(c))
			}
			w.b = append(w.b, "]}"...)
		}
		w.b = append(w.b, ']')
	}
	if s.Has(report.SecIPSpamInfo) {
		p := &r.Spam
		w.key("IPSpamInfo")
		w.b = append(w.b, `{"spam_attacks":`...)
		w.int(p.Attacks)
		w.b = append(w.b, `,"spam_ratio":`...)
		w.float(p.Ratio)
		w.b = append(w.b, `,"last_attack_date":`...)
		w.dateTime(p.Last)
		w.b = append(w.b, `,"spam_attack_types":`...)
		w.strs(p.Types)
		w.b = append(w.b, '}')
	}
	if s.Has(report.SecIPPhishingInfo) {
		p := &r.Phishing
		w.key("IPPhishingInfo")
		w.b = append(w.b, `{"phishing_attacks":`...)
		w.int(p.Attacks)
		w.b = append(w.b, `,"last_attack_date":`...)
		w.dateTime(p.Last)
		w.b = append(w.b, `,"regions":`...)
		w.strs(p.Regions)
		w.b = append(w.b, `,"phish_kit":`...)
		w.nstr(p.Kit)
		w.b = append(w.b, `,"stolen_data_type":`...)
		w.strs(p.StolenData)
		w.b = append(w.b, `,"attacked_industry":`...)
		w.strs(p.Industries)
		w.b = append(w.b, `,"attacked_organization":`...)
		w.strs(p.Organizations)
		w.b = append(w.b, '}')
	}
	if s.Has(report.SecIndustries) {
		w.key("Industries")
		w.strs(r.Industries)
	}
	w.b = append(w.b, '}')
}

// AppendURLJSON appends the JSON body of r to dst.
func AppendURLJSON(dst []byte, r *report.URLReport) []byte {
	w := writer{b: dst}
	w.url(r)
	return w.b
}

// url writes the JSON body of r.
func (w *writer) url(r *report.URLReport) {
	s := r.Sections
	w.b = append(w.b, '{')
	w.leading(s, &r.License, r.Zone, r.HasRedZone)
	if s.Has(report.SecURLGeneralInfo) {
		w.key("UrlGeneralInfo")
		w.b = append(w.b, `{"Url":`...)
		w.str(noScheme(r.URL))
		w.b = append(w.b, `,"Host":`...)
		w.nstr(unbracket(r.Host))
		w.b = append(w.b, `,"Ipv4Count":`...)
		w.int(int64(r.IPv4Count))
		w.b = append(w.b, `,"FilesCount":`...)
		w.int(report.RoundHits(r.FilesCount))
		w.categories(r.Categories)
		w.aptTail(r.HasAPT, r.Reports)
	}
	w.objectLists(s, objectLists{whoisSec: report.SecURLDomainWhoIs, whoisKey: "UrlDomainWhoIs", whois: &r.Whois,
		resolutions: r.Resolutions, downloads: r.Files, accessed: r.FilesAccessed,
		referrals: r.Referrals, referredTo: r.ReferredTo})
	w.masksAndIndustries(s, r.Masks, r.Industries)
	w.b = append(w.b, '}')
}

// writer appends JSON to b. Keys of the top-level object are separated by
// key; everything inside a section is written in one piece, but for the
// items of lists: with out set, spill hands b to out between them.
type writer struct {
	b     []byte
	more  bool      // a top-level key was written
	out   io.Writer // where spill hands full chunks, or nil
	chunk int       // spill hands b to out from this many bytes on
	err   error     // the first error of out
}

// spill hands the pending bytes to out once there are chunk of them. It
// reports whether rendering should go on: false once out failed, the
// pending bytes then being dropped.
func (w *writer) spill() bool {
	if w.out != nil && len(w.b) >= w.chunk {
		if w.err == nil {
			_, w.err = w.out.Write(w.b)
		}
		w.b = w.b[:0]
	}
	return w.err == nil
}

func (w *writer) key(k string) {
	w.spill()
	if w.more {
		w.b = append(w.b, ',')
	}
	w.more = true
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *writer) license(l *intel.LicenseInfo) {
	w.key("LicenseInfo")
	w.b = append(w.b, `{"AccessType":`...)
	w.nstr(l.AccessType)
	w.b = append(w.b, `,"DayRequests":`...)
	w.int(l.DayRequests)
	w.b = append(w.b, `,"DayQuota":`...)
	w.int(l.DayQuota)
	w.b = append(w.b, `,"TokenExpirationDate":`...)
	w.dateTime(l.TokenExpires)
	w.b = append(w.b, '}')
}

// categories writes ,"Categories":[...],"CategoriesWithZone":[...].
func (w *writer) categories(cats []score.CategoryZone) {
	w.b = append(w.b, `,"Categories":[`...)
	for i := range cats {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(string(cats[i].Name))
	}
	w.b = append(w.b, `],"CategoriesWithZone":[`...)
	for i := range cats {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, `{"Name":`...)
		w.str(string(cats[i].Name))
		w.b = append(w.b, `,"Zone":`...)
		w.zone(cats[i].Zone)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
}

func (w *writer) reports(reps []report.ReportRef) {
	w.b = append(w.b, '[')
	for i := range reps {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, `{"Id":`...)
		w.str(reps[i].ID)
		w.b = append(w.b, `,"Type":`...)
		w.nstr(reps[i].Type)
		w.b = append(w.b, `,"Title":`...)
		w.nstr(reps[i].Title)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
}

func (w *writer) files(files []intel.FileDownload) {
	w.b = append(w.b, '[')
	for i := range files {
		if !w.spill() {
			break
		}
		f := &files[i]
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, `{"Zone":`...)
		w.zone(f.Zone)
		w.b = append(w.b, `,"DownloadHitsCount":`...)
		w.int(f.Hits)
		w.b = append(w.b, `,"Md5":`...)
		w.upper(f.MD5)
		w.b = append(w.b, `,"FirstSeen":`...)
		w.minute(f.FirstSeen)
		w.b = append(w.b, `,"LastSeen":`...)
		w.minute(f.LastSeen)
		w.b = append(w.b, `,"DetectionName":`...)
		w.nstr(f.DetectionName)
		w.b = append(w.b, `,"Url":`...)
		w.str(f.URL)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
}

func (w *writer) masks(masks []intel.FeedMask) {
	w.b = append(w.b, '[')
	for i := range masks {
		if !w.spill() {
			break
		}
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.mask(&masks[i])
	}
	w.b = append(w.b, ']')
}

func (w *writer) mask(m *intel.FeedMask) {
	w.b = append(w.b, `{"Zone":`...)
	w.zone(m.Zone)
	w.b = append(w.b, `,"Status":`...)
	w.nstr(m.Zone.FeedStatus())
	w.b = append(w.b, `,"NormalizedMask":`...)
	w.str(m.Mask)
	w.b = append(w.b, `,"FeedNames":`...)
	w.strs(m.Feeds)
	w.b = append(w.b, `,"MaskType":`...)
	w.nstr(m.MaskType)
	w.b = append(w.b, '}')
}

func (w *writer) whois(wh *report.Whois) {
	w.b = append(w.b, `{"Type":`...)
	w.nstr(wh.Type)
	w.b = append(w.b, `,"Status":`...)
	w.nstr(wh.Status)
	w.b = append(w.b, `,"Asn":[`...)
	for i := range wh.ASN {
		a := &wh.ASN[i]
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, `{"Number":`...)
		w.b = strconv.AppendUint(w.b, uint64(a.ASN), 10)
		w.b = append(w.b, `,"Origin":"AS`...)
		w.b = strconv.AppendUint(w.b, uint64(a.ASN), 10)
		w.b = append(w.b, `","Description":`...)
		w.strs(a.Description)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, `],"Net":`...)
	if n := wh.Net; n == nil {
		w.b = append(w.b, "null"...)
	} else {
		start, end := n.Start, n.End
		if (!start.IsValid() || !end.IsValid()) && n.Prefix.IsValid() {
			start, end = prefixRange(n.Prefix)
		}
		w.b = append(w.b, `{"RangeStart":`...)
		w.addr(start)
		w.b = append(w.b, `,"RangeEnd":`...)
		w.addr(end)
		w.b = append(w.b, `,"Created":`...)
		w.dateTime(n.Created)
		w.b = append(w.b, `,"Changed":`...)
		w.dateTime(n.Changed)
		w.b = append(w.b, `,"Name":`...)
		w.nstr(n.Name)
		w.b = append(w.b, `,"Description":`...)
		w.nstr(n.Description)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, `,"Contacts":[`...)
	for i := range wh.Contacts {
		c := &wh.Contacts[i]
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, `{"Address":`...)
		w.strs(c.Address)
		w.b = append(w.b, `,"OrganizationId":`...)
		w.nstr(c.OrganizationID)
		w.b = append(w.b, `,"Name":`...)
		w.nstr(c.Name)
		w.b = append(w.b, `,"ContactRole":`...)
		w.nstr(c.Role)
		w.b = append(w.b, `,"ContactType":`...)
		w.nstr(c.Type)
		w.b = append(w.b, `,"Fax":`...)
		w.nstr(c.Fax)
		w.b = append(w.b, `,"Phone":`...)
		w.nstr(c.Phone)
		w.b = append(w.b, `,"Email":`...)
		w.nstr(c.Email)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, "]}"...)
}

func (w *writer) addr(a netip.Addr) {
	if !a.IsValid() {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '"')
	w.b = a.Unmap().AppendTo(w.b)
	w.b = append(w.b, '"')
}

func (w *writer) bool(v bool) {
	if v {
		w.b = append(w.b, "true"...)
	} else {
		w.b = append(w.b, "false"...)
	}
}

func (w *writer) int(v int64) { w.b = strconv.AppendInt(w.b, v, 10) }

func (w *writer) float(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
}

// zone writes a zone; an unset or unknown zone is "Grey".
func (w *writer) zone(z intel.Zone) {
	if !z.Valid() {
		z = intel.ZoneGrey
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, z...)
	w.b = append(w.b, '"')
}

// nstr writes s, or null when s is empty.
func (w *writer) nstr(s string) {
	if s == "" {
		w.b = append(w.b, "null"...)
		return
	}
	w.str(s)
}

// strs writes a list of strings ([] when empty).
func (w *writer) strs(ss []string) {
	w.b = append(w.b, '[')
	for i, s := range ss {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(s)
	}
	w.b = append(w.b, ']')
}

// upper writes s with ASCII letters upper-cased (MD5 hex).
func (w *writer) upper(s string) {
	w.b = append(w.b, '"')
	start := len(w.b)
	w.b = appendEscaped(w.b, s)
	for i := start; i < len(w.b); i++ {
		if c := w.b[i]; 'a' <= c && c <= 'z' {
			w.b[i] = c - ('a' - 'A')
		}
	}
	w.b = append(w.b, '"')
}

// str writes s as a JSON string.
func (w *writer) str(s string) {
	w.b = append(w.b, '"')
	w.b = appendEscaped(w.b, s)
	w.b = append(w.b, '"')
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends s escaped for a JSON string as encoding/json does
// without HTML escaping (jsontext.AppendEscaped).
func appendEscaped(b []byte, s string) []byte { return jsontext.AppendEscaped(b, s, false) }

// dateTime writes t as "2006-01-02T15:04:05Z", or null when zero.
func (w *writer) dateTime(t time.Time) { w.time(t, 2) }

// minute writes t as "2006-01-02T15:04Z", or null when zero.
func (w *writer) minute(t time.Time) { w.time(t, 1) }

// day writes t as "2006-01-02", or null when zero.
func (w *writer) day(t time.Time) { w.time(t, 0) }

// time writes t in UTC to day (0), minute (1) or second (2) precision.
func (w *writer) time(t time.Time, prec int) {
	if t.IsZero() {
		w.b = append(w.b, "null"...)
		return
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		layouts := [...]string{"2006-01-02", "2006-01-02T15:04Z", "2006-01-02T15:04:05Z"}
		w.b = append(w.b, '"')
		w.b = t.AppendFormat(w.b, layouts[prec])
		w.b = append(w.b, '"')
		return
	}
	w.b = append(w.b, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10))
	if prec > 0 {
		hour, min, sec := t.Clock()
		w.b = append(w.b, 'T', byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+min/10), byte('0'+min%10))
		if prec > 1 {
			w.b = append(w.b, ':', byte('0'+sec/10), byte('0'+sec%10))
		}
		w.b = append(w.b, 'Z')
	}
	w.b = append(w.b, '"')
}

// prefixRange returns the first and last address of p.
func prefixRange(p netip.Prefix) (first, last netip.Addr) {
	p = p.Masked()
	first = p.Addr()
	var a [16]byte
	n := 16
	if first.Is4() {
		a4 := first.As4()
		copy(a[:], a4[:])
		n = 4
	} else {
		a = first.As16()
	}
	bits := p.Bits()
	for i := 0; i < n; i++ {
		switch {
		case bits >= 8:
			bits -= 8
		case bits > 0:
			a[i] |= 0xff >> bits
			bits = 0
		default:
			a[i] = 0xff
		}
	}
	if n == 4 {
		return first, netip.AddrFrom4([4]byte(a[:4]))
	}
	return first, netip.AddrFrom16(a)
}
