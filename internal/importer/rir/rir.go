// Package rir parses the address registries' bulk data that says where
// address space is delegated and routed:
//
//   - delegated (-format delegated): the RIR statistics exchange format
//     (delegated-<rir>-extended-latest and the older delegated-<rir>-latest),
//     pipe-separated; allocated and assigned ipv4/ipv6 records feed
//     CountryRange records;
//   - iptoasn (-format iptoasn): iptoasn.com's ip2asn-v4, -v6 and -combined
//     TSV files, inclusive ranges with the originating AS and its country;
//     they feed ASRange and CountryRange records.
//
// Ranges are split into the fewest CIDRs that cover them exactly; where
// ranges overlap, lookups answer from the most specific one.
package rir

import (
	"strings"

	"github.com/tipd/tipd/internal/importer"
)

// countryCode validates an ISO 3166-1 alpha-2 code and upper-cases it.
func countryCode(s string) (string, bool) {
	if len(s) != 2 || !isLetter(s[0]) || !isLetter(s[1]) {
		return "", false
	}
	return strings.ToUpper(s), true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// clip shortens a value for an error message.
var clip = importer.Clip
