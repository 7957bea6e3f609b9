package mem

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

func holdRef(h intel.Hold, ref string) int { return cmp.Compare(h.Ref, ref) }

// PutHold implements store.Access.
func (s *Store) PutHold(ctx context.Context, h intel.Hold) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckHold(h); err != nil {
		return err
	}
	h.Created = intel.UTC(h.Created)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, found := slices.BinarySearchFunc(s.holds, h.Ref, holdRef); found {
		s.holds[i] = h
	} else {
		s.holds = slices.Insert(s.holds, i, h)
	}
	return nil
}

// DeleteHold implements store.Access.
func (s *Store) DeleteHold(ctx context.Context, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, found := slices.BinarySearchFunc(s.holds, ref, holdRef)
	if !found {
		return fmt.Errorf("hold %q: %w", ref, intel.ErrNotFound)
	}
	s.holds = slices.Delete(s.holds, i, i+1)
	return nil
}

// Holds implements store.Access.
func (s *Store) Holds(ctx context.Context) ([]intel.Hold, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]intel.Hold{}, s.holds...), nil
}

// Hold implements store.Access by trying every hold (the reference
// implementation: holds are few and this store is for tests).
func (s *Store) Hold(ctx context.Context, q intel.HoldQuery) (intel.Hold, bool, error) {
	if err := ctx.Err(); err != nil {
		return intel.Hold{}, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, h := range s.holds {
		if h.Matches(q) {
			return h, true, nil
		}
	}
	return intel.Hold{}, false, nil
}
