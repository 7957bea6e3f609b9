package postgres

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

const holdCols = `ref, cidr::text, url, reason, created`

func scanHold(row pgx.Row) (intel.Hold, error) {
	var h intel.Hold
	var cidr, url pgtype.Text
	var created pgtype.Timestamptz
	if err := row.Scan(&h.Ref, &cidr, &url, &h.Reason, &created); err != nil {
		return intel.Hold{}, err
	}
	h.URL, h.Created = url.String, tm(created)
	if cidr.Valid {
		p, err := netip.ParsePrefix(cidr.String)
		if err != nil {
			return intel.Hold{}, fmt.Errorf("hold %q: network %q: %w", h.Ref, cidr.String, err)
		}
		h.Prefix = p
	}
	return h, nil
}

// PutHold implements store.Access.
func (s *Store) PutHold(ctx context.Context, h intel.Hold) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckHold(h); err != nil {
		return err
	}
	if badText(h.Ref) || badText(h.URL) || badText(h.Reason) {
		return intel.Invalid("hold %q: text with a NUL byte or invalid UTF-8", h.Ref)
	}
	var cidr, url any
	if h.Prefix.IsValid() {
		cidr = h.Prefix.String()
	} else {
		url = h.URL
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO holds (ref, cidr, url, reason, created) VALUES ($1, $2::cidr, $3, $4, $5)
		ON CONFLICT (ref) DO UPDATE SET cidr = EXCLUDED.cidr, url = EXCLUDED.url, reason = EXCLUDED.reason, created = EXCLUDED.created`,
		h.Ref, cidr, url, h.Reason, ts(h.Created))
	return wrapErr(ctx, "put hold", err)
}

// DeleteHold implements store.Access.
func (s *Store) DeleteHold(ctx context.Context, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if badText(ref) {
		return fmt.Errorf("hold %q: %w", ref, intel.ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM holds WHERE ref = $1`, ref)
	if err != nil {
		return wrapErr(ctx, "delete hold", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("hold %q: %w", ref, intel.ErrNotFound)
	}
	return nil
}

// Holds implements store.Access.
func (s *Store) Holds(ctx context.Context) ([]intel.Hold, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+holdCols+` FROM holds ORDER BY ref`)
	if err != nil {
		return nil, wrapErr(ctx, "holds", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (intel.Hold, error) { return scanHold(row) })
	if err != nil {
		return nil, wrapErr(ctx, "holds", err)
	}
	return out, nil
}

// Hold implements store.Access with one SELECT on the small holds table,
// so that a hold put by any process applies to the next lookup of all.
func (s *Store) Hold(ctx context.Context, ip netip.Addr, urlKey string) (intel.Hold, bool, error) {
	if err := ctx.Err(); err != nil {
		return intel.Hold{}, false, err
	}
	var addr, url any
	if ip.IsValid() {
		addr = intel.NormIP(ip).String()
	}
	if urlKey != "" && !badText(urlKey) {
		url = urlKey
	}
	if addr == nil && url == nil {
		return intel.Hold{}, false, nil
	}
	h, err := scanHold(s.pool.QueryRow(ctx, `SELECT `+holdCols+` FROM holds WHERE cidr >>= $1::inet OR url = $2::text ORDER BY ref LIMIT 1`, addr, url))
	if notFound(err) {
		return intel.Hold{}, false, nil
	}
	if err != nil {
		return intel.Hold{}, false, wrapErr(ctx, "hold", err)
	}
	return h, true, nil
}
