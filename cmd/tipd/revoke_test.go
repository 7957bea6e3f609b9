package main

import (
	"strings"
	"testing"
)

// TestTokenRevocationOnRunningServer: `tipd token revoke` against the store
// of a running server takes effect on the next request, and a new token
// works at once.
func TestTokenRevocationOnRunningServer(t *testing.T) {
	st, tok, s := worldServer(t, "carol")
	url := s.url + "/api/ip/45.95.147.10?sections=Zone"
	if a := get(t, "GET", url, tok); a.status != 200 {
		t.Fatalf("before revocation: got %d", a.status)
	}
	if out := mustTipd(t, "token", "revoke", "-store", st, "carol"); !strings.Contains(out, "revoked") {
		t.Errorf("revoke: got %q", out)
	}
	a := get(t, "GET", url, tok)
	if a.status != 401 || a.header.Get("WWW-Authenticate") == "" {
		t.Errorf("after revocation: got %d %s, want 401 with WWW-Authenticate", a.status, a.body)
	}
	list := mustTipd(t, "user", "list", "-store", st)
	if !strings.HasSuffix(strings.TrimSpace(lineOf(list, "carol")), " -") {
		t.Errorf("user list after revocation should show no token for carol:\n%s", list)
	}
	tok2 := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "carol"))
	if a := get(t, "GET", url, tok2); a.status != 200 {
		t.Errorf("new token after revocation: got %d", a.status)
	}
}

func lineOf(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
