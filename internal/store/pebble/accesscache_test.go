package pebble

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tipd/tipd/internal/intel"
)

// Readers that fill the cache while tokens and users change never leave a
// value in it that a later write replaced, and a caller changing what it
// was given does not change the cache.
func TestAccessCacheFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hash := func(i int) string { return fmt.Sprintf("%064x", i) }
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.TokenByHash(ctx, hash(i%50)); err != nil && !errors.Is(err, intel.ErrNotFound) {
					t.Error(err)
				}
				if _, err := s.User(ctx, "bob"); err != nil && !errors.Is(err, intel.ErrNotFound) {
					t.Error(err)
				}
			}
		}()
	}
	for i := range 50 {
		if err := s.PutUser(ctx, intel.User{Name: "bob", DayQuota: int64(i), CertFingerprints: []string{"ab"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetToken(ctx, intel.Token{Hash: hash(i), User: "bob"}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	for i := range 49 {
		if _, err := s.TokenByHash(ctx, hash(i)); !errors.Is(err, intel.ErrNotFound) {
			t.Fatalf("token %d, replaced: %v, want ErrNotFound", i, err)
		}
	}
	if tok, err := s.TokenByHash(ctx, hash(49)); err != nil || tok.User != "bob" {
		t.Fatalf("the last token: %+v, %v", tok, err)
	}
	u, err := s.User(ctx, "bob")
	if err != nil || u.DayQuota != 49 {
		t.Fatalf("user: %+v, %v; want the last quota, 49", u, err)
	}
	u.CertFingerprints[0] = "changed"
	if u, _ := s.User(ctx, "bob"); u.CertFingerprints[0] != "ab" {
		t.Fatalf("the cached user changed with the caller's copy: %v", u.CertFingerprints)
	}
	if err := s.RevokeToken(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, hash(49)); !errors.Is(err, intel.ErrNotFound) {
		t.Fatalf("revoked token: %v, want ErrNotFound", err)
	}
}

// A value read before a write emptied the cache is not kept.
func TestAccessCacheKeepsNothingReadBeforeAWrite(t *testing.T) {
	var c accessCache
	_, gen, ok := c.token("h")
	if ok {
		t.Fatal("hit in an empty cache")
	}
	c.reset() // a write commits while the reader reads the old value
	c.putToken(intel.Token{Hash: "h", User: "old"}, gen)
	c.putUser(intel.User{Name: "old"}, gen)
	if _, _, ok := c.token("h"); ok {
		t.Error("the token read before the write was kept")
	}
	if _, _, ok := c.user("old"); ok {
		t.Error("the user read before the write was kept")
	}
	_, gen, _ = c.token("h")
	c.putToken(intel.Token{Hash: "h", User: "new"}, gen)
	if tok, _, ok := c.token("h"); !ok || tok.User != "new" {
		t.Errorf("token after a read without a write: %+v, %v; want it kept", tok, ok)
	}
}
