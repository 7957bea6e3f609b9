package access_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/intel"
)

func TestHashPassword(t *testing.T) {
	h, err := access.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	h2, _ := access.HashPassword("correct horse")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct hors": false, "": false, "Correct horse": false} {
		ok, err := access.VerifyPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		if _, err := access.VerifyPassword(bad, "x"); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a malformed hash", bad)
		}
	}
}

func TestAuthenticateBasic(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	addUser(t, s, "alice", commercial(10))
	addUser(t, s, "bob", commercial(10))
	fpA := access.CertFingerprint([]byte("alice cert"))
	fpB := access.CertFingerprint([]byte("bob cert"))
	if err := s.SetPassword(ctx, "alice", ""); intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("empty password: %v", err)
	}
	if err := s.SetPassword(ctx, "nobody", "pw"); intel.KindOf(err) != intel.KindNotFound {
		t.Errorf("unknown user: %v", err)
	}
	for _, err := range []error{
		s.SetPassword(ctx, "alice", "alice-pw"), s.SetPassword(ctx, "bob", "bob-pw"),
		s.BindCert(ctx, "alice", fpA), s.BindCert(ctx, "alice", strings.ToUpper(fpA)), s.BindCert(ctx, "bob", fpB),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.BindCert(ctx, "alice", "nothex"); intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("bad fingerprint: %v", err)
	}
	u, err := s.Store.User(ctx, "alice")
	if err != nil || len(u.CertFingerprints) != 1 || strings.Contains(u.PasswordHash, "alice-pw") {
		t.Fatalf("stored alice = %+v, %v", u, err)
	}
	// Updating the licence keeps password and certificates.
	addUser(t, s, "alice", commercial(20))

	if u, err := s.AuthenticateBasic(ctx, "alice", "alice-pw", fpA); err != nil || u.Name != "alice" || u.DayQuota != 20 {
		t.Fatalf("good credentials: %+v, %v", u, err)
	}
	for _, c := range []struct{ name, pw, fp string }{
		{"alice", "alice-pw", ""},   // no certificate
		{"alice", "alice-pw", fpB},  // another user's certificate
		{"alice", "bob-pw", fpA},    // wrong password
		{"alice", "", fpA},          // no password
		{"nobody", "alice-pw", fpA}, // unknown user
		{"bob", "bob-pw", fpA},      // bob with alice's certificate
		{"al:ice", "alice-pw", fpA}, // invalid name
	} {
		if _, err := s.AuthenticateBasic(ctx, c.name, c.pw, c.fp); intel.KindOf(err) != intel.KindUnauthenticated {
			t.Errorf("AuthenticateBasic(%q, %q, %.8s) = %v, want unauthenticated", c.name, c.pw, c.fp, err)
		}
	}
}
