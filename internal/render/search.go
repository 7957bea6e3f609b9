package render

import (
	"strconv"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

// The OpenTIP search forms (/api/v1/search/…): the path forms' values in
// the real service's subsets of keys, with empty values left out — null,
// [], 0 and false fields, nested ones too, and an object or list item left
// empty by that. Always kept: Zone, Domain, Url, Host, FileStatus and the
// known hashes. No LicenseInfo. A WHOIS object appears only when a record
// is known. Whether an object is known at all (404 otherwise) is the
// caller's question.

// AppendSearchDomainJSON appends the search-form body of a domain report:
// Zone, DomainGeneralInfo and DomainWhoIsInfo.
func AppendSearchDomainJSON(dst []byte, r *report.DomainReport) []byte {
	w := writer{b: dst}
	w.b = append(w.b, `{"Zone":`...)
	w.zone(r.Zone)
	w.b = append(w.b, `,"DomainGeneralInfo":{"Domain":`...)
	w.str(r.Domain)
	n := 1
	w.oint(&n, "FilesCount", report.RoundHits(r.FilesCount))
	w.oint(&n, "UrlsCount", report.RoundHits(r.URLsCount))
	w.oint(&n, "HitsCount", report.RoundHits(r.HitsCount))
	w.oint(&n, "Ipv4Count", r.IPv4Count)
	w.ocategories(&n, r.Categories)
	w.b = append(w.b, '}')
	n = 2
	w.odomainWhois(&n, "DomainWhoIsInfo", &r.Whois)
	w.b = append(w.b, '}')
	return w.b
}

// AppendSearchURLJSON appends the search-form body of a web-address report:
// Zone, UrlGeneralInfo and UrlDomainWhoIs.
func AppendSearchURLJSON(dst []byte, r *report.URLReport) []byte {
	w := writer{b: dst}
	w.b = append(w.b, `{"Zone":`...)
	w.zone(r.Zone)
	w.b = append(w.b, `,"UrlGeneralInfo":{"Url":`...)
	w.str(noScheme(r.URL))
	w.b = append(w.b, `,"Host":`...)
	w.str(unbracket(r.Host))
	n := 2
	w.oint(&n, "Ipv4Count", int64(r.IPv4Count))
	w.oint(&n, "FilesCount", report.RoundHits(r.FilesCount))
	w.ocategories(&n, r.Categories)
	w.b = append(w.b, '}')
	n = 2
	w.odomainWhois(&n, "UrlDomainWhoIs", &r.Whois)
	w.b = append(w.b, '}')
	return w.b
}

// AppendSearchFileJSON appends the search-form body of a file report:
// Zone, FileGeneralInfo and DetectionsInfo (every detection).
func AppendSearchFileJSON(dst []byte, r *report.FileReport) []byte {
	w := writer{b: dst}
	w.b = append(w.b, `{"Zone":`...)
	w.zone(r.Zone)
	w.b = append(w.b, `,"FileGeneralInfo":{"FileStatus":`...)
	w.str(fileStatus(r))
	n := 1
	md5, sha1, sha256 := queriedHashes(r)
	w.oupper(&n, "Md5", md5)
	w.oupper(&n, "Sha1", sha1)
	w.oupper(&n, "Sha256", sha256)
	w.odateTime(&n, "FirstSeen", r.FirstSeen)
	w.odateTime(&n, "LastSeen", r.LastSeen)
	w.ostr(&n, "Signer", r.Signer)
	w.ostr(&n, "Packer", r.Packer)
	w.oint(&n, "Size", max(r.Size, 0))
	w.ostr(&n, "Type", r.Type)
	w.oint(&n, "HitsCount", report.RoundHits(r.HitsCount))
	w.b = append(w.b, '}')
	n = 2
	list := w.obegin(&n, "DetectionsInfo", '[')
	items := 0
	for i := range r.Detections {
		d := &r.Detections[i]
		item := w.oitem(items)
		m := 0
		w.odateTime(&m, "LastDetectDate", d.LastDetect)
		w.ostr(&m, "DescriptionUrl", d.DescriptionURL)
		w.okey(&m, "Zone")
		w.zone(d.Zone)
		w.ostr(&m, "DetectionName", d.Name)
		w.ostr(&m, "DetectionMethod", d.Method)
		w.oitemEnd(&items, item, m)
	}
	w.oend(&n, list, items, ']')
	w.b = append(w.b, '}')
	return w.b
}

// AppendSearchIPJSON appends the search-form body of an address report:
// Zone, IpGeneralInfo (Ip, Status, CountryCode, HitsCount, FirstSeen,
// Categories, CategoriesWithZone) and IpWhoIs.
func AppendSearchIPJSON(dst []byte, r *report.IPReport) []byte {
	w := writer{b: dst}
	g := &r.General
	w.b = append(w.b, `{"Zone":`...)
	w.zone(r.Zone)
	w.b = append(w.b, `,"IpGeneralInfo":{"Ip":"`...)
	w.b = r.IP.AppendTo(w.b)
	w.b = append(w.b, '"')
	n := 1
	w.ostr(&n, "Status", g.Status)
	w.ostr(&n, "CountryCode", g.CountryCode)
	w.oint(&n, "HitsCount", g.HitsCount)
	w.odateTime(&n, "FirstSeen", g.FirstSeen)
	w.ocategories(&n, g.Categories)
	w.b = append(w.b, '}')
	n = 2
	if wh := &r.Whois; wh.Type != "" || len(wh.ASN) > 0 || wh.Net != nil || len(wh.Contacts) > 0 {
		obj := w.obegin(&n, "IpWhoIs", '{')
		m := 0
		w.ostr(&m, "Type", wh.Type)
		w.ostr(&m, "Status", wh.Status)
		list := w.obegin(&m, "Asn", '[')
		items := 0
		for i := range wh.ASN {
			a := &wh.ASN[i]
			item := w.oitem(items)
			k := 0
			if a.ASN != 0 {
				w.okey(&k, "Number")
				w.b = strconv.AppendUint(w.b, uint64(a.ASN), 10)
				w.okey(&k, "Origin")
				w.b = append(w.b, `"AS`...)
				w.b = strconv.AppendUint(w.b, uint64(a.ASN), 10)
				w.b = append(w.b, '"')
			}
			w.ostrs(&k, "Description", a.Description)
			w.oitemEnd(&items, item, k)
		}
		w.oend(&m, list, items, ']')
		if net := wh.Net; net != nil {
			start, end := net.Start, net.End
			if (!start.IsValid() || !end.IsValid()) && net.Prefix.IsValid() {
				start, end = prefixRange(net.Prefix)
			}
			obj := w.obegin(&m, "Net", '{')
			k := 0
			if start.IsValid() {
				w.okey(&k, "RangeStart")
				w.addr(start)
			}
			if end.IsValid() {
				w.okey(&k, "RangeEnd")
				w.addr(end)
			}
			w.odateTime(&k, "Created", net.Created)
			w.odateTime(&k, "Changed", net.Changed)
			w.ostr(&k, "Name", net.Name)
			w.ostr(&k, "Description", net.Description)
			w.oend(&m, obj, k, '}')
		}
		list = w.obegin(&m, "Contacts", '[')
		items = 0
		for i := range wh.Contacts {
			c := &wh.Contacts[i]
			item := w.oitem(items)
			k := 0
			w.ostrs(&k, "Address", c.Address)
			w.ostr(&k, "OrganizationId", c.OrganizationID)
			w.ostr(&k, "Name", c.Name)
			w.ostr(&k, "ContactRole", c.Role)
			w.ostr(&k, "ContactType", c.Type)
			w.ostr(&k, "Fax", c.Fax)
			w.ostr(&k, "Phone", c.Phone)
			w.ostr(&k, "Email", c.Email)
			w.oitemEnd(&items, item, k)
		}
		w.oend(&m, list, items, ']')
		w.oend(&n, obj, m, '}')
	}
	w.b = append(w.b, '}')
	return w.b
}

// whoisKnown reports whether wh holds a registration record (beyond the
// registrable domain computed from the name).
func whoisKnown(wh *intel.DomainWhois) bool {
	return !wh.Created.IsZero() || !wh.Updated.IsZero() || !wh.Expires.IsZero() ||
		len(wh.NameServers) > 0 || len(wh.Contacts) > 0 || len(wh.Status) > 0 ||
		wh.Registrar != "" || wh.RegistrarID != "" || wh.RegistrarEmail != "" ||
		wh.RegistrationOrganization != "" || wh.Source.Feed != ""
}

// odomainWhois writes the WHOIS object under key when a record is known,
// with empty values left out.
func (w *writer) odomainWhois(n *int, key string, wh *intel.DomainWhois) {
	if !whoisKnown(wh) {
		return
	}
	obj := w.obegin(n, key, '{')
	m := 0
	w.ostr(&m, "DomainName", wh.Domain)
	w.odateTime(&m, "Created", wh.Created)
	w.odateTime(&m, "Updated", wh.Updated)
	w.odateTime(&m, "Expires", wh.Expires)
	w.ostrs(&m, "NameServers", wh.NameServers)
	list := w.obegin(&m, "Contacts", '[')
	items := 0
	for i := range wh.Contacts {
		c := &wh.Contacts[i]
		item := w.oitem(items)
		k := 0
		w.ostr(&k, "ContactType", c.Type)
		w.ostr(&k, "Name", c.Name)
		w.ostr(&k, "Organization", c.Organization)
		w.ostr(&k, "Address", c.Address)
		w.ostr(&k, "City", c.City)
		w.ostr(&k, "State", c.State)
		w.ostr(&k, "PostalCode", c.PostalCode)
		w.ostr(&k, "CountryCode", c.CountryCode)
		w.ostr(&k, "Phone", c.Phone)
		w.ostr(&k, "Fax", c.Fax)
		w.ostr(&k, "Email", c.Email)
		w.oitemEnd(&items, item, k)
	}
	w.oend(&m, list, items, ']')
	reg := w.obegin(&m, "Registrar", '{')
	k := 0
	w.ostr(&k, "Info", wh.Registrar)
	w.ostr(&k, "IanaId", wh.RegistrarID)
	w.ostr(&k, "Email", wh.RegistrarEmail)
	w.oend(&m, reg, k, '}')
	w.ostrs(&m, "DomainStatus", wh.Status)
	w.ostr(&m, "RegistrationOrganization", wh.RegistrationOrganization)
	w.oend(n, obj, m, '}')
}

// ocategories writes Categories and CategoriesWithZone, leaving out
// categories without a name, and nothing when none is left.
func (w *writer) ocategories(n *int, cats []score.CategoryZone) {
	named := 0
	for i := range cats {
		if cats[i].Name != "" {
			named++
		}
	}
	if named == 0 {
		return
	}
	w.okey(n, "Categories")
	w.b = append(w.b, '[')
	m := 0
	for i := range cats {
		if cats[i].Name != "" {
			if m > 0 {
				w.b = append(w.b, ',')
			}
			m++
			w.str(string(cats[i].Name))
		}
	}
	w.b = append(w.b, ']')
	w.okey(n, "CategoriesWithZone")
	w.b = append(w.b, '[')
	m = 0
	for i := range cats {
		if cats[i].Name != "" {
			if m > 0 {
				w.b = append(w.b, ',')
			}
			m++
			w.b = append(w.b, `{"Name":`...)
			w.str(string(cats[i].Name))
			w.b = append(w.b, `,"Zone":`...)
			w.zone(cats[i].Zone)
			w.b = append(w.b, '}')
		}
	}
	w.b = append(w.b, ']')
}

// The writers of the search forms. n counts the fields written so far in
// the enclosing object: okey writes the comma when one was, and counts the
// key.

func (w *writer) okey(n *int, k string) {
	if *n > 0 {
		w.b = append(w.b, ',')
	}
	*n++
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *writer) ostr(n *int, k, v string) {
	if v != "" {
		w.okey(n, k)
		w.str(v)
	}
}

func (w *writer) oupper(n *int, k, v string) {
	if v != "" {
		w.okey(n, k)
		w.upper(v)
	}
}

func (w *writer) oint(n *int, k string, v int64) {
	if v != 0 {
		w.okey(n, k)
		w.int(v)
	}
}

func (w *writer) odateTime(n *int, k string, t time.Time) {
	if !t.IsZero() {
		w.okey(n, k)
		w.dateTime(t)
	}
}

// ostrs writes the non-empty strings of v, and nothing when there are
// none.
func (w *writer) ostrs(n *int, k string, v []string) {
	mark := len(w.b)
	w.okey(n, k)
	w.b = append(w.b, '[')
	m := 0
	for _, s := range v {
		if s != "" {
			if m > 0 {
				w.b = append(w.b, ',')
			}
			m++
			w.str(s)
		}
	}
	w.oend(n, mark, m, ']')
}

// obegin writes key and the opening bracket open of an object or list
// field and returns where the field began, for oend.
func (w *writer) obegin(n *int, k string, open byte) int {
	mark := len(w.b)
	w.okey(n, k)
	w.b = append(w.b, open)
	return mark
}

// oend closes the field begun at mark with close, or takes it back when
// nothing (written) was put in it.
func (w *writer) oend(n *int, mark, written int, close byte) {
	if written == 0 {
		w.b = w.b[:mark]
		*n--
		return
	}
	w.b = append(w.b, close)
}

// oitem begins an object item of a list that holds items already and
// returns where it began, for oitemEnd.
func (w *writer) oitem(items int) int {
	mark := len(w.b)
	if items > 0 {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '{')
	return mark
}

// oitemEnd closes the item begun at mark, or takes it back when it holds
// no field.
func (w *writer) oitemEnd(items *int, mark, fields int) {
	if fields == 0 {
		w.b = w.b[:mark]
		return
	}
	w.b = append(w.b, '}')
	*items++
}
