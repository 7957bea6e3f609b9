package postgres

import (
	"testing"
	"time"

	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

var _ store.FeedLocker = (*Store)(nil)

// TestFeedLocks: of two stores on one schema (two processes), the first to
// ask takes a feed and keeps it; the other is told no until the first
// closes. Another schema's feed of the same name is another lock.
func TestFeedLocks(t *testing.T) {
	u := pgtest.FreshSchema(t)
	ctx := t.Context()
	a, err := Open(ctx, u, Options{MaxConns: 2, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, u, Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	take := func(s *Store, feed string) bool {
		t.Helper()
		ok, err := s.TakeFeedLock(ctx, feed)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take(a, "urlhaus") || !take(a, "urlhaus") {
		t.Fatal("the first store did not take and keep urlhaus")
	}
	if take(b, "urlhaus") {
		t.Error("the second store took urlhaus while the first holds it")
	}
	if !take(b, "feodo") || take(a, "feodo") {
		t.Error("feodo: the second store should hold it, not the first")
	}
	other, err := Open(ctx, pgtest.FreshSchema(t), Options{MaxConns: 2, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if !take(other, "urlhaus") {
		t.Error("another schema's urlhaus is held by this schema's lock")
	}
	a.Close()
	// The server drops a session's locks when its backend exits, a moment
	// after the client closed the connection.
	deadline := time.Now().Add(10 * time.Second)
	for !take(b, "urlhaus") {
		if time.Now().After(deadline) {
			t.Fatal("the second store did not take urlhaus after the first closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
