package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

const userCols = `name, access, day_quota, expires, api_access, password_hash, cert_fingerprints, created`

func scanUser(row pgx.Row) (intel.User, error) {
	var u intel.User
	var expires, created pgtype.Timestamptz
	err := row.Scan(&u.Name, &u.Access, &u.DayQuota, &expires, &u.APIAccess, &u.PasswordHash, &u.CertFingerprints, &created)
	u.Expires, u.Created, u.CertFingerprints = tm(expires), tm(created), nilIfEmpty(u.CertFingerprints)
	return u, err
}

// PutUser implements store.Access.
func (s *Store) PutUser(ctx context.Context, u intel.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if u.Name == "" {
		return intel.Invalid("user name is empty")
	}
	for _, t := range append([]string{u.Name, u.Access, u.PasswordHash}, u.CertFingerprints...) {
		if badText(t) {
			return intel.Invalid("user %q: text with a NUL byte or invalid UTF-8", u.Name)
		}
	}
	fps := u.CertFingerprints
	if fps == nil {
		fps = []string{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO users AS t (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (name) DO UPDATE SET access = EXCLUDED.access, day_quota = EXCLUDED.day_quota, expires = EXCLUDED.expires,
			api_access = EXCLUDED.api_access, password_hash = EXCLUDED.password_hash,
			cert_fingerprints = EXCLUDED.cert_fingerprints, created = EXCLUDED.created`,
		u.Name, u.Access, u.DayQuota, ts(u.Expires), u.APIAccess, u.PasswordHash, fps, ts(u.Created))
	return wrapErr(ctx, "put user", err)
}

// User implements store.Access.
func (s *Store) User(ctx context.Context, name string) (intel.User, error) {
	if err := ctx.Err(); err != nil {
		return intel.User{}, err
	}
	if badText(name) {
		return intel.User{}, fmt.Errorf("user %q: %w", name, intel.ErrNotFound)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE name = $1`, name))
	if notFound(err) {
		return intel.User{}, fmt.Errorf("user %q: %w", name, intel.ErrNotFound)
	}
	if err != nil {
		return intel.User{}, wrapErr(ctx, "user", err)
	}
	return u, nil
}

// Users implements store.Access.
func (s *Store) Users(ctx context.Context) ([]intel.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
	if err != nil {
		return nil, wrapErr(ctx, "users", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (intel.User, error) { return scanUser(row) })
	if err != nil {
		return nil, wrapErr(ctx, "users", err)
	}
	return out, nil
}

const tokenCols = `hash, user_name, issued, expires`

func scanToken(row pgx.Row) (intel.Token, error) {
	var t intel.Token
	var issued, expires pgtype.Timestamptz
	err := row.Scan(&t.Hash, &t.User, &issued, &expires)
	t.Issued, t.Expires = tm(issued), tm(expires)
	return t, err
}

var _ store.TokenUserReader = (*Store)(nil)

// TokenUser implements store.TokenUserReader: one query joining the token
// to its user.
func (s *Store) TokenUser(ctx context.Context, hash string) (intel.Token, intel.User, error) {
	var t intel.Token
	var u intel.User
	var issued, texp, uexp, created pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, `SELECT t.hash, t.user_name, t.issued, t.expires,
		u.name, u.access, u.day_quota, u.expires, u.api_access, u.password_hash, u.cert_fingerprints, u.created
		FROM tokens t JOIN users u ON u.name = t.user_name WHERE t.hash = $1`, hash).Scan(
		&t.Hash, &t.User, &issued, &texp,
		&u.Name, &u.Access, &u.DayQuota, &uexp, &u.APIAccess, &u.PasswordHash, &u.CertFingerprints, &created)
	if notFound(err) {
		return intel.Token{}, intel.User{}, intel.ErrNotFound
	}
	if err != nil {
		return intel.Token{}, intel.User{}, fmt.Errorf("token and user: %w", err)
	}
	t.Issued, t.Expires = tm(issued), tm(texp)
	u.Expires, u.Created, u.CertFingerprints = tm(uexp), tm(created), nilIfEmpty(u.CertFingerprints)
	return t, u, nil
}

// SetToken implements store.Access: the user's row in tokens is replaced
// (its primary key is the user), so the old hash stops resolving in the
// same transaction; a token of another user with the same hash is removed.
func (s *Store) SetToken(ctx context.Context, t intel.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.User == "" || t.Hash == "" {
		return intel.Invalid("token needs a user and a hash")
	}
	if badText(t.User) || badText(t.Hash) {
		return intel.Invalid("token: text with a NUL byte or invalid UTF-8")
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM tokens WHERE hash = $1 AND user_name <> $2`, t.Hash, t.User); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO tokens AS t (user_name, hash, issued, expires) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_name) DO UPDATE SET hash = EXCLUDED.hash, issued = EXCLUDED.issued, expires = EXCLUDED.expires`,
			t.User, t.Hash, ts(t.Issued), ts(t.Expires))
		return err
	})
	return wrapErr(ctx, "set token", err)
}

// TokenByHash implements store.Access (the unique index on hash).
func (s *Store) TokenByHash(ctx context.Context, hash string) (intel.Token, error) {
	if err := ctx.Err(); err != nil {
		return intel.Token{}, err
	}
	if badText(hash) {
		return intel.Token{}, fmt.Errorf("token: %w", intel.ErrNotFound)
	}
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1`, hash))
	if notFound(err) {
		return intel.Token{}, fmt.Errorf("token: %w", intel.ErrNotFound)
	}
	if err != nil {
		return intel.Token{}, wrapErr(ctx, "token", err)
	}
	return t, nil
}

// UserToken implements store.Access.
func (s *Store) UserToken(ctx context.Context, user string) (intel.Token, error) {
	if err := ctx.Err(); err != nil {
		return intel.Token{}, err
	}
	if badText(user) {
		return intel.Token{}, fmt.Errorf("token of %q: %w", user, intel.ErrNotFound)
	}
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE user_name = $1`, user))
	if notFound(err) {
		return intel.Token{}, fmt.Errorf("token of %q: %w", user, intel.ErrNotFound)
	}
	if err != nil {
		return intel.Token{}, wrapErr(ctx, "token of user", err)
	}
	return t, nil
}

// RevokeToken implements store.Access.
func (s *Store) RevokeToken(ctx context.Context, user string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if badText(user) {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM tokens WHERE user_name = $1`, user)
	return wrapErr(ctx, "revoke token", err)
}

// countRequest is the whole quota check: it inserts the day's row or adds
// one to it while it is below the quota, atomically under the row lock, so
// any number of connections and processes count exactly. No row back means
// the quota was reached (or is zero).
const countRequest = `INSERT INTO request_counts AS c (user_name, day, count)
SELECT $1, $2::date, 1 WHERE $3::bigint > 0
ON CONFLICT (user_name, day) DO UPDATE SET count = c.count + 1 WHERE c.count < $3::bigint
RETURNING count`

// CountRequest implements store.Access.
func (s *Store) CountRequest(ctx context.Context, user, day string, quota int64) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	d, err := parseDay(day)
	if err != nil {
		return 0, false, err
	}
	if badText(user) {
		return 0, false, intel.Invalid("user name with a NUL byte or invalid UTF-8")
	}
	// One round trip: the count commits without waiting for the WAL flush
	// (synchronous_commit off for this transaction only), like the Pebble
	// store's counters; it is visible at once and exact, and only a crash
	// of the database server can lose the last three wal_writer_delay
	// (600 ms by default).
	var b pgx.Batch
	b.Queue(`BEGIN`)
	b.Queue(`SET LOCAL synchronous_commit TO off`)
	b.Queue(countRequest, user, d, quota)
	b.Queue(`COMMIT`)
	br := s.pool.SendBatch(ctx, &b)
	var n int64
	_, err = br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	counted := false
	if err == nil {
		err = br.QueryRow().Scan(&n)
		counted = err == nil
		if notFound(err) {
			err = nil
		}
	}
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, false, wrapErr(ctx, "count request", err)
	}
	if counted {
		return n, true, nil
	}
	n, err = s.RequestCount(ctx, user, day)
	return n, false, err
}

// RequestCount implements store.Access.
func (s *Store) RequestCount(ctx context.Context, user, day string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d, err := parseDay(day)
	if err != nil {
		return 0, err
	}
	if badText(user) {
		return 0, nil
	}
	var n int64
	err = s.pool.QueryRow(ctx, `SELECT count FROM request_counts WHERE user_name = $1 AND day = $2::date`, user, d).Scan(&n)
	if notFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, wrapErr(ctx, "request count", err)
	}
	return n, nil
}

func parseDay(day string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return time.Time{}, intel.Invalid("day %q is not a date (2006-01-02)", day)
	}
	return d, nil
}
