package postgres

import (
	"context"
	"time"

	"github.com/tipd/tipd/internal/store"
)

var _ store.FeedVersioner = (*Store)(nil)

// PutFeedVersions implements store.FeedVersioner: one upsert per feed that
// keeps the later date.
func (s *Store) PutFeedVersions(ctx context.Context, versions map[string]time.Time) error {
	for feed, t := range versions {
		if _, err := s.pool.Exec(ctx, `
			INSERT INTO feed_versions (feed, version) VALUES ($1, $2)
			ON CONFLICT (feed) DO UPDATE SET version = GREATEST(feed_versions.version, EXCLUDED.version)`,
			feed, t.UTC().Truncate(time.Microsecond)); err != nil {
			return wrapErr(ctx, "record a feed version", err)
		}
	}
	return nil
}

// FeedVersions implements store.FeedVersioner.
func (s *Store) FeedVersions(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT feed, version FROM feed_versions`)
	if err != nil {
		return nil, wrapErr(ctx, "read the feed versions", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var feed string
		var t time.Time
		if err := rows.Scan(&feed, &t); err != nil {
			return nil, wrapErr(ctx, "read the feed versions", err)
		}
		out[feed] = t.UTC()
	}
	return out, wrapErr(ctx, "read the feed versions", rows.Err())
}
