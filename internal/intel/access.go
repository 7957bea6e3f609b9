package intel

import "time"

// Access types of a licence.
const (
	AccessCommercial = "Commercial"
	AccessTrial      = "Trial"
)

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
