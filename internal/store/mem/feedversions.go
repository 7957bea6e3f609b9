package mem

import (
	"context"
	"time"

	"github.com/tipd/tipd/internal/store"
)

var _ store.FeedVersioner = (*Store)(nil)

// PutFeedVersions implements store.FeedVersioner.
func (s *Store) PutFeedVersions(ctx context.Context, versions map[string]time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.feedVers == nil {
		s.feedVers = map[string]time.Time{}
	}
	for f, t := range versions {
		t = t.UTC().Truncate(time.Microsecond)
		if t.After(s.feedVers[f]) {
			s.feedVers[f] = t
		}
	}
	return nil
}

// FeedVersions implements store.FeedVersioner.
func (s *Store) FeedVersions(ctx context.Context) (map[string]time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]time.Time, len(s.feedVers))
	for f, t := range s.feedVers {
		out[f] = t
	}
	return out, nil
}
