package httpapi_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/web"
)

// edgeServer serves the API and the portal as `tipd serve` does: an
// http.Server with a 32 KiB header limit behind an edge listener, over
// plain TCP or over TLS.
type edgeServer struct {
	addr   string
	token  string
	client *tls.Config // nil for plain TCP
	errlog *syncBuffer // the http.Server's ErrorLog
	srv    *http.Server
	env    *env
}

func startEdgeServer(t *testing.T, secure bool) *edgeServer {
	t.Helper()
	return startEdgeServerWith(t, secure, httpapi.EdgeOptions{})
}

// startEdgeServerWith starts an edge server with options o (its TLS and
// metrics are the test's).
func startEdgeServerWith(t *testing.T, secure bool, o httpapi.EdgeOptions) *edgeServer {
	t.Helper()
	e := newEnv(t, options{})
	reg := prometheus.NewRegistry()
	metrics := httpapi.NewMetrics(reg)
	h := httpapi.NewServer(slog.New(slog.NewJSONHandler(e.logs, nil)), httpapi.Config{}, httpapi.Deps{
		Access:   e.acc,
		Reports:  &report.Builder{Store: e.st, Net: netdata.NewHolder(), Now: fixedNow},
		Metrics:  metrics,
		Registry: reg,
		UI:       web.Handler(),
		Now:      fixedNow,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &edgeServer{addr: ln.Addr().String(), token: e.tokens["alice"], errlog: &syncBuffer{}, env: e}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          log.New(s.errlog, "", 0),
	}
	o.Metrics = metrics
	if secure {
		cert, pool := selfSigned(t)
		o.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	}
	s.srv = srv
	go srv.Serve(httpapi.NewEdgeListener(srv, ln, o))
	t.Cleanup(func() { srv.Close() })
	return s
}

// selfSigned makes a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// dial opens a connection to the server, TLS included.
func (s *edgeServer) dial(t *testing.T) net.Conn {
	t.Helper()
	if s.client == nil {
		return s.dialTCP(t)
	}
	c, err := tls.Dial("tcp", s.addr, s.client)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// dialTCP opens a plain TCP connection to the server (even to its TLS
// port), with a 30 s deadline, closed when the test ends.
func (s *edgeServer) dialTCP(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// raw sends req byte for byte on a new connection and reads one answer.
func (s *edgeServer) raw(t *testing.T, req string) (*http.Response, []byte) {
	t.Helper()
	c := s.dial(t)
	defer c.Close()
	go io.WriteString(c, req) // the server may answer before it read everything
	return readAnswer(t, bufio.NewReader(c), "GET")
}

func readAnswer(t *testing.T, r *bufio.Reader, method string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(r, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("no HTTP answer: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return resp, body
}

// wantJSONError checks an error answer: status, the API's headers and a
// JSON body of exactly error and message.
func wantJSONError(t *testing.T, resp *http.Response, body []byte, status int, code string) string {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status %d, want %d (body %q)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json (body %q)", ct, body)
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %q for %d body bytes", cl, len(body))
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v lack nosniff or no-store", resp.Header)
	}
	if resp.Header.Get("Date") == "" {
		t.Errorf("no Date header: %v", resp.Header)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	got, _ := m["error"].(string)
	msg, _ := m["message"].(string)
	if len(m) != 2 || got != code || msg == "" {
		t.Errorf("body %s, want exactly error %q and a message", body, code)
	}
	return msg
}

// TestEdgeRefusals sends requests that net/http refuses before any
// handler runs: every answer is the API's JSON error, over plain TCP and
// over TLS.
func TestEdgeRefusals(t *testing.T) {
	long := strings.Repeat("a", 40<<10)
	tests := []struct {
		name, req string
		status    int
		code      string
		message   string // a part of the message
		close     bool   // the answer says Connection: close
	}{
		{"percent-escape", "GET /api/ip/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request", "%zz", true},
		{"request line", "GARBAGE\r\n\r\n", 400, "invalid_request", "malformed", true},
		{"no Host", "GET /api/ip/1.2.3.4 HTTP/1.1\r\n\r\n", 400, "invalid_request", "no Host header", true},
		{"absolute form, no Host", "GET http://x/api/ip/1.2.3.4 HTTP/1.1\r\n\r\n", 400, "invalid_request", "no Host header", true},
		{"bad Host", "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid_request", "Host header is malformed", true},
		{"bad header name", "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nBad\x01Name: 1\r\n\r\n", 400, "invalid_request", "", true},
		{"Expect", "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417, "expectation_failed", "Expect", true},
		{"HTTP version", "GET /api/ip/1.2.3.4 HTTP/3.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported", "HTTP/1.1", true},
		{"target over the header limit", "GET /api/ip/1.2.3.4?x=" + long + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request_too_long", "at most 2000 bytes", true},
		{"long target and headers over the limit", "GET /api/ip/1.2.3.4?x=" + long[:30000] + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + long[:8000] + "\r\n\r\n",
			414, "request_too_long", "at most 2000 bytes", true},
		{"header fields over the limit", "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nX-Big: " + long + "\r\n\r\n", 431, "header_too_large", "32768 bytes", true},
		{"unsupported Transfer-Encoding", "POST /api/publications/get_one HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported_transfer_encoding", "Transfer-Encoding", true},
		{"Content-Length and chunked", "POST /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			400, "invalid_request", "both Content-Length and Transfer-Encoding", true},
		{"chunked and Content-Length, any case", "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\nCONTENT-LENGTH: 0\r\n\r\n0\r\n\r\n",
			400, "invalid_request", "both Content-Length and Transfer-Encoding", true},
		{"Content-Length and gzip", "POST /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\nhello",
			400, "invalid_request", "both Content-Length and Transfer-Encoding", true},
	}
	for _, secure := range []bool{false, true} {
		s := startEdgeServer(t, secure)
		name := "plain"
		if secure {
			name = "tls"
		}
		t.Run(name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					resp, body := s.raw(t, tt.req)
					msg := wantJSONError(t, resp, body, tt.status, tt.code)
					if !strings.Contains(msg, tt.message) {
						t.Errorf("message %q does not say %q", msg, tt.message)
					}
					if tt.close && !resp.Close {
						t.Errorf("the answer keeps the connection open: %v", resp.Header)
					}
					if hsts := resp.Header.Get("Strict-Transport-Security"); (hsts != "") != secure {
						t.Errorf("Strict-Transport-Security %q over TLS %v", hsts, secure)
					}
				})
			}
		})
	}
}

// TestEdgeOrdinaryRequests checks requests that reach the handlers over an
// edge listener: absolute-form targets, the portal's unknown files, a
// keep-alive connection with several requests, a chunked body alone.
func TestEdgeOrdinaryRequests(t *testing.T) {
	for _, secure := range []bool{false, true} {
		s := startEdgeServer(t, secure)
		auth := "Authorization: Bearer " + s.token + "\r\n"
		tests := []struct {
			req    string
			status int
			code   string // of an error answer
		}{
			{"GET http://x/api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 200, ""},
			{"GET https://x/api/ip/http://82.118.16.30/a?count=2 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 200, ""},
			{"GET http://x/nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"},
			{"GET http://x/static/nowhere.js HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"},
			{"GET /static/nowhere.js HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"},
			{"GET /static/app.js HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999-\r\n\r\n", 416, "range_not_satisfiable"},
			{"GET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n", 200, ""},
			{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200, ""},
			{"POST /api/publications/get_one HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n" +
				"10\r\npublication_id=x\r\n0\r\n\r\n", 404, ""},
		}
		for _, tt := range tests {
			resp, body := s.raw(t, tt.req)
			line, _, _ := strings.Cut(tt.req, "\r\n")
			if tt.code == "" {
				if resp.StatusCode != tt.status {
					t.Errorf("TLS %v: %s: %d %q, want %d", secure, line, resp.StatusCode, body, tt.status)
				}
				continue
			}
			t.Run(line, func(t *testing.T) { wantJSONError(t, resp, body, tt.status, tt.code) })
		}

		// Keep-alive: ordinary answers, then a refusal, on one connection.
		c := s.dial(t)
		r := bufio.NewReader(c)
		for i := range 3 {
			io.WriteString(c, "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\n"+auth+"\r\n")
			if resp, body := readAnswer(t, r, "GET"); resp.StatusCode != 200 || resp.Close {
				t.Fatalf("TLS %v: request %d: %d %q close %v", secure, i, resp.StatusCode, body, resp.Close)
			}
		}
		io.WriteString(c, "GET /api/ip/1.2.3.4?x="+strings.Repeat("b", 40<<10)+" HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, body := readAnswer(t, r, "GET")
		wantJSONError(t, resp, body, 414, "request_too_long")
		c.Close()
	}
}

// TestEdgeSmugglingClosesConnection: the request after one with both
// Content-Length and Transfer-Encoding is never served.
func TestEdgeSmugglingClosesConnection(t *testing.T) {
	s := startEdgeServer(t, false)
	c := s.dial(t)
	defer c.Close()
	io.WriteString(c, "POST /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	r := bufio.NewReader(c)
	resp, body := readAnswer(t, r, "POST")
	wantJSONError(t, resp, body, 400, "invalid_request")
	if rest, err := io.ReadAll(r); len(rest) != 0 || err != nil {
		t.Errorf("after the refusal: %q, %v; want the connection closed", rest, err)
	}
}

// TestEdgePlainHTTPToTLS: a plain HTTP request to the TLS port gets a JSON
// 400 in plain text.
func TestEdgePlainHTTPToTLS(t *testing.T) {
	s := startEdgeServer(t, true)
	c := s.dialTCP(t)
	io.WriteString(c, "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := readAnswer(t, bufio.NewReader(c), "GET")
	if msg := wantJSONError(t, resp, body, 400, "invalid_request"); !strings.Contains(msg, "HTTPS") {
		t.Errorf("message %q does not say HTTPS", msg)
	}
	if !strings.Contains(s.errlog.String(), "TLS handshake error") {
		t.Errorf("error log %q", s.errlog)
	}
}

// TestEdgeTLSState: handlers see the TLS connection state (r.TLS), so
// answers over TLS carry Strict-Transport-Security, over HTTP/1.1 and
// over HTTP/2 alike; a client offering HTTP/2 gets it, unless the
// listener offers HTTP/1.1 only.
func TestEdgeTLSState(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     httpapi.EdgeOptions
		force bool
		major int
	}{
		{"HTTP/2 offered", httpapi.EdgeOptions{}, true, 2},
		{"HTTP/1.1 asked", httpapi.EdgeOptions{}, false, 1},
		{"HTTP/2 refused", httpapi.EdgeOptions{NoHTTP2: true}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startEdgeServerWith(t, true, tc.o)
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: s.client, ForceAttemptHTTP2: tc.force}}
			defer client.CloseIdleConnections()
			req, _ := http.NewRequest(http.MethodGet, "https://"+s.addr+"/api/ip/1.2.3.4", nil)
			req.Header.Set("Authorization", "Bearer "+s.token)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var answer map[string]any
			err = json.NewDecoder(resp.Body).Decode(&answer)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.ProtoMajor != tc.major || resp.Header.Get("Strict-Transport-Security") == "" || err != nil || answer["Zone"] == nil {
				t.Errorf("got %d %s, HSTS %q, answer %v (%v); want 200 HTTP/%d.x with a zone", resp.StatusCode, resp.Proto, resp.Header.Get("Strict-Transport-Security"), answer, err, tc.major)
			}
			// A refusal of the API is its JSON, whatever the protocol.
			req, _ = http.NewRequest(http.MethodGet, "https://"+s.addr+"/api/nothing-here", nil)
			resp, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantJSONError(t, resp, body, 404, "not_found")
			if resp.ProtoMajor != tc.major {
				t.Errorf("refusal over %s, want HTTP/%d.x", resp.Proto, tc.major)
			}
		})
	}
	s := startEdgeServer(t, true)
	// A client that does not complete the handshake is dropped quietly.
	c := s.dialTCP(t)
	c.Write([]byte{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5})
	if b, err := io.ReadAll(c); bytes.Contains(b, []byte("HTTP/")) || err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Errorf("after a broken handshake: %q, %v", b, err)
	}
	c.Close()
}

// TestEdgePipelining: requests a client sends back to back on one
// HTTP/1.1 connection, before reading any answer, are answered in order.
func TestEdgePipelining(t *testing.T) {
	s := startEdgeServer(t, false)
	c := s.dialTCP(t)
	ips := []string{"1.2.3.4", "192.0.2.1", "1.2.3.5"}
	var reqs strings.Builder
	for _, ip := range ips {
		fmt.Fprintf(&reqs, "GET /api/ip/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", ip, s.token)
	}
	fmt.Fprintf(&reqs, "GET /api/nothing-here HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := io.WriteString(c, reqs.String()); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for _, ip := range ips {
		resp, body := readAnswer(t, r, "GET")
		var answer struct{ IpGeneralInfo struct{ Ip string } }
		if err := json.Unmarshal(body, &answer); err != nil || resp.StatusCode != 200 || answer.IpGeneralInfo.Ip != ip {
			t.Errorf("answer %d for %s: %s", resp.StatusCode, ip, body)
		}
	}
	resp, body := readAnswer(t, r, "GET")
	wantJSONError(t, resp, body, 404, "not_found")
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "reset")
}
