package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
)

// Access data kept in memory. A lookup needs the token with its user and
// the legal holds; reading them from the database costs two round trips
// per request. A Store keeps what it read of them (accessCache) while its
// listener (version.go) is connected, and drops all of it when:
//
//   - another process, or this one, changes users, tokens or holds: every
//     such change sends a notification on accessChannel (followed by a
//     space and the schema's name) in its transaction; the listener drops
//     the cache when it arrives, then acknowledges it with a notification
//     on ackChannel carrying the change's identifier;
//   - the listener connects (again): changes may have been missed.
//
// While the listener is not connected nothing is kept: every read goes to
// the database.
//
// The writer of a change waits, after its commit, until every listener of
// the schema has acknowledged it (at most ackWait): so when a command
// that changes a user, a token or a hold returns, no process serves
// another request from what it kept before the change. A listener holds
// a shared advisory lock (listenerLock) while it listens; the writer
// counts those locks in pg_locks just before its commit, so it waits for
// exactly the listeners that will receive its notification. A listener
// that hangs without its connection being closed is waited for ackWait,
// then the command returns; such a process may serve from its old copy
// until it acknowledges.

// Channels of the access notifications.
const (
	accessChannel = "tipd_access"
	ackChannel    = "tipd_access_ack"
)

// ackWait bounds how long a change waits for the listeners' acknowledgements.
const ackWait = 2 * time.Second

// accessCacheMax bounds the tokens kept; past it the cache starts over.
const accessCacheMax = 10000

// accessCache is the access data a Store keeps. gen counts the drops: a
// value read from the database is kept only if no drop happened since
// the read began, so a value read before a change is never kept after it.
type accessCache struct {
	mu     sync.Mutex
	gen    uint64
	tokens map[string]tokenUser
	holds  []intel.Hold
	held   bool // holds is the list of every hold
}

type tokenUser struct {
	t intel.Token
	u intel.User
}

// drop empties the cache.
func (c *accessCache) drop() {
	c.mu.Lock()
	c.gen++
	c.tokens, c.holds, c.held = nil, nil, false
	c.mu.Unlock()
}

func (c *accessCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *accessCache) token(hash string) (tokenUser, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tu, ok := c.tokens[hash]
	tu.u.CertFingerprints = slices.Clone(tu.u.CertFingerprints)
	return tu, ok
}

func (c *accessCache) putToken(hash string, tu tokenUser, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.tokens == nil || len(c.tokens) >= accessCacheMax {
		c.tokens = map[string]tokenUser{}
	}
	tu.u.CertFingerprints = slices.Clone(tu.u.CertFingerprints)
	c.tokens[hash] = tu
}

// holdList returns the kept list of every hold; callers must not change it.
func (c *accessCache) holdList() ([]intel.Hold, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.holds, c.held
}

func (c *accessCache) putHolds(hs []intel.Hold, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.holds, c.held = hs, true
	}
}

// keeping reports whether the access data may be kept and read from
// memory now: the listener is connected. (The first call of IntelVersion
// starts it, as a server's kept answers and verdicts do; a command that
// reads a few values and exits starts none and reads the database.)
func (s *Store) keeping() bool {
	return s.ver.listening.Load()
}

// listenerLock is the key of the shared advisory lock the listeners of a
// schema hold, from its name.
func listenerLock(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("tipd listener " + schema))
	return int64(h.Sum64())
}

// countListeners counts the listeners of the schema, in tx.
const countListeners = `SELECT count(*) FROM pg_locks
	WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND classid::bigint = ($1::bigint >> 32) & 4294967295 AND objid::bigint = $1::bigint & 4294967295
	AND objsubid = 1 AND granted`

// changeAccess runs fn, which changes users, tokens or holds, in a
// transaction that notifies every listener of the change, and waits until
// they all acknowledged it (see above). An error of fn rolls the
// transaction back and notifies nothing.
func (s *Store) changeAccess(ctx context.Context, fn func(tx pgx.Tx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	var idb [8]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return err
	}
	id := hex.EncodeToString(idb[:])
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ackChannel + " " + schema}.Sanitize()); err != nil {
		return err
	}
	listening := true
	defer func() {
		if listening {
			uctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if _, err := conn.Exec(uctx, "UNLISTEN *"); err != nil {
				conn.Conn().Close(uctx) //nolint:errcheck // the pool drops it
			}
			cancel()
		}
	}()
	var listeners int64
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, countListeners, listenerLock(schema)).Scan(&listeners); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, accessChannel+" "+schema, id)
		return err
	})
	if err != nil {
		return err
	}
	s.access.drop() // this process's own copy, at once
	wctx, cancel := context.WithTimeout(ctx, ackWait)
	defer cancel()
	for acked := int64(0); acked < listeners; {
		n, err := conn.Conn().WaitForNotification(wctx)
		if err != nil {
			// A listener did not answer in time: the change is made; the
			// connection, interrupted mid-wait, is not reused.
			listening = false
			cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
			conn.Conn().Close(cctx) //nolint:errcheck // the pool drops it
			ccancel()
			return nil
		}
		if n.Payload == id {
			acked++
		}
	}
	return nil
}

// listenAccess makes conn, the listener's connection of schema, listen
// for access changes and hold the listeners' lock.
func listenAccess(ctx context.Context, conn *pgx.Conn, schema string) error {
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{accessChannel + " " + schema}.Sanitize()); err != nil {
		return err
	}
	_, err := conn.Exec(ctx, `SELECT pg_advisory_lock_shared($1)`, listenerLock(schema))
	return err
}

// ackAccess drops the kept access data and acknowledges the change id.
func (s *Store) ackAccess(ctx context.Context, conn *pgx.Conn, schema, id string) error {
	s.access.drop()
	_, err := conn.Exec(ctx, `SELECT pg_notify($1, $2)`, ackChannel+" "+schema, id)
	return err
}
