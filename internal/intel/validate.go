package intel

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// Validate checks what every store refuses in a batch: records without a
// valid address or prefix, without their key (URL, MD5, domain, ID), or
// with a NUL byte in a key. The error, of KindInvalid, names the first
// such record by kind and index.
func (b *Batch) Validate() error { return b.validate(nil) }

// ValidateText is Validate for a store that cannot hold some text: it also
// refuses a record with any text, key or not, for which bad is true, with
// the same error as for an invalid key.
func (b *Batch) ValidateText(bad func(string) bool) error { return b.validate(bad) }

// validate is Validate, with bad (if not nil) applied to every text.
func (b *Batch) validate(bad func(string) bool) error {
	invalid := func(what string, i int, format string, args ...any) error {
		return Invalid("%s %d: %s", what, i, fmt.Sprintf(format, args...))
	}
	ck := checks{bad}
	for i, r := range b.Sightings {
		if !r.IP.IsValid() {
			return invalid("sighting", i, "invalid address")
		}
	}
	for i, r := range b.Listings {
		if !r.IP.IsValid() || ck.key(r.Feed, string(r.Category)) || ck.src(r.Source) {
			return invalid("listing", i, "invalid address or key")
		}
	}
	for i, r := range b.HostedURLs {
		if !r.IP.IsValid() || r.URL == "" || ck.key(r.URL) || ck.text(string(r.Zone)) || ck.src(r.Source) || ck.cats(r.Categories) {
			return invalid("hosted URL", i, "invalid address or URL")
		}
	}
	for i, r := range b.Files {
		if !r.IP.IsValid() || r.MD5 == "" || ck.key(r.MD5, r.URL) || ck.text(string(r.Zone), r.DetectionName) || ck.src(r.Source) {
			return invalid("file", i, "invalid address, MD5 or URL")
		}
	}
	for i, r := range b.Resolutions {
		if !r.IP.IsValid() || r.Domain == "" || ck.key(r.Domain) || ck.src(r.Source) {
			return invalid("resolution", i, "invalid address or domain")
		}
	}
	for i, r := range b.Domains {
		if r.Domain == "" || ck.key(r.Domain) || ck.text(string(r.Zone)) || ck.src(r.Source) || ck.cats(r.Categories) {
			return invalid("domain", i, "invalid domain")
		}
	}
	for i, r := range b.Masks {
		if !r.IP.IsValid() || ck.key(r.Mask, r.MaskType) || ck.text(string(r.Zone)) || ck.src(r.Source) || ck.text(r.Feeds...) {
			return invalid("mask", i, "invalid address or mask")
		}
	}
	for i, r := range b.SpamEvents {
		if !r.IP.IsValid() || ck.key(r.ID) || ck.text(r.Type) || ck.src(r.Source) {
			return invalid("spam event", i, "invalid address or ID")
		}
	}
	for i, r := range b.PhishingEvents {
		if !r.IP.IsValid() || ck.key(r.ID) || ck.text(r.Region, r.Kit, r.Industry, r.Organization) || ck.src(r.Source) || ck.text(r.StolenData...) {
			return invalid("phishing event", i, "invalid address or ID")
		}
	}
	for i, r := range b.Reports {
		if r.ID == "" || ck.key(r.ID) || ck.text(r.Type, r.Title, r.Description) || ck.src(r.Source) ||
			ck.text(r.Tags...) || ck.text(r.Industries...) || ck.text(r.Geo...) || ck.text(r.Actors...) || ck.text(r.Indicators...) {
			return invalid("report", i, "invalid ID")
		}
		if len(r.Detected) > len(r.Indicators) {
			return invalid("report", i, "more detection dates than indicators")
		}
		for x := range r.Detected {
			if !slices.Contains(r.Indicators, x) {
				return invalid("report", i, "a detection date of %q, which is not one of its indicators", x)
			}
		}
		if len(r.YARA) > MaxReportYARA || len(r.PDF) > MaxReportPDF || strings.IndexByte(r.YARA, 0) >= 0 || ck.text(r.YARA) {
			return invalid("report", i, "YARA rules or PDF too large (at most %d and %d bytes) or YARA rules not text", MaxReportYARA, MaxReportPDF)
		}
	}
	for i, r := range b.ReportLinks {
		if !r.IP.IsValid() || r.ReportID == "" || ck.key(r.ReportID) || ck.src(r.Source) {
			return invalid("report link", i, "invalid address or report ID")
		}
	}
	for i, r := range b.Countries {
		if !r.Prefix.IsValid() || ck.text(r.Country) || ck.src(r.Source) {
			return invalid("country range", i, "invalid prefix")
		}
	}
	for i, r := range b.ASRanges {
		if !r.Prefix.IsValid() || ck.src(r.Source) || ck.text(r.Description...) {
			return invalid("AS range", i, "invalid prefix")
		}
	}
	for i, r := range b.WhoisNets {
		if !r.Prefix.IsValid() || ck.text(r.Type, r.Name, r.Description, r.Country) || ck.src(r.Source) {
			return invalid("WHOIS network", i, "invalid prefix")
		}
		for _, c := range r.Contacts {
			if ck.text(c.OrganizationID, c.Name, c.Role, c.Type, c.Fax, c.Phone, c.Email) || ck.text(c.Address...) {
				return invalid("WHOIS network", i, "invalid contact")
			}
		}
	}
	for i, r := range b.NetListings {
		if !r.Prefix.IsValid() || ck.key(r.Feed, string(r.Category)) || ck.text(string(r.Zone)) || ck.src(r.Source) {
			return invalid("network listing", i, "invalid prefix or key")
		}
	}
	for i, r := range b.Allows {
		if !r.Prefix.IsValid() || ck.key(r.List) || ck.src(r.Source) {
			return invalid("allow entry", i, "invalid prefix or list")
		}
	}
	return b.validateObjects(ck, invalid)
}

// validateObjects is validate for the object records: a valid kind or
// list, a key without NUL (and not bad), file keys that are hashes, valid
// zones.
func (b *Batch) validateObjects(ck checks, invalid func(string, int, string, ...any) error) error {
	zone := func(z Zone) bool { return z != "" && !z.Valid() }
	var lastHash string // the last file key found fit: records of one file repeat it
	objKey := func(k ObjectKind, s string) bool {
		if k == ObjectFile {
			// A hash key is its normal form (NormalizeHash): upper-case
			// hex of a hash's length (and not bad).
			if s != lastHash || s == "" {
				if !normalHash(s) || ck.key(s) {
					return true
				}
				lastHash = s
			}
			return false
		}
		return s == "" || ck.key(s) || !k.Valid()
	}
	for i, r := range b.ObjectInfos {
		if objKey(r.Kind, r.Key) || ck.text(r.Type, r.Packer, r.Signer, r.SignerStatus) || ck.text(r.Allows...) || ck.key(r.Allows...) || ck.src(r.Source) {
			return invalid("object", i, "invalid kind or key")
		}
	}
	for i, r := range b.ObjectListings {
		if objKey(r.Kind, r.Key) || ck.key(r.Feed, string(r.Category)) || ck.src(r.Source) {
			return invalid("object listing", i, "invalid kind, key or category")
		}
	}
	for i, r := range b.Links {
		if !r.List.Valid() || objKey(r.List.Owner(), r.Owner) || r.Item == "" || ck.key(r.Item) || zone(r.Zone) ||
			ck.text(r.Attrs...) || ck.src(r.Source) {
			return invalid("link", i, "invalid list, owner or item")
		}
	}
	for i := range b.FileHashes {
		r := &b.FileHashes[i]
		for _, h := range [...]struct{ v, kind string }{{r.MD5, "MD5"}, {r.SHA1, "SHA-1"}, {r.SHA256, "SHA-256"}} {
			if h.v != "" && (objKey(ObjectFile, h.v) || HashKind(h.v) != h.kind) {
				return invalid("file hashes", i, "invalid %s", h.kind)
			}
		}
		if r.MD5 == "" && r.SHA1 == "" && r.SHA256 == "" || ck.src(r.Source) {
			return invalid("file hashes", i, "no hash")
		}
	}
	for i, r := range b.Whois {
		if r.Domain == "" || ck.key(r.Domain) || ck.text(r.NameServers...) || ck.text(r.Status...) ||
			ck.text(r.Registrar, r.RegistrarID, r.RegistrarEmail, r.RegistrationOrganization) || ck.src(r.Source) {
			return invalid("domain WHOIS", i, "invalid domain")
		}
		for _, c := range r.Contacts {
			if ck.text(c.Type, c.Name, c.Organization, c.Address, c.City, c.State, c.PostalCode, c.CountryCode, c.Phone, c.Fax, c.Email) {
				return invalid("domain WHOIS", i, "invalid contact")
			}
		}
	}
	return nil
}

// normalHash reports whether h is a file hash in its normal form
// (NormalizeHash): 32, 40 or 64 upper-case hexadecimal digits.
func normalHash(h string) bool {
	if HashKind(h) == "" {
		return false
	}
	for i := 0; i < len(h); i += 8 {
		if !upperHexWord(binary.LittleEndian.Uint64([]byte(h[i : i+8]))) {
			return false
		}
	}
	return true
}

// UpperHash returns h upper-cased if it is a file hash (32, 40 or 64
// hexadecimal digits in any case): NormalizeHash without its error, in one
// pass and one allocation.
func UpperHash(h string) (string, bool) {
	if HashKind(h) == "" {
		return "", false
	}
	var buf [64]byte
	for i := 0; i < len(h); i += 8 {
		w := binary.LittleEndian.Uint64([]byte(h[i : i+8]))
		// Lower-case letters a-f (0x61-0x66) lose 0x20.
		const hi = 0x8080808080808080
		if w&hi != 0 {
			return "", false
		}
		lower := (w + 0x1f1f1f1f1f1f1f1f) &^ (w + 0x1919191919191919) & hi // >= 0x61 and < 0x67
		w -= lower >> 2
		if !upperHexWord(w) {
			return "", false
		}
		binary.LittleEndian.PutUint64(buf[i:], w)
	}
	return string(buf[:len(h)]), true
}

// upperHexWord reports whether each of the 8 bytes of w is an upper-case
// hexadecimal digit (0x30-0x39, 0x41-0x46). Bytes below 0x80 plus any of
// the constants stay below 0x100, so no carry crosses bytes.
func upperHexWord(w uint64) bool {
	const hi = 0x8080808080808080
	if w&hi != 0 {
		return false
	}
	digit := (w + 0x5050505050505050) &^ (w + 0x4646464646464646) & hi  // >= 0x30 and < 0x3a
	letter := (w + 0x3f3f3f3f3f3f3f3f) &^ (w + 0x3939393939393939) & hi // >= 0x41 and < 0x47
	return digit|letter == hi
}

// checks are validate's tests of a batch's texts; bad is the caller's
// test of a text (nil: none). They are methods, not closures, so that
// their variadic arguments need no allocation.
type checks struct{ bad func(string) bool }

// key reports whether a key is unfit: a NUL byte, or bad.
func (c checks) key(ss ...string) bool {
	for _, s := range ss {
		if strings.IndexByte(s, 0) >= 0 || c.bad != nil && c.bad(s) {
			return true
		}
	}
	return false
}

// text reports whether any other text is bad.
func (c checks) text(ss ...string) bool {
	if c.bad != nil {
		for _, s := range ss {
			if c.bad(s) {
				return true
			}
		}
	}
	return false
}

func (c checks) src(s Source) bool { return c.text(s.Feed, s.File) }

func (c checks) cats(cs []Category) bool {
	if c.bad != nil {
		for _, x := range cs {
			if c.bad(string(x)) {
				return true
			}
		}
	}
	return false
}
