package postgres

import (
	"context"
	"errors"

	"github.com/tipd/tipd/internal/store"
)

// Changes implements store.Intel. Not built yet for this backend.
func (s *Store) Changes(ctx context.Context, kind store.ChangeKind, after store.Change, limit int) ([]store.Change, error) {
	return nil, errors.ErrUnsupported
}
