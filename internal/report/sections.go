package report

import (
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// Sections is a set of section names (a bit set).
type Sections uint32

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
)

// AllIPSections and AllURLSections are the sections of an address and of a
// web-address report.
const (
	AllIPSections = SecLicenseInfo | SecZone | SecRelatedObjects | SecIPGeneralInfo |
		SecFilesDownloadedFromIP | SecHostedURLs | SecFeedMasks | SecIPWhoIs |
		SecIPDNSResolutions | SecIPSpamInfo | SecIPPhishingInfo | SecIndustries
	AllURLSections = SecLicenseInfo | SecZone | SecRelatedObjects | SecURLGeneralInfo |
		SecFilesDownloaded | SecFeedMasks

	// ReservedSections are the only sections a special-purpose address gets.
	ReservedSections = SecLicenseInfo | SecZone | SecIPGeneralInfo | SecIPWhoIs
)

// Valid section names, in wire order, as listed in error messages.
const (
	ipSectionList  = "LicenseInfo, Zone, RelatedObjects, IpGeneralInfo, FilesDownloadedFromIp, HostedUrls, FeedMasks, IpWhoIs, IpDnsResolutions, IPSpamInfo, IPPhishingInfo, Industries"
	urlSectionList = "LicenseInfo, Zone, RelatedObjects, UrlGeneralInfo, FilesDownloaded, FeedMasks"
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

func urlSection(name string) Sections {
	switch name {
	case "LicenseInfo":
		return SecLicenseInfo
	case "Zone":
		return SecZone
	case "RelatedObjects":
		return SecRelatedObjects
	case "UrlGeneralInfo":
		return SecURLGeneralInfo
	case "FilesDownloaded":
		return SecFilesDownloaded
	case "FeedMasks":
		return SecFeedMasks
	}
	return 0
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
	return parseSections(s, AllURLSections, urlSection, urlSectionList)
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
