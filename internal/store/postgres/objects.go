package postgres

import (
	"context"
	"errors"

	"github.com/tipd/tipd/internal/intel"
)

// errObjects is returned until this backend stores objects.
var errObjects = errors.New("postgres store: domains, web addresses and files are not stored yet")

// Object implements store.Objects.
func (s *Store) Object(ctx context.Context, kind intel.ObjectKind, key string) (intel.ObjectSummary, error) {
	return intel.ObjectSummary{}, errObjects
}

// Links implements store.Objects.
func (s *Store) Links(ctx context.Context, list intel.LinkList, owner string, limit int) ([]intel.Link, error) {
	return nil, errObjects
}

// FileHashes implements store.Objects.
func (s *Store) FileHashes(ctx context.Context, hash string) (intel.FileHashes, bool, error) {
	return intel.FileHashes{}, false, errObjects
}
