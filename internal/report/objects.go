package report

import (
	"net/netip"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/score"
)

// The reports of the domain and file lookups and the list items they
// share with the web-address report. Values are final: zones are the
// objects' own (computed for returned items only), dates are UTC, counts
// are exact (render rounds the ones the contract rounds); only the fields
// of Sections are filled.

// DomainReport is the report of one domain name.
type DomainReport struct {
	Sections Sections
	License  intel.LicenseInfo

	Domain string // normalised (intel.NormalizeDomain)
	Known  bool   // the store holds evidence on the name (search forms: 404 otherwise)
	// FirstSeen and LastSeen date the evidence (not part of the JSON).
	FirstSeen, LastSeen time.Time
	Zone                intel.Zone
	HasRedZone          bool

	// DomainGeneralInfo.
	FilesCount int64 // exact; rounded on the wire
	URLsCount  int64 // exact; rounded on the wire
	HitsCount  int64 // exact; rounded on the wire
	IPv4Count  int64 // exact
	Categories []score.CategoryZone
	HasAPT     bool
	Reports    []ReportRef

	// DomainWhoIsInfo: the record of the registrable domain; Whois.Domain
	// is that name ("" for a public suffix), the other fields zero when
	// no record is known.
	Whois intel.DomainWhois

	Resolutions []ResolutionItem // DomainDnsResolutions (IPv4 only)
	// ResolutionsIPv6 are the IPv6 resolutions (SecDNSResolutionsIPv6;
	// not in the JSON answer, which has IPv4 only).
	ResolutionsIPv6 []ResolutionItem
	FilesDownloaded []FileItem
	FilesAccessed   []FileItem
	Referrals       []URLItem // UrlReferrals
	ReferredTo      []URLItem // UrlReferredTo
	Subdomains      []SubdomainItem
	Masks           []intel.FeedMask
	Industries      []string
}

// ResolutionItem is an item of DomainDnsResolutions: an address the name
// resolved to, with the address's own zone and threat score.
type ResolutionItem struct {
	IP          netip.Addr
	Zone        intel.Zone
	ThreatScore int
	Hits        int64
	FirstSeen   time.Time
	LastSeen    time.Time // FirstSeen when the evidence is undated
	DailyPeak   int64
	PeakDate    time.Time // zero when DailyPeak is 0
}

// FileItem is an item of FilesDownloaded or FilesAccessed: the file's own
// zone, its MD5, the latest detection name and the web address it was
// downloaded from or contacted ("" when unknown).
type FileItem struct {
	Zone          intel.Zone
	Hits          int64 // DownloadHitsCount or AccessHitsCount
	MD5           string
	FirstSeen     time.Time
	LastSeen      time.Time
	DetectionName string
	URL           string
}

// URLItem is an item of UrlReferrals or UrlReferredTo.
type URLItem struct {
	Zone      intel.Zone
	URL       string
	FirstSeen time.Time
	LastSeen  time.Time
}

// SubdomainItem is an item of Subdomains: a known name below the domain,
// with its own zone and counts (exact; rounded on the wire).
type SubdomainItem struct {
	Name       string
	Zone       intel.Zone
	FilesCount int64
	URLsCount  int64
	HitsCount  int64
}

// File statuses (FileGeneralInfo.FileStatus) by zone.
const (
	FileStatusMalware        = "Malware"
	FileStatusAdware         = "Adware and other"
	FileStatusClean          = "Clean"
	FileStatusNoThreats      = "No threats detected"
	FileStatusNotCategorized = "Not categorized"
)

// FileReport is the report of one file, asked by any of its hashes.
type FileReport struct {
	Sections Sections
	License  intel.LicenseInfo

	Query string // the hash asked, upper case
	Known bool   // the store holds evidence on the file (search forms: 404 otherwise)
	Zone  intel.Zone
	// Status is FileStatus (FileStatus* constants).
	Status     string
	HasRedZone bool

	// FileGeneralInfo. Hashes are "" when unknown (Query is always one
	// of them).
	MD5, SHA1, SHA256 string
	FirstSeen         time.Time
	LastSeen          time.Time
	Signer            string
	SignerStatus      string     // "Trusted", "Not trusted", "Discredited" or ""
	SignerZone        intel.Zone // Green, Grey, Red or ""
	Packer            string
	Size              int64 // 0 unknown
	Type              string
	HitsCount         int64 // exact; rounded on the wire
	Categories        []intel.Category
	HasAPT            bool
	Reports           []ReportRef

	Detections         []DetectionItem   // never capped
	ParentCertificates []CertificateItem // never capped
	Certificates       []CertificateItem
	Names              []NameItem
	Paths              []PathItem
	DownloadedFrom     []FileURLItem     // FileDownloadedFromUrls
	AccessedURLs       []FileURLItem     // FileAccessedUrls
	Started            []RelatedFileItem // FileStartedObjects
	StartedBy          []RelatedFileItem
	DownloadedObjects  []RelatedFileItem
	DownloadedBy       []RelatedFileItem
	Industries         []string
}

// DetectionItem is an item of DetectionsInfo.
type DetectionItem struct {
	LastDetect     time.Time
	DescriptionURL string
	Zone           intel.Zone // Red or Yellow
	Name           string
	Method         string
}

// CertificateItem is an item of FileCertificates or
// FileParentCertificates.
type CertificateItem struct {
	Vendor, Publisher          string
	TimeStamp, Issued, Expires time.Time
	SerialNumber               string
}

// NameItem is an item of FileNames.
type NameItem struct {
	Name string
	Hits int64
}

// PathItem is an item of FilePaths.
type PathItem struct {
	Path     string
	Location string
	Hits     int64
}

// FileURLItem is an item of FileDownloadedFromUrls or FileAccessedUrls:
// the web address with its own zone and its host (Domain).
type FileURLItem struct {
	Zone      intel.Zone
	URL       string
	Domain    string
	Hits      int64
	FirstSeen time.Time
	LastSeen  time.Time
}

// RelatedFileItem is an item of FileStartedObjects, FileStartedBy,
// FileDownloadedObjects or FileDownloadedBy: the other file with its own
// zone; Last is LastStartDate or LastDownloadDate.
type RelatedFileItem struct {
	Zone          intel.Zone
	Hits          int64
	MD5           string
	Location      string
	Path          string
	Name          string
	DetectionName string
	Last          time.Time
}
