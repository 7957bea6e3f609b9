package report

import (
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// Sections is a set of section names (a bit set).
type Sections uint64

// The sections, named after their wire names.
const (
	SecLicenseInfo Sections = 1 << iota
	SecZone
	SecRelatedObjects
	SecIPGeneralInfo
	SecFilesDownloadedFromIP
	SecHostedURLs
	SecFeedMasks
	SecIPWhoIs
	SecIPDNSResolutions
	SecIPSpamInfo
	SecIPPhishingInfo
	SecIndustries
	SecURLGeneralInfo
	SecFilesDownloaded
	// Domain, web-address and file sections (objects.go).
	SecDomainGeneralInfo
	SecDomainWhoIsInfo
	SecDomainDNSResolutions
	SecFilesAccessed
	SecURLReferrals
	SecURLReferredTo
	SecSubdomains
	SecURLDomainWhoIs
	SecFileGeneralInfo
	SecDetectionsInfo
	SecFileParentCertificates
	SecFileCertificates
	SecFileNames
	SecFilePaths
	SecFileDownloadedFromURLs
	SecFileAccessedURLs
	SecFileStartedObjects
	SecFileStartedBy
	SecFileDownloadedObjects
	SecFileDownloadedBy
	// SecDNSResolutionsIPv6 is not a section of the JSON answers: the
	// IPv6 addresses a name resolved to, which the STIX bundles of a
	// domain and of a web address carry as ipv6-addr objects.
	SecDNSResolutionsIPv6
)

// AllIPSections and AllURLSections are the sections of an address and of a
// web-address report.
const (
	AllIPSections = SecLicenseInfo | SecZone | SecRelatedObjects | SecIPGeneralInfo |
		SecFilesDownloadedFromIP | SecHostedURLs | SecFeedMasks | SecIPWhoIs |
		SecIPDNSResolutions | SecIPSpamInfo | SecIPPhishingInfo | SecIndustries
	AllURLSections = SecLicenseInfo | SecZone | SecRelatedObjects | SecURLGeneralInfo |
		SecURLDomainWhoIs | SecDomainDNSResolutions | SecFilesDownloaded | SecFilesAccessed |
		SecURLReferrals | SecURLReferredTo | SecFeedMasks | SecIndustries
	AllDomainSections = SecLicenseInfo | SecZone | SecRelatedObjects | SecDomainGeneralInfo |
		SecDomainWhoIsInfo | SecDomainDNSResolutions | SecFilesDownloaded | SecFilesAccessed |
		SecURLReferrals | SecURLReferredTo | SecSubdomains | SecFeedMasks | SecIndustries
	AllFileSections = SecLicenseInfo | SecZone | SecRelatedObjects | SecFileGeneralInfo |
		SecDetectionsInfo | SecFileParentCertificates | SecFileCertificates | SecFileNames |
		SecFilePaths | SecFileDownloadedFromURLs | SecFileAccessedURLs | SecFileStartedObjects |
		SecFileStartedBy | SecFileDownloadedObjects | SecFileDownloadedBy | SecIndustries

	// AllDomainSTIXSections and AllURLSTIXSections are what the STIX bundles
	// of a domain and of a web address carry.
	AllDomainSTIXSections = AllDomainSections | SecDNSResolutionsIPv6
	AllURLSTIXSections    = AllURLSections | SecDNSResolutionsIPv6

	// ReservedSections are the only sections a special-purpose address gets.
	ReservedSections = SecLicenseInfo | SecZone | SecIPGeneralInfo | SecIPWhoIs
)

// Valid section names, in wire order, as listed in error messages.
const (
	ipSectionList     = "LicenseInfo, Zone, RelatedObjects, IpGeneralInfo, FilesDownloadedFromIp, HostedUrls, FeedMasks, IpWhoIs, IpDnsResolutions, IPSpamInfo, IPPhishingInfo, Industries"
	urlSectionList    = "LicenseInfo, Zone, RelatedObjects, UrlGeneralInfo, UrlDomainWhoIs, DomainDnsResolutions, FilesDownloaded, FilesAccessed, UrlReferrals, UrlReferredTo, FeedMasks, Industries"
	domainSectionList = "LicenseInfo, Zone, RelatedObjects, DomainGeneralInfo, DomainWhoIsInfo, DomainDnsResolutions, FilesDownloaded, FilesAccessed, UrlReferrals, UrlReferredTo, Subdomains, FeedMasks, Industries"
	fileSectionList   = "LicenseInfo, Zone, RelatedObjects, FileGeneralInfo, DetectionsInfo, FileParentCertificates, FileCertificates, FileNames, FilePaths, FileDownloadedFromUrls, FileAccessedUrls, FileStartedObjects, FileStartedBy, FileDownloadedObjects, FileDownloadedBy, Industries"
)

// Has reports whether s holds any of x.
func (s Sections) Has(x Sections) bool { return s&x != 0 }

func ipSection(name string) Sections {
	switch name {
	case "LicenseInfo":
		return SecLicenseInfo
	case "Zone":
		return SecZone
	case "RelatedObjects":
		return SecRelatedObjects
	case "IpGeneralInfo":
		return SecIPGeneralInfo
	case "FilesDownloadedFromIp":
		return SecFilesDownloadedFromIP
	case "HostedUrls":
		return SecHostedURLs
	case "FeedMasks":
		return SecFeedMasks
	case "IpWhoIs":
		return SecIPWhoIs
	case "IpDnsResolutions":
		return SecIPDNSResolutions
	case "IPSpamInfo":
		return SecIPSpamInfo
	case "IPPhishingInfo":
		return SecIPPhishingInfo
	case "Industries":
		return SecIndustries
	}
	return 0
}

// objectSections maps the wire names of the domain, web-address and file
// sections (and the shared ones) to their bits; each lookup accepts those
// of its All*Sections.
var objectSections = map[string]Sections{
	"LicenseInfo":            SecLicenseInfo,
	"Zone":                   SecZone,
	"RelatedObjects":         SecRelatedObjects,
	"FeedMasks":              SecFeedMasks,
	"Industries":             SecIndustries,
	"UrlGeneralInfo":         SecURLGeneralInfo,
	"FilesDownloaded":        SecFilesDownloaded,
	"DomainGeneralInfo":      SecDomainGeneralInfo,
	"DomainWhoIsInfo":        SecDomainWhoIsInfo,
	"DomainDnsResolutions":   SecDomainDNSResolutions,
	"FilesAccessed":          SecFilesAccessed,
	"UrlReferrals":           SecURLReferrals,
	"UrlReferredTo":          SecURLReferredTo,
	"Subdomains":             SecSubdomains,
	"UrlDomainWhoIs":         SecURLDomainWhoIs,
	"FileGeneralInfo":        SecFileGeneralInfo,
	"DetectionsInfo":         SecDetectionsInfo,
	"FileParentCertificates": SecFileParentCertificates,
	"FileCertificates":       SecFileCertificates,
	"FileNames":              SecFileNames,
	"FilePaths":              SecFilePaths,
	"FileDownloadedFromUrls": SecFileDownloadedFromURLs,
	"FileAccessedUrls":       SecFileAccessedURLs,
	"FileStartedObjects":     SecFileStartedObjects,
	"FileStartedBy":          SecFileStartedBy,
	"FileDownloadedObjects":  SecFileDownloadedObjects,
	"FileDownloadedBy":       SecFileDownloadedBy,
}

// objectSection is the lookup of the names valid for a lookup with the
// sections all.
func objectSection(all Sections) func(string) Sections {
	return func(name string) Sections { return objectSections[name] & all }
}

// ParseIPSections parses the `sections` parameter of an address request:
// "" means all; an unknown or mis-cased name is an *intel.Error of
// KindInvalid whose message names the bad value and the valid names.
// Duplicates are harmless; an empty name ("Zone,,IpWhoIs") is invalid.
func ParseIPSections(s string) (Sections, error) {
	return parseSections(s, AllIPSections, ipSection, ipSectionList)
}

// ParseURLSections is ParseIPSections for web-address requests.
func ParseURLSections(s string) (Sections, error) {
	return parseSections(s, AllURLSections, objectSection(AllURLSections), urlSectionList)
}

// ParseDomainSections is ParseIPSections for domain requests.
func ParseDomainSections(s string) (Sections, error) {
	return parseSections(s, AllDomainSections, objectSection(AllDomainSections), domainSectionList)
}

// ParseFileSections is ParseIPSections for file (hash) requests.
func ParseFileSections(s string) (Sections, error) {
	return parseSections(s, AllFileSections, objectSection(AllFileSections), fileSectionList)
}

func parseSections(s string, all Sections, lookup func(string) Sections, valid string) (Sections, error) {
	if s == "" {
		return all, nil
	}
	var out Sections
	for rest := s; ; {
		name, tail, more := strings.Cut(rest, ",")
		sec := lookup(name)
		if sec == 0 {
			const max = 64
			shown := name
			if len(shown) > max {
				shown = shown[:max] + "..."
			}
			return 0, intel.Errorf(intel.KindInvalid, "invalid_sections",
				"unknown section %q in sections; valid sections (case-sensitive, comma-separated): %s", shown, valid)
		}
		out |= sec
		if !more {
			return out, nil
		}
		rest = tail
	}
}
