package intel

import (
	"slices"
	"strings"
	"time"
)

// Domains, web addresses and files as objects of their own (the domain,
// URL and hash lookups). What is known of such an object is kept in three
// generic record types, so that every backend stores them with one table
// each, whatever the section:
//
//   - ObjectInfo: facts about the object itself (hits, dates, file
//     metadata, allow lists), merged into its summary;
//   - ObjectListing: a feed puts the object in a category;
//   - Link: one item of one of the object's list sections (LinkList),
//     e.g. an address a domain resolved to, a web address on a host, a
//     file downloaded from a host, a detection of a file.
//
// Plus two of their own: FileHashes (the MD5, SHA-1 and SHA-256 of one
// file) and DomainWhois (a registrable domain's registration record).
//
// Records of the address-keyed kinds imply object records (a HostedURL
// puts a web address on its host, a FileDownload a file on its host and
// web address, a Resolution an address on its domain): (*Batch).AddObjects
// derives them; the importer calls it once per batch.

// ObjectKind is the kind of an object's key.
type ObjectKind uint8

// The object kinds.
const (
	// ObjectHost is a host: a domain name as NormalizeDomain returns it,
	// or an IP literal as URLHost returns it (IPv6 without brackets).
	ObjectHost ObjectKind = iota + 1
	// ObjectURL is a web address: the key NormalizeURL returns (no
	// scheme), or, as owner of LinkURLVariants, a URLMatchKey.
	ObjectURL
	// ObjectFile is a file by one of its hashes: upper-case hex of 32
	// (MD5), 40 (SHA-1) or 64 (SHA-256) digits.
	ObjectFile
)

// String is the kind's name: "host", "url" or "file".
func (k ObjectKind) String() string {
	switch k {
	case ObjectHost:
		return "host"
	case ObjectURL:
		return "url"
	case ObjectFile:
		return "file"
	}
	return "unknown"
}

// Valid reports whether k is one of the object kinds.
func (k ObjectKind) Valid() bool { return k >= ObjectHost && k <= ObjectFile }

// LinkList names one list section of an object. Each list has an owner
// kind, an item key, an order and the meaning of Link.Attrs, documented
// per constant. Compound item keys join their parts with ItemSep.
type LinkList uint8

// ItemSep joins the parts of a compound Link.Item ("MD5\x1fURL"). No part
// ever holds it: web-address keys escape control characters, hashes and
// names have none.
const ItemSep = "\x1f"

// The lists. "Recency" orders newest LastSeen first, then more hits, then
// by item key; "severity" most severe Zone first, then more hits, then by
// item key.
const (
	// LinkHostIPv4: host (domain) -> IPv4 address it resolved to (item:
	// the address text). Hits, dates, DailyPeak, PeakDate. Recency.
	LinkHostIPv4 LinkList = iota + 1
	// LinkHostIPv6: as LinkHostIPv4 for IPv6 addresses.
	LinkHostIPv6
	// LinkHostURLs: host -> web address on it (item: URL key). Zone: the
	// web address's zone as recorded. Recency.
	LinkHostURLs
	// LinkHostFiles: host -> file downloaded from it (item: MD5 ItemSep
	// URL key). Attrs[0]: latest detection name. Recency.
	LinkHostFiles
	// LinkHostAccessed: host -> file that contacted it (item: MD5, or MD5
	// ItemSep URL key when the address is known). Attrs[0]: detection.
	// Recency.
	LinkHostAccessed
	// LinkHostReferrals: host -> web address linking or redirecting to
	// its pages (item: URL key). Recency.
	LinkHostReferrals
	// LinkHostReferredTo: host -> web address its pages link or redirect
	// to (item: URL key). Recency.
	LinkHostReferredTo
	// LinkSubdomains: host -> known name below it (item: the full name),
	// for every ancestor down to the registrable domain. Zone: the
	// subdomain's zone as recorded (an ordering hint; answers compute the
	// zone afresh). Severity.
	LinkSubdomains
	// LinkHostMasks: host -> feed mask naming it or covering its web
	// addresses (item: mask ItemSep mask type). Zone; Attrs: the feeds
	// (a sorted set, merged by union). Severity.
	LinkHostMasks
	// LinkHostReports: host -> report naming it (item: report ID).
	// Recency.
	LinkHostReports
	// LinkURLAccessed: web address -> file that contacted it (item: MD5).
	// Attrs[0]: detection. Recency.
	LinkURLAccessed
	// LinkURLReferrals, LinkURLReferredTo: as the host lists, per web
	// address.
	LinkURLReferrals
	LinkURLReferredTo
	// LinkURLReports: web address -> report naming it (item: report ID).
	LinkURLReports
	// LinkURLVariants: match key (URLMatchKey) -> web address stored
	// under it (item: URL key). Recency.
	LinkURLVariants
	// LinkFileURLs: file -> web address it was downloaded from (item: URL
	// key). Zone: the web address's zone as recorded. Recency.
	LinkFileURLs
	// LinkFileAccessedURLs: file -> web address it contacted (item: URL
	// key). Recency.
	LinkFileAccessedURLs
	// LinkFileNames: file -> name it was seen under (item: the name).
	// Hits. Recency (undated: by hits).
	LinkFileNames
	// LinkFilePaths: file -> path it was seen at (item: location ItemSep
	// path). Hits. Recency.
	LinkFilePaths
	// LinkDetections: file -> detection (item: detection name). Zone:
	// DetectionZone of the name; LastSeen: last detection date.
	// Attrs[0]: method ("" = derive from the name), Attrs[1]: description
	// URL. Recency.
	LinkDetections
	// LinkFileStarted, LinkFileStartedBy, LinkFileDownloadedObjects,
	// LinkFileDownloadedBy: file -> other file (item: its MD5). LastSeen:
	// last start or download date. Attrs: location, path, name, detection
	// name. Recency.
	LinkFileStarted
	LinkFileStartedBy
	LinkFileDownloadedObjects
	LinkFileDownloadedBy
	// LinkFileCertificates, LinkFileParentCertificates: file -> signing
	// certificate (item: serial number, upper-case hex). Attrs: vendor
	// (issuer), publisher, time stamp, issued, expires (RFC 3339 or "").
	// Recency.
	LinkFileCertificates
	LinkFileParentCertificates
	// LinkFileReports: file -> report naming it (item: report ID).
	LinkFileReports

	// NumLinkLists is one more than the largest list.
	NumLinkLists
)

// Owner is the kind of the list's owners.
func (l LinkList) Owner() ObjectKind {
	switch {
	case l >= LinkHostIPv4 && l <= LinkHostReports:
		return ObjectHost
	case l >= LinkURLAccessed && l <= LinkURLVariants:
		return ObjectURL
	case l >= LinkFileURLs && l < NumLinkLists:
		return ObjectFile
	}
	return 0
}

// Valid reports whether l is one of the lists.
func (l LinkList) Valid() bool { return l >= LinkHostIPv4 && l < NumLinkLists }

// BySeverity reports whether the list is ordered by severity rather than
// recency.
func (l LinkList) BySeverity() bool { return l == LinkSubdomains || l == LinkHostMasks }

// UnionAttrs reports whether the list's Attrs are a set merged by union
// rather than values replaced by the latest non-empty ones.
func (l LinkList) UnionAttrs() bool { return l == LinkHostMasks }

// ObjectInfo is what a source says of a domain, web address or file
// itself.
// Merge: keyed by (Kind, Key); Hits = max, FirstSeen = min, LastSeen =
// max, the file metadata (Size when > 0, the strings when not empty) =
// the latest applied, Allows = union, Source = the latest applied.
type ObjectInfo struct {
	Kind      ObjectKind
	Key       string
	Hits      int64
	FirstSeen time.Time
	LastSeen  time.Time
	// Files only.
	Size         int64  // bytes; 0 unknown
	Type         string // lower case, as the source writes it: "elf.32.le", "exe"
	Packer       string
	Signer       string
	SignerStatus string // "Trusted", "Not trusted", "Discredited"
	// Allows names the allow lists (warninglists) that list a host name;
	// the name and every name below it are known benign.
	Allows []string
	Source Source
}

// ObjectListing says a feed put a domain, web address or file in a
// category.
// Merge: keyed by (Kind, Key, Feed, Category); FirstSeen = min, LastSeen =
// max, Source = the latest applied.
type ObjectListing struct {
	Kind      ObjectKind
	Key       string
	Category  Category
	Feed      string
	FirstSeen time.Time
	LastSeen  time.Time
	Source    Source
}

// Link is one item of one list section of an object (see LinkList for
// what Owner, Item, Zone and Attrs hold in each list).
// Merge: keyed by (List, Owner, Item); Hits = max, FirstSeen = min,
// LastSeen = max, Zone = the more severe, (DailyPeak, PeakDate) as
// Resolution, Attrs: per position the latest non-empty value (union for
// lists with UnionAttrs), Source = the latest applied.
type Link struct {
	List      LinkList
	Owner     string
	Item      string
	Zone      Zone
	Hits      int64
	FirstSeen time.Time
	LastSeen  time.Time
	DailyPeak int64
	PeakDate  time.Time
	Attrs     []string
	Source    Source
}

// Attr is Attrs[i], or "" when absent.
func (l *Link) Attr(i int) string {
	if i < len(l.Attrs) {
		return l.Attrs[i]
	}
	return ""
}

// FileHashes ties together the hashes of one file (upper-case hex, ""
// unknown). SHA-256 is the file's identity.
// Merge: kept per hash given; a stored hash's empty fields are filled,
// known ones never change: an MD5 or SHA-1 met with a second SHA-256
// keeps its first pairing (Merge tells the importer). Source is the
// latest record's. Merging is associative, so that a store may merge the
// records of a hash in parts (the embedded store's hash index).
type FileHashes struct {
	MD5    string
	SHA1   string
	SHA256 string
	Source Source
}

// DomainWhois is the registration record of a registrable domain (RDAP,
// WHOIS).
// Merge: keyed by Domain; the latest applied replaces the record.
type DomainWhois struct {
	Domain                   string // the registrable domain (RegistrableDomain)
	Created                  time.Time
	Updated                  time.Time
	Expires                  time.Time
	NameServers              []string // lower case, sorted
	Status                   []string // EPP status codes as "clientHold https://icann.org/epp#clientHold"
	Registrar                string
	RegistrarID              string // IANA ID, decimal
	RegistrarEmail           string
	RegistrationOrganization string
	Contacts                 []DomainContact // in ContactTypes order
	Source                   Source
}

// DomainContact is a contact of a domain registration.
type DomainContact struct {
	Type         string // "registrant", "administrative", "technical", "billing"
	Name         string
	Organization string
	Address      string
	City         string
	State        string
	PostalCode   string
	CountryCode  string
	Phone        string
	Fax          string
	Email        string
}

// ContactTypes are the domain contact types in the order they are shown.
var ContactTypes = []string{"registrant", "administrative", "technical", "billing"}

// ListCount counts the items of one list of an object.
type ListCount struct {
	Items   int64 // distinct items
	Hits    int64 // sum of the items' Hits
	MaxZone Zone  // the most severe Zone of an item ("" none)
}

// ObjectSummary is everything the store holds about one object apart from
// its list items: its merged ObjectInfo, its listings, its registration
// record (hosts that are registrable domains) and the counts of its lists.
type ObjectSummary struct {
	Kind     ObjectKind
	Key      string
	Info     ObjectInfo
	Listings []ObjectListing // sorted by Feed, Category
	Whois    DomainWhois     // zero Domain: none
	Lists    [NumLinkLists]ListCount
}

// Known reports whether the store holds any evidence for the object.
func (s *ObjectSummary) Known() bool {
	if s.Info.Hits > 0 || !s.Info.FirstSeen.IsZero() || !s.Info.LastSeen.IsZero() || s.Info.Size > 0 ||
		s.Info.Type != "" || s.Info.Signer != "" || s.Info.Packer != "" || len(s.Info.Allows) > 0 ||
		len(s.Listings) > 0 || s.Whois.Domain != "" {
		return true
	}
	for _, c := range s.Lists {
		if c.Items > 0 {
			return true
		}
	}
	return false
}

// Normalize puts the record in the form the stores keep: times in UTC,
// allow lists sorted and distinct (a new slice), strings of the file
// metadata trimmed, Type lower case.
func (r *ObjectInfo) Normalize() {
	r.FirstSeen, r.LastSeen = UTC(r.FirstSeen), UTC(r.LastSeen)
	r.Type = strings.ToLower(strings.TrimSpace(r.Type))
	r.Packer, r.Signer, r.SignerStatus = strings.TrimSpace(r.Packer), strings.TrimSpace(r.Signer), strings.TrimSpace(r.SignerStatus)
	r.Allows = union(nil, r.Allows)
	r.Source.normalize()
}

// Merge merges n into r by the rule documented on ObjectInfo.
func (r *ObjectInfo) Merge(n ObjectInfo) {
	r.Hits = max(r.Hits, n.Hits)
	r.FirstSeen = MinTime(r.FirstSeen, n.FirstSeen)
	r.LastSeen = MaxTime(r.LastSeen, n.LastSeen)
	if n.Size > 0 {
		r.Size = n.Size
	}
	for _, p := range [][2]*string{{&r.Type, &n.Type}, {&r.Packer, &n.Packer}, {&r.Signer, &n.Signer}, {&r.SignerStatus, &n.SignerStatus}} {
		if *p[1] != "" {
			*p[0] = *p[1]
		}
	}
	r.Allows = union(r.Allows, n.Allows)
	r.Source = n.Source
}

// Normalize puts the record in the form the stores keep: times in UTC.
func (r *ObjectListing) Normalize() {
	r.FirstSeen, r.LastSeen = UTC(r.FirstSeen), UTC(r.LastSeen)
	r.Source.normalize()
}

// Merge merges n into r by the rule documented on ObjectListing.
func (r *ObjectListing) Merge(n ObjectListing) {
	r.FirstSeen = MinTime(r.FirstSeen, n.FirstSeen)
	r.LastSeen = MaxTime(r.LastSeen, n.LastSeen)
	r.Source = n.Source
}

// Normalize puts the record in the form the stores keep: times in UTC,
// Attrs of a union list sorted and distinct, trailing empty Attrs
// dropped (new slices).
func (r *Link) Normalize() {
	r.FirstSeen, r.LastSeen, r.PeakDate = UTC(r.FirstSeen), UTC(r.LastSeen), UTC(r.PeakDate)
	if r.List.UnionAttrs() {
		r.Attrs = union(nil, r.Attrs)
	} else {
		n := len(r.Attrs)
		for n > 0 && r.Attrs[n-1] == "" {
			n--
		}
		r.Attrs = slices.Clone(r.Attrs[:n])
		if n == 0 {
			r.Attrs = nil
		}
	}
	r.Source.normalize()
}

// Merge merges n into r by the rule documented on Link.
func (r *Link) Merge(n Link) {
	r.Hits = max(r.Hits, n.Hits)
	r.FirstSeen = MinTime(r.FirstSeen, n.FirstSeen)
	r.LastSeen = MaxTime(r.LastSeen, n.LastSeen)
	r.Zone = mergeZone(r.Zone, n.Zone)
	if n.DailyPeak > r.DailyPeak ||
		(n.DailyPeak == r.DailyPeak && !n.PeakDate.IsZero() && (r.PeakDate.IsZero() || n.PeakDate.Before(r.PeakDate))) {
		r.DailyPeak, r.PeakDate = n.DailyPeak, n.PeakDate
	}
	if r.List.UnionAttrs() {
		r.Attrs = union(r.Attrs, n.Attrs)
	} else {
		if len(n.Attrs) > len(r.Attrs) {
			r.Attrs = append(slices.Clip(r.Attrs), make([]string, len(n.Attrs)-len(r.Attrs))...)
		} else {
			r.Attrs = slices.Clone(r.Attrs)
		}
		for i, a := range n.Attrs {
			if a != "" {
				r.Attrs[i] = a
			}
		}
	}
	r.Source = n.Source
}

// Normalize puts the record in the form the stores keep: hashes upper
// case, times in UTC.
func (r *FileHashes) Normalize() {
	r.MD5, r.SHA1, r.SHA256 = strings.ToUpper(r.MD5), strings.ToUpper(r.SHA1), strings.ToUpper(r.SHA256)
	r.Source.normalize()
}

// Merge fills the empty hashes of r from n (the rule documented on
// FileHashes) and reports whether n disagreed with a known one.
func (r *FileHashes) Merge(n FileHashes) (conflict bool) {
	for _, p := range [][2]*string{{&r.MD5, &n.MD5}, {&r.SHA1, &n.SHA1}, {&r.SHA256, &n.SHA256}} {
		switch {
		case *p[1] == "":
		case *p[0] == "":
			*p[0] = *p[1]
		case *p[0] != *p[1]:
			conflict = true
		}
	}
	r.Source = n.Source
	return conflict
}

// Hashes lists the known hashes, MD5, SHA-1, SHA-256 order.
func (r *FileHashes) Hashes() []string {
	var out []string
	for _, h := range []string{r.MD5, r.SHA1, r.SHA256} {
		if h != "" {
			out = append(out, h)
		}
	}
	return out
}

// Normalize puts the record in the form the stores keep: times in UTC,
// name servers lower case, sorted and distinct, contacts in ContactTypes
// order (new slices).
func (r *DomainWhois) Normalize() {
	r.Created, r.Updated, r.Expires = UTC(r.Created), UTC(r.Updated), UTC(r.Expires)
	ns := make([]string, len(r.NameServers))
	for i, s := range r.NameServers {
		ns[i] = strings.TrimSuffix(strings.ToLower(s), ".")
	}
	r.NameServers = union(nil, ns)
	r.Contacts = slices.Clone(r.Contacts)
	slices.SortStableFunc(r.Contacts, func(a, b DomainContact) int {
		return contactRank(a.Type) - contactRank(b.Type)
	})
	r.Source.normalize()
}

func contactRank(t string) int {
	if i := slices.Index(ContactTypes, t); i >= 0 {
		return i
	}
	return len(ContactTypes)
}

// DetectionZone is the zone of a detection name: Yellow for adware-type
// verdicts ("not-a-virus:" names, names with an ADWARE, PORNWARE or
// RISKWARE part, ClamAV's "PUA." names), Red for every other.
func DetectionZone(name string) Zone {
	l := strings.ToLower(name)
	if strings.HasPrefix(l, "not-a-virus:") || strings.HasPrefix(l, "pua.") {
		return ZoneYellow
	}
	for _, part := range strings.FieldsFunc(l, func(r rune) bool { return r == '.' || r == ':' || r == '/' || r == '-' }) {
		switch part {
		case "adware", "pornware", "riskware":
			return ZoneYellow
		}
	}
	return ZoneRed
}

// DetectionMethod is the method shown for a detection: the source's when
// given; else the upper-case tag before the name's first ":" after any
// "not-a-virus:" ("HEUR", "UDS", "PDM"); else "Signature".
func DetectionMethod(name, given string) string {
	if given != "" {
		return given
	}
	n := name
	if len(n) >= 12 && strings.EqualFold(n[:12], "not-a-virus:") {
		n = n[12:]
	}
	if i := strings.IndexByte(n, ':'); i > 0 {
		tag := n[:i]
		if tag == strings.ToUpper(tag) && strings.IndexFunc(tag, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) < 0 {
			return tag
		}
	}
	return "Signature"
}
