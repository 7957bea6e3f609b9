package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/tipd/tipd/internal/intel"
)

// TestLookupURLHostAsBrowser checks that a web address is answered for the
// host a browser would connect to: in http and https, "\" is "/", so
// http://c2-0.badcorp.example\@example.org/ names c2-0.badcorp.example with
// the path /@example.org/, not example.org with user information. Holds on
// that host's web address, and on an address written as a browser reads it
// (0x7f.1 is 127.0.0.1), apply.
func TestLookupURLHostAsBrowser(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	holds := []intel.Hold{
		{Ref: "hold-c2path", URL: "c2-0.badcorp.example/@example.org/held.php", Reason: "test", Created: now},
		{Ref: "hold-c2addr", Prefix: netip.MustParsePrefix("198.51.100.7/32"), Reason: "test", Created: now},
	}
	for _, h := range holds {
		if err := e.st.PutHold(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	const wantHost = "c2-0.badcorp.example"
	const wantKey = "c2-0.badcorp.example/@example.org/panel/gate.php"
	for _, target := range []string{
		`/api/ip/http://c2-0.badcorp.example\@example.org/panel/gate.php`,
		`/api/ip/http://c2-0.badcorp.example%5C@example.org/panel/gate.php`,
		`/api/ip/http://c2-0.badcorp.example%5c@example.org/panel/gate.php`,
		`/api/ip/https://C2-0.badcorp.EXAMPLE%5C%40example.org%2Fpanel%2Fgate.php`,
		`/api/ip/http:%2F%2Fc2-0.badcorp.example%5C@example.org%5Cpanel%5Cgate.php`,
	} {
		resp := rawDo(t, addr, http.MethodGet, target, e.tokens["alice"])
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: got %d %s, want 200", target, resp.StatusCode, body)
			continue
		}
		var got struct{ UrlGeneralInfo struct{ Url, Host string } }
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if g := got.UrlGeneralInfo; g.Host != wantHost || g.Url != wantKey {
			t.Errorf("%s: answered for host %q, key %q; want host %q, key %q", target, g.Host, g.Url, wantHost, wantKey)
		}
	}

	held := []string{
		`/api/ip/http://c2-0.badcorp.example\@example.org/held.php`,
		`/api/ip/http://c2-0.badcorp.example%5C@example.org/held.php`,
		`/api/ip/http://198.51.100.7\@example.org/x`,
		`/api/ip/http://198.51.100.7%5C@example.org/x`,
		`/api/ip/http://0xc6.0x33.0x64.7/x`,
		`/api/ip/http://3325256711/x`,
		`/api/ip/http://example.org@198.51.100.7/x`,
	}
	for _, target := range held {
		w := e.do(t, http.MethodGet, target, "alice")
		if w.Code != http.StatusUnavailableForLegalReasons {
			t.Errorf("%s: got %d %s, want 451", target, w.Code, w.Body)
		}
	}
	// The host after the last @ of the authority is the one looked up.
	w := e.do(t, http.MethodGet, `/api/ip/http://198.51.100.7@example.org/x`, "alice")
	if w.Code != http.StatusOK {
		t.Errorf("user information 198.51.100.7: got %d %s, want 200", w.Code, w.Body)
	}
}
