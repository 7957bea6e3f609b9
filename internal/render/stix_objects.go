package render

// STIX 2.1 bundles of the domain and file lookups, and the writers they
// share with the web-address bundle (stix.go). docs/stix.md documents the
// layout and every x_tipd_ property.
//
// List items become objects of their own (ipv4-addr, url, file) linked to
// the main observable. The facts of an item object are its own (zone,
// detection name); the facts of the link (hits, first and last seen, the
// address a file came from) are on the relationship, because one object
// can stand in several lists of a bundle and is written once.

import (
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

// Values of x_tipd_relation on related-to relationships: the source ...
// the target. A related-to without it is a download (file -> where it was
// downloaded from), as in address bundles.
const (
	relAccessed     = "accessed"      // a file contacted a name or web address
	relRefersTo     = "refers-to"     // a web address or name links or redirects to another
	relHostedOn     = "hosted-on"     // a web address is on a host name
	relStarted      = "started"       // a file started another
	relStartedBy    = "started-by"    // a file was started by another
	relDownloaded   = "downloaded"    // a file downloaded another
	relDownloadedBy = "downloaded-by" // a file was downloaded by another
)

// DomainSTIX renders a domain report as one STIX 2.1 bundle. now is the
// time used where no evidence date exists. The bundle id is random;
// everything else depends only on r (and now for undated objects).
func DomainSTIX(r *report.DomainReport, now time.Time) ([]byte, error) {
	size := 3072 + 256*len(r.Whois.Contacts) + 900*(len(r.Resolutions)+len(r.ResolutionsIPv6)) + 750*(len(r.FilesDownloaded)+len(r.FilesAccessed)) +
		700*(len(r.Referrals)+len(r.ReferredTo)) + 120*len(r.Subdomains) + 160*len(r.Masks) + 600*len(r.Reports)
	return appendDomainBundle(make([]byte, 0, size), r, now, randomBundleID()), nil
}

// FileSTIX renders a file report as one STIX 2.1 bundle.
func FileSTIX(r *report.FileReport, now time.Time) ([]byte, error) {
	size := 3072 + 160*(len(r.Detections)+len(r.Names)+len(r.Paths)) + 250*(len(r.Certificates)+len(r.ParentCertificates)) +
		650*(len(r.DownloadedFrom)+len(r.AccessedURLs)) +
		650*(len(r.Started)+len(r.StartedBy)+len(r.DownloadedObjects)+len(r.DownloadedBy)) + 600*len(r.Reports)
	return appendFileBundle(make([]byte, 0, size), r, now, randomBundleID()), nil
}

// appendDomainBundle appends the bundle of a domain report to dst.
func appendDomainBundle(dst []byte, r *report.DomainReport, now time.Time, bundleID string) []byte {
	s := newSTIXWriter(dst, now, bundleID)
	domID := scoValueID("domain-name", r.Domain)
	latest := latestDomainEvidence(r)

	// The name with the verdict and every non-standard section.
	s.begin("domain-name", domID)
	s.kstr("value", r.Domain)
	s.kzone(r.Zone)
	s.kbool("x_tipd_known", r.Known)
	s.kbool("x_tipd_has_red_zone", r.HasRedZone)
	s.seenDates(r.FirstSeen, r.LastSeen)
	s.kint("x_tipd_hits", report.RoundHits(r.HitsCount))
	s.kint("x_tipd_files_count", report.RoundHits(r.FilesCount))
	s.kint("x_tipd_urls_count", report.RoundHits(r.URLsCount))
	s.kint("x_tipd_ipv4_count", r.IPv4Count)
	s.kbool("x_tipd_has_apt", r.HasAPT)
	s.kcategories(r.Categories)
	s.domainWhois(&r.Whois)
	s.klist("x_tipd_subdomains", len(r.Subdomains), func(i int) {
		d := &r.Subdomains[i]
		o := s.open()
		o.str("name", d.Name)
		o.zone("zone", d.Zone)
		o.int("files_count", report.RoundHits(d.FilesCount))
		o.int("urls_count", report.RoundHits(d.URLsCount))
		o.int("hits", report.RoundHits(d.HitsCount))
		o.close()
	})
	s.kmasks("x_tipd_feed_masks", r.Masks)
	s.kstrs("x_tipd_industries", r.Industries)
	s.end()

	indID := ""
	if r.Zone == intel.ZoneRed || r.Zone == intel.ZoneOrange {
		indID = s.domainIndicator(r, latest)
		s.rel("based-on", indID, domID, r.FirstSeen, latest, nil)
	}
	s.resolutions(domID, r.Resolutions)
	s.resolutions(domID, r.ResolutionsIPv6)
	s.fileItems(domID, r.FilesDownloaded, "", "domain name")
	s.fileItems(domID, r.FilesAccessed, relAccessed, "")
	s.urlItems(domID, r.Referrals, false)
	s.urlItems(domID, r.ReferredTo, true)

	refs := []string{domID}
	if indID != "" {
		refs = append(refs, indID)
	}
	s.reports(r.Reports, refs)
	return s.finish()
}

// domainIndicator writes the indicator of a Red or Orange name (the
// caller checks the zone) and returns its id.
func (s *stixWriter) domainIndicator(r *report.DomainReport, latest time.Time) string {
	indID := stableID("indicator", "domain-name\x00"+r.Domain)
	s.indicator(indID, "[domain-name:value = '"+patternEscape(r.Domain)+"']", r.Domain, r.Zone, -1, r.Categories, r.FirstSeen, latest)
	return indID
}

// latestDomainEvidence is the latest evidence date of a domain report:
// modified of its indicator.
func latestDomainEvidence(r *report.DomainReport) time.Time {
	latest := maxTime(r.FirstSeen, r.LastSeen)
	for i := range r.Masks {
		latest = maxTime(latest, r.Masks[i].LastSeen)
	}
	return latest
}

// resolutions writes the addresses a name resolved to, each with a
// resolves-to relationship from the name.
func (s *stixWriter) resolutions(domID string, res []report.ResolutionItem) {
	for i := range res[:min(len(res), maxSTIXItems)] {
		d := &res[i]
		if !d.IP.IsValid() {
			continue
		}
		typ, ipID := ipObservable(d.IP)
		if s.begin(typ, ipID) {
			s.kstr("value", d.IP.Unmap().String())
			s.kzone(d.Zone)
			s.kint("x_tipd_threat_score", int64(d.ThreatScore))
			s.end()
		}
		s.resolvesTo(domID, ipID, d.FirstSeen, d.LastSeen, d.Hits, d.DailyPeak, d.PeakDate)
	}
}

// resolvesTo writes the resolves-to relationship of a passive-DNS
// resolution, name -> address.
func (s *stixWriter) resolvesTo(domID, ipID string, first, last time.Time, hits, peak int64, peakDate time.Time) {
	s.rel("resolves-to", domID, ipID, first, last, func() {
		s.ktime("start_time", first)
		if !first.IsZero() && last.After(first) {
			s.ktime("stop_time", last)
		}
		s.seenDates(first, last)
		s.kint("x_tipd_hits", hits)
		s.kint("x_tipd_daily_peak", peak)
		if !peakDate.IsZero() {
			s.kstr("x_tipd_peak_date", peakDate.UTC().Format("2006-01-02"))
		}
	})
}

// fileItems writes the files of FilesDownloaded (relation "", where is
// what the description names) or FilesAccessed (relAccessed), each with a
// related-to relationship file -> target.
func (s *stixWriter) fileItems(target string, files []report.FileItem, relation, where string) {
	for i := range files[:min(len(files), maxSTIXItems)] {
		f := &files[i]
		fileID := s.md5File(f.MD5, f.Zone, f.DetectionName)
		if fileID == "" {
			continue
		}
		s.relWith("related-to", relation, fileID, target, f.FirstSeen, f.LastSeen, func() {
			if relation == "" {
				s.kstr("description", "downloaded from the "+where)
				if f.URL != "" {
					s.kstr("x_tipd_download_url", urlValue(f.URL))
				}
			} else if f.URL != "" {
				s.kstr("x_tipd_access_url", urlValue(f.URL))
			}
			s.kint("x_tipd_hits", f.Hits)
			s.seenDates(f.FirstSeen, f.LastSeen)
		})
	}
}

// urlItems writes the web addresses of UrlReferrals (each refers to
// target) or, with from, UrlReferredTo (target refers to each).
func (s *stixWriter) urlItems(target string, items []report.URLItem, from bool) {
	for i := range items[:min(len(items), maxSTIXItems)] {
		u := &items[i]
		urlID := s.urlObject(urlValue(u.URL), u.URL, u.Zone, func() {})
		src, dst := urlID, target
		if from {
			src, dst = target, urlID
		}
		s.relWith("related-to", relRefersTo, src, dst, u.FirstSeen, u.LastSeen, func() {
			s.seenDates(u.FirstSeen, u.LastSeen)
		})
	}
}

// md5File writes a file observable known by its MD5 (once), with its zone
// and latest detection name, and returns its id ("" without a valid MD5).
func (s *stixWriter) md5File(md5 string, zone intel.Zone, detection string) string {
	md5 = strings.ToLower(md5)
	if !isHex(md5, 32) {
		return ""
	}
	id := scoID("file", `{"hashes":{"MD5":"`+md5+`"}}`)
	if s.begin("file", id) {
		s.k("hashes")
		s.b = append(s.b, `{"MD5":"`...)
		s.b = append(s.b, md5...)
		s.b = append(s.b, `"}`...)
		s.kzone(zone)
		s.kopt("x_tipd_detection_name", detection)
		s.end()
	}
	return id
}

// domainWhois writes x_tipd_whois of a domain name (or of a web address's
// host) when a registration record is known.
func (s *stixWriter) domainWhois(wh *intel.DomainWhois) {
	if wh.Created.IsZero() && wh.Updated.IsZero() && wh.Expires.IsZero() && len(wh.NameServers) == 0 &&
		len(wh.Status) == 0 && wh.Registrar == "" && wh.RegistrarID == "" && wh.RegistrarEmail == "" &&
		wh.RegistrationOrganization == "" && len(wh.Contacts) == 0 {
		return
	}
	s.k("x_tipd_whois")
	o := s.open()
	o.str("domain_name", wh.Domain)
	o.stamp("created", wh.Created)
	o.stamp("updated", wh.Updated)
	o.stamp("expires", wh.Expires)
	o.strs("name_servers", wh.NameServers)
	o.strs("status", wh.Status)
	if wh.Registrar != "" || wh.RegistrarID != "" || wh.RegistrarEmail != "" {
		o.key("registrar")
		g := s.open()
		g.str("name", wh.Registrar)
		g.str("iana_id", wh.RegistrarID)
		g.str("email", wh.RegistrarEmail)
		g.close()
	}
	o.str("registration_organization", wh.RegistrationOrganization)
	if len(wh.Contacts) > 0 {
		o.key("contacts")
		s.list(len(wh.Contacts), func(i int) {
			c := &wh.Contacts[i]
			p := s.open()
			for _, kv := range [...][2]string{{"type", c.Type}, {"name", c.Name}, {"organization", c.Organization}} {
				p.str(kv[0], kv[1])
			}
			if c.Address != "" {
				// A list of lines, as in the contacts of an address's WHOIS.
				p.strs("address", []string{c.Address})
			}
			for _, kv := range [...][2]string{{"city", c.City}, {"state", c.State}, {"postal_code", c.PostalCode},
				{"country_code", c.CountryCode}, {"phone", c.Phone}, {"fax", c.Fax}, {"email", c.Email}} {
				p.str(kv[0], kv[1])
			}
			p.close()
		})
	}
	o.close()
}

// fileHashes are the valid hashes of a file, lower-case hex ("" unknown).
type fileHashes struct{ md5, sha1, sha256 string }

// reportHashes returns the hashes of a file report; without any, the
// queried hash.
func reportHashes(r *report.FileReport) fileHashes {
	h := fileHashes{md5: lowerHex(r.MD5, 32), sha1: lowerHex(r.SHA1, 40), sha256: lowerHex(r.SHA256, 64)}
	if h == (fileHashes{}) {
		switch q := r.Query; len(q) {
		case 32:
			h.md5 = lowerHex(q, 32)
		case 40:
			h.sha1 = lowerHex(q, 40)
		case 64:
			h.sha256 = lowerHex(q, 64)
		}
	}
	return h
}

func lowerHex(s string, n int) string {
	if s = strings.ToLower(s); isHex(s, n) {
		return s
	}
	return ""
}

// id is the deterministic id of the file: of its hashes, only the first
// present of MD5, SHA-1 and SHA-256 contributes (STIX 2.1 section 6.7,
// as other producers compute it); "" without hashes.
func (h fileHashes) id() string {
	switch {
	case h.md5 != "":
		return scoID("file", `{"hashes":{"MD5":"`+h.md5+`"}}`)
	case h.sha1 != "":
		return scoID("file", `{"hashes":{"SHA-1":"`+h.sha1+`"}}`)
	case h.sha256 != "":
		return scoID("file", `{"hashes":{"SHA-256":"`+h.sha256+`"}}`)
	}
	return ""
}

// pattern is the indicator pattern of the file, on its strongest hash
// (SHA-256, else SHA-1, else MD5), and that hash.
func (h fileHashes) pattern() (pattern, value string) {
	switch {
	case h.sha256 != "":
		return "[file:hashes.'SHA-256' = '" + h.sha256 + "']", h.sha256
	case h.sha1 != "":
		return "[file:hashes.'SHA-1' = '" + h.sha1 + "']", h.sha1
	}
	return "[file:hashes.MD5 = '" + h.md5 + "']", h.md5
}

// write writes the hashes property (MD5, SHA-1, SHA-256 as known).
func (h fileHashes) write(s *stixWriter) {
	s.k("hashes")
	o := s.open()
	o.str("MD5", h.md5)
	o.str("SHA-1", h.sha1)
	o.str("SHA-256", h.sha256)
	o.close()
}

// fileCategories pairs a file's categories with their zones (Grey when a
// category has none), in the report's order.
func fileCategories(cats []intel.Category) []score.CategoryZone {
	if len(cats) == 0 {
		return nil
	}
	out := make([]score.CategoryZone, len(cats))
	for i, c := range cats {
		z, ok := intel.CategoryZone(c)
		if !ok {
			z = intel.ZoneGrey
		}
		out[i] = score.CategoryZone{Name: c, Zone: z}
	}
	return out
}

// appendFileBundle appends the bundle of a file report to dst. A report
// without a valid hash (never built by report) gives the identity alone.
func appendFileBundle(dst []byte, r *report.FileReport, now time.Time, bundleID string) []byte {
	s := newSTIXWriter(dst, now, bundleID)
	h := reportHashes(r)
	fileID := h.id()
	if fileID == "" {
		return s.finish()
	}
	cats := fileCategories(r.Categories)

	// The file with the verdict and every non-standard section.
	s.begin("file", fileID)
	h.write(s)
	if r.Size > 0 {
		s.kint("size", r.Size)
	}
	s.kzone(r.Zone)
	s.kopt("x_tipd_file_status", r.Status)
	s.kbool("x_tipd_known", r.Known)
	s.kbool("x_tipd_has_red_zone", r.HasRedZone)
	s.seenDates(r.FirstSeen, r.LastSeen)
	s.kint("x_tipd_hits", report.RoundHits(r.HitsCount))
	s.kopt("x_tipd_file_type", r.Type)
	s.kopt("x_tipd_packer", r.Packer)
	s.kopt("x_tipd_signer", r.Signer)
	s.kopt("x_tipd_signer_status", r.SignerStatus)
	if r.SignerZone.Valid() {
		s.k("x_tipd_signer_zone")
		s.zone(r.SignerZone)
	}
	s.kbool("x_tipd_has_apt", r.HasAPT)
	s.kcategories(cats)
	s.klist("x_tipd_detections", len(r.Detections), func(i int) {
		d := &r.Detections[i]
		o := s.open()
		o.str("name", d.Name)
		o.str("method", d.Method)
		o.zone("zone", d.Zone)
		o.stamp("last_detect", d.LastDetect)
		o.str("description_url", d.DescriptionURL)
		o.close()
	})
	s.certificates("x_tipd_certificates", r.Certificates)
	s.certificates("x_tipd_parent_certificates", r.ParentCertificates)
	s.klist("x_tipd_names", len(r.Names), func(i int) {
		n := &r.Names[i]
		o := s.open()
		o.str("name", n.Name)
		o.int("hits", n.Hits)
		o.close()
	})
	s.klist("x_tipd_paths", len(r.Paths), func(i int) {
		p := &r.Paths[i]
		o := s.open()
		o.str("path", p.Path)
		o.str("location", p.Location)
		o.int("hits", p.Hits)
		o.close()
	})
	s.kstrs("x_tipd_industries", r.Industries)
	s.end()

	indID := ""
	if r.Zone == intel.ZoneRed {
		latest := maxTime(r.FirstSeen, r.LastSeen)
		indID = s.fileIndicator(r, h, cats)
		s.rel("based-on", indID, fileID, r.FirstSeen, latest, nil)
	}
	s.fileURLs(fileID, r.DownloadedFrom, "")
	s.fileURLs(fileID, r.AccessedURLs, relAccessed)
	s.relatedFiles(fileID, r.Started, relStarted)
	s.relatedFiles(fileID, r.StartedBy, relStartedBy)
	s.relatedFiles(fileID, r.DownloadedObjects, relDownloaded)
	s.relatedFiles(fileID, r.DownloadedBy, relDownloadedBy)

	refs := []string{fileID}
	if indID != "" {
		refs = append(refs, indID)
	}
	s.reports(r.Reports, refs)
	return s.finish()
}

// fileIndicator writes the indicator of a Red file (the caller checks
// the zone; files are never Orange) and returns its id. It is modified at
// the file's last sighting.
func (s *stixWriter) fileIndicator(r *report.FileReport, h fileHashes, cats []score.CategoryZone) string {
	pattern, value := h.pattern()
	indID := stableID("indicator", "file\x00"+value)
	s.indicator(indID, pattern, value, r.Zone, -1, cats, r.FirstSeen, maxTime(r.FirstSeen, r.LastSeen))
	return indID
}

// fileURLs writes the web addresses of FileDownloadedFromUrls (relation
// "") or FileAccessedUrls (relAccessed) with a related-to relationship
// file -> web address.
func (s *stixWriter) fileURLs(fileID string, items []report.FileURLItem, relation string) {
	for i := range items[:min(len(items), maxSTIXItems)] {
		u := &items[i]
		value := urlValue(u.URL)
		urlID := s.urlObject(value, u.URL, u.Zone, func() { s.kopt("x_tipd_host", u.Domain) })
		s.relWith("related-to", relation, fileID, urlID, u.FirstSeen, u.LastSeen, func() {
			if relation == "" {
				s.kstr("description", "downloaded from the web address")
				s.kstr("x_tipd_download_url", value)
			} else {
				s.kstr("x_tipd_access_url", value)
			}
			s.kint("x_tipd_hits", u.Hits)
			s.seenDates(u.FirstSeen, u.LastSeen)
		})
	}
}

// relatedFiles writes the files of FileStartedObjects, FileStartedBy,
// FileDownloadedObjects or FileDownloadedBy with a related-to
// relationship fileID -> other file carrying relation.
func (s *stixWriter) relatedFiles(fileID string, items []report.RelatedFileItem, relation string) {
	for i := range items[:min(len(items), maxSTIXItems)] {
		f := &items[i]
		otherID := s.md5File(f.MD5, f.Zone, f.DetectionName)
		if otherID == "" {
			continue
		}
		s.relWith("related-to", relation, fileID, otherID, f.Last, f.Last, func() {
			s.kint("x_tipd_hits", f.Hits)
			s.ktime("x_tipd_last_seen", f.Last)
			s.kopt("x_tipd_name", f.Name)
			s.kopt("x_tipd_path", f.Path)
			s.kopt("x_tipd_location", f.Location)
		})
	}
}

func (s *stixWriter) certificates(name string, certs []report.CertificateItem) {
	s.klist(name, len(certs), func(i int) {
		c := &certs[i]
		o := s.open()
		o.str("vendor", c.Vendor)
		o.str("publisher", c.Publisher)
		o.stamp("timestamp", c.TimeStamp)
		o.stamp("issued", c.Issued)
		o.stamp("expires", c.Expires)
		o.str("serial_number", strings.ToUpper(c.SerialNumber))
		o.close()
	})
}

// relWith writes a relationship; a non-empty relation is written as
// x_tipd_relation and is part of the id, so that two links of one pair of
// objects (a file both downloaded from and contacting a name) stay two.
func (s *stixWriter) relWith(typ, relation, src, dst string, created, modified time.Time, extra func()) {
	if relation == "" {
		s.rel(typ, src, dst, created, modified, extra)
		return
	}
	id := stableID("relationship", typ+"\x00"+src+"\x00"+dst+"\x00"+relation)
	if !s.sdo("relationship", id, created, modified) {
		return
	}
	s.kstr("relationship_type", typ)
	s.kstr("source_ref", src)
	s.kstr("target_ref", dst)
	s.kstr("x_tipd_relation", relation)
	if extra != nil {
		extra()
	}
	s.end()
}

// klist writes the list property name of n items (at most maxSTIXItems),
// unless n is 0; item writes the i-th.
func (s *stixWriter) klist(name string, n int, item func(i int)) {
	if n == 0 {
		return
	}
	s.k(name)
	s.list(n, item)
}

// list writes a JSON list of n items (at most maxSTIXItems).
func (s *stixWriter) list(n int, item func(i int)) {
	s.b = append(s.b, '[')
	for i := range min(n, maxSTIXItems) {
		if i > 0 {
			s.b = append(s.b, ',')
		}
		item(i)
	}
	s.b = append(s.b, ']')
}

// nested writes the members of a JSON object inside a property, leaving
// out empty strings, lists and times.
type nested struct {
	s *stixWriter
	n int
}

// open starts a nested object.
func (s *stixWriter) open() nested {
	s.b = append(s.b, '{')
	return nested{s: s}
}

func (o *nested) key(k string) {
	if o.n > 0 {
		o.s.b = append(o.s.b, ',')
	}
	o.n++
	o.s.b = append(o.s.b, '"')
	o.s.b = append(o.s.b, k...)
	o.s.b = append(o.s.b, '"', ':')
}

func (o *nested) str(k, v string) {
	if v != "" {
		o.key(k)
		o.s.str(v)
	}
}

func (o *nested) strs(k string, v []string) {
	if len(v) > 0 {
		o.key(k)
		o.s.strs(v[:min(len(v), maxSTIXItems)])
	}
}

func (o *nested) int(k string, v int64) {
	o.key(k)
	o.s.int(v)
}

func (o *nested) zone(k string, z intel.Zone) {
	o.key(k)
	o.s.zone(z)
}

func (o *nested) stamp(k string, t time.Time) {
	if !t.IsZero() {
		o.key(k)
		o.s.stamp(t)
	}
}

func (o *nested) close() { o.s.b = append(o.s.b, '}') }
