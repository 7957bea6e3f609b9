package httpapi_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/pebble"
)

// TestHoldBeforeQuota checks the order of docs/api.md: a user whose quota
// is used up who asks for a held object gets the hold's 451, not the
// quota's 403; other objects get the 403. On the mem store and on Pebble,
// whose hold reads differ.
func TestHoldBeforeQuota(t *testing.T) {
	stores := map[string]func(t *testing.T) store.Store{
		"mem": func(*testing.T) store.Store { return nil },
		"pebble": func(t *testing.T) store.Store {
			st, err := pebble.Open(t.TempDir(), pebble.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, options{store: open(t)})
			if err := e.st.PutHold(ctx, intel.Hold{Ref: "hold-0badcafe", Prefix: netip.MustParsePrefix("45.95.147.10/32"),
				Reason: "court order", Created: now}); err != nil {
				t.Fatal(err)
			}
			// trial's quota is 20: use it up.
			for range 20 {
				if _, ok, err := e.st.CountRequest(ctx, "trial", store.Day(now), 20); err != nil || !ok {
					t.Fatalf("count: %v %v", ok, err)
				}
			}
			tests := []struct {
				target     string
				wantStatus int
				wantCode   string
			}{
				{"/api/ip/45.95.147.10", 451, "legal_hold"},
				{"/api/ip/45.95.147.10?format=stix", 451, "legal_hold"},
				{"/api/ip/http://45.95.147.10/bins/x86", 451, "legal_hold"},
				{"/api/v1/search/ip?request=45.95.147.10", 451, "legal_hold"},
				{"/api/url/http://45.95.147.10/bins/x86?count=1", 451, "legal_hold"},
				{"/api/url/45.95.147.10%2Fbins%2Fx86?format=stix", 451, "legal_hold"},
				{"/api/v1/search/url?request=http://45.95.147.10/bins/x86?a=1&b=2", 451, "legal_hold"},
				{"/api/url/http://example.com/", 403, "quota_exceeded"},
				{"/api/v1/search/url?request=example.com", 403, "quota_exceeded"},
				{"/api/ip/45.95.147.11", 403, "quota_exceeded"},
				{"/api/ip/http://example.com/", 403, "quota_exceeded"},
			}
			for _, tt := range tests {
				w := e.do(t, "GET", tt.target, "trial")
				if w.Code != tt.wantStatus {
					t.Errorf("%s: status %d, want %d; body %s", tt.target, w.Code, tt.wantStatus, w.Body)
					continue
				}
				if code, _ := errorOf(t, w); code != tt.wantCode {
					t.Errorf("%s: code %q, want %q", tt.target, code, tt.wantCode)
				}
			}
			if n := e.dayCount(t, "trial"); n != 20 {
				t.Errorf("day count %d after refused requests, want 20", n)
			}
		})
	}
}
