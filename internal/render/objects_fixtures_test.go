package render

import (
	"net/netip"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

// Hand-built reports of the domain, web-address and file lookups. The
// *Example reports mirror the examples of the contract (their JSON must
// equal the examples); the *Full reports fill every list and exercise the
// rules the examples do not show.

func licWith(dayRequests int64) intel.LicenseInfo {
	l := lic
	l.DayRequests = dayRequests
	return l
}

var (
	red    = intel.ZoneRed
	orange = intel.ZoneOrange
	yellow = intel.ZoneYellow
	green  = intel.ZoneGreen
	grey   = intel.ZoneGrey
)

const (
	md5Mirai  = "0F343B0931126A20F133D67C2B018A3B"
	sha1Mirai = "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8"
	sha2Mirai = "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
	sha2Empty = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
)

func badcorpWhois() intel.DomainWhois {
	return intel.DomainWhois{
		Domain:  "badcorp.example",
		Created: at(2025, 10, 1, 0, 0, 0), Updated: at(2025, 10, 2, 8, 0, 0), Expires: at(2026, 10, 1, 0, 0, 0),
		NameServers: []string{"ns1.host.example", "ns2.host.example"},
		Status:      []string{"clientTransferProhibited https://icann.org/epp#clientTransferProhibited"},
		Registrar:   "Example Registrar, Inc.", RegistrarID: "9999", RegistrarEmail: "abuse@registrar.example",
		RegistrationOrganization: "Example Registrar, Inc.",
		Contacts: []intel.DomainContact{
			{Type: "registrant", Organization: "Privacy service", CountryCode: "IS"},
		},
	}
}

// domainExampleReport mirrors the domain example of the contract (§3.3),
// with exact counts that round to its values.
func domainExampleReport() *report.DomainReport {
	return &report.DomainReport{
		Sections:   report.AllDomainSections,
		License:    licWith(43),
		Domain:     "c2.badcorp.example",
		Known:      true,
		Zone:       red,
		HasRedZone: true,
		FilesCount: 12, URLsCount: 95, HitsCount: 1234, IPv4Count: 2,
		Categories: []score.CategoryZone{{Name: intel.CatBotnetCNC, Zone: red}, {Name: intel.CatMalware, Zone: red}},
		HasAPT:     true,
		Reports:    []report.ReportRef{{ID: "rpt-2026-0117", Type: intel.ReportAPT, Title: "Example campaign"}},
		Whois:      badcorpWhois(),
		Resolutions: []report.ResolutionItem{{IP: netip.MustParseAddr("45.95.147.10"), Zone: red, ThreatScore: 91,
			Hits: 50, FirstSeen: at(2025, 11, 1, 12, 26, 30), LastSeen: at(2026, 11, 26, 23, 33, 59),
			DailyPeak: 9, PeakDate: day(2025, 11, 12)}},
		FilesDownloaded: []report.FileItem{{Zone: red, Hits: 37, MD5: "0f343b0931126a20f133d67c2b018a3b",
			FirstSeen: at(2026, 11, 20, 8, 15, 59), LastSeen: at(2026, 11, 27, 9, 0, 0),
			DetectionName: "HEUR:Backdoor.Linux.Mirai.b", URL: "http://c2.badcorp.example/bins/x86"}},
		FilesAccessed: []report.FileItem{{Zone: red, Hits: 12, MD5: "99DACD7B9C3D9926A650918005EB9F1D",
			FirstSeen: at(2026, 11, 21, 10, 0, 0), LastSeen: at(2026, 11, 26, 18, 40, 0),
			DetectionName: "HEUR:Trojan.Win32.Generic"}},
		Referrals: []report.URLItem{{Zone: orange, URL: "paste.example/raw/a1b2",
			FirstSeen: at(2026, 11, 19, 7, 0, 0), LastSeen: at(2026, 11, 25, 7, 0, 0)}},
		Subdomains: []report.SubdomainItem{{Name: "api.c2.badcorp.example", Zone: red, FilesCount: 1, URLsCount: 8, HitsCount: 120}},
		Masks: []intel.FeedMask{{Mask: "c2.badcorp.example", MaskType: intel.MaskHost, Zone: red,
			Feeds: []string{"Botnet CC URL Feed"}}},
		Industries: []string{"Telecommunications"},
	}
}

// domainFullReport fills every list of a domain report with more than one
// item, and the edge cases: undated sides, no peak, an IPv6 resolution
// (not listed), a file without MD5 (not listed), schemes and lower-case
// hashes, every contact field.
func domainFullReport() *report.DomainReport {
	r := domainExampleReport()
	r.License = lic
	w := &r.Whois
	w.Contacts = append(w.Contacts,
		intel.DomainContact{Type: "administrative", Name: "Jane \"J\" Doe", Organization: "BadCorp", Address: "1 Example Street\nSuite 2",
			City: "Reykjavík", State: "Capital", PostalCode: "101", CountryCode: "IS", Phone: "+354 000 0000",
			Fax: "+354 000 0001", Email: "jane@badcorp.example"},
		intel.DomainContact{Type: "technical", Email: "tech@badcorp.example"})
	r.Resolutions = append(r.Resolutions,
		report.ResolutionItem{IP: netip.MustParseAddr("2a0e:97c0::1"), Zone: grey, Hits: 3,
			FirstSeen: at(2026, 11, 1, 0, 0, 0)},
		report.ResolutionItem{IP: netip.MustParseAddr("::ffff:198.51.100.7"), Zone: orange, ThreatScore: 60, Hits: 4,
			FirstSeen: at(2026, 10, 1, 6, 7, 8)},
		report.ResolutionItem{IP: netip.MustParseAddr("192.168.1.1"), Zone: grey, Hits: 1,
			LastSeen: at(2026, 9, 1, 0, 0, 0)})
	r.FilesDownloaded = append(r.FilesDownloaded,
		report.FileItem{Zone: yellow, Hits: 2, MD5: "d41d8cd98f00b204e9800998ecf8427e", FirstSeen: at(2026, 11, 1, 0, 0, 0),
			URL: "HTTPS://c2.badcorp.example/a.sh"},
		report.FileItem{Zone: red, Hits: 1, FirstSeen: at(2026, 10, 1, 0, 0, 0), URL: "c2.badcorp.example/nomd5"})
	r.FilesAccessed = append(r.FilesAccessed,
		report.FileItem{Zone: grey, Hits: 1, MD5: "75ECF1A9F52C9A20BFCFDD29C8014C4D", LastSeen: at(2026, 11, 2, 3, 4, 5),
			URL: "c2.badcorp.example/gate.php"})
	r.ReferredTo = []report.URLItem{
		{Zone: red, URL: "http://c2.badcorp.example/next", FirstSeen: at(2026, 11, 22, 0, 0, 0), LastSeen: at(2026, 11, 23, 0, 0, 0)},
		{Zone: green, URL: "good.example", FirstSeen: at(2026, 11, 20, 0, 0, 0)},
	}
	r.Subdomains = append(r.Subdomains, report.SubdomainItem{Name: "www.c2.badcorp.example", Zone: grey, HitsCount: 3})
	r.Masks = append(r.Masks, intel.FeedMask{Mask: "c2.badcorp.example/bins/", MaskType: intel.MaskURLPrefix, Zone: red,
		Feeds: []string{"Malicious URL Feed"}})
	r.Industries = append(r.Industries, "Financial services")
	return r
}

// domainUnknownReport is a name the store holds nothing on: every section
// shaped, the registrable domain computed.
func domainUnknownReport() *report.DomainReport {
	return &report.DomainReport{
		Sections: report.AllDomainSections,
		License:  intel.LicenseInfo{AccessType: intel.AccessTrial, DayRequests: 1, DayQuota: 100},
		Domain:   "new.unknown.example",
		Zone:     grey,
		Whois:    intel.DomainWhois{Domain: "unknown.example"},
	}
}

// domainWhoisOnlyReport mirrors the search-form example of the contract
// (§6): a name known only from a WHOIS record.
func domainWhoisOnlyReport() *report.DomainReport {
	return &report.DomainReport{
		Sections: report.AllDomainSections,
		License:  lic,
		Domain:   "shop.example",
		Known:    true,
		Zone:     grey,
		Whois:    shopWhois(),
	}
}

func shopWhois() intel.DomainWhois {
	return intel.DomainWhois{
		Domain: "shop.example", Created: at(2024, 3, 1, 0, 0, 0), Expires: at(2027, 3, 1, 0, 0, 0),
		NameServers: []string{"ns1.host.example"},
		Contacts:    []intel.DomainContact{{Type: "registrant", CountryCode: "IS"}},
		Registrar:   "Example Registrar, Inc.", RegistrarID: "9999",
		Source: intel.Source{Feed: "rdap"},
	}
}

// urlExampleReport mirrors the web-address example of the contract (§4.3):
// an IP host, WHOIS and resolutions empty but shaped.
func urlExampleReport() *report.URLReport {
	return &report.URLReport{
		Sections:   report.AllURLSections,
		License:    licWith(44),
		URL:        "45.95.147.10/bins/x86",
		Host:       "45.95.147.10",
		Known:      true,
		Zone:       red,
		HasRedZone: true,
		IPv4Count:  1,
		FilesCount: 1,
		Categories: []score.CategoryZone{{Name: intel.CatMalware, Zone: red}},
		Files: []intel.FileDownload{{MD5: md5Mirai, URL: "http://45.95.147.10/bins/x86", Zone: red,
			DetectionName: "HEUR:Backdoor.Linux.Mirai.b", Hits: 37,
			FirstSeen: at(2026, 11, 20, 8, 15, 0), LastSeen: at(2026, 11, 27, 9, 0, 0)}},
		Referrals: []report.URLItem{{Zone: red, URL: "c2.badcorp.example/loader.sh",
			FirstSeen: at(2026, 11, 20, 8, 10, 0), LastSeen: at(2026, 11, 26, 18, 40, 0)}},
		Masks: []intel.FeedMask{{Mask: "45.95.147.10/bins/", MaskType: intel.MaskURLPrefix, Zone: red,
			Feeds: []string{"Malicious URL Feed"}}},
	}
}

// urlFullReport is a web address on a named host with every section
// filled.
func urlFullReport() *report.URLReport {
	d := domainFullReport()
	return &report.URLReport{
		Sections:    report.AllURLSections,
		License:     lic,
		URL:         "c2.badcorp.example/bins/x86",
		Host:        "c2.badcorp.example",
		Known:       true,
		Zone:        red,
		HasRedZone:  true,
		IPv4Count:   2,
		FilesCount:  37,
		Categories:  []score.CategoryZone{{Name: intel.CatMalware, Zone: red}, {Name: intel.CatBadReputation, Zone: orange}},
		HasAPT:      true,
		Reports:     []report.ReportRef{{ID: "rpt-2026-0117", Type: intel.ReportAPT, Title: "Example campaign"}},
		Whois:       d.Whois,
		Resolutions: d.Resolutions,
		Files: []intel.FileDownload{
			{MD5: "0f343b0931126a20f133d67c2b018a3b", URL: "http://c2.badcorp.example/bins/x86", Zone: red,
				DetectionName: "HEUR:Backdoor.Linux.Mirai.b", Hits: 37, FirstSeen: at(2026, 11, 20, 8, 15, 0),
				LastSeen: at(2026, 11, 27, 9, 0, 0)},
			{MD5: "D41D8CD98F00B204E9800998ECF8427E", URL: "c2.badcorp.example/bins/x86", Zone: grey, Hits: 1,
				LastSeen: at(2026, 11, 1, 0, 0, 0)},
		},
		FilesAccessed: d.FilesAccessed,
		Referrals:     d.Referrals,
		ReferredTo:    d.ReferredTo,
		Masks:         d.Masks,
		Industries:    d.Industries,
	}
}

// urlWhoisOnlyReport is a web address the store holds nothing on, on a
// host whose registrable domain has a WHOIS record.
func urlWhoisOnlyReport() *report.URLReport {
	return &report.URLReport{
		Sections: report.AllURLSections,
		License:  lic,
		URL:      "shop.example/login",
		Host:     "shop.example",
		Zone:     grey,
		Whois:    shopWhois(),
	}
}

// fileExampleReport mirrors the file example of the contract (§5.3),
// asked by SHA-1 (filled in from the query), with a lower-case MD5 and an
// exact hit count.
func fileExampleReport() *report.FileReport {
	return &report.FileReport{
		Sections:   report.AllFileSections,
		License:    licWith(45),
		Query:      sha1Mirai,
		Known:      true,
		Zone:       red,
		Status:     report.FileStatusMalware,
		HasRedZone: true,
		MD5:        "0f343b0931126a20f133d67c2b018a3b",
		SHA256:     sha2Mirai,
		FirstSeen:  at(2026, 11, 20, 8, 15, 0),
		LastSeen:   at(2026, 11, 27, 9, 0, 0),
		Packer:     "UPX",
		Size:       65536,
		Type:       "elf.32.le",
		HitsCount:  140,
		Categories: []intel.Category{intel.CatMalware, intel.CatBotnetCNC},
		Detections: []report.DetectionItem{
			{LastDetect: at(2026, 11, 27, 9, 0, 0), Zone: red, Name: "HEUR:Backdoor.Linux.Mirai.b", Method: "HEUR"},
			{LastDetect: at(2026, 11, 20, 8, 15, 0), DescriptionURL: "https://malpedia.caad.fkie.fraunhofer.de/details/elf.mirai",
				Zone: red, Name: "Mirai", Method: "Signature"},
		},
		Names: []report.NameItem{{Name: "x86", Hits: 37}},
		DownloadedFrom: []report.FileURLItem{{Zone: red, URL: "http://45.95.147.10/bins/x86", Domain: "45.95.147.10", Hits: 37,
			FirstSeen: at(2026, 11, 20, 8, 15, 0), LastSeen: at(2026, 11, 27, 9, 0, 0)}},
		StartedBy: []report.RelatedFileItem{{Zone: red, Hits: 10, MD5: "75ECF1A9F52C9A20BFCFDD29C8014C4D", Location: "~",
			Path: ".cache/", Name: "loader.sh", DetectionName: "HEUR:Trojan-Downloader.Shell.Agent.p",
			Last: at(2026, 11, 26, 18, 40, 0)}},
	}
}

// fileFullReport fills every section of a file report.
func fileFullReport() *report.FileReport {
	r := fileExampleReport()
	r.License = lic
	r.SHA1 = "b39998ba612fc7cfcd924e43cb11c2aef68c55a8"
	r.Signer, r.SignerStatus, r.SignerZone = "Example Signing Ltd", "Discredited", red
	r.HasAPT = true
	r.Reports = []report.ReportRef{{ID: "rpt-2026-0117", Type: intel.ReportAPT, Title: "Example campaign"}}
	r.Detections = append(r.Detections, report.DetectionItem{LastDetect: at(2026, 11, 1, 0, 0, 0), Zone: yellow,
		Name: "not-a-virus:HEUR:AdWare.Linux.Agent.a", Method: "HEUR"})
	cert := report.CertificateItem{Vendor: "Example CA", Publisher: "Example Signing Ltd",
		TimeStamp: at(2026, 11, 19, 10, 0, 0), Issued: at(2026, 1, 1, 0, 0, 0), Expires: at(2027, 1, 1, 0, 0, 0),
		SerialNumber: "0a1b2c3d"}
	r.Certificates = []report.CertificateItem{cert, {Publisher: "Unknown issuer"}}
	r.ParentCertificates = []report.CertificateItem{{Vendor: "Example Root", Publisher: "Example CA",
		Issued: at(2020, 1, 1, 0, 0, 0), Expires: at(2030, 1, 1, 0, 0, 0), SerialNumber: "01"}}
	r.Names = append(r.Names, report.NameItem{Name: "mirai.x86", Hits: 3})
	r.Paths = []report.PathItem{{Path: "tmp/x86", Location: "%temp%", Hits: 5}, {Path: "/var/run/x86", Hits: 1}}
	r.DownloadedFrom = append(r.DownloadedFrom, report.FileURLItem{Zone: red, URL: "c2.badcorp.example/bins/x86",
		Domain: "c2.badcorp.example", Hits: 2, FirstSeen: at(2026, 11, 21, 0, 0, 0)})
	r.AccessedURLs = []report.FileURLItem{{Zone: red, URL: "http://[2a0e:97c0::1]:8080/gate", Domain: "[2a0e:97c0::1]", Hits: 4,
		LastSeen: at(2026, 11, 25, 1, 2, 3)}}
	r.Started = []report.RelatedFileItem{{Zone: grey, Hits: 1, Name: "sh", Path: "/bin/"}}
	r.DownloadedObjects = []report.RelatedFileItem{{Zone: red, Hits: 3, MD5: "99dacd7b9c3d9926a650918005eb9f1d",
		Name: "stage2", DetectionName: "HEUR:Trojan.Linux.Agent.gen", Last: at(2026, 11, 26, 0, 0, 0)}}
	r.DownloadedBy = []report.RelatedFileItem{{Zone: red, Hits: 2, MD5: "75ECF1A9F52C9A20BFCFDD29C8014C4D",
		Location: "~", Path: ".cache/", Name: "loader.sh", Last: at(2026, 11, 20, 8, 15, 0)}}
	r.Industries = []string{"Telecommunications"}
	return r
}

// fileUnknownReport is a SHA-256 the store holds nothing on.
func fileUnknownReport() *report.FileReport {
	return &report.FileReport{
		Sections: report.AllFileSections,
		License:  intel.LicenseInfo{AccessType: intel.AccessTrial, DayRequests: 2, DayQuota: 100},
		Query:    sha2Empty,
		Zone:     grey,
	}
}

// ipWhoisOnlyReport is an address the store holds nothing on, in known
// address space.
func ipWhoisOnlyReport() *report.IPReport {
	r := greyReport()
	r.General = report.IPGeneral{Status: report.StatusKnown, CountryCode: "US"}
	r.Whois = report.Whois{Type: "NetRange", Status: report.StatusKnown,
		ASN: []intel.ASRange{{ASN: 64500}},
		Net: &intel.WhoisNet{Prefix: netip.MustParsePrefix("198.135.184.0/22"), Name: "EXAMPLE-NET"},
		Contacts: []intel.Contact{
			{Role: "abuse", Email: "abuse@net.example"},
			{}, // nothing known: left out
		}}
	return r
}

// repeatItems makes every list of r hold n items, for streaming and
// benchmarks.
func repeatItems[T any](l []T, n int) []T {
	if len(l) == 0 {
		return l
	}
	out := make([]T, 0, n)
	for len(out) < n {
		out = append(out, l[len(out)%len(l)])
	}
	return out
}

func bigDomainReport(n int) *report.DomainReport {
	r := domainFullReport()
	r.Resolutions = repeatItems(r.Resolutions, n)
	r.FilesDownloaded = repeatItems(r.FilesDownloaded, n)
	r.FilesAccessed = repeatItems(r.FilesAccessed, n)
	r.Referrals = repeatItems(r.Referrals, n)
	r.ReferredTo = repeatItems(r.ReferredTo, n)
	r.Subdomains = repeatItems(r.Subdomains, n)
	r.Masks = repeatItems(r.Masks, n)
	return r
}

func bigURLReport(n int) *report.URLReport {
	r := urlFullReport()
	r.Resolutions = repeatItems(r.Resolutions, n)
	r.Files = repeatItems(r.Files, n)
	r.FilesAccessed = repeatItems(r.FilesAccessed, n)
	r.Referrals = repeatItems(r.Referrals, n)
	r.ReferredTo = repeatItems(r.ReferredTo, n)
	r.Masks = repeatItems(r.Masks, n)
	return r
}

func bigFileReport(n int) *report.FileReport {
	r := fileFullReport()
	r.Certificates = repeatItems(r.Certificates, n)
	r.Names = repeatItems(r.Names, n)
	r.Paths = repeatItems(r.Paths, n)
	r.DownloadedFrom = repeatItems(r.DownloadedFrom, n)
	r.AccessedURLs = repeatItems(r.AccessedURLs, n)
	r.Started = repeatItems(r.Started, n)
	r.StartedBy = repeatItems(r.StartedBy, n)
	r.DownloadedObjects = repeatItems(r.DownloadedObjects, n)
	r.DownloadedBy = repeatItems(r.DownloadedBy, n)
	return r
}
