// Package lists parses block lists and phishing lists: Spamhaus DROP (text
// and JSON, -format drop), FireHOL-style .netset/.ipset and plain address
// lists (-format ipset), OpenPhish (-format openphish) and the PhishTank CSV
// (-format phishtank). docs/import-formats.md documents how each maps onto
// tipd's evidence.
package lists

import (
	"errors"
	"fmt"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// Default feed names, used when -feed is not given.
const (
	FeedDROP      = "Spamhaus DROP"
	FeedOpenPhish = "OpenPhish"
	FeedPhishTank = "PhishTank"
	// MaskFeedPhishing is the feed name of the masks of phishing web addresses.
	MaskFeedPhishing = "Phishing URL Feed"
)

// IgnoredUnverified is the reason of PhishTank entries that are valid but
// not imported; they are counted (importer.Ignorer) and shown in the
// summary, not reported as bad lines.
const IgnoredUnverified = "skipped: not verified"

// clip shortens a value for an error message.
var clip = importer.Clip

// Errors of CheckIPSet.
var (
	ErrNoCategory = errors.New("-format ipset needs -category CATEGORY_… (the list's category)")
	ErrNoFeed     = errors.New("-format ipset needs -feed NAME (the list's name)")
)

// CheckIPSet checks the options an ipset import needs: a known category and
// a feed name.
func CheckIPSet(o importer.ParserConfig) error {
	if o.Category == "" {
		return ErrNoCategory
	}
	if _, ok := intel.CategoryZone(o.Category); !ok {
		return fmt.Errorf("-format ipset: unknown category %q", o.Category)
	}
	if o.Feed == "" {
		return ErrNoFeed
	}
	return nil
}
