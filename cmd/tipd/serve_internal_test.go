package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHandlersWait checks that a stop waits for a handler still running
// before the store is closed under it, and gives up after its grace.
func TestHandlersWait(t *testing.T) {
	var h handlers
	release := make(chan struct{})
	entered := make(chan struct{})
	srv := h.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	<-entered
	if h.wait(30 * time.Millisecond) {
		t.Fatal("wait returned true while a handler was running")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(release)
	}()
	if !h.wait(5 * time.Second) {
		t.Fatal("wait returned false after the handler returned")
	}
	<-done
	if n := h.n.Load(); n != 0 {
		t.Fatalf("%d handlers counted after all returned, want 0", n)
	}
}

// TestParseHoldTargetWebAddress checks that a web address written as a
// browser still reads it (backslashes, no slashes) is held by the host a
// browser fetches, not refused as a malformed network.
func TestParseHoldTargetWebAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`http:\\c2.badcorp.example\gate.php`, "c2.badcorp.example/gate.php"},
		{`HTTPS:c2.badcorp.example/x`, "c2.badcorp.example/x"},
		{`http://c2.badcorp.example\@example.org/p`, "c2.badcorp.example/@example.org/p"},
	} {
		h, err := parseHoldTarget(tc.in)
		if err != nil || h.URL != tc.want {
			t.Errorf("parseHoldTarget(%q) = %q, %v; want %q", tc.in, h.URL, err, tc.want)
		}
	}
	if _, err := parseHoldTarget("ftp://c2.badcorp.example/x"); err == nil || !strings.Contains(err.Error(), "http:// or https://") {
		t.Errorf("ftp web address: %v, want the http(s) message", err)
	}
}
