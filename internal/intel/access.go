package intel

import (
	"net/netip"
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

// Hold is a legal hold put by the operator on an address, a network or a
// web address: lookups of held objects are refused (HTTP 451) naming only
// the hold's reference.
type Hold struct {
	Ref string // reference, e.g. "hold-" and 8 hex digits
	// Prefix is the held network (a single address is a /32 or /128);
	// invalid for a web address.
	Prefix netip.Prefix
	// URL is the held web address as its key (NormalizeURL); empty for an
	// address or network.
	URL     string
	Reason  string
	Created time.Time
}

// Target is the held object as text: the network, the address (without
// its prefix length when it is a single address) or the web address key.
func (h Hold) Target() string {
	switch {
	case h.URL != "":
		return h.URL
	case h.Prefix.IsSingleIP():
		return h.Prefix.Addr().String()
	case h.Prefix.IsValid():
		return h.Prefix.String()
	}
	return ""
}

// Matches reports whether h holds the address ip (when valid) or the web
// address with key urlKey (when not empty).
func (h Hold) Matches(ip netip.Addr, urlKey string) bool {
	if h.URL != "" {
		return urlKey != "" && h.URL == urlKey
	}
	return ip.IsValid() && h.Prefix.IsValid() && h.Prefix.Contains(ip.Unmap())
}
