package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// feedLocks are the advisory locks of the scheduled feeds (store.FeedLocker).
// Several `tipd serve -feeds` processes share one database; each feed is
// fetched by the process holding its lock. The locks are session locks,
// all held on one connection of their own: a process keeps the feeds it
// took until it exits or the connection breaks, and then another process
// takes them at its next try.
type feedLocks struct {
	mu     sync.Mutex
	conn   *pgx.Conn
	schema string
	held   map[string]bool
}

// TakeFeedLock implements store.FeedLocker: it takes the lock of the feed
// name in this store's schema, or keeps it if this process holds it, and
// reports false when another process holds it.
func (s *Store) TakeFeedLock(ctx context.Context, name string) (bool, error) {
	l := &s.feeds
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil && l.conn.IsClosed() {
		l.conn, l.held = nil, nil // the locks went with the connection
	}
	if l.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
		if err != nil {
			return false, wrapErr(ctx, "connect for the feed locks", err)
		}
		if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&l.schema); err != nil {
			closeConn(conn)
			return false, wrapErr(ctx, "connect for the feed locks", err)
		}
		l.conn, l.held = conn, map[string]bool{}
	}
	if l.held[name] {
		// Still held, unless the connection died unnoticed.
		if err := l.conn.Ping(ctx); err == nil {
			return true, nil
		}
		closeConn(l.conn)
		l.conn, l.held = nil, nil
		return false, nil
	}
	var ok bool
	err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, "tipd feed "+l.schema+" "+name).Scan(&ok)
	if err != nil {
		closeConn(l.conn)
		l.conn, l.held = nil, nil
		return false, wrapErr(ctx, "take a feed lock", err)
	}
	if ok {
		l.held[name] = true
	}
	return ok, nil
}

// closeFeedLocks gives the feed locks back (at Close).
func (s *Store) closeFeedLocks() {
	l := &s.feeds
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		closeConn(l.conn)
		l.conn, l.held = nil, nil
	}
}

func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.Close(ctx)
}
