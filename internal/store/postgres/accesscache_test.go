package postgres

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

// A store that keeps tokens, users and holds (its listener connected) sees
// every change another store (another process) makes as soon as that
// change's call returns: the writer waits for the listeners'
// acknowledgements.
func TestKeptAccessFollowsOtherProcess(t *testing.T) {
	u := pgtest.FreshSchema(t)
	server, err := Open(t.Context(), u, Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	writer, err := Open(t.Context(), u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	ctx := t.Context()
	server.IntelVersion() // starts the listener, as a server does
	deadline := time.Now().Add(10 * time.Second)
	for !server.keeping() {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not connect in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	addr := netip.MustParseAddr("45.95.147.10")
	held := func() bool {
		t.Helper()
		_, ok, err := server.Hold(ctx, intel.HoldQuery{IP: addr})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for round := range 20 {
		quota := int64(100 + round)
		if err := writer.PutUser(ctx, intel.User{Name: "bob", Access: intel.AccessCommercial, DayQuota: quota, APIAccess: true}); err != nil {
			t.Fatal(err)
		}
		hash := "hash-" + string(rune('a'+round))
		if err := writer.SetToken(ctx, intel.Token{Hash: hash, User: "bob", Issued: time.Now(), Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		_, got, err := server.TokenUser(ctx, hash)
		if err != nil || got.DayQuota != quota {
			t.Fatalf("round %d: token of bob: quota %d, %v; want %d", round, got.DayQuota, err, quota)
		}
		if _, ok := server.access.token(hash); !ok {
			t.Fatalf("round %d: the token is not kept", round)
		}
		// A changed quota, then a revoked token, each seen at once.
		if err := writer.PutUser(ctx, intel.User{Name: "bob", Access: intel.AccessCommercial, DayQuota: quota + 1000, APIAccess: true}); err != nil {
			t.Fatal(err)
		}
		if _, got, err := server.TokenUser(ctx, hash); err != nil || got.DayQuota != quota+1000 {
			t.Fatalf("round %d: after the quota change: %d, %v; want %d", round, got.DayQuota, err, quota+1000)
		}
		if err := writer.RevokeToken(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := server.TokenUser(ctx, hash); !errors.Is(err, intel.ErrNotFound) {
			t.Fatalf("round %d: revoked token: got %v, want ErrNotFound", round, err)
		}
		// A hold put, then lifted, each seen at once.
		if held() {
			t.Fatalf("round %d: held before the hold", round)
		}
		if _, ok := server.access.holdList(); !ok {
			t.Fatalf("round %d: the holds are not kept", round)
		}
		if err := writer.PutHold(ctx, intel.Hold{Ref: "H-1", Prefix: netip.PrefixFrom(addr, 32), Reason: "court order"}); err != nil {
			t.Fatal(err)
		}
		if !held() {
			t.Fatalf("round %d: not held right after the hold was put", round)
		}
		if err := writer.DeleteHold(ctx, "H-1"); err != nil {
			t.Fatal(err)
		}
		if held() {
			t.Fatalf("round %d: still held right after the hold was lifted", round)
		}
	}
	if err := writer.DeleteHold(ctx, "H-1"); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("lifting an unknown hold: got %v, want ErrNotFound", err)
	}
}
