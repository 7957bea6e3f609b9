package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeBurstLimit runs `tipd serve -rate -burst` as its own process: the
// burst is answered, the next request is 429 with Retry-After and is not
// counted, and the OpenTIP-style endpoint takes the token as x-api-key.
func TestServeBurstLimit(t *testing.T) {
	st := filepath.Join(t.TempDir(), "store")
	mustTipd(t, "user", "add", "-store", st, "-day-quota", "100", "alice")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "alice"))
	base := startProcess(t, "serve", "-store", st, "-addr", "127.0.0.1:0", "-rate", "0.2", "-burst", "2")

	search := func() *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+"/api/v1/search/ip?request=45.95.147.10", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("x-api-key", tok)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if a := get(t, http.MethodGet, base+"/api/ip/45.95.147.10", tok); a.status != 200 {
		t.Fatalf("first request: %d %s", a.status, a.body)
	}
	if resp := search(); resp.StatusCode != 200 {
		t.Fatalf("x-api-key search: %d", resp.StatusCode)
	}
	for range 3 {
		a := get(t, http.MethodGet, base+"/api/ip/45.95.147.10", tok)
		if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "5" || !strings.Contains(string(a.body), `"rate_limited"`) {
			t.Fatalf("over the burst: %d Retry-After %q %s, want 429, 5 and rate_limited", a.status, a.header.Get("Retry-After"), a.body)
		}
	}
	if resp := search(); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("x-api-key search over the burst: %d", resp.StatusCode)
	}
	// Only the two answers were counted: today's column of user list says 2.
	list := mustTipd(t, "user", "list", "-store", st)
	counted := ""
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "alice" {
			counted = f[2]
		}
	}
	if counted != "2" {
		t.Errorf("user list after 2 answers and 4 refusals:\n%s", list)
	}
}

// TestServeFailedAuthentications runs `tipd serve -auth-failures 3`: after
// three wrong tokens from this address, even the right token is answered
// 429 with Retry-After until the bucket refills (3 per 10 s), and a JSON
// answer is given to a request net/http refuses itself.
func TestServeFailedAuthentications(t *testing.T) {
	st := filepath.Join(t.TempDir(), "store")
	mustTipd(t, "user", "add", "-store", st, "alice")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "alice"))
	base := startProcess(t, "serve", "-store", st, "-addr", "127.0.0.1:0", "-auth-failures", "3")
	for i := range 3 {
		if a := get(t, http.MethodGet, base+"/api/ip/45.95.147.10", "tipd_wrong"); a.status != 401 {
			t.Fatalf("wrong token %d: %d %s", i+1, a.status, a.body)
		}
	}
	for _, token := range []string{"tipd_wrong", tok} {
		a := get(t, http.MethodGet, base+"/api/ip/45.95.147.10", token)
		if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "4" ||
			!strings.Contains(string(a.body), `"too_many_failed_authentications"`) {
			t.Errorf("after 3 failures: %d Retry-After %q %s, want 429, 4 and too_many_failed_authentications",
				a.status, a.header.Get("Retry-After"), a.body)
		}
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /api/ip/%zz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), `"invalid_request"`) {
		t.Errorf("GET /api/ip/%%zz: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
