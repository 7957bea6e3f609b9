package pebble

import (
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// CountSyncInterval bounds how long a request count stays unsynced: counts
// are written without a WAL sync (an fsync per request would cost the
// fsync's latency on every lookup), and a background loop syncs the WAL at
// most this long after the previous sync began, whenever counts were written
// since. A count is therefore durable at most CountSyncInterval plus one
// fsync after CountRequest returned; a kill of the process or a crash of
// the machine loses at most the counts of that window. Every synced write
// (imports, users, tokens, holds) and Close sync the counts before it too.
//
// Pebble keeps an unsynced WAL block in the process's memory until a sync
// asks for it or the 32 KiB block fills, so without the loop a killed
// process would lose counts of any age.
const CountSyncInterval = 100 * time.Millisecond

// countSyncer runs syncLoop; its zero value is not usable (see newCountSyncer).
type countSyncer struct {
	kick chan struct{} // one pending "counts were written"
	stop chan struct{} // closed by Close
	done chan struct{} // closed when the loop has returned
}

func newCountSyncer() countSyncer {
	return countSyncer{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// counted tells the loop that a count was written.
func (c *countSyncer) counted() {
	select {
	case c.kick <- struct{}{}:
	default: // a sync is pending already
	}
}

// syncLoop syncs the WAL when counts were written, at most once per
// CountSyncInterval: a burst of counts shares one fsync, and a lone count
// at low traffic is synced at once. A count written while a sync runs is
// covered by the next one, which starts CountSyncInterval after the running
// one began at the latest.
func (s *Store) syncLoop() {
	c := &s.counts
	defer close(c.done)
	for {
		select {
		case <-c.kick:
		case <-c.stop:
			return
		}
		next := time.Now().Add(CountSyncInterval)
		// An empty synced write syncs every record before it. A failed
		// WAL write or sync is fatal inside the engine (engineLogger.Fatalf),
		// so there is no error to keep.
		_ = s.db.LogData(nil, pebble.Sync)
		select {
		case <-time.After(time.Until(next)):
		case <-c.stop:
			return
		}
	}
}

// stopSync ends the loop; Close then closes the database, which syncs the
// WAL with the last counts.
func (s *Store) stopSync() {
	close(s.counts.stop)
	<-s.counts.done
}
