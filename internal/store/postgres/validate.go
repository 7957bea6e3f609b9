package postgres

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
)

// validate checks what every backend refuses in a batch: records without a
// valid address or prefix, and keys with NUL bytes. Text that PostgreSQL
// cannot hold (NUL bytes, invalid UTF-8) is refused in any field.
func validate(b *intel.Batch) error {
	bad := func(what string, i int, format string, args ...any) error {
		return intel.Invalid("%s %d: %s", what, i, fmt.Sprintf(format, args...))
	}
	nul := func(ss ...string) bool {
		for _, s := range ss {
			if badText(s) {
				return true
			}
		}
		return false
	}
	for i, r := range b.Sightings {
		if !r.IP.IsValid() {
			return bad("sighting", i, "invalid address")
		}
	}
	for i, r := range b.Listings {
		if !r.IP.IsValid() || nul(r.Feed, string(r.Category), r.Source.Feed, r.Source.File) {
			return bad("listing", i, "invalid address or key")
		}
	}
	for i, r := range b.HostedURLs {
		if !r.IP.IsValid() || r.URL == "" || nul(r.URL, string(r.Zone), r.Source.Feed, r.Source.File) || nulCats(r.Categories) {
			return bad("hosted URL", i, "invalid address or URL")
		}
	}
	for i, r := range b.Files {
		if !r.IP.IsValid() || r.MD5 == "" || nul(r.MD5, r.URL, string(r.Zone), r.DetectionName, r.Source.Feed, r.Source.File) {
			return bad("file", i, "invalid address, MD5 or URL")
		}
	}
	for i, r := range b.Resolutions {
		if !r.IP.IsValid() || r.Domain == "" || nul(r.Domain, r.Source.Feed, r.Source.File) {
			return bad("resolution", i, "invalid address or domain")
		}
	}
	for i, r := range b.Domains {
		if r.Domain == "" || nul(r.Domain, string(r.Zone), r.Source.Feed, r.Source.File) || nulCats(r.Categories) {
			return bad("domain", i, "invalid domain")
		}
	}
	for i, r := range b.Masks {
		if !r.IP.IsValid() || nul(r.Mask, r.MaskType, string(r.Zone), r.Source.Feed, r.Source.File) || nul(r.Feeds...) {
			return bad("mask", i, "invalid address or mask")
		}
	}
	for i, r := range b.SpamEvents {
		if !r.IP.IsValid() || nul(r.ID, r.Type, r.Source.Feed, r.Source.File) {
			return bad("spam event", i, "invalid address or ID")
		}
	}
	for i, r := range b.PhishingEvents {
		if !r.IP.IsValid() || nul(r.ID, r.Region, r.Kit, r.Industry, r.Organization, r.Source.Feed, r.Source.File) || nul(r.StolenData...) {
			return bad("phishing event", i, "invalid address or ID")
		}
	}
	for i, r := range b.Reports {
		if r.ID == "" || nul(r.ID, r.Type, r.Title, r.Description, r.Source.Feed, r.Source.File) ||
			nul(r.Tags...) || nul(r.Industries...) || nul(r.Geo...) || nul(r.Actors...) || nul(r.Indicators...) {
			return bad("report", i, "invalid ID")
		}
	}
	for i, r := range b.ReportLinks {
		if !r.IP.IsValid() || r.ReportID == "" || nul(r.ReportID, r.Source.Feed, r.Source.File) {
			return bad("report link", i, "invalid address or report ID")
		}
	}
	for i, r := range b.Countries {
		if !r.Prefix.IsValid() || nul(r.Country, r.Source.Feed, r.Source.File) {
			return bad("country range", i, "invalid prefix")
		}
	}
	for i, r := range b.ASRanges {
		if !r.Prefix.IsValid() || nul(r.Source.Feed, r.Source.File) || nul(r.Description...) {
			return bad("AS range", i, "invalid prefix")
		}
	}
	for i, r := range b.WhoisNets {
		if !r.Prefix.IsValid() || nul(r.Type, r.Name, r.Description, r.Country, r.Source.Feed, r.Source.File) {
			return bad("WHOIS network", i, "invalid prefix")
		}
		for _, c := range r.Contacts {
			if nul(c.OrganizationID, c.Name, c.Role, c.Type, c.Fax, c.Phone, c.Email) || nul(c.Address...) {
				return bad("WHOIS network", i, "invalid contact")
			}
		}
	}
	for i, r := range b.NetListings {
		if !r.Prefix.IsValid() || nul(r.Feed, string(r.Category), string(r.Zone), r.Source.Feed, r.Source.File) {
			return bad("network listing", i, "invalid prefix or key")
		}
	}
	for i, r := range b.Allows {
		if !r.Prefix.IsValid() || nul(r.List, r.Source.Feed, r.Source.File) {
			return bad("allow entry", i, "invalid prefix or list")
		}
	}
	return nil
}

func badText(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

func nulCats(cs []intel.Category) bool {
	for _, c := range cs {
		if badText(string(c)) {
			return true
		}
	}
	return false
}

// normIP is the stored form of an address: IPv4 unmapped, no zone.
func normIP(ip netip.Addr) netip.Addr { return ip.Unmap().WithZone("") }

// addrArg is an address as a nullable inet parameter.
func addrArg(ip netip.Addr) any {
	if !ip.IsValid() {
		return nil
	}
	return ip
}

// ts is a time as a nullable timestamptz parameter: unknown (zero) is NULL.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// dayArg is the UTC day of t as a date parameter.
func dayArg(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// tm is a scanned nullable timestamptz: NULL is the zero time.
func tm(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func strs[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

func cats(in []string) []intel.Category {
	if len(in) == 0 {
		return nil
	}
	out := make([]intel.Category, len(in))
	for i, s := range in {
		out[i] = intel.Category(s)
	}
	return out
}

func nilIfEmpty(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	return in
}

func source(feed, file string, imported pgtype.Timestamptz) intel.Source {
	return intel.Source{Feed: feed, File: file, Imported: tm(imported)}
}
