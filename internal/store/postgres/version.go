package postgres

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// The data version (store.Versioned). Other processes write to the
// database too (imports, other servers), so a counter in this process
// cannot see every change. Every Apply sends a notification on the
// channel intelChannel followed by a space and the schema's name (the
// stores of two schemas of one database do not disturb each other) in its
// transaction, which PostgreSQL delivers to the
// listeners once it commits; the version counts the notifications this
// process received, on a connection of its own that the first call of
// IntelVersion opens. While that connection is not listening (not yet
// opened, lost, reconnecting) the version is unknown, and each time it
// starts listening again the version moves on, since changes may have
// been missed meanwhile. A change becomes visible to the version when the
// notification arrives, a few milliseconds after the commit.
const intelChannel = "tipd_intel"

// reconnectDelay is the wait before the listener reconnects.
const reconnectDelay = time.Second

type versionWatch struct {
	once      sync.Once
	listening atomic.Bool
	n         atomic.Uint64
	stop      context.CancelFunc
	done      chan struct{}
}

// IntelVersion implements store.Versioned.
func (s *Store) IntelVersion() (uint64, bool) {
	w := &s.ver
	w.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		w.stop, w.done = cancel, make(chan struct{})
		go s.listen(ctx)
	})
	if !w.listening.Load() {
		return 0, false
	}
	return w.n.Load(), true
}

// listen keeps a connection listening on intelChannel until ctx is done.
func (s *Store) listen(ctx context.Context) {
	w := &s.ver
	defer close(w.done)
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
		if err == nil {
			var schema string
			if err = conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err == nil {
				_, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{intelChannel + " " + schema}.Sanitize())
			}
			if err == nil {
				err = listenAccess(ctx, conn, schema) // accesscache.go
			}
			if err == nil {
				w.n.Add(1)
				s.access.drop()
				w.listening.Store(true)
				for {
					n, err := conn.WaitForNotification(ctx)
					if err != nil {
						break
					}
					if strings.HasPrefix(n.Channel, accessChannel+" ") {
						if err := s.ackAccess(ctx, conn, schema, n.Payload); err != nil {
							break
						}
						continue
					}
					w.n.Add(1)
				}
				w.listening.Store(false)
				s.access.drop()
				w.n.Add(1)
			}
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Close(closeCtx)
			cancel()
		}
		select {
		case <-ctx.Done():
		case <-time.After(reconnectDelay):
		}
	}
}

// stopListening ends the listener, if one was started.
func (s *Store) stopListening() {
	w := &s.ver
	w.once.Do(func() {}) // no listener from now on
	if w.stop != nil {
		w.stop()
		<-w.done
	}
}
