package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Changes implements store.Intel: one index range scan of addr_changes_order
// or url_changes_order, (changed_at, key) greater than the cursor, stopped
// at the limit. Addresses are ordered as inet (IPv4 before IPv6, then by
// bytes: netip.Addr.Compare for host addresses), web addresses bytewise
// (COLLATE "C").
func (s *Store) Changes(ctx context.Context, kind store.ChangeKind, after store.Change, limit int) ([]store.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var table, key string
	var cursorKey any
	switch kind {
	case store.ChangedAddresses:
		table, key = "addr_changes", "addr"
		if ip := intel.NormIP(after.IP); ip.IsValid() {
			cursorKey = ip
		}
	case store.ChangedURLs:
		table, key = "url_changes", "url"
		if after.URL != "" {
			if badText(after.URL) {
				// No entry has such a key, and PostgreSQL text cannot hold
				// it to compare with.
				return nil, intel.Invalid("change cursor: web address %q is not a stored key", after.URL)
			}
			cursorKey = after.URL
		}
	default:
		return nil, intel.Invalid("unknown change kind %d", kind)
	}
	if limit <= 0 {
		return nil, nil
	}
	if after.At.Truncate(time.Microsecond) != after.At {
		// Stamps are in microseconds: every one at or before the cursor's
		// microsecond is before the cursor, whatever its key.
		cursorKey = nil
	}
	q := `SELECT ` + key + `, changed_at FROM ` + table
	args := []any{limit}
	switch {
	case after.At.IsZero():
		// Every stamp is after the zero time.
	case cursorKey == nil:
		q += ` WHERE changed_at > $2`
		args = append(args, after.At)
	default:
		q += ` WHERE (changed_at, ` + key + `) > ($2, $3)`
		args = append(args, after.At, cursorKey)
	}
	q += ` ORDER BY changed_at, ` + key + ` LIMIT $1`

	scan := func(row pgx.CollectableRow) (store.Change, error) {
		var c store.Change
		var at time.Time
		var err error
		if kind == store.ChangedAddresses {
			err = row.Scan(&c.IP, &at)
		} else {
			err = row.Scan(&c.URL, &at)
		}
		c.At = at.UTC()
		return c, err
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrapErr(ctx, "changes", err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, wrapErr(ctx, "changes", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
