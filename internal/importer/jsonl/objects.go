package jsonl

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// The kinds of this file keep what is known of domains, web addresses and
// files as objects of their own (the domain, URL and hash lookups),
// notably what no public bulk format carries: telemetry of files
// (accesses, starts, downloads, paths), crawler links, signing
// certificates and domain registrations. Keys are normalised as the
// lookups normalise them (intel.NormalizeDomain, intel.NormalizeURL,
// intel.NormalizeHash); a bad key makes a bad line.

// LinkLists names the lists a link record may fill ("list" field), each
// by a stable name. Feed masks ("mask") and web-address variants (derived
// from "url") have kinds of their own and are not here.
var LinkLists = map[string]intel.LinkList{
	"host_ipv4":                intel.LinkHostIPv4,
	"host_ipv6":                intel.LinkHostIPv6,
	"host_urls":                intel.LinkHostURLs,
	"host_files":               intel.LinkHostFiles,
	"host_accessed":            intel.LinkHostAccessed,
	"host_referrals":           intel.LinkHostReferrals,
	"host_referred_to":         intel.LinkHostReferredTo,
	"subdomains":               intel.LinkSubdomains,
	"host_reports":             intel.LinkHostReports,
	"url_accessed":             intel.LinkURLAccessed,
	"url_referrals":            intel.LinkURLReferrals,
	"url_referred_to":          intel.LinkURLReferredTo,
	"url_reports":              intel.LinkURLReports,
	"file_urls":                intel.LinkFileURLs,
	"file_accessed_urls":       intel.LinkFileAccessedURLs,
	"file_names":               intel.LinkFileNames,
	"file_paths":               intel.LinkFilePaths,
	"detections":               intel.LinkDetections,
	"file_started":             intel.LinkFileStarted,
	"file_started_by":          intel.LinkFileStartedBy,
	"file_downloaded_objects":  intel.LinkFileDownloadedObjects,
	"file_downloaded_by":       intel.LinkFileDownloadedBy,
	"file_certificates":        intel.LinkFileCertificates,
	"file_parent_certificates": intel.LinkFileParentCertificates,
	"file_reports":             intel.LinkFileReports,
}

// linkListNames lists the names of LinkLists, sorted.
func linkListNames() []string {
	out := make([]string, 0, len(LinkLists))
	for n := range LinkLists {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// object: what is known of a domain, web address or file itself.
func (p *Parser) object(r *Record, b *intel.Batch) error {
	var f fields
	kind, key := f.objectKey(r)
	hits := f.count("hits", r.Hits, 0)
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	info := intel.ObjectInfo{Kind: kind, Key: key, Hits: hits, FirstSeen: first, LastSeen: last}
	if l := strings.TrimSpace(r.List); l != "" {
		if kind != intel.ObjectHost {
			return fmt.Errorf("list %q: only domains are allow-listed", clip(l))
		}
		info.Allows = []string{l}
	}
	b.ObjectInfos = append(b.ObjectInfos, info)
	return nil
}

// objectListing: a feed puts a domain, web address or file in a category.
func (p *Parser) objectListing(r *Record, b *intel.Batch) error {
	var f fields
	kind, key := f.objectKey(r)
	cat := f.category(p, r.Category)
	feed := f.feed(p, r.Feed)
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: kind, Key: key, Category: cat, Feed: feed,
		FirstSeen: first, LastSeen: last})
	return nil
}

// link: one item of one list of an object, the generic record.
func (p *Parser) link(r *Record, b *intel.Batch) error {
	if r.List == "" {
		return fmt.Errorf("missing field %q", "list")
	}
	list, ok := LinkLists[r.List]
	if !ok {
		switch r.List {
		case "host_masks":
			return fmt.Errorf("list %q: publish feed masks as kind %q", r.List, KindMask)
		case "url_variants":
			return fmt.Errorf("list %q: derived from kind %q", r.List, KindURL)
		}
		return fmt.Errorf("unknown list %q (want one of %s)", clip(r.List), strings.Join(linkListNames(), ", "))
	}
	var f fields
	owner := f.owner(list.Owner(), r.Owner)
	item := f.linkItem(list, r)
	var zone intel.Zone
	switch {
	case r.Zone != "":
		zone = f.zone(r.Zone, nil)
	case list == intel.LinkDetections && f.err == nil:
		zone = intel.DetectionZone(item)
	}
	hits := f.count("hits", r.Hits, 0)
	peak := f.count("daily_peak", r.DailyPeak, 0)
	peakDate := f.date("peak_date", r.PeakDate, false)
	first, last := f.seen(r)
	attrs := f.texts("attrs", r.Attrs, true)
	if f.err != nil {
		return f.err
	}
	b.Links = append(b.Links, intel.Link{List: list, Owner: owner, Item: item, Zone: zone, Hits: hits,
		FirstSeen: first, LastSeen: last, DailyPeak: peak, PeakDate: truncDay(peakDate), Attrs: attrs})
	return nil
}

// fileInfo: a file's hashes tied together and its metadata.
func (p *Parser) fileInfo(r *Record, b *intel.Batch) error {
	var f fields
	h := f.fileHashes(r)
	size := f.count("size", r.Size, 0)
	hits := f.count("hits", r.Hits, 0)
	status := f.signerStatus(r.SignerStatus)
	typ, packer, signer := f.optText("type", r.Type), f.optText("packer", r.Packer), f.optText("signer", r.Signer)
	names := f.texts("names", r.Names, false)
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	key := cmp.Or(h.MD5, h.SHA256, h.SHA1)
	if len(h.Hashes()) > 1 {
		b.FileHashes = append(b.FileHashes, h)
	}
	b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectFile, Key: key, Hits: hits,
		FirstSeen: first, LastSeen: last, Size: size, Type: strings.ToLower(typ), Packer: packer, Signer: signer, SignerStatus: status})
	for _, n := range names {
		b.Links = append(b.Links, intel.Link{List: intel.LinkFileNames, Owner: key, Item: n, FirstSeen: first, LastSeen: last})
	}
	return nil
}

// fileAccess: a file contacted a web address, or a host when only its name
// is known.
func (p *Parser) fileAccess(r *Record, b *intel.Batch) error {
	var f fields
	md5 := f.hash("md5", r.MD5, true)
	var key, host string
	switch {
	case r.URL != "":
		key = f.urlKey("url", r.URL)
		host = intel.URLHost(key)
	case r.Domain != "":
		host = f.hostName("domain", r.Domain)
	default:
		f.require(false, "url")
	}
	hits := f.count("hits", r.Hits, 1)
	det := f.optText("detection", r.Detection)
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	var attrs []string
	if det != "" {
		attrs = []string{det}
	}
	l := intel.Link{Hits: hits, FirstSeen: first, LastSeen: last}
	add := func(list intel.LinkList, owner, item string, attrs []string) {
		l.List, l.Owner, l.Item, l.Attrs = list, owner, item, attrs
		b.Links = append(b.Links, l)
	}
	if key == "" {
		add(intel.LinkHostAccessed, host, md5, attrs)
		return nil
	}
	add(intel.LinkHostAccessed, host, md5+intel.ItemSep+key, attrs)
	add(intel.LinkURLAccessed, key, md5, attrs)
	add(intel.LinkFileAccessedURLs, md5, key, nil)
	return nil
}

// fileRelation: a file started or downloaded another (target_md5).
func (p *Parser) fileRelation(r *Record, b *intel.Batch) error {
	var fwd, back intel.LinkList
	switch r.Relation {
	case "started":
		fwd, back = intel.LinkFileStarted, intel.LinkFileStartedBy
	case "downloaded":
		fwd, back = intel.LinkFileDownloadedObjects, intel.LinkFileDownloadedBy
	case "":
		return fmt.Errorf("missing field %q", "relation")
	default:
		return fmt.Errorf("unknown relation %q (want started or downloaded)", clip(r.Relation))
	}
	var f fields
	md5 := f.hash("md5", r.MD5, true)
	target := f.hash("target_md5", r.TargetMD5, true)
	hits := f.count("hits", r.Hits, 1)
	attrs := []string{f.optText("location", r.Location), f.optText("path", r.Path), f.optText("name", r.Name),
		f.optText("detection", r.Detection)}
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	b.Links = append(b.Links,
		intel.Link{List: fwd, Owner: md5, Item: target, Hits: hits, FirstSeen: first, LastSeen: last, Attrs: attrs},
		intel.Link{List: back, Owner: target, Item: md5, Hits: hits, FirstSeen: first, LastSeen: last})
	return nil
}

// referral: a page (url) links or redirects to another (target_url).
func (p *Parser) referral(r *Record, b *intel.Batch) error {
	var f fields
	from := f.urlKey("url", r.URL)
	to := f.urlKey("target_url", r.TargetURL)
	hits := f.count("hits", r.Hits, 1)
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	l := intel.Link{Hits: hits, FirstSeen: first, LastSeen: last}
	for _, x := range []struct {
		list        intel.LinkList
		owner, item string
	}{
		{intel.LinkURLReferredTo, from, to},
		{intel.LinkURLReferrals, to, from},
		{intel.LinkHostReferredTo, intel.URLHost(from), to},
		{intel.LinkHostReferrals, intel.URLHost(to), from},
	} {
		l.List, l.Owner, l.Item = x.list, x.owner, x.item
		b.Links = append(b.Links, l)
	}
	return nil
}

// domainWhois: the registration record of a domain (kept for its
// registrable domain).
func (p *Parser) domainWhois(r *Record, b *intel.Batch) error {
	var f fields
	name := f.hostName("domain", r.Domain)
	reg := intel.RegistrableDomain(name)
	if f.err == nil && reg == "" {
		f.fail(fmt.Errorf("domain %q is a public suffix: no registration", clip(name)))
	}
	created := f.date("created", r.Created, false)
	updated := f.date("updated", r.Updated, false)
	expires := f.date("expires", r.Expires, false)
	ns := make([]string, 0, len(r.NameServers))
	for _, s := range r.NameServers {
		ns = append(ns, f.hostName("name_servers", s))
	}
	status := make([]string, 0, len(r.Status))
	for _, s := range r.Status {
		status = append(status, f.eppStatus(s))
	}
	registrar, email, org := f.optText("registrar", r.Registrar), f.optText("registrar_email", r.RegistrarEmail),
		f.optText("registration_organization", r.RegistrationOrg)
	if f.err == nil && r.RegistrarID != "" && strings.Trim(r.RegistrarID, "0123456789") != "" {
		f.fail(fmt.Errorf("bad registrar_id %q: want the IANA ID in decimal", clip(r.RegistrarID)))
	}
	contacts := make([]intel.DomainContact, 0, len(r.Contacts))
	for i, c := range r.Contacts {
		if f.err == nil && !slices.Contains(intel.ContactTypes, c.Type) {
			f.fail(fmt.Errorf("contact %d: type %q (want %s)", i+1, clip(c.Type), strings.Join(intel.ContactTypes, ", ")))
		}
		contacts = append(contacts, intel.DomainContact{Type: c.Type, Name: c.Name, Organization: c.Organization,
			Address: strings.Join(c.Address, ", "), City: c.City, State: c.State, PostalCode: c.PostalCode,
			CountryCode: f.country("country_code", c.CountryCode, false), Phone: c.Phone, Fax: c.Fax, Email: c.Email})
	}
	if f.err != nil {
		return f.err
	}
	b.Whois = append(b.Whois, intel.DomainWhois{Domain: reg, Created: created, Updated: updated, Expires: expires,
		NameServers: ns, Status: status, Registrar: registrar, RegistrarID: r.RegistrarID, RegistrarEmail: email,
		RegistrationOrganization: org, Contacts: contacts})
	return nil
}

// detection: a verdict on a file.
func (p *Parser) detection(r *Record, b *intel.Batch) error {
	var f fields
	h := f.hash("hash", r.Hash, false)
	name := f.text("detection", r.Detection)
	zone := intel.DetectionZone(name)
	if r.Zone != "" {
		zone = f.zone(r.Zone, nil)
	}
	method := f.optText("method", r.Method)
	desc := f.optText("description_url", r.DescURL)
	if f.err == nil && desc != "" && !strings.HasPrefix(desc, "https://") && !strings.HasPrefix(desc, "http://") {
		f.fail(fmt.Errorf("bad description_url %q: want an http(s) address", clip(desc)))
	}
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	b.Links = append(b.Links, intel.Link{List: intel.LinkDetections, Owner: h, Item: name, Zone: zone,
		FirstSeen: first, LastSeen: last, Attrs: []string{method, desc}})
	return nil
}

// certificate: a certificate that signed a file (relation "parent": one
// of the signing chain above it).
func (p *Parser) certificate(r *Record, b *intel.Batch) error {
	list := intel.LinkFileCertificates
	switch r.Relation {
	case "":
	case "parent":
		list = intel.LinkFileParentCertificates
	default:
		return fmt.Errorf("unknown relation %q (want parent or none)", clip(r.Relation))
	}
	var f fields
	h := f.hash("hash", r.Hash, false)
	serial := f.serial("serial", r.Serial)
	attrs := []string{f.optText("vendor", r.Vendor), f.optText("publisher", r.Publisher)}
	for _, d := range []struct{ field, v string }{{"time_stamp", r.TimeStamp}, {"issued", r.Issued}, {"expires", r.Expires}} {
		var s string
		if t := f.date(d.field, d.v, false); !t.IsZero() {
			s = t.Format(time.RFC3339)
		}
		attrs = append(attrs, s)
	}
	first, last := f.seen(r)
	if f.err != nil {
		return f.err
	}
	b.Links = append(b.Links, intel.Link{List: list, Owner: h, Item: serial, FirstSeen: first, LastSeen: last, Attrs: attrs})
	return nil
}

// objectKey reads the key of the object a record is about: exactly one of
// domain, url and hash.
func (f *fields) objectKey(r *Record) (intel.ObjectKind, string) {
	n := 0
	for _, s := range []string{r.Domain, r.URL, r.Hash} {
		if s != "" {
			n++
		}
	}
	switch {
	case f.err != nil:
		return 0, ""
	case n == 0:
		f.fail(fmt.Errorf("missing field %q, %q or %q", "domain", "url", "hash"))
		return 0, ""
	case n > 1:
		f.fail(fmt.Errorf("more than one of %q, %q and %q", "domain", "url", "hash"))
		return 0, ""
	case r.Domain != "":
		return intel.ObjectHost, f.hostName("domain", r.Domain)
	case r.URL != "":
		return intel.ObjectURL, f.urlKey("url", r.URL)
	}
	return intel.ObjectFile, f.hash("hash", r.Hash, false)
}

// owner reads the owner of a link: a domain (or an IP address, for host
// lists), a web address or a file hash.
func (f *fields) owner(kind intel.ObjectKind, s string) string {
	if f.err != nil {
		return ""
	}
	if s == "" {
		f.require(false, "owner")
		return ""
	}
	switch kind {
	case intel.ObjectHost:
		if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil && a.Zone() == "" {
			return a.Unmap().String()
		}
		return f.hostName("owner", s)
	case intel.ObjectURL:
		return f.urlKey("owner", s)
	}
	return f.hash("owner", s, false)
}

// linkItem reads the item of a link of list l: the "item" field, or the
// fields of a compound item (host_files: md5 and url; host_accessed: md5
// and optionally url; file_paths: location and path).
func (f *fields) linkItem(l intel.LinkList, r *Record) string {
	if f.err != nil {
		return ""
	}
	switch l {
	case intel.LinkHostIPv4, intel.LinkHostIPv6:
		ip := f.addr("item", r.Item)
		if f.err == nil && ip.Is4() != (l == intel.LinkHostIPv4) {
			f.fail(fmt.Errorf("item %s: wrong address family for this list", ip))
		}
		return ip.String()
	case intel.LinkHostURLs, intel.LinkHostReferrals, intel.LinkHostReferredTo, intel.LinkURLReferrals,
		intel.LinkURLReferredTo, intel.LinkFileURLs, intel.LinkFileAccessedURLs:
		return f.urlKey("item", r.Item)
	case intel.LinkHostFiles:
		md5 := f.hash("md5", r.MD5, true)
		return md5 + intel.ItemSep + f.urlKey("url", r.URL)
	case intel.LinkHostAccessed:
		md5 := f.hash("md5", r.MD5, true)
		if r.URL == "" {
			return md5
		}
		return md5 + intel.ItemSep + f.urlKey("url", r.URL)
	case intel.LinkSubdomains:
		return f.hostName("item", r.Item)
	case intel.LinkURLAccessed, intel.LinkFileStarted, intel.LinkFileStartedBy, intel.LinkFileDownloadedObjects,
		intel.LinkFileDownloadedBy:
		return f.hash("item", r.Item, true)
	case intel.LinkFilePaths:
		return f.text("location", r.Location) + intel.ItemSep + f.text("path", r.Path)
	case intel.LinkFileCertificates, intel.LinkFileParentCertificates:
		return f.serial("item", r.Item)
	}
	return f.text("item", r.Item) // reports, names, detections
}

// hostName reads a domain name (intel.NormalizeDomain).
func (f *fields) hostName(field, s string) string {
	if f.err != nil {
		return ""
	}
	if s == "" {
		f.require(false, field)
		return ""
	}
	d, err := intel.NormalizeDomain(s)
	if err != nil {
		f.fail(fmt.Errorf("bad domain in %q: %v", field, err))
	}
	return d
}

// urlKey reads a web address (intel.NormalizeURL) and returns its key.
func (f *fields) urlKey(field, s string) string {
	if f.err != nil {
		return ""
	}
	if s == "" {
		f.require(false, field)
		return ""
	}
	key, _, err := intel.NormalizeURL(s)
	if err != nil {
		f.fail(fmt.Errorf("bad web address in %q: %v", field, err))
	}
	return key
}

// hash reads a file hash (intel.NormalizeHash); md5 requires an MD5.
func (f *fields) hash(field, s string, md5 bool) string {
	if f.err != nil {
		return ""
	}
	if s == "" {
		f.require(false, field)
		return ""
	}
	h, err := intel.NormalizeHash(s)
	switch {
	case err != nil:
		f.fail(fmt.Errorf("bad hash in %q: %v", field, err))
	case md5 && intel.HashKind(h) != "MD5":
		f.fail(fmt.Errorf("bad %s %q: want an MD5 (32 hex digits)", field, clip(s)))
	}
	return h
}

// fileHashes reads the md5, sha1, sha256 and hash fields of a file_info
// record: at least one, each of its kind, hash agreeing with the field of
// its kind.
func (f *fields) fileHashes(r *Record) intel.FileHashes {
	var h intel.FileHashes
	for _, x := range []struct {
		field, v, kind string
		dst            *string
	}{{"md5", r.MD5, "MD5", &h.MD5}, {"sha1", r.SHA1, "SHA-1", &h.SHA1}, {"sha256", r.SHA256, "SHA-256", &h.SHA256}} {
		if x.v == "" {
			continue
		}
		if *x.dst = f.hash(x.field, x.v, false); f.err == nil && intel.HashKind(*x.dst) != x.kind {
			f.fail(fmt.Errorf("bad %s %q: not a %s", x.field, clip(x.v), x.kind))
		}
	}
	if r.Hash != "" {
		v := f.hash("hash", r.Hash, false)
		if f.err != nil {
			return h
		}
		p := map[string]*string{"MD5": &h.MD5, "SHA-1": &h.SHA1, "SHA-256": &h.SHA256}[intel.HashKind(v)]
		if *p != "" && *p != v {
			f.fail(fmt.Errorf("hash %s disagrees with the %s field", v, intel.HashKind(v)))
		}
		*p = v
	}
	if f.err == nil && len(h.Hashes()) == 0 {
		f.fail(fmt.Errorf("missing field %q, %q, %q or %q", "md5", "sha1", "sha256", "hash"))
	}
	return h
}

// signerStatuses are the signer statuses, as the answers spell them.
var signerStatuses = []string{"Trusted", "Not trusted", "Discredited"}

func (f *fields) signerStatus(s string) string {
	if s == "" || f.err != nil {
		return ""
	}
	for _, x := range signerStatuses {
		if strings.EqualFold(s, x) {
			return x
		}
	}
	f.fail(fmt.Errorf("unknown signer_status %q (want %s)", clip(s), strings.Join(signerStatuses, ", ")))
	return ""
}

// eppStatus reads a domain status: an EPP status code, with or without
// its explanation address ("clientHold https://icann.org/epp#clientHold");
// a bare code gets the address.
func (f *fields) eppStatus(s string) string {
	code, rest, _ := strings.Cut(strings.TrimSpace(s), " ")
	if f.err != nil {
		return ""
	}
	if code == "" || strings.Trim(code, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		f.fail(fmt.Errorf("bad status %q: want an EPP status code", clip(s)))
		return ""
	}
	if rest = strings.TrimSpace(rest); rest == "" {
		rest = "https://icann.org/epp#" + code
	}
	return code + " " + rest
}

// serial reads a certificate serial number: hex digits, optionally
// separated by ':' or spaces, returned upper case without separators.
func (f *fields) serial(field, s string) string {
	if f.err != nil {
		return ""
	}
	if s == "" {
		f.require(false, field)
		return ""
	}
	out := strings.ToUpper(strings.NewReplacer(":", "", " ", "").Replace(s))
	if out == "" || strings.Trim(out, "0123456789ABCDEF") != "" {
		f.fail(fmt.Errorf("bad %s %q: want hex digits", field, clip(s)))
	}
	return out
}

// text reads a required free-text value: trimmed, no control characters.
func (f *fields) text(field, s string) string {
	if f.err != nil {
		return ""
	}
	s = strings.TrimSpace(s)
	if s == "" {
		f.require(false, field)
		return ""
	}
	return f.optText(field, s)
}

// optText reads an optional free-text value.
func (f *fields) optText(field, s string) string {
	if f.err != nil {
		return ""
	}
	s = strings.TrimSpace(s)
	if strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
		f.fail(fmt.Errorf("field %q: control character in %q", field, clip(s)))
	}
	return s
}

// texts reads a list of free-text values; empty ones are refused unless
// keepEmpty (positional lists such as attrs).
func (f *fields) texts(field string, l []string, keepEmpty bool) []string {
	if len(l) == 0 || f.err != nil {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, s := range l {
		t := f.optText(field, s)
		if t == "" && !keepEmpty {
			f.fail(fmt.Errorf("field %q: empty value", field))
		}
		out = append(out, t)
	}
	return out
}
