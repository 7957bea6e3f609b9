package pebble

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// Validate checks what every backend refuses in a batch: records without a
// valid address or prefix, and keys with NUL bytes.
func validate(b *intel.Batch) error {
	bad := func(what string, i int, format string, args ...any) error {
		return intel.Invalid("%s %d: %s", what, i, fmt.Sprintf(format, args...))
	}
	ipOK := func(ip netip.Addr) bool { return ip.IsValid() }
	nul := func(ss ...string) bool {
		for _, s := range ss {
			if strings.IndexByte(s, 0) >= 0 {
				return true
			}
		}
		return false
	}
	for i, r := range b.Sightings {
		if !ipOK(r.IP) {
			return bad("sighting", i, "invalid address")
		}
	}
	for i, r := range b.Listings {
		if !ipOK(r.IP) || nul(r.Feed, string(r.Category)) {
			return bad("listing", i, "invalid address or key")
		}
	}
	for i, r := range b.HostedURLs {
		if !ipOK(r.IP) || r.URL == "" || nul(r.URL) {
			return bad("hosted URL", i, "invalid address or URL")
		}
	}
	for i, r := range b.Files {
		if !ipOK(r.IP) || r.MD5 == "" || nul(r.MD5, r.URL) {
			return bad("file", i, "invalid address, MD5 or URL")
		}
	}
	for i, r := range b.Resolutions {
		if !ipOK(r.IP) || r.Domain == "" || nul(r.Domain) {
			return bad("resolution", i, "invalid address or domain")
		}
	}
	for i, r := range b.Domains {
		if r.Domain == "" || nul(r.Domain) {
			return bad("domain", i, "invalid domain")
		}
	}
	for i, r := range b.Masks {
		if !ipOK(r.IP) || nul(r.Mask, r.MaskType) {
			return bad("mask", i, "invalid address or mask")
		}
	}
	for i, r := range b.SpamEvents {
		if !ipOK(r.IP) || nul(r.ID) {
			return bad("spam event", i, "invalid address or ID")
		}
	}
	for i, r := range b.PhishingEvents {
		if !ipOK(r.IP) || nul(r.ID) {
			return bad("phishing event", i, "invalid address or ID")
		}
	}
	for i, r := range b.Reports {
		if r.ID == "" || nul(r.ID) {
			return bad("report", i, "invalid ID")
		}
	}
	for i, r := range b.ReportLinks {
		if !ipOK(r.IP) || r.ReportID == "" || nul(r.ReportID) {
			return bad("report link", i, "invalid address or report ID")
		}
	}
	for i, r := range b.Countries {
		if !r.Prefix.IsValid() {
			return bad("country range", i, "invalid prefix")
		}
	}
	for i, r := range b.ASRanges {
		if !r.Prefix.IsValid() {
			return bad("AS range", i, "invalid prefix")
		}
	}
	for i, r := range b.WhoisNets {
		if !r.Prefix.IsValid() {
			return bad("WHOIS network", i, "invalid prefix")
		}
	}
	for i, r := range b.NetListings {
		if !r.Prefix.IsValid() || nul(r.Feed, string(r.Category)) {
			return bad("network listing", i, "invalid prefix or key")
		}
	}
	for i, r := range b.Allows {
		if !r.Prefix.IsValid() || nul(r.List) {
			return bad("allow entry", i, "invalid prefix or list")
		}
	}
	return nil
}

func normSource(s intel.Source) intel.Source {
	s.Imported = utc(s.Imported)
	return s
}
