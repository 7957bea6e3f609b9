package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/quota"
)

// Options tune a Store.
type Options struct {
	// MaxConns caps the connections of this process's pool (0: pgxpool's
	// default, the larger of 4 and the number of CPUs). The sum over all
	// processes must stay below the server's max_connections.
	MaxConns int32
	// Migrate applies pending schema migrations before opening (without the
	// Citus layout: run Migrate with citus=true for that).
	Migrate bool
}

// Store is a store.Store in a PostgreSQL (or Citus) database.
type Store struct {
	pool  *pgxpool.Pool
	url   string
	ver   versionWatch // see version.go
	feeds feedLocks    // see feedlock.go
	// counts counts requests in blocks (access.go, "Request counting").
	counts *quota.Ledger
	access accessCache // users, tokens and holds kept (accesscache.go)
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string), optionally migrates it, and checks that its schema is
// the one this build expects. A database that cannot be reached yields a
// KindUnavailable error.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, &intel.Error{Kind: intel.KindInvalid, Code: "invalid_config", Message: "invalid PostgreSQL connection URL", Err: err}
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Migrate {
		if _, err := Migrate(ctx, url, false); err != nil {
			return nil, err
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapErr(ctx, "open postgres store", err)
	}
	s := &Store{pool: pool, url: url}
	if err := s.checkSchema(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.counts = quota.New(countWriter{s}, quota.Options{Idle: countIdle})
	return s, nil
}

// checkSchema verifies that every migration this build knows is applied.
func (s *Store) checkSchema(ctx context.Context) error {
	versions, err := migrationVersions()
	if err != nil {
		return wrapErr(ctx, "open postgres store", err)
	}
	var n int
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ANY($1)`, versions).Scan(&n)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
		n, err = 0, nil
	}
	if err != nil {
		return wrapErr(ctx, "open postgres store", err)
	}
	if n != len(versions) {
		return &intel.Error{Kind: intel.KindUnavailable, Code: "store_schema",
			Message: fmt.Sprintf("the PostgreSQL schema is not up to date (%d of %d migrations applied): run tipd migrate", n, len(versions))}
	}
	return nil
}

// Close gives back the request counts reserved and not used, and closes
// the connection pool.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := s.counts.Close(ctx)
	cancel()
	s.stopListening()
	s.closeFeedLocks()
	s.pool.Close()
	if err != nil {
		return fmt.Errorf("close postgres store: %w", err)
	}
	return nil
}

// wrapErr gives a database error its kind and the operation as context: the
// context's own error when it is done, KindUnavailable when the database
// cannot be reached, KindInternal otherwise. The cause (which may hold SQL)
// is kept for logs; the client-facing message never contains it.
func wrapErr(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s: %w", op, cerr)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var ie *intel.Error
	if errors.As(err, &ie) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if unavailable(err) {
		return &intel.Error{Kind: intel.KindUnavailable, Code: "store_unavailable", Message: "the database is unavailable", Err: fmt.Errorf("%s: %w", op, err)}
	}
	return &intel.Error{Kind: intel.KindInternal, Code: "internal", Message: "internal store error", Err: fmt.Errorf("%s: %w", op, err)}
}

// unavailable reports whether err means the database cannot be reached or
// is not accepting work (as opposed to a failed statement).
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutdown, cannot connect now
			pe.Code == "53300": // too many connections
			return true
		}
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err)
}

func notFound(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
