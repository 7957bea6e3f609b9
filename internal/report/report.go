// Package report assembles the answer for one address or web address from
// the store, the network snapshot and the scoring rules. It knows nothing of
// HTTP or JSON; package render turns a report into wire formats.
package report

import (
	"context"
	"net/netip"
	"time"

	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
)

// Sections is a set of section names (a bit set).
type Sections uint32

// ParseIPSections parses the `sections` parameter of an address request:
// "" means all; an unknown or mis-cased name is an *intel.Error of
// KindInvalid whose message names the bad value and the valid names.
func ParseIPSections(s string) (Sections, error) {
	return 0, nil // TODO(report): implement
}

// ParseURLSections is ParseIPSections for web-address requests.
func ParseURLSections(s string) (Sections, error) {
	return 0, nil // TODO(report): implement
}

// License is the LicenseInfo section, filled by the caller (access control).
type License struct {
	AccessType   string
	DayRequests  int64
	DayQuota     int64
	TokenExpires time.Time // zero: the user has no token
}

// Builder assembles reports. Its fields are its dependencies.
type Builder struct {
	Store store.Intel
	Net   *netdata.Holder
	Now   func() time.Time
}

// IPReport is the report of one address. TODO(report): fields.
type IPReport struct {
	Sections Sections
	License  License
}

// URLReport is the report of one web address. TODO(report): fields.
type URLReport struct {
	Sections Sections
	License  License
}

// IP assembles the report of ip (IPv4-mapped addresses already unmapped)
// with at most count items per list section.
func (b *Builder) IP(ctx context.Context, ip netip.Addr, sec Sections, count int) (*IPReport, error) {
	return &IPReport{Sections: sec}, nil // TODO(report): implement
}

// URL assembles the report of a web address given in any form the client
// sent (scheme included); invalid addresses are KindInvalid errors.
func (b *Builder) URL(ctx context.Context, rawURL string, sec Sections, count int) (*URLReport, error) {
	return &URLReport{Sections: sec}, nil // TODO(report): implement
}
