package intel

import (
	"net/netip"
	"strings"
	"time"
)

// Access types of a licence.
const (
	AccessCommercial = "Commercial"
	AccessTrial      = "Trial"
)

// LicenseInfo is what a lookup answer says of its caller's licence (its
// LicenseInfo section): filled by access control, written by render.
type LicenseInfo struct {
	AccessType   string
	DayRequests  int64
	DayQuota     int64
	TokenExpires time.Time // zero: the user has no token
}

// User is an API user and its licence.
type User struct {
	Name      string
	Access    string    // AccessCommercial or AccessTrial
	DayQuota  int64     // requests answered 200 per UTC day
	Expires   time.Time // end of the licence (exclusive); zero = never
	APIAccess bool      // may use the lookup API at all
	// PasswordHash is an encoded memory-hard hash (empty: no password).
	PasswordHash string
	// CertFingerprints are SHA-256 fingerprints (hex) of client certificates bound to the user.
	CertFingerprints []string
	Created          time.Time
}

// Token is the stored form of an API token: only its hash.
type Token struct {
	Hash    string // hex SHA-256 of the token
	User    string
	Issued  time.Time
	Expires time.Time
}

// Hold is a legal hold put by the operator on an address, a network, a
// web address, a domain name or a file: lookups of held objects are
// refused (HTTP 451) naming only the hold's reference. Exactly one of
// Prefix, URL, Domain and Hash is set.
type Hold struct {
	Ref string // reference, e.g. "hold-" and 8 hex digits
	// Prefix is the held network (a single address is a /32 or /128);
	// invalid for other targets.
	Prefix netip.Prefix
	// URL is the held web address as its key (NormalizeURL).
	URL string
	// Domain is the held name (NormalizeDomain): it holds that name and
	// every name below it, and web addresses whose host is one of them.
	Domain string
	// Hash is the held file by one of its hashes (NormalizeHash): it holds
	// that hash and the other hashes stored with it (store FileHashes).
	Hash string
	// Report is a held threat report by its ID: /api/publications/ never
	// serves it (get_one answers 451, the lists and master files leave it
	// out). It holds no address or object.
	Report  string
	Reason  string
	Created time.Time
}

// Target is the held object as text: the network, the address (without
// its prefix length when it is a single address), the web address key,
// the domain name, the hash, or "report:" and the report's ID.
func (h Hold) Target() string {
	switch {
	case h.Report != "":
		return "report:" + h.Report
	case h.URL != "":
		return h.URL
	case h.Domain != "":
		return h.Domain
	case h.Hash != "":
		return h.Hash
	case h.Prefix.IsSingleIP():
		return h.Prefix.Addr().String()
	case h.Prefix.IsValid():
		return h.Prefix.String()
	}
	return ""
}

// HoldQuery names what one lookup touches, for the store's hold check.
// Zero fields are not checked.
type HoldQuery struct {
	IP  netip.Addr // held by a hold on it or on a network containing it
	URL string     // a web address key: held by a hold on that key
	// Domain is a normalised name: held by a hold on it or on a name above
	// it (see DomainSuffixes).
	Domain string
	// Hashes are the normalised hashes of one file: held when a hold names
	// any of them.
	Hashes []string
}

// Matches reports whether h holds anything q names.
func (h Hold) Matches(q HoldQuery) bool {
	switch {
	case h.Report != "":
		return false // a report is no lookup's object
	case h.URL != "":
		return q.URL != "" && h.URL == q.URL
	case h.Domain != "":
		return q.Domain != "" && DomainCovers(h.Domain, q.Domain)
	case h.Hash != "":
		for _, x := range q.Hashes {
			if x == h.Hash {
				return true
			}
		}
		return false
	}
	return q.IP.IsValid() && h.Prefix.IsValid() && h.Prefix.Contains(q.IP.Unmap())
}

// DomainCovers reports whether the name held is name or a name above it
// ("badcorp.example" covers "c2.badcorp.example", not "xbadcorp.example").
func DomainCovers(held, name string) bool {
	return name == held || (len(name) > len(held) && name[len(name)-len(held)-1] == '.' && name[len(name)-len(held):] == held)
}

// DomainSuffixes calls fn with name and every name above it, label by
// label, nearest first, up to its last label: "a.b.example" gives
// "a.b.example", "b.example", "example". A hold on any of them covers
// name; a check costs one probe per label (at most 127).
func DomainSuffixes(name string, fn func(string)) {
	for s := name; s != ""; {
		fn(s)
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return
		}
		s = s[i+1:]
	}
}
