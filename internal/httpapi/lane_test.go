package httpapi_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/httpapi"
)

// exchange sends reqs (whole requests, back to back) on one new
// connection and reads n answers; each is returned as its status line,
// its header without Date (sorted, one "Name: value" a line) and its
// body, and the connection's end after the last (true: closed).
func exchange(t *testing.T, addr string, client *tls.Config, reqs string, n int, method string) ([]string, bool) {
	t.Helper()
	var c net.Conn
	var err error
	if client != nil {
		c, err = tls.Dial("tcp", addr, client)
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	go io.WriteString(c, reqs) // the server may answer before it read everything
	r := bufio.NewReader(c)
	var out []string
	for range n {
		resp, err := http.ReadResponse(r, &http.Request{Method: method})
		if err != nil {
			out = append(out, "no answer: "+err.Error())
			break
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			body = append(body, "\n(read: "+err.Error()+")"...)
		}
		var lines []string
		for k, vs := range resp.Header {
			if k == "Date" {
				if len(vs) != 1 || vs[0] == "" {
					t.Errorf("Date %q", vs)
				}
				continue
			}
			for _, v := range vs {
				if k == "Content-Length" && err == nil && method != "HEAD" {
					// Checked here: the count of the day below changes the length.
					if v != fmt.Sprint(len(body)) {
						t.Errorf("Content-Length %s of a body of %d bytes", v, len(body))
					}
					v = "(length)"
				}
				lines = append(lines, k+": "+v)
			}
		}
		if len(resp.TransferEncoding) > 0 {
			lines = append(lines, "Transfer-Encoding: "+strings.Join(resp.TransferEncoding, ","))
		}
		if resp.Close {
			lines = append(lines, "(close)")
		}
		slices.Sort(lines)
		// The parallel tests share the user's count of the day.
		body = dayRequestsField.ReplaceAll(body, []byte(`"DayRequests":N`))
		out = append(out, fmt.Sprintf("%s\n%s\n\n%s", resp.Status, strings.Join(lines, "\n"), body))
	}
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err = r.ReadByte()
	return out, err == io.EOF
}

var dayRequestsField = regexp.MustCompile(`"DayRequests":[0-9]+`)

// TestLaneSameAsNetHTTP sends the same requests to the API served with
// the lookup lane and without it (every connection net/http's): each
// answer is the same status, header (but its Date) and body, over plain
// TCP and over TLS. The requests are lookups the lane serves and requests
// it hands to net/http (other routes, odd heads, refusals).
func TestLaneSameAsNetHTTP(t *testing.T) {
	for _, secure := range []bool{false, true} {
		lane := startEdgeServerWith(t, secure, httpapi.EdgeOptions{})
		plain := startEdgeServerWith(t, secure, httpapi.EdgeOptions{NoLane: true})
		tok := func(s *edgeServer) string { return s.token }
		// get is a GET of target with the server's token.
		get := func(target string) func(*edgeServer) string {
			return func(s *edgeServer) string {
				return "GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok(s) + "\r\n\r\n"
			}
		}
		tests := []struct {
			name string
			req  func(s *edgeServer) string
		}{
			{"ip lookup", get("/api/ip/1.2.3.4?count=2")},
			{"lower-case names, host with port, keep-alive", func(s *edgeServer) string {
				return "GET /api/ip/192.0.2.1 HTTP/1.1\r\nhost: x:8080\r\nauthorization: Bearer " + tok(s) + "\r\nConnection: keep-alive\r\nUser-Agent: t\r\nX-Other:  v  \r\n\r\n"
			}},
			{"domain", get("/api/domain/example.com?sections=Zone,LicenseInfo")},
			{"web address", get("/api/url/http://82.118.16.30/a?count=2")},
			{"hash", get("/api/hash/" + strings.Repeat("ab", 32))},
			{"search, no data", get("/api/v1/search/ip?request=192.0.2.77")},
			{"bad request", get("/api/ip/1.2.3.999")},
			{"bad count", get("/api/ip/1.2.3.4?count=0&count=2")},
			{"no credentials", func(*edgeServer) string { return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\n\r\n" }},
			{"Connection: close", func(s *edgeServer) string {
				return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + tok(s) + "\r\n\r\n"
			}},
			{"target over the limit", get("/api/url/http://a.example/" + strings.Repeat("b", 9000))},
			// Handed to net/http:
			{"HEAD", func(s *edgeServer) string {
				return "HEAD /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok(s) + "\r\n\r\n"
			}},
			{"HTTP/1.0", func(s *edgeServer) string {
				return "GET /api/ip/1.2.3.4 HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer " + tok(s) + "\r\n\r\n"
			}},
			{"bare LF", func(s *edgeServer) string {
				return "GET /api/ip/1.2.3.4 HTTP/1.1\nHost: x\nAuthorization: Bearer " + tok(s) + "\n\n"
			}},
			{"Content-Length: 0", func(s *edgeServer) string {
				return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nAuthorization: Bearer " + tok(s) + "\r\n\r\n"
			}},
			{"both lengths", func(s *edgeServer) string {
				return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
			}},
			{"folded line", func(*edgeServer) string { return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n" }},
			{"space before colon", func(*edgeServer) string { return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost : x\r\n\r\n" }},
			{"two hosts", func(*edgeServer) string { return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n" }},
			{"no host", func(*edgeServer) string { return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nX-A: b\r\n\r\n" }},
			{"bad escape", func(*edgeServer) string { return "GET /api/ip/%zz HTTP/1.1\r\nHost: x\r\n\r\n" }},
			{"control character", func(*edgeServer) string { return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nX-A: b\x01c\r\n\r\n" }},
			{"Expect", func(*edgeServer) string {
				return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n"
			}},
			{"Connection: upgrade", func(*edgeServer) string {
				return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
			}},
			{"other route", func(*edgeServer) string { return "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" }},
			{"POST lookup", func(*edgeServer) string {
				return "POST /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"
			}},
			{"head over the lane's buffer", func(*edgeServer) string {
				return "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("c", 20<<10) + "\r\n\r\n"
			}},
		}
		t.Run(fmt.Sprintf("TLS=%v", secure), func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					method := "GET"
					if tt.name == "HEAD" {
						method = "HEAD"
					}
					got, gotClosed := exchange(t, lane.addr, lane.client, tt.req(lane), 1, method)
					want, wantClosed := exchange(t, plain.addr, plain.client, tt.req(plain), 1, method)
					if len(got) != 1 || len(want) != 1 || got[0] != want[0] {
						t.Errorf("with the lane\n%s\nwithout\n%s", got, want)
					}
					if gotClosed != wantClosed {
						t.Errorf("connection closed %v with the lane, %v without", gotClosed, wantClosed)
					}
					if !strings.HasPrefix(want[0], "200") && !strings.HasPrefix(want[0], "4") {
						t.Errorf("answer %s", want[0])
					}
				})
			}
		})
	}
}

// TestLaneHandsOverInOrder: on one connection, pipelined lookups, then a
// request the lane does not serve (a POST with a body), then lookups
// again: every answer comes, in order, and the connection was handed to
// net/http once.
func TestLaneHandsOverInOrder(t *testing.T) {
	s := startEdgeServer(t, false)
	lookup := func(ip string) string {
		return "GET /api/ip/" + ip + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.token + "\r\n\r\n"
	}
	bulk := `{"indicators":["1.2.3.4"]}`
	reqs := lookup("1.2.3.4") + lookup("192.0.2.1") +
		"POST /api/bulk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.token + "\r\nContent-Type: application/json\r\nContent-Length: " +
		fmt.Sprint(len(bulk)) + "\r\n\r\n" + bulk +
		lookup("1.2.3.5") + "GET /api/nothing HTTP/1.1\r\nHost: x\r\n\r\n"
	got, _ := exchange(t, s.addr, nil, reqs, 5, "GET")
	if len(got) != 5 {
		t.Fatalf("%d answers, want 5: %q", len(got), got)
	}
	for i, ip := range []string{"1.2.3.4", "192.0.2.1", "", "1.2.3.5"} {
		if !strings.HasPrefix(got[i], "200 OK") {
			t.Errorf("answer %d: %s", i, got[i])
			continue
		}
		if ip != "" && !strings.Contains(got[i], `"Ip":"`+ip+`"`) {
			t.Errorf("answer %d is not the lookup of %s: %s", i, ip, got[i])
		}
	}
	if !strings.Contains(got[2], "1.2.3.4") || strings.Contains(got[2], "192.0.2.1") {
		t.Errorf("answer 2 is not the bulk answer: %s", got[2])
	}
	if !strings.HasPrefix(got[4], "404") {
		t.Errorf("answer 4: %s", got[4])
	}
	metrics, _ := exchange(t, s.addr, nil, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 1, "GET")
	if !strings.Contains(metrics[0], "\ntipd_http_lane_handoffs_total 2\n") { // the bulk, and this request
		t.Errorf("metrics lack tipd_http_lane_handoffs_total 2:\n%s", metrics[0])
	}
}

// TestLaneShutdown: Shutdown closes an idle lane connection at once and
// lets a pipelined batch finish: the answer being written says
// "Connection: close".
func TestLaneShutdown(t *testing.T) {
	s := startEdgeServer(t, false)
	c := s.dialTCP(t)
	r := bufio.NewReader(c)
	io.WriteString(c, "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+s.token+"\r\n\r\n")
	if resp, body := readAnswer(t, r, "GET"); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Errorf("idle lane connection after Shutdown: %v, want EOF", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown and close took %v", d)
	}
	if _, err := net.Dial("tcp", s.addr); err == nil {
		t.Error("the listener still accepts")
	}
}

// TestLaneLogLine: a lookup served in the lane writes the same request
// log line as one served by net/http.
func TestLaneLogLine(t *testing.T) {
	var lines [2]map[string]any
	for i, o := range []httpapi.EdgeOptions{{}, {NoLane: true}} {
		s := startEdgeServerWith(t, false, o)
		exchange(t, s.addr, nil, "GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+s.token+"\r\n\r\n", 1, "GET")
		logs := strings.TrimSpace(s.env.logs.String())
		last := logs[strings.LastIndexByte(logs, '\n')+1:]
		if err := json.Unmarshal([]byte(last), &lines[i]); err != nil {
			t.Fatalf("log line %q: %v", last, err)
		}
		delete(lines[i], "time")
		delete(lines[i], "latency")
	}
	if fmt.Sprint(lines[0]) != fmt.Sprint(lines[1]) || lines[0]["route"] != "ip_lookup" || lines[0]["user"] != "alice" {
		t.Errorf("log line with the lane %v, without %v", lines[0], lines[1])
	}
}

// laneTestHandler answers what its path names, as handlers may: small
// and large bodies without Content-Length, a declared length, flushes,
// a body on 204, a handler that aborts.
func laneTestHandler(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	switch r.URL.Path {
	case "/api/ip/small":
		io.WriteString(w, "small answer")
	case "/api/ip/large":
		h.Set("Content-Type", "application/json")
		for i := range 300 {
			fmt.Fprintf(w, "%08d,", i)
		}
	case "/api/ip/length":
		h.Set("Content-Length", "5000")
		w.WriteHeader(201)
		w.Write([]byte(strings.Repeat("x", 5000)))
	case "/api/ip/short":
		h.Set("Content-Length", "10")
		w.Write([]byte("12345"))
	case "/api/ip/flush":
		io.WriteString(w, "first")
		http.NewResponseController(w).Flush()
		io.WriteString(w, "second")
	case "/api/ip/nocontent":
		w.WriteHeader(204)
		if _, err := w.Write([]byte("x")); err != http.ErrBodyNotAllowed {
			panic(fmt.Sprintf("body on 204: %v", err))
		}
	case "/api/ip/abort":
		panic(http.ErrAbortHandler)
	case "/api/ip/panic":
		io.WriteString(w, "never sent")
		panic("a bug")
	case "/api/ip/close":
		h.Set("Connection", "close")
		io.WriteString(w, "bye")
	case "/api/ip/headers":
		h.Set("X-Line", "a\r\nb")
		h["X-Many"] = []string{"1", "2"}
		h.Set("Date", "Mon, 01 Jan 2001 00:00:00 GMT")
		w.WriteHeader(http.StatusTeapot)
	default:
		http.NotFound(w, r)
	}
}

// TestLaneWriterSameAsNetHTTP: the lane's ResponseWriter answers as
// net/http's does, for each way a handler writes an answer, and the
// connection goes on (or closes) as it does with net/http.
func TestLaneWriterSameAsNetHTTP(t *testing.T) {
	var addrs [2]string
	for i, o := range []httpapi.EdgeOptions{{}, {NoLane: true}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(laneTestHandler), ErrorLog: nopLog()}
		go srv.Serve(httpapi.NewEdgeListener(srv, ln, o))
		t.Cleanup(func() { srv.Close() })
		addrs[i] = ln.Addr().String()
	}
	small := "GET /api/ip/small HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, path := range []string{"small", "large", "length", "short", "flush", "nocontent", "abort", "panic", "close", "headers", "small panic", "small abort"} {
		// Each request (a space: pipelined), then one more.
		var reqs string
		for _, p := range strings.Fields(path) {
			reqs += "GET /api/ip/" + p + " HTTP/1.1\r\nHost: x\r\n\r\n"
		}
		reqs += small
		n := len(strings.Fields(path)) + 1
		got, gotClosed := exchange(t, addrs[0], nil, reqs, n, "GET")
		want, wantClosed := exchange(t, addrs[1], nil, reqs, n, "GET")
		if strings.Join(got, "\n---\n") != strings.Join(want, "\n---\n") || gotClosed != wantClosed {
			t.Errorf("%s: with the lane (closed %v)\n%s\nwithout (closed %v)\n%s", path, gotClosed, strings.Join(got, "\n---\n"),
				wantClosed, strings.Join(want, "\n---\n"))
		}
	}
}

// nopLog is an http.Server ErrorLog that drops its lines (the aborted
// handler's).
func nopLog() *log.Logger { return log.New(io.Discard, "", 0) }

// TestLaneTimeouts: the server's IdleTimeout closes a connection that
// waits for its next request, and ReadHeaderTimeout one whose head does
// not come whole, with the lane as without it.
func TestLaneTimeouts(t *testing.T) {
	for _, o := range []httpapi.EdgeOptions{{}, {NoLane: true}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(laneTestHandler), IdleTimeout: 300 * time.Millisecond,
			ReadHeaderTimeout: 300 * time.Millisecond, ErrorLog: nopLog()}
		go srv.Serve(httpapi.NewEdgeListener(srv, ln, o))
		t.Cleanup(func() { srv.Close() })
		for _, tt := range []struct{ name, send string }{
			{"idle", "GET /api/ip/small HTTP/1.1\r\nHost: x\r\n\r\n"},
			{"partial head", "GET /api/ip/small HTTP/1.1\r\nHo"},
		} {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, tt.send)
			start := time.Now()
			b, err := io.ReadAll(c)
			c.Close()
			d := time.Since(start)
			if err != nil || d < 250*time.Millisecond || d > 5*time.Second {
				t.Errorf("lane off %v, %s: closed after %v (%v)", o.NoLane, tt.name, d, err)
			}
			if tt.name == "idle" && !strings.HasSuffix(string(b), "small answer") {
				t.Errorf("lane off %v: %q", o.NoLane, b)
			}
		}
	}
}
