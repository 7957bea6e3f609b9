package access

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/tipd/tipd/internal/intel"
)

// CodeLegalHold is the error code of a lookup refused by a legal hold.
const CodeLegalHold = "legal_hold"

// CheckHold refuses, with a KindLegalHold error that names only the hold's
// reference, the lookup of an address (when ip is valid) or of a web
// address (by its key, when urlKey is not empty) that a legal hold covers.
func (s *Service) CheckHold(ctx context.Context, ip netip.Addr, urlKey string) error {
	h, held, err := s.Store.Hold(ctx, ip, urlKey)
	if err != nil {
		return fmt.Errorf("check legal holds: %w", err)
	}
	if !held {
		return nil
	}
	return &intel.Error{Kind: intel.KindLegalHold, Code: CodeLegalHold,
		Message: fmt.Sprintf("this object is under a legal hold (reference %s)", h.Ref)}
}

// Held reports whether a legal hold covers an address (when ip is valid)
// or a web address (by its key, when urlKey is not empty).
func (s *Service) Held(ctx context.Context, ip netip.Addr, urlKey string) (bool, error) {
	_, held, err := s.Store.Hold(ctx, ip, urlKey)
	return held, err
}
