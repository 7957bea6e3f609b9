package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/quota"
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
	err := s.changeAccess(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users AS t (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (name) DO UPDATE SET access = EXCLUDED.access, day_quota = EXCLUDED.day_quota, expires = EXCLUDED.expires,
			api_access = EXCLUDED.api_access, password_hash = EXCLUDED.password_hash,
			cert_fingerprints = EXCLUDED.cert_fingerprints, created = EXCLUDED.created`,
			u.Name, u.Access, u.DayQuota, ts(u.Expires), u.APIAccess, u.PasswordHash, fps, ts(u.Created))
		return err
	})
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
// to its user, or none when this process keeps them (accesscache.go).
func (s *Store) TokenUser(ctx context.Context, hash string) (intel.Token, intel.User, error) {
	keep := s.keeping()
	if keep {
		if tu, ok := s.access.token(hash); ok {
			return tu.t, tu.u, ctx.Err()
		}
	}
	gen := s.access.generation()
	t, u, err := s.readTokenUser(ctx, hash)
	if err == nil && keep {
		s.access.putToken(hash, tokenUser{t, u}, gen)
	}
	return t, u, err
}

// readTokenUser reads a token and its user.
func (s *Store) readTokenUser(ctx context.Context, hash string) (intel.Token, intel.User, error) {
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
	err := s.changeAccess(ctx, func(tx pgx.Tx) error {
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
	err := s.changeAccess(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM tokens WHERE user_name = $1`, user)
		return err
	})
	return wrapErr(ctx, "revoke token", err)
}

// Request counting. Every process counts its requests in memory from
// blocks of counts it reserves in request_counts (package quota): one
// statement adds a block to the day's row without ever taking it past the
// quota, so the processes together never count past it, and each gives
// back what it did not use when it closes or when the user has been idle
// for countIdle. A count is in the database before it is handed out, so a
// killed process loses none; it leaves counted the unused rest of its
// blocks (at most quota.MaxLease per user, until the day ends).

// countIdle is how long a user counts nothing before this process gives
// back the rest of the user's block, for the other processes to use.
const countIdle = time.Second

// reserveCounts adds a block of at most $3 counts to the day's row of
// $1 and $2 (made by ensureCounts), at most a quota.Share-th of what is
// left of the quota $4, atomically under the row lock: the locked
// subquery reads the row as it is once the lock is held, so any number
// of connections and processes reserve exactly. No row back means the
// quota was reached.
var reserveCounts = fmt.Sprintf(`UPDATE request_counts c SET count = c.count + g.got
FROM (SELECT LEAST($3::bigint, ($4::bigint - count + %[1]d) / %[2]d) AS got FROM request_counts
	WHERE user_name = $1 AND day = $2::date FOR UPDATE) g
WHERE c.user_name = $1 AND c.day = $2::date AND g.got > 0
RETURNING c.count, g.got`, quota.Share-1, quota.Share)

// ensureCounts makes the day's row of a user if there is none.
const ensureCounts = `INSERT INTO request_counts (user_name, day, count) VALUES ($1, $2::date, 0)
ON CONFLICT (user_name, day) DO NOTHING`

// CountRequest implements store.Access (see "Request counting" above).
func (s *Store) CountRequest(ctx context.Context, user, day string, max int64) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	if _, err := parseDay(day); err != nil {
		return 0, false, err
	}
	if badText(user) {
		return 0, false, intel.Invalid("user name with a NUL byte or invalid UTF-8")
	}
	if max <= 0 {
		n, err := s.RequestCount(ctx, user, day)
		return n, false, err
	}
	return s.counts.Count(ctx, user, day, max)
}

// countWriter is the quota.Reserver of a Store.
type countWriter struct{ s *Store }

// Reserve implements quota.Reserver: one round trip. The block commits
// without waiting for the WAL flush (synchronous_commit off for this
// transaction only): it is visible at once and exact, and only a crash of
// the database server can lose the last three wal_writer_delay (600 ms by
// default).
func (w countWriter) Reserve(ctx context.Context, user, day string, n, max int64) (int64, int64, error) {
	var b pgx.Batch
	b.Queue(`BEGIN`)
	b.Queue(`SET LOCAL synchronous_commit TO off`)
	b.Queue(ensureCounts, user, day)
	b.Queue(reserveCounts, user, day, n, max)
	b.Queue(`COMMIT`)
	br := w.s.pool.SendBatch(ctx, &b)
	var count, got int64
	var err error
	for range 3 {
		if err == nil {
			_, err = br.Exec()
		}
	}
	if err == nil {
		err = br.QueryRow().Scan(&count, &got)
		if notFound(err) {
			err, got = nil, 0
		}
	}
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, wrapErr(ctx, "count request", err)
	}
	if got == 0 {
		count, err = w.s.storedCount(ctx, user, day)
	}
	return count, got, err
}

// Release implements quota.Reserver.
func (w countWriter) Release(ctx context.Context, user, day string, n int64) error {
	_, err := w.s.pool.Exec(ctx, `UPDATE request_counts SET count = GREATEST(0, count - $3::bigint)
		WHERE user_name = $1 AND day = $2::date`, user, day, n)
	return wrapErr(ctx, "give back request counts", err)
}

// RequestCount implements store.Access: the stored count but for the
// counts this process reserved and has not used; the unused counts of
// other processes are in it.
func (s *Store) RequestCount(ctx context.Context, user, day string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if _, err := parseDay(day); err != nil {
		return 0, err
	}
	if badText(user) {
		return 0, nil
	}
	n, err := s.counts.Counted(user, day, func() (int64, error) { return s.storedCount(ctx, user, day) })
	return max(0, n), err
}

// storedCount reads the day's count of a user.
func (s *Store) storedCount(ctx context.Context, user, day string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count FROM request_counts WHERE user_name = $1 AND day = $2::date`, user, day).Scan(&n)
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

var _ store.QuotaHolder = (*Store)(nil)

// HoldsCount implements store.QuotaHolder with the blocks of counts this
// process reserved.
func (s *Store) HoldsCount(user, day string, quota int64) bool {
	return s.counts != nil && s.counts.Holds(user, day, quota)
}
