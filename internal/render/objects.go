package render

import (
	"io"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

// The TIP JSON of the domain and file lookups, and the list items and WHOIS
// object they share with the web-address report. Beyond the rules of the
// package comment: every Url field is the scheme-less normal form, hashes
// are upper-case, the counts of objects (HitsCount, FilesCount, UrlsCount)
// are rounded with report.RoundHits while Ipv4Count and the hit counts of
// list items are exact, list items' dates are never null (a missing one is
// the other of the pair), and PeakDate is null when DailyPeak is 0.

// DomainJSON renders a domain report as the lookup API's JSON body.
func DomainJSON(r *report.DomainReport) ([]byte, error) {
	return AppendDomainJSON(make([]byte, 0, domainSizeHint(r)), r), nil
}

// FileJSON renders a file report as the lookup API's JSON body.
func FileJSON(r *report.FileReport) ([]byte, error) {
	return AppendFileJSON(make([]byte, 0, fileSizeHint(r)), r), nil
}

func domainSizeHint(r *report.DomainReport) int {
	return 2048 + 192*(len(r.Resolutions)+len(r.FilesDownloaded)+len(r.FilesAccessed)) +
		128*(len(r.Referrals)+len(r.ReferredTo)+len(r.Subdomains)+len(r.Masks)) + 256*len(r.Whois.Contacts)
}

func fileSizeHint(r *report.FileReport) int {
	return 1536 + 192*(len(r.Detections)+len(r.ParentCertificates)+len(r.Certificates)+
		len(r.Started)+len(r.StartedBy)+len(r.DownloadedObjects)+len(r.DownloadedBy)) +
		128*(len(r.Names)+len(r.Paths)+len(r.DownloadedFrom)+len(r.AccessedURLs))
}

// AppendDomainJSON appends the JSON body of r to dst.
func AppendDomainJSON(dst []byte, r *report.DomainReport) []byte {
	w := writer{b: dst}
	w.domain(r)
	return w.b
}

// StreamDomainJSON is StreamIPJSON for a domain report.
func StreamDomainJSON(buf []byte, r *report.DomainReport, out io.Writer, chunk int) ([]byte, error) {
	w := writer{b: buf, out: out, chunk: chunk}
	w.domain(r)
	return w.b, w.err
}

// AppendFileJSON appends the JSON body of r to dst.
func AppendFileJSON(dst []byte, r *report.FileReport) []byte {
	w := writer{b: dst}
	w.file(r)
	return w.b
}

// StreamFileJSON is StreamIPJSON for a file report.
func StreamFileJSON(buf []byte, r *report.FileReport, out io.Writer, chunk int) ([]byte, error) {
	w := writer{b: buf, out: out, chunk: chunk}
	w.file(r)
	return w.b, w.err
}

// domain writes the JSON body of r: the sections of r.Sections in the
// order of the contract.
func (w *writer) domain(r *report.DomainReport) {
	s := r.Sections
	w.b = append(w.b, '{')
	w.leading(s, &r.License, r.Zone, r.HasRedZone)
	if s.Has(report.SecDomainGeneralInfo) {
		w.key("DomainGeneralInfo")
		w.b = append(w.b, `{"Domain":`...)
		w.str(r.Domain)
		w.b = append(w.b, `,"FilesCount":`...)
		w.int(report.RoundHits(r.FilesCount))
		w.b = append(w.b, `,"UrlsCount":`...)
		w.int(report.RoundHits(r.URLsCount))
		w.b = append(w.b, `,"HitsCount":`...)
		w.int(report.RoundHits(r.HitsCount))
		w.b = append(w.b, `,"Ipv4Count":`...)
		w.int(r.IPv4Count)
		w.categories(r.Categories)
		w.aptTail(r.HasAPT, r.Reports)
	}
	w.objectLists(s, objectLists{whoisSec: report.SecDomainWhoIsInfo, whoisKey: "DomainWhoIsInfo", whois: &r.Whois,
		resolutions: r.Resolutions, files: r.FilesDownloaded, accessed: r.FilesAccessed,
		referrals: r.Referrals, referredTo: r.ReferredTo})
	if s.Has(report.SecSubdomains) {
		w.key("Subdomains")
		list(w, r.Subdomains, nil, func(w *writer, d *report.SubdomainItem) {
			w.b = append(w.b, `{"Subdomain":`...)
			w.str(d.Name)
			w.b = append(w.b, `,"Zone":`...)
			w.zone(d.Zone)
			w.b = append(w.b, `,"FilesCount":`...)
			w.int(report.RoundHits(d.FilesCount))
			w.b = append(w.b, `,"UrlsCount":`...)
			w.int(report.RoundHits(d.URLsCount))
			w.b = append(w.b, `,"HitsCount":`...)
			w.int(report.RoundHits(d.HitsCount))
			w.b = append(w.b, '}')
		})
	}
	w.masksAndIndustries(s, r.Masks, r.Industries)
	w.b = append(w.b, '}')
}

// objectLists are the sections the domain and web-address answers share,
// from the WHOIS record to UrlReferredTo. The web-address answer's
// downloaded files come as records (downloads) rather than items (files).
type objectLists struct {
	whoisSec              report.Sections
	whoisKey              string
	whois                 *intel.DomainWhois
	resolutions           []report.ResolutionItem
	files                 []report.FileItem
	downloads             []intel.FileDownload
	accessed              []report.FileItem
	referrals, referredTo []report.URLItem
}

// objectLists writes the shared sections of l that s asks for, in the
// contract's order.
func (w *writer) objectLists(s report.Sections, l objectLists) {
	if s.Has(l.whoisSec) {
		w.key(l.whoisKey)
		w.domainWhois(l.whois)
	}
	if s.Has(report.SecDomainDNSResolutions) {
		w.key("DomainDnsResolutions")
		w.resolutions(l.resolutions)
	}
	if s.Has(report.SecFilesDownloaded) {
		w.key("FilesDownloaded")
		if l.downloads != nil {
			w.downloads(l.downloads)
		} else {
			w.fileItems("DownloadHitsCount", l.files)
		}
	}
	if s.Has(report.SecFilesAccessed) {
		w.key("FilesAccessed")
		w.fileItems("AccessHitsCount", l.accessed)
	}
	if s.Has(report.SecURLReferrals) {
		w.key("UrlReferrals")
		w.urlItems(l.referrals)
	}
	if s.Has(report.SecURLReferredTo) {
		w.key("UrlReferredTo")
		w.urlItems(l.referredTo)
	}
}

// masksAndIndustries writes the FeedMasks and Industries sections that s
// asks for.
func (w *writer) masksAndIndustries(s report.Sections, masks []intel.FeedMask, industries []string) {
	if s.Has(report.SecFeedMasks) {
		w.key("FeedMasks")
		w.masks(masks)
	}
	if s.Has(report.SecIndustries) {
		w.key("Industries")
		w.strs(industries)
	}
}

// aptTail ends a general-info object: HasApt and RelatedAptReports.
func (w *writer) aptTail(hasAPT bool, reports []report.ReportRef) {
	w.b = append(w.b, `,"HasApt":`...)
	w.bool(hasAPT)
	w.b = append(w.b, `,"RelatedAptReports":`...)
	w.reports(reports)
	w.b = append(w.b, '}')
}

// list writes items as a JSON list, handing the answer to the output
// between items (spill): keep (when not nil) leaves items out, item writes
// one.
func list[T any](w *writer, items []T, keep func(*T) bool, item func(*writer, *T)) {
	w.b = append(w.b, '[')
	n := 0
	for i := range items {
		if !w.spill() {
			break
		}
		it := &items[i]
		if keep != nil && !keep(it) {
			continue
		}
		if n > 0 {
			w.b = append(w.b, ',')
		}
		n++
		item(w, it)
	}
	w.b = append(w.b, ']')
}

// file writes the JSON body of r.
func (w *writer) file(r *report.FileReport) {
	s := r.Sections
	w.b = append(w.b, '{')
	w.leading(s, &r.License, r.Zone, r.HasRedZone)
	if s.Has(report.SecFileGeneralInfo) {
		md5, sha1, sha256 := queriedHashes(r)
		w.key("FileGeneralInfo")
		w.b = append(w.b, `{"FileStatus":`...)
		w.str(fileStatus(r))
		w.b = append(w.b, `,"Md5":`...)
		w.nupper(md5)
		w.b = append(w.b, `,"Sha1":`...)
		w.nupper(sha1)
		w.b = append(w.b, `,"Sha256":`...)
		w.nupper(sha256)
		w.b = append(w.b, `,"FirstSeen":`...)
		w.dateTime(r.FirstSeen)
		w.b = append(w.b, `,"LastSeen":`...)
		w.dateTime(r.LastSeen)
		w.b = append(w.b, `,"Signer":`...)
		w.nstr(r.Signer)
		w.b = append(w.b, `,"SignerStatus":`...)
		w.nstr(r.SignerStatus)
		w.b = append(w.b, `,"SignerZone":`...)
		w.nstr(string(r.SignerZone))
		w.b = append(w.b, `,"Packer":`...)
		w.nstr(r.Packer)
		w.b = append(w.b, `,"Size":`...)
		if r.Size > 0 {
			w.int(r.Size)
		} else {
			w.b = append(w.b, "null"...)
		}
		w.b = append(w.b, `,"Type":`...)
		w.nstr(r.Type)
		w.b = append(w.b, `,"HitsCount":`...)
		w.int(report.RoundHits(r.HitsCount))
		w.b = append(w.b, `,"Categories":[`...)
		for i, c := range r.Categories {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.str(string(c))
		}
		w.b = append(w.b, ']')
		w.aptTail(r.HasAPT, r.Reports)
	}
	if s.Has(report.SecDetectionsInfo) {
		w.key("DetectionsInfo")
		list(w, r.Detections, nil, func(w *writer, d *report.DetectionItem) {
			w.b = append(w.b, `{"LastDetectDate":`...)
			w.dateTime(d.LastDetect)
			w.b = append(w.b, `,"DescriptionUrl":`...)
			w.nstr(d.DescriptionURL)
			w.b = append(w.b, `,"Zone":`...)
			w.zone(d.Zone)
			w.b = append(w.b, `,"DetectionName":`...)
			w.nstr(d.Name)
			w.b = append(w.b, `,"DetectionMethod":`...)
			w.nstr(d.Method)
			w.b = append(w.b, '}')
		})
	}
	if s.Has(report.SecFileParentCertificates) {
		w.key("FileParentCertificates")
		w.certificates(r.ParentCertificates)
	}
	if s.Has(report.SecFileCertificates) {
		w.key("FileCertificates")
		w.certificates(r.Certificates)
	}
	if s.Has(report.SecFileNames) {
		w.key("FileNames")
		list(w, r.Names, nil, func(w *writer, n *report.NameItem) {
			w.b = append(w.b, `{"FileName":`...)
			w.str(n.Name)
			w.b = append(w.b, `,"FileNamesHitsCount":`...)
			w.int(n.Hits)
			w.b = append(w.b, '}')
		})
	}
	if s.Has(report.SecFilePaths) {
		w.key("FilePaths")
		list(w, r.Paths, nil, func(w *writer, p *report.PathItem) {
			w.b = append(w.b, `{"Path":`...)
			w.str(p.Path)
			w.b = append(w.b, `,"Location":`...)
			w.nstr(p.Location)
			w.b = append(w.b, `,"FilePathHitsCount":`...)
			w.int(p.Hits)
			w.b = append(w.b, '}')
		})
	}
	if s.Has(report.SecFileDownloadedFromURLs) {
		w.key("FileDownloadedFromUrls")
		w.fileURLs(r.DownloadedFrom, `,"DownloadHitsCount":`, `,"FirstDownloadDate":`, `,"LastDownloadDate":`)
	}
	if s.Has(report.SecFileAccessedURLs) {
		w.key("FileAccessedUrls")
		w.fileURLs(r.AccessedURLs, `,"AccessHitsCount":`, `,"FirstAccessDate":`, `,"LastAccessDate":`)
	}
	if s.Has(report.SecFileStartedObjects) {
		w.key("FileStartedObjects")
		w.relatedFiles(r.Started, `,"LastStartDate":`)
	}
	if s.Has(report.SecFileStartedBy) {
		w.key("FileStartedBy")
		w.relatedFiles(r.StartedBy, `,"LastStartDate":`)
	}
	if s.Has(report.SecFileDownloadedObjects) {
		w.key("FileDownloadedObjects")
		w.relatedFiles(r.DownloadedObjects, `,"LastDownloadDate":`)
	}
	if s.Has(report.SecFileDownloadedBy) {
		w.key("FileDownloadedBy")
		w.relatedFiles(r.DownloadedBy, `,"LastDownloadDate":`)
	}
	if s.Has(report.SecIndustries) {
		w.key("Industries")
		w.strs(r.Industries)
	}
	w.b = append(w.b, '}')
}

// queriedHashes returns the MD5, SHA-1 and SHA-256 of r, the queried hash
// filling its own field when the report left it empty.
func queriedHashes(r *report.FileReport) (md5, sha1, sha256 string) {
	md5, sha1, sha256 = r.MD5, r.SHA1, r.SHA256
	switch len(r.Query) {
	case 32:
		if md5 == "" {
			md5 = r.Query
		}
	case 40:
		if sha1 == "" {
			sha1 = r.Query
		}
	case 64:
		if sha256 == "" {
			sha256 = r.Query
		}
	}
	return md5, sha1, sha256
}

// fileStatus is r's FileStatus: "Not categorized" when unset.
func fileStatus(r *report.FileReport) string {
	if r.Status == "" {
		return report.FileStatusNotCategorized
	}
	return r.Status
}

// domainWhois writes the WHOIS object of a domain or of a web address's
// host: every field present, Registrar always an object, DomainName null
// for a public suffix or an IP host.
func (w *writer) domainWhois(wh *intel.DomainWhois) {
	w.b = append(w.b, `{"DomainName":`...)
	w.nstr(wh.Domain)
	w.b = append(w.b, `,"Created":`...)
	w.dateTime(wh.Created)
	w.b = append(w.b, `,"Updated":`...)
	w.dateTime(wh.Updated)
	w.b = append(w.b, `,"Expires":`...)
	w.dateTime(wh.Expires)
	w.b = append(w.b, `,"NameServers":`...)
	w.strs(wh.NameServers)
	w.b = append(w.b, `,"Contacts":[`...)
	for i := range wh.Contacts {
		c := &wh.Contacts[i]
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, `{"ContactType":`...)
		w.nstr(c.Type)
		w.b = append(w.b, `,"Name":`...)
		w.nstr(c.Name)
		w.b = append(w.b, `,"Organization":`...)
		w.nstr(c.Organization)
		w.b = append(w.b, `,"Address":`...)
		w.nstr(c.Address)
		w.b = append(w.b, `,"City":`...)
		w.nstr(c.City)
		w.b = append(w.b, `,"State":`...)
		w.nstr(c.State)
		w.b = append(w.b, `,"PostalCode":`...)
		w.nstr(c.PostalCode)
		w.b = append(w.b, `,"CountryCode":`...)
		w.nstr(c.CountryCode)
		w.b = append(w.b, `,"Phone":`...)
		w.nstr(c.Phone)
		w.b = append(w.b, `,"Fax":`...)
		w.nstr(c.Fax)
		w.b = append(w.b, `,"Email":`...)
		w.nstr(c.Email)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, `],"Registrar":{"Info":`...)
	w.nstr(wh.Registrar)
	w.b = append(w.b, `,"IanaId":`...)
	w.nstr(wh.RegistrarID)
	w.b = append(w.b, `,"Email":`...)
	w.nstr(wh.RegistrarEmail)
	w.b = append(w.b, `},"DomainStatus":`...)
	w.strs(wh.Status)
	w.b = append(w.b, `,"RegistrationOrganization":`...)
	w.nstr(wh.RegistrationOrganization)
	w.b = append(w.b, '}')
}

// resolutions writes DomainDnsResolutions. Only IPv4 addresses are listed
// (clients feed every Ip to an IPv4 model).
func (w *writer) resolutions(res []report.ResolutionItem) {
	list(w, res, func(d *report.ResolutionItem) bool { return d.IP.Unmap().Is4() }, func(w *writer, d *report.ResolutionItem) {
		ip := d.IP.Unmap()
		w.b = append(w.b, `{"Ip":"`...)
		w.b = ip.AppendTo(w.b)
		w.b = append(w.b, `","Zone":`...)
		w.zone(d.Zone)
		w.b = append(w.b, `,"ThreatScore":`...)
		w.int(int64(d.ThreatScore))
		w.b = append(w.b, `,"HitsCount":`...)
		w.int(d.Hits)
		fs, ls := seen(d.FirstSeen, d.LastSeen)
		w.b = append(w.b, `,"FirstSeen":`...)
		w.minute(fs)
		w.b = append(w.b, `,"LastSeen":`...)
		w.minute(ls)
		w.b = append(w.b, `,"DailyPeak":`...)
		w.int(d.DailyPeak)
		w.b = append(w.b, `,"PeakDate":`...)
		if d.DailyPeak > 0 {
			w.day(d.PeakDate)
		} else {
			w.b = append(w.b, "null"...)
		}
		w.b = append(w.b, '}')
	})
}

// fileItems writes FilesDownloaded or FilesAccessed; hitsKey names the
// hit count. Files without an MD5 are not listed.
func (w *writer) fileItems(hitsKey string, files []report.FileItem) {
	list(w, files, func(f *report.FileItem) bool { return f.MD5 != "" }, func(w *writer, f *report.FileItem) {
		w.fileItem(hitsKey, f)
	})
}

// downloads writes the FilesDownloaded of a web-address report.
func (w *writer) downloads(files []intel.FileDownload) {
	list(w, files, func(f *intel.FileDownload) bool { return f.MD5 != "" }, func(w *writer, f *intel.FileDownload) {
		it := report.FileItem{Zone: f.Zone, Hits: f.Hits, MD5: f.MD5, FirstSeen: f.FirstSeen,
			LastSeen: f.LastSeen, DetectionName: f.DetectionName, URL: f.URL}
		w.fileItem("DownloadHitsCount", &it)
	})
}

func (w *writer) fileItem(hitsKey string, f *report.FileItem) {
	w.b = append(w.b, `{"Zone":`...)
	w.zone(f.Zone)
	w.b = append(w.b, `,"`...)
	w.b = append(w.b, hitsKey...)
	w.b = append(w.b, `":`...)
	w.int(f.Hits)
	w.b = append(w.b, `,"Md5":`...)
	w.upper(f.MD5)
	fs, ls := seen(f.FirstSeen, f.LastSeen)
	w.b = append(w.b, `,"FirstSeen":`...)
	w.minute(fs)
	w.b = append(w.b, `,"LastSeen":`...)
	w.minute(ls)
	w.b = append(w.b, `,"DetectionName":`...)
	w.nstr(f.DetectionName)
	w.b = append(w.b, `,"Url":`...)
	w.nstr(noScheme(f.URL))
	w.b = append(w.b, '}')
}

// urlItems writes UrlReferrals or UrlReferredTo.
func (w *writer) urlItems(items []report.URLItem) {
	list(w, items, nil, func(w *writer, u *report.URLItem) {
		w.b = append(w.b, `{"Zone":`...)
		w.zone(u.Zone)
		w.b = append(w.b, `,"Url":`...)
		w.str(noScheme(u.URL))
		fs, ls := seen(u.FirstSeen, u.LastSeen)
		w.b = append(w.b, `,"FirstSeen":`...)
		w.minute(fs)
		w.b = append(w.b, `,"LastSeen":`...)
		w.minute(ls)
		w.b = append(w.b, '}')
	})
}

func (w *writer) certificates(certs []report.CertificateItem) {
	list(w, certs, nil, func(w *writer, c *report.CertificateItem) {
		w.b = append(w.b, `{"Vendor":`...)
		w.nstr(c.Vendor)
		w.b = append(w.b, `,"Publisher":`...)
		w.nstr(c.Publisher)
		w.b = append(w.b, `,"TimeStamp":`...)
		w.dateTime(c.TimeStamp)
		w.b = append(w.b, `,"Issued":`...)
		w.dateTime(c.Issued)
		w.b = append(w.b, `,"Expires":`...)
		w.dateTime(c.Expires)
		w.b = append(w.b, `,"SerialNumber":`...)
		w.nupper(c.SerialNumber)
		w.b = append(w.b, '}')
	})
}

// fileURLs writes FileDownloadedFromUrls or FileAccessedUrls; the keys of
// the hit count and the dates are given with their leading comma.
func (w *writer) fileURLs(items []report.FileURLItem, hitsKey, firstKey, lastKey string) {
	list(w, items, nil, func(w *writer, u *report.FileURLItem) {
		w.b = append(w.b, `{"Zone":`...)
		w.zone(u.Zone)
		w.b = append(w.b, `,"Url":`...)
		w.str(noScheme(u.URL))
		w.b = append(w.b, `,"Domain":`...)
		w.nstr(unbracket(u.Domain))
		w.b = append(w.b, hitsKey...)
		w.int(u.Hits)
		fs, ls := seen(u.FirstSeen, u.LastSeen)
		w.b = append(w.b, firstKey...)
		w.dateTime(fs)
		w.b = append(w.b, lastKey...)
		w.dateTime(ls)
		w.b = append(w.b, '}')
	})
}

// relatedFiles writes FileStartedObjects, FileStartedBy,
// FileDownloadedObjects or FileDownloadedBy; lastKey (with its leading
// comma) names the date.
func (w *writer) relatedFiles(files []report.RelatedFileItem, lastKey string) {
	list(w, files, nil, func(w *writer, f *report.RelatedFileItem) {
		w.b = append(w.b, `{"Zone":`...)
		w.zone(f.Zone)
		w.b = append(w.b, `,"HitsCount":`...)
		w.int(f.Hits)
		w.b = append(w.b, `,"Md5":`...)
		w.nupper(f.MD5)
		w.b = append(w.b, `,"Location":`...)
		w.nstr(f.Location)
		w.b = append(w.b, `,"Path":`...)
		w.nstr(f.Path)
		w.b = append(w.b, `,"Name":`...)
		w.nstr(f.Name)
		w.b = append(w.b, `,"DetectionName":`...)
		w.nstr(f.DetectionName)
		w.b = append(w.b, lastKey...)
		w.dateTime(f.Last)
		w.b = append(w.b, '}')
	})
}

// nupper writes s upper-cased (hex), or null when s is empty.
func (w *writer) nupper(s string) {
	if s == "" {
		w.b = append(w.b, "null"...)
		return
	}
	w.upper(s)
}

// seen returns the dates of a list item with a zero one replaced by the
// other: list items' dates are never null.
func seen(first, last time.Time) (time.Time, time.Time) {
	if last.IsZero() {
		last = first
	}
	if first.IsZero() {
		first = last
	}
	return first, last
}

// noScheme returns u without a leading http:// or https:// (in any case):
// Url fields hold the scheme-less normal form.
func noScheme(u string) string {
	if len(u) >= 7 && (u[4] == ':' || u[5] == ':') {
		for _, p := range [...]string{"http://", "https://"} {
			if len(u) >= len(p) && asciiEqualFold(u[:len(p)], p) {
				return u[len(p):]
			}
		}
	}
	return u
}

// asciiEqualFold reports whether s equals the lower-case ASCII lower,
// ignoring the case of s.
func asciiEqualFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// unbracket returns an IPv6 host without its brackets.
func unbracket(h string) string {
	if len(h) >= 2 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}
