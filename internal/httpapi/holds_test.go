package httpapi_test

import (
	"context"
	"net/netip"
	"strings"
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
	for name, open := range holdStores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{store: open(t)})
			holdAndUseUpQuota(t, e, intel.Hold{Ref: "hold-0badcafe", Prefix: netip.MustParsePrefix("45.95.147.10/32"),
				Reason: "court order", Created: now})
			wantRefusals(t, e, []refusal{
				{"/api/ip/45.95.147.10", 451, "hold-0badcafe"},
				{"/api/ip/45.95.147.10?format=stix", 451, "hold-0badcafe"},
				{"/api/ip/http://45.95.147.10/bins/x86", 451, "hold-0badcafe"},
				{"/api/v1/search/ip?request=45.95.147.10", 451, "hold-0badcafe"},
				{"/api/url/http://45.95.147.10/bins/x86?count=1", 451, "hold-0badcafe"},
				{"/api/url/45.95.147.10%2Fbins%2Fx86?format=stix", 451, "hold-0badcafe"},
				{"/api/v1/search/url?request=http://45.95.147.10/bins/x86?a=1&b=2", 451, "hold-0badcafe"},
				{"/api/url/http://example.com/", 403, ""},
				{"/api/v1/search/url?request=example.com", 403, ""},
				{"/api/ip/45.95.147.11", 403, ""},
				{"/api/ip/http://example.com/", 403, ""},
			})
		})
	}
}

// TestObjectHolds: a hold on a name refuses the domain lookups of that name
// and of every name below it, and the web addresses whose host is one of
// them; a hold on one hash of a file refuses the lookups of all three of
// its hashes. Each before the quota (used up here) and uncounted, in path,
// STIX and search forms; names beside or above a held one, and other
// files, get the quota's 403.
func TestObjectHolds(t *testing.T) {
	for name, open := range holdStores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{store: open(t)})
			seedObjects(t, e)
			holdAndUseUpQuota(t, e,
				intel.Hold{Ref: "hold-0000d0a1", Domain: "badcorp.example", Reason: "court order", Created: now},
				intel.Hold{Ref: "hold-0000f11e", Hash: testSHA1, Reason: "court order", Created: now},
				intel.Hold{Ref: "hold-0000f12e", Hash: strings.Repeat("AB", 16), Reason: "court order", Created: now},
			)
			wantRefusals(t, e, []refusal{
				{"/api/domain/badcorp.example", 451, "hold-0000d0a1"},
				{"/api/domain/" + testDomain, 451, "hold-0000d0a1"},
				{"/api/domain/C2.BadCorp.Example.?format=stix", 451, "hold-0000d0a1"},
				{"/api/domain/a.b.c2.badcorp.example?sections=Zone", 451, "hold-0000d0a1"},
				{"/api/v1/search/domain?request=www.badcorp.example", 451, "hold-0000d0a1"},
				{"/api/url/http://" + testDomain + "/bins/x86", 451, "hold-0000d0a1"},
				{"/api/url/" + testDomain + "%2Fbins%2Fx86?format=stix", 451, "hold-0000d0a1"},
				{"/api/url/https://www.BADCORP.example:8443/", 451, "hold-0000d0a1"},
				{"/api/ip/http://" + testDomain + "/bins/x86", 451, "hold-0000d0a1"},
				{"/api/v1/search/url?request=badcorp.example/login", 451, "hold-0000d0a1"},
				{"/api/hash/" + testSHA1, 451, "hold-0000f11e"},
				{"/api/hash/" + strings.ToLower(testMD5), 451, "hold-0000f11e"},
				{"/api/hash/" + testSHA256 + "?format=stix", 451, "hold-0000f11e"},
				{"/api/v1/search/hash?request=" + testSHA256, 451, "hold-0000f11e"},
				{"/api/v1/search/hash?request=" + testMD5, 451, "hold-0000f11e"},
				{"/api/hash/" + strings.Repeat("ab", 16), 451, "hold-0000f12e"}, // held, nothing stored
				{"/api/domain/example", 403, ""},
				{"/api/domain/xbadcorp.example", 403, ""},
				{"/api/domain/badcorp.example.net", 403, ""},
				{"/api/v1/search/domain?request=example.com", 403, ""},
				{"/api/url/http://notbadcorp.example/", 403, ""},
				{"/api/url/http://example.com/badcorp.example", 403, ""},
				{"/api/hash/" + strings.Repeat("AB", 32), 403, ""},
				{"/api/v1/search/hash?request=" + strings.Repeat("AB", 20), 403, ""},
			})
		})
	}
}

// holdStores are the stores the hold tests run on: the mem store (nil: the
// test environment's own) and Pebble, whose hold reads differ.
var holdStores = map[string]func(t *testing.T) store.Store{
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

// holdAndUseUpQuota puts the holds and counts trial's whole quota (20)
// for today, so that an answer that is not refused for a hold is refused
// for the quota.
func holdAndUseUpQuota(t *testing.T, e *env, holds ...intel.Hold) {
	t.Helper()
	ctx := context.Background()
	for _, h := range holds {
		if err := e.st.PutHold(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		if _, ok, err := e.st.CountRequest(ctx, "trial", store.Day(now), 20); err != nil || !ok {
			t.Fatalf("count: %v %v", ok, err)
		}
	}
}

// refusal is a request of trial's and how it must be refused: 451
// legal_hold naming ref (when set), or 403 quota_exceeded.
type refusal struct {
	target string
	status int
	ref    string
}

// wantRefusals checks each refusal: its status, its code, the hold it
// names and never the hold's reason; and that none was counted.
func wantRefusals(t *testing.T, e *env, cases []refusal) {
	t.Helper()
	for _, tt := range cases {
		w := e.do(t, "GET", tt.target, "trial")
		if w.Code != tt.status {
			t.Errorf("%s: got status %d, want %d; body %s", tt.target, w.Code, tt.status, w.Body)
			continue
		}
		code, msg := errorOf(t, w)
		wantCode := "quota_exceeded"
		if tt.status == 451 {
			wantCode = "legal_hold"
		}
		if code != wantCode {
			t.Errorf("%s: got code %q, want %q", tt.target, code, wantCode)
		}
		if tt.ref != "" && !strings.Contains(msg, tt.ref) {
			t.Errorf("%s: got message %q, want it to name %s", tt.target, msg, tt.ref)
		}
		if strings.Contains(msg, "court order") {
			t.Errorf("%s: got message %q, which reveals the reason", tt.target, msg)
		}
	}
	if n := e.dayCount(t, "trial"); n != 20 {
		t.Errorf("got day count %d after refused requests, want 20", n)
	}
}
