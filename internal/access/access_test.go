package access_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store/mem"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var start = time.Date(2026, 3, 14, 23, 59, 0, 0, time.UTC)

func newService(t *testing.T) (*access.Service, *clock) {
	t.Helper()
	c := &clock{t: start}
	return &access.Service{Store: mem.New(), Now: c.Now}, c
}

func addUser(t *testing.T, s *access.Service, name string, l access.License) intel.User {
	t.Helper()
	u, err := s.AddUser(context.Background(), name, l)
	if err != nil {
		t.Fatalf("AddUser(%q): %v", name, err)
	}
	return u
}

func commercial(quota int64) access.License {
	return access.License{Access: intel.AccessCommercial, DayQuota: quota, APIAccess: true}
}

func kindOf(t *testing.T, err error) (intel.Kind, string) {
	t.Helper()
	var e *intel.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *intel.Error", err)
	}
	return e.Kind, e.Code
}

func TestAddUserValidation(t *testing.T) {
	s, _ := newService(t)
	tests := []struct {
		name string
		user string
		l    access.License
	}{
		{"empty name", "", commercial(10)},
		{"name with space", "a b", commercial(10)},
		{"name too long", strings.Repeat("a", 65), commercial(10)},
		{"unknown access", "alice", access.License{Access: "commercial", DayQuota: 10}},
		{"empty access", "alice", access.License{DayQuota: 10}},
		{"zero quota", "alice", commercial(0)},
		{"negative quota", "alice", commercial(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.AddUser(context.Background(), tt.user, tt.l)
			if err == nil {
				t.Fatalf("AddUser(%q, %+v): got nil error, want KindInvalid", tt.user, tt.l)
			}
			if k, _ := kindOf(t, err); k != intel.KindInvalid {
				t.Fatalf("got kind %v, want KindInvalid (%v)", k, err)
			}
		})
	}
}

func TestAddUserUpdateKeepsToken(t *testing.T) {
	ctx := context.Background()
	s, c := newService(t)
	u := addUser(t, s, "alice", commercial(10))
	if !u.Created.Equal(start) {
		t.Fatalf("Created = %v, want %v", u.Created, start)
	}
	tok, _, err := s.IssueToken(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.Set(start.Add(time.Minute))
	exp, err := access.ParseExpires("2027-06-30")
	if err != nil {
		t.Fatal(err)
	}
	u = addUser(t, s, "alice", access.License{Access: intel.AccessTrial, DayQuota: 5, Expires: exp})
	if u.Access != intel.AccessTrial || u.DayQuota != 5 || u.APIAccess || !u.Created.Equal(start) {
		t.Fatalf("updated user = %+v, want Trial, quota 5, no API, created %v", u, start)
	}
	if want := time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC); !u.Expires.Equal(want) {
		t.Fatalf("Expires = %v, want %v", u.Expires, want)
	}
	got, _, err := s.Authenticate(ctx, tok)
	if err != nil {
		t.Fatalf("token after licence update: %v", err)
	}
	if got.DayQuota != 5 {
		t.Fatalf("authenticated user quota = %d, want 5", got.DayQuota)
	}
}

func TestParseExpires(t *testing.T) {
	for _, s := range []string{"2027-13-01", "27-01-01", "2027-01-01T00:00:00Z", "tomorrow"} {
		if _, err := access.ParseExpires(s); err == nil {
			t.Errorf("ParseExpires(%q): got nil error, want one", s)
		}
	}
	if got, err := access.ParseExpires(""); err != nil || !got.IsZero() {
		t.Errorf(`ParseExpires(""): got %v, %v, want zero time`, got, err)
	}
}

func TestIssueToken(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	addUser(t, s, "alice", commercial(10))

	tok, st, err := s.IssueToken(ctx, "alice", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, access.TokenPrefix) || len(tok) != len(access.TokenPrefix)+43 {
		t.Fatalf("token %q: want %q + 43 base64url characters", tok, access.TokenPrefix)
	}
	if st.Hash != access.HashToken(tok) || strings.Contains(st.Hash, tok[len(access.TokenPrefix):]) {
		t.Fatalf("stored hash %q is not the SHA-256 of the token", st.Hash)
	}
	if want := start.Add(30 * 24 * time.Hour); !st.Expires.Equal(want) || st.User != "alice" || !st.Issued.Equal(start) {
		t.Fatalf("token = %+v, want user alice, issued %v, expires %v", st, start, want)
	}

	// Capped at MaxTokenValidity.
	_, st, err = s.IssueToken(ctx, "alice", 10*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add(access.DefaultTokenValidity); !st.Expires.Equal(want) {
		t.Fatalf("10-year token expires %v, want capped at %v", st.Expires, want)
	}
	s.MaxTokenValidity = 24 * time.Hour
	_, st, err = s.IssueToken(ctx, "alice", 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add(24 * time.Hour); !st.Expires.Equal(want) {
		t.Fatalf("token expires %v, want capped at %v", st.Expires, want)
	}

	for _, valid := range []time.Duration{0, -time.Hour} {
		_, _, err := s.IssueToken(ctx, "alice", valid)
		if k, _ := kindOf(t, err); k != intel.KindInvalid {
			t.Fatalf("IssueToken(valid=%v): got kind %v, want KindInvalid", valid, k)
		}
	}
	_, _, err = s.IssueToken(ctx, "nobody", time.Hour)
	if k, _ := kindOf(t, err); k != intel.KindNotFound {
		t.Fatalf("IssueToken(unknown user): got kind %v, want KindNotFound", k)
	}
}

// joined is a store that reads a token and its user together
// (store.TokenUserReader), as the PostgreSQL backend does.
type joined struct{ *mem.Store }

func (j joined) TokenUser(ctx context.Context, hash string) (intel.Token, intel.User, error) {
	tok, err := j.TokenByHash(ctx, hash)
	if err != nil {
		return intel.Token{}, intel.User{}, err
	}
	u, err := j.User(ctx, tok.User)
	return tok, u, err
}

// Authentication answers the same through a store that reads a token and
// its user together.
func TestAuthenticate(t *testing.T) {
	t.Run("one by one", func(t *testing.T) {
		s, c := newService(t)
		testAuthenticate(t, s, c)
	})
	t.Run("joined", func(t *testing.T) {
		s, c := newService(t)
		s.Store = joined{mem.New()}
		testAuthenticate(t, s, c)
	})
}

func testAuthenticate(t *testing.T, s *access.Service, c *clock) {
	ctx := context.Background()
	addUser(t, s, "alice", commercial(10))
	addUser(t, s, "bob", commercial(10))

	old, _, err := s.IssueToken(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, tk, err := s.Authenticate(ctx, old)
	if err != nil || u.Name != "alice" || tk.User != "alice" {
		t.Fatalf("Authenticate(first token) = %q, %v, want alice", u.Name, err)
	}
	cur, _, err := s.IssueToken(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bobs, _, err := s.IssueToken(ctx, "bob", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if u, _, err := s.Authenticate(ctx, cur); err != nil || u.Name != "alice" {
		t.Fatalf("Authenticate(new token) = %q, %v, want alice", u.Name, err)
	}
	if u, _, err := s.Authenticate(ctx, bobs); err != nil || u.Name != "bob" {
		t.Fatalf("Authenticate(bob's token) = %q, %v, want bob", u.Name, err)
	}

	bad := []struct {
		name, token, code string
	}{
		{"empty", "", access.CodeUnauthenticated},
		{"replaced", old, access.CodeInvalidToken},
		{"unknown", access.TokenPrefix + strings.Repeat("A", 43), access.CodeInvalidToken},
		{"truncated", cur[:len(cur)-1], access.CodeInvalidToken},
		{"huge", strings.Repeat("x", 10000), access.CodeInvalidToken},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.Authenticate(ctx, tt.token)
			k, code := kindOf(t, err)
			if k != intel.KindUnauthenticated || code != tt.code {
				t.Fatalf("got kind %v code %q, want KindUnauthenticated %q", k, code, tt.code)
			}
		})
	}

	// Expiry: valid until the last nanosecond before Expires.
	c.Set(start.Add(time.Hour - time.Nanosecond))
	if _, _, err := s.Authenticate(ctx, cur); err != nil {
		t.Fatalf("token just before expiry: %v", err)
	}
	c.Set(start.Add(time.Hour))
	_, _, err = s.Authenticate(ctx, cur)
	if k, _ := kindOf(t, err); k != intel.KindUnauthenticated || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: got kind %v (%v), want KindUnauthenticated saying expired", k, err)
	}

	// Revocation.
	c.Set(start)
	if err := s.RevokeToken(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, bobs); intel.KindOf(err) != intel.KindUnauthenticated {
		t.Fatalf("revoked token: got %v, want KindUnauthenticated", err)
	}
}

func TestAuthorize(t *testing.T) {
	ctx := context.Background()
	s, c := newService(t)
	exp := start.Add(2 * time.Minute) // licence ends at 00:01 on the next day
	addUser(t, s, "alice", access.License{Access: intel.AccessTrial, DayQuota: 2, APIAccess: true, Expires: exp})
	addUser(t, s, "noapi", access.License{Access: intel.AccessCommercial, DayQuota: 2})
	tok, st, err := s.IssueToken(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, tk, err := s.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}

	for i := int64(1); i <= 2; i++ {
		if err := s.Check(ctx, u); err != nil {
			t.Fatalf("Check before request %d: %v", i, err)
		}
		lic, err := s.Authorize(ctx, u, tk)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if lic.AccessType != intel.AccessTrial || lic.DayRequests != i || lic.DayQuota != 2 || !lic.TokenExpires.Equal(st.Expires) {
			t.Fatalf("request %d: licence %+v, want Trial %d/2 token expiring %v", i, lic, i, st.Expires)
		}
	}
	_, err = s.Authorize(ctx, u, tk)
	k, code := kindOf(t, err)
	if k != intel.KindQuotaExceeded || code != access.CodeQuotaExceeded {
		t.Fatalf("request 3: got kind %v code %q, want KindQuotaExceeded", k, code)
	}
	const wantMsg = "the daily quota of 2 requests is exhausted; it resets at 00:00 UTC (2026-03-15T00:00:00Z)"
	if err.Error() != wantMsg {
		t.Fatalf("quota message = %q, want %q", err.Error(), wantMsg)
	}
	if err := s.Check(ctx, u); intel.KindOf(err) != intel.KindQuotaExceeded {
		t.Fatalf("Check after quota: got %v, want KindQuotaExceeded", err)
	}

	// The next UTC day starts from zero.
	c.Set(time.Date(2026, 3, 15, 0, 0, 30, 0, time.UTC))
	lic, err := s.Authorize(ctx, u, tk)
	if err != nil {
		t.Fatalf("first request of the next day: %v", err)
	}
	if lic.DayRequests != 1 {
		t.Fatalf("next day DayRequests = %d, want 1", lic.DayRequests)
	}

	// The licence ends at 00:01.
	c.Set(exp)
	for _, check := range []func() error{
		func() error { return s.Check(ctx, u) },
		func() error { _, err := s.Authorize(ctx, u, tk); return err },
	} {
		err := check()
		if k, code := kindOf(t, err); k != intel.KindLicenseExpired || code != access.CodeLicenseExpired {
			t.Fatalf("expired licence: got kind %v code %q, want KindLicenseExpired", k, code)
		}
	}

	// No API access.
	c.Set(start)
	nu, err := mustUser(ctx, s, "noapi")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Authorize(ctx, nu, intel.Token{})
	if k, code := kindOf(t, err); k != intel.KindForbidden || code != access.CodeNoAPIAccess {
		t.Fatalf("no API access: got kind %v code %q, want KindForbidden no_api_access", k, code)
	}
}

func mustUser(ctx context.Context, s *access.Service, name string) (intel.User, error) {
	return s.Store.User(ctx, name)
}

func TestAuthorizeWithoutToken(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	u := addUser(t, s, "alice", commercial(5))
	lic, err := s.Authorize(ctx, u, intel.Token{})
	if err != nil {
		t.Fatal(err)
	}
	if !lic.TokenExpires.IsZero() {
		t.Fatalf("TokenExpires = %v, want zero for a user without a token", lic.TokenExpires)
	}
	_, st, err := s.IssueToken(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	lic, err = s.Authorize(ctx, u, intel.Token{})
	if err != nil {
		t.Fatal(err)
	}
	if !lic.TokenExpires.Equal(st.Expires) || lic.DayRequests != 2 {
		t.Fatalf("licence = %+v, want token expiry %v and 2 requests", lic, st.Expires)
	}
}

func TestQuotaExactUnderConcurrency(t *testing.T) {
	const n = 64
	ctx := context.Background()
	s, _ := newService(t)
	u := addUser(t, s, "alice", commercial(n-1))
	var denied, allowed atomic.Int64
	seen := make([]atomic.Bool, n+1)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			lic, err := s.Authorize(ctx, u, intel.Token{})
			switch {
			case err == nil:
				allowed.Add(1)
				if lic.DayRequests < 1 || lic.DayRequests > n-1 || seen[lic.DayRequests].Swap(true) {
					t.Errorf("DayRequests %d repeated or out of range", lic.DayRequests)
				}
			case intel.KindOf(err) == intel.KindQuotaExceeded:
				denied.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	if denied.Load() != 1 || allowed.Load() != n-1 {
		t.Fatalf("got %d allowed and %d denied, want %d and 1", allowed.Load(), denied.Load(), n-1)
	}
}
