package postgres

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

const holdCols = `ref, cidr::text, url, domain, hash, report, reason, created`

func scanHold(row pgx.Row) (intel.Hold, error) {
	var h intel.Hold
	var cidr, url, domain, hash, report pgtype.Text
	var created pgtype.Timestamptz
	if err := row.Scan(&h.Ref, &cidr, &url, &domain, &hash, &report, &h.Reason, &created); err != nil {
		return intel.Hold{}, err
	}
	h.URL, h.Domain, h.Hash, h.Report, h.Created = url.String, domain.String, hash.String, report.String, tm(created)
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
	if badText(h.Ref) || badText(h.URL) || badText(h.Domain) || badText(h.Hash) || badText(h.Report) || badText(h.Reason) {
		return intel.Invalid("hold %q: text with a NUL byte or invalid UTF-8", h.Ref)
	}
	var cidr, url, domain, hash, report any
	switch {
	case h.Prefix.IsValid():
		cidr = h.Prefix.String()
	case h.URL != "":
		url = h.URL
	case h.Domain != "":
		domain = h.Domain
	case h.Report != "":
		report = h.Report
	default:
		hash = h.Hash
	}
	err := s.changeAccess(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO holds (ref, cidr, url, domain, hash, report, reason, created) VALUES ($1, $2::cidr, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (ref) DO UPDATE SET cidr = EXCLUDED.cidr, url = EXCLUDED.url, domain = EXCLUDED.domain,
			hash = EXCLUDED.hash, report = EXCLUDED.report, reason = EXCLUDED.reason, created = EXCLUDED.created`,
			h.Ref, cidr, url, domain, hash, report, h.Reason, ts(h.Created))
		return err
	})
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
	errGone := fmt.Errorf("hold %q: %w", ref, intel.ErrNotFound)
	err := s.changeAccess(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM holds WHERE ref = $1`, ref)
		if err == nil && tag.RowsAffected() == 0 {
			return errGone // nothing changed: rolled back, no notification
		}
		return err
	})
	if err == errGone {
		return err
	}
	return wrapErr(ctx, "delete hold", err)
}

// Holds implements store.Access: from memory while this process keeps
// the holds (accesscache.go).
func (s *Store) Holds(ctx context.Context) ([]intel.Hold, error) {
	hs, err := s.holdList(ctx)
	return slices.Clone(hs), err
}

// holdList returns every hold, sorted by reference: the kept list (which
// callers must not change) or one read from the database.
func (s *Store) holdList(ctx context.Context) ([]intel.Hold, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	keep := s.keeping()
	if keep {
		if hs, ok := s.access.holdList(); ok {
			return hs, nil
		}
	}
	gen := s.access.generation()
	hs, err := s.readHolds(ctx)
	if err == nil && keep {
		s.access.putHolds(hs, gen)
	}
	return hs, err
}

// readHolds reads every hold, sorted by reference.
func (s *Store) readHolds(ctx context.Context) ([]intel.Hold, error) {
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
// so that a hold put by any process applies to the next lookup of all. A
// name is asked for with each name above it (domain = ANY, one index probe
// per label), hashes by exact value.
//
// While this process keeps the holds (accesscache.go) they are matched in
// memory instead, with the same rules (intel.Hold.Matches).
func (s *Store) Hold(ctx context.Context, q intel.HoldQuery) (intel.Hold, bool, error) {
	if err := ctx.Err(); err != nil {
		return intel.Hold{}, false, err
	}
	if s.keeping() {
		hs, err := s.holdList(ctx)
		if err != nil {
			return intel.Hold{}, false, err
		}
		for _, h := range hs {
			if h.Matches(q) {
				return h, true, nil
			}
		}
		return intel.Hold{}, false, nil
	}
	var addr, url any
	if q.IP.IsValid() {
		addr = intel.NormIP(q.IP).String()
	}
	if q.URL != "" && !badText(q.URL) {
		url = q.URL
	}
	var names, hashes []string
	if q.Domain != "" && !badText(q.Domain) {
		intel.DomainSuffixes(q.Domain, func(n string) { names = append(names, n) })
	}
	for _, x := range q.Hashes {
		if x != "" && !badText(x) {
			hashes = append(hashes, x)
		}
	}
	if addr == nil && url == nil && names == nil && hashes == nil {
		return intel.Hold{}, false, nil
	}
	h, err := scanHold(s.pool.QueryRow(ctx, `SELECT `+holdCols+` FROM holds
		WHERE cidr >>= $1::inet OR url = $2::text OR domain = ANY($3::text[]) OR hash = ANY($4::text[])
		ORDER BY ref LIMIT 1`, addr, url, names, hashes))
	if notFound(err) {
		return intel.Hold{}, false, nil
	}
	if err != nil {
		return intel.Hold{}, false, wrapErr(ctx, "hold", err)
	}
	return h, true, nil
}
