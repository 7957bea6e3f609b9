package access

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/tipd/tipd/internal/intel"
)

// CodeLegalHold is the error code of a lookup refused by a legal hold.
const CodeLegalHold = "legal_hold"

// CheckHold refuses, with a KindLegalHold error that names only the hold's
// reference, a lookup that touches a held object (see intel.HoldQuery).
// A file is held by any of its hashes: the hashes stored with each of
// q.Hashes (store FileHashes, one read per hash) are checked too.
func (s *Service) CheckHold(ctx context.Context, q intel.HoldQuery) error {
	h, held, err := s.hold(ctx, q)
	if err != nil {
		return fmt.Errorf("check legal holds: %w", err)
	}
	if !held {
		return nil
	}
	return HoldError(h)
}

// HoldError is the KindLegalHold error of a lookup that the hold h
// refuses: it names only the hold's reference.
func HoldError(h intel.Hold) error {
	return &intel.Error{Kind: intel.KindLegalHold, Code: CodeLegalHold,
		Message: fmt.Sprintf("this object is under a legal hold (reference %s)", h.Ref)}
}

// fileHasher is the part of store.Objects that the hold check uses to find
// the other hashes of a file. Every store.Store has it; a Store that lacks
// it has no files, so only the hashes given are checked.
type fileHasher interface {
	FileHashes(ctx context.Context, hash string) (intel.FileHashes, bool, error)
}

// hold asks the store for a hold on what q names, with the other hashes of
// its file.
func (s *Service) hold(ctx context.Context, q intel.HoldQuery) (intel.Hold, bool, error) {
	if fs, ok := s.Store.(fileHasher); ok && len(q.Hashes) > 0 {
		all := slices.Clone(q.Hashes)
		for _, x := range q.Hashes {
			fh, ok, err := fs.FileHashes(ctx, x)
			if err != nil {
				return intel.Hold{}, false, err
			}
			if ok {
				for _, y := range []string{fh.MD5, fh.SHA1, fh.SHA256} {
					if y != "" && !slices.Contains(all, y) {
						all = append(all, y)
					}
				}
			}
		}
		q.Hashes = all
	}
	return s.Store.Hold(ctx, q)
}

// Held reports whether a legal hold covers what q names: an address, a
// web address (its host too when that is a name and q names no domain: a
// hold on it or on a name above it), a domain name, or a file by any of
// its hashes (the hashes stored with each are checked too).
func (s *Service) Held(ctx context.Context, q intel.HoldQuery) (bool, error) {
	if host := intel.URLHost(q.URL); host != "" && q.Domain == "" {
		if _, err := netip.ParseAddr(host); err != nil {
			q.Domain = host
		}
	}
	_, held, err := s.hold(ctx, q)
	return held, err
}
