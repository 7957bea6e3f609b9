package postgres

import (
	"context"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

var _ store.Counter = (*Store)(nil)

// CountStored implements store.Counter.
func (s *Store) CountStored(ctx context.Context) (store.Counts, error) {
	c := store.Counts{Objects: map[intel.ObjectKind]int64{}}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM addr_summary`).Scan(&c.Addresses); err != nil {
		return c, wrapErr(ctx, "count the addresses", err)
	}
	// An object is a row of any of its tables: a summary, a listing, or
	// the counts of a list it owns.
	rows, err := s.pool.Query(ctx, `SELECT kind, count(*) FROM (
		SELECT kind, key FROM object_summary
		UNION SELECT kind, key FROM object_listings
		UNION SELECT kind, key FROM object_counts) o GROUP BY kind`)
	if err != nil {
		return c, wrapErr(ctx, "count the objects", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind int16
		var n int64
		if err := rows.Scan(&kind, &n); err != nil {
			return c, wrapErr(ctx, "count the objects", err)
		}
		c.Objects[intel.ObjectKind(kind)] = n
	}
	return c, wrapErr(ctx, "count the objects", rows.Err())
}
