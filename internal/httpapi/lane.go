package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// The lookup lane: lookups served on the connection's own loop.
//
// On this kind of machine net/http spends about as much CPU per request on
// its connection machinery (a goroutine that reads in the background while
// the handler runs, a header parse into a fresh map, a buffered chunk
// writer, a context per request) as tipd spends answering a kept lookup.
// So an edge listener reads each HTTP/1.1 connection itself first, in the
// lane: while the connection sends plain GET requests to the lookup
// routes (lanePrefixes), the lane parses their heads, builds the
// http.Request the API's handler expects, calls the server's handler (the
// very handler net/http would call, with its checks, metrics and log
// line) and writes the answer itself.
//
// The first request that is anything else is handed, with every byte the
// lane has read of it, to net/http, which serves the connection from then
// on: another method or route, HTTP/1.0, a request body or the headers of
// one (Content-Length, Transfer-Encoding), Expect, Upgrade, a Connection
// option other than keep-alive and close, a head larger than the lane's
// buffer, or one that the lane's strict reading of HTTP/1.1 does not
// accept (a bare LF, a folded line, a field name or value with characters
// HTTP does not allow, no Host or two, a target that does not parse). So
// every unusual request gets exactly net/http's answer, refusals included,
// and the lane only has to be right about the plain ones.
//
// What the lane does as net/http does: the handler's Context carries the
// server, the local address and what ConnContext adds; the server's
// IdleTimeout (or ReadTimeout) bounds the wait for a request,
// ReadHeaderTimeout the read of its head, WriteTimeout the answer; a
// Date header is added; an answer without Content-Length is sent whole
// with one when it is at most laneChunking bytes and chunked otherwise;
// "Connection: close" in the request or the answer closes the connection
// after the answer; answers to pipelined requests go in order, in one
// write when several are ready. A panic of the handler closes the
// connection after the answers before it (and is logged on the server's
// ErrorLog unless it is http.ErrAbortHandler). When the listener closes
// (http.Server.Shutdown), idle lane connections are closed at once and the
// others after their current answer, which says "Connection: close".
// Unlike net/http's, the handler's context is the connection's: it is
// cancelled when the connection closes, not when the client goes away in
// the middle of an answer (a lookup's answer is built in microseconds to
// milliseconds; a stalled write is cut by the write deadlines the handler
// sets).
//
// EdgeOptions.NoLane turns the lane off (every connection is net/http's).

// lanePrefixes are the path prefixes of the routes the lane serves.
var lanePrefixes = [...]string{lookupPrefix, domainPrefix, urlPrefix, hashPrefix, "/api/v1/search/"}

const (
	// laneBuffer is the lane's read buffer; a request head that does not
	// fit, or is over the server's MaxHeaderBytes, goes to net/http.
	laneBuffer = 16 << 10
	// laneChunking is net/http's bufferBeforeChunkingSize: an answer
	// without Content-Length up to this size is sent with one.
	laneChunking = 2048
	// laneFlush is the size of the output buffer that is written out as
	// soon as it fills.
	laneFlush = 64 << 10
	// laneKeep is the largest output buffer a connection keeps between
	// answers.
	laneKeep = 16 << 10
	// laneMaxFields bounds the header fields of a request the lane reads.
	laneMaxFields = 64
)

// lanes tracks the connections in the lane, for the listener's Close.
type lanes struct {
	mu     sync.Mutex
	closed atomic.Bool // set under mu
	conns  map[*laneConn]struct{}
}

// add registers c; false when the listener is closed.
func (ls *lanes) add(c *laneConn) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed.Load() {
		return false
	}
	if ls.conns == nil {
		ls.conns = map[*laneConn]struct{}{}
	}
	ls.conns[c] = struct{}{}
	return true
}

func (ls *lanes) remove(c *laneConn) {
	ls.mu.Lock()
	delete(ls.conns, c)
	ls.mu.Unlock()
}

// close marks the lanes closed and wakes the connections waiting for a
// request, which then close.
func (ls *lanes) close() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.closed.Store(true)
	for c := range ls.conns {
		if c.idle.Load() {
			c.rw.SetReadDeadline(aLongTimeAgo) //nolint:errcheck // a closed connection is awake already
		}
	}
}

func (ls *lanes) isClosed() bool { return ls.closed.Load() }

// aLongTimeAgo is a deadline that has passed.
var aLongTimeAgo = time.Unix(1, 0)

// laneConn is a connection in the lane.
type laneConn struct {
	l    *edgeListener
	e    *edgeConn
	c    net.Conn // what net/http gets at a handoff: e, or the TLS edge connection
	rw   net.Conn // what the lane reads and writes: the accepted connection, or TLS over it
	idle atomic.Bool

	buf        []byte // what was read: buf[start:end] is not served yet
	start, end int
	deadline   bool // a read deadline is set

	base  *http.Request // the fields every request of the connection shares, its context too
	w     laneWriter
	reqH  http.Header
	close bool // close after the current answer
}

// serveLane serves c in the lane until it closes or is handed to net/http.
func (l *edgeListener) serveLane(c net.Conn, e *edgeConn) {
	if t, ok := c.(*edgeTLSConn); ok {
		t.handshake()
		if t.err != nil {
			c.Close() //nolint:errcheck // the handshake failed and was logged
			return
		}
		if t.h2.Load() {
			return // served by the HTTP/2 server
		}
	}
	lc := &laneConn{l: l, e: e, c: c, rw: e.Conn, buf: make([]byte, 4096), reqH: http.Header{}}
	if !l.lanes.add(lc) {
		c.Close() //nolint:errcheck // the listener closed
		return
	}
	defer l.lanes.remove(lc)
	srv := l.srv
	ctx := context.Background()
	if srv.BaseContext != nil {
		ctx = srv.BaseContext(l.Listener)
	}
	ctx = context.WithValue(ctx, http.ServerContextKey, srv)
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, e.Conn.LocalAddr())
	if srv.ConnContext != nil {
		ctx = srv.ConnContext(ctx, c)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	base := &http.Request{Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody,
		RemoteAddr: e.Conn.RemoteAddr().String()}
	if t, ok := c.(*edgeTLSConn); ok {
		st := t.tls.ConnectionState()
		base.TLS = &st
	}
	lc.base = base.WithContext(ctx)
	lc.w.lc = lc
	lc.w.h = http.Header{}
	if lc.loop() {
		return
	}
	c.Close() //nolint:errcheck // the client may have closed it
}

// loop serves requests; it returns true when the connection was handed to
// net/http, false when it is to be closed.
func (lc *laneConn) loop() bool {
	srv := lc.l.srv
	idle, header := srv.IdleTimeout, srv.ReadHeaderTimeout
	if idle == 0 {
		idle = srv.ReadTimeout
	}
	if header == 0 {
		header = srv.ReadTimeout
	}
	for {
		head, ok := lc.readHead(idle, header)
		if !ok {
			return false
		}
		if head == nil {
			return lc.handoff()
		}
		r, ok := lc.request(head)
		if !ok {
			return lc.handoff()
		}
		lc.start += len(head)
		if !lc.serve(r) {
			return false
		}
		if lc.close || lc.l.lanes.isClosed() {
			return false
		}
	}
}

// readHead reads until buf[start:] holds a whole request head and returns
// it (nil: not a head the lane serves, hand it over); false when the
// connection is to be closed (read error, timeout, closing listener).
func (lc *laneConn) readHead(idle, header time.Duration) ([]byte, bool) {
	headDeadline := false
	for {
		if i := bytes.Index(lc.buf[lc.start:lc.end], headEnd); i >= 0 {
			if i+len(headEnd) > lc.l.maxHeader {
				return nil, true // net/http's limit decides
			}
			return lc.buf[lc.start : lc.start+i+len(headEnd)], true
		}
		if lc.start == lc.end {
			lc.start, lc.end = 0, 0
			if err := lc.w.flush(); err != nil {
				return nil, false
			}
			lc.setReadDeadline(idle)
			lc.idle.Store(true)
			if lc.l.lanes.isClosed() {
				return nil, false
			}
		} else if !headDeadline {
			headDeadline = true
			lc.setReadDeadline(header)
		}
		if lc.start > 0 && lc.end == len(lc.buf) {
			lc.end = copy(lc.buf, lc.buf[lc.start:lc.end])
			lc.start = 0
		}
		if lc.end == len(lc.buf) {
			if len(lc.buf) >= laneBuffer {
				return nil, true
			}
			lc.buf = append(lc.buf, make([]byte, len(lc.buf))...)
		}
		n, err := lc.rw.Read(lc.buf[lc.end:])
		lc.idle.Store(false)
		lc.end += n
		if err != nil {
			return nil, false // a partial request that timed out is dropped, as net/http drops it
		}
		if !laneStart(lc.buf[lc.start:lc.end]) {
			return nil, true
		}
	}
}

// setReadDeadline sets the read deadline d from now, or none for 0.
func (lc *laneConn) setReadDeadline(d time.Duration) {
	switch {
	case d > 0:
		lc.deadline = true
		lc.rw.SetReadDeadline(time.Now().Add(d)) //nolint:errcheck // a closed connection fails its read
	case lc.deadline:
		lc.deadline = false
		lc.rw.SetReadDeadline(time.Time{}) //nolint:errcheck // as above
	}
}

// laneStart reports whether b, the start of a request, may be one the
// lane serves, judged on its request line (complete or not): a request
// line net/http is to refuse goes to net/http as soon as it is read.
func laneStart(b []byte) bool {
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i+1]
		if !bytes.HasSuffix(line, []byte(" HTTP/1.1\r\n")) {
			return false
		}
	}
	const get = "GET /"
	if len(line) <= len(get) {
		return bytes.HasPrefix([]byte(get), line)
	}
	if !bytes.HasPrefix(line, []byte(get)) {
		return false
	}
	for _, p := range lanePrefixes {
		n := min(len(line)-len("GET "), len(p))
		if bytes.Equal(line[len("GET "):len("GET ")+n], []byte(p[:n])) {
			return true
		}
	}
	return false
}

var headEnd = []byte("\r\n\r\n")

// handoff gives the connection, with what the lane read and did not
// serve, to net/http.
func (lc *laneConn) handoff() bool {
	if err := lc.w.flush(); err != nil {
		return false
	}
	lc.rw.SetReadDeadline(time.Time{}) //nolint:errcheck // net/http sets its own
	if lc.start < lc.end {
		lc.e.pre = slices.Clone(lc.buf[lc.start:lc.end])
	}
	if m := lc.l.opts.Metrics; m != nil {
		m.laneHandoffs.Inc()
	}
	lc.l.lanes.remove(lc)
	select {
	case lc.l.handoff <- lc.c:
		return true
	case <-lc.l.done:
		return false
	}
}

// request parses a request head the lane serves: false when it is not one.
func (lc *laneConn) request(head []byte) (*http.Request, bool) {
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if !bytes.HasPrefix(line, []byte("GET /")) || !bytes.HasSuffix(line, []byte(" HTTP/1.1")) {
		return nil, false
	}
	target := line[len("GET ") : len(line)-len(" HTTP/1.1")]
	if !lanePath(target) || bytes.IndexByte(target, ' ') >= 0 {
		return nil, false
	}
	h := lc.reqH
	clear(h)
	host, hosts, fields := "", 0, 0
	lc.close = false
	for len(rest) > len("\r\n") {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		if fields++; fields > laneMaxFields || bytes.IndexByte(line, '\n') >= 0 || line[0] == ' ' || line[0] == '\t' {
			return nil, false
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return nil, false
		}
		value = bytes.Trim(value, " \t")
		key := canonicalName(name)
		if key == "" || !httpguts.ValidHeaderFieldValue(string(value)) {
			return nil, false
		}
		switch key {
		case "Host":
			host, hosts = string(value), hosts+1
			continue
		case "Content-Length", "Transfer-Encoding", "Expect", "Upgrade", "Trailer", "Te":
			return nil, false
		case "Connection":
			for _, opt := range bytes.Split(value, []byte(",")) {
				switch opt = bytes.TrimSpace(opt); {
				case asciiEqualFold(opt, "close"):
					lc.close = true
				case asciiEqualFold(opt, "keep-alive"), len(opt) == 0:
				default:
					return nil, false
				}
			}
		}
		h[key] = append(h[key], string(value))
	}
	if hosts != 1 || !httpguts.ValidHostHeader(host) {
		return nil, false
	}
	raw := string(target)
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return nil, false
	}
	r := new(http.Request)
	*r = *lc.base
	r.Method, r.URL, r.Header, r.Host, r.RequestURI, r.Close = http.MethodGet, u, h, host, raw, lc.close
	return r, true
}

// lanePath reports whether the lane serves a target.
func lanePath(target []byte) bool {
	for _, p := range lanePrefixes {
		if bytes.HasPrefix(target, []byte(p)) {
			return true
		}
	}
	return false
}

// canonicalName is the canonical form of a header field name, "" when it
// is not a valid one. The usual names cost no allocation.
func canonicalName(name []byte) string {
	switch string(name) {
	case "Host", "host":
		return "Host"
	case "Authorization", "authorization":
		return "Authorization"
	case "User-Agent", "user-agent":
		return "User-Agent"
	case "Accept", "accept":
		return "Accept"
	case "Accept-Encoding", "accept-encoding":
		return "Accept-Encoding"
	case "Connection", "connection":
		return "Connection"
	}
	s := string(name)
	if !httpguts.ValidHeaderFieldName(s) {
		return ""
	}
	return textproto.CanonicalMIMEHeaderKey(s)
}

// asciiEqualFold reports whether b is s (lower-case) in any case.
func asciiEqualFold(b []byte, s string) bool {
	return len(b) == len(s) && hasPrefixFold(b, s)
}

// serve answers r; false when the connection is to be closed.
func (lc *laneConn) serve(r *http.Request) (ok bool) {
	srv := lc.l.srv
	if srv.WriteTimeout > 0 {
		lc.rw.SetWriteDeadline(time.Now().Add(srv.WriteTimeout)) //nolint:errcheck // a closed connection fails its write
	}
	w := &lc.w
	w.reset(r)
	mark, flushes := len(w.out), w.flushes
	defer func() {
		if p := recover(); p != nil {
			// As net/http: the connection closes; a panic other than
			// ErrAbortHandler is logged. The answers before this one
			// still go out, and what this one wrote does too once part
			// of it was sent.
			if p != http.ErrAbortHandler {
				msg := fmt.Sprintf("http: panic serving %s: %v\n%s", r.RemoteAddr, p, debug.Stack())
				if srv.ErrorLog != nil {
					srv.ErrorLog.Print(msg)
				} else {
					log.Print(msg)
				}
			}
			if w.flushes == flushes {
				w.out = w.out[:mark]
			}
			w.flush() //nolint:errcheck // the connection closes anyway
			ok = false
		}
	}()
	srv.Handler.ServeHTTP(w, r)
	return w.finish()
}

// laneWriter is the http.ResponseWriter of the lane. The answer goes to
// out, which is written to the connection when it fills, when the
// connection waits for the next request, and at a handoff.
type laneWriter struct {
	lc      *laneConn
	h       http.Header
	status  int
	head    bool  // the status line and header are in out
	chunked bool  // the body is sent chunked
	length  int64 // the Content-Length the handler set, -1 for none
	written int64
	body    []byte // the body while the head waits (no Content-Length, at most laneChunking bytes)
	out     []byte
	flushes int // writes of out to the connection so far
	err     error
}

func (w *laneWriter) reset(r *http.Request) {
	clear(w.h)
	w.status, w.head, w.chunked, w.length, w.written, w.body, w.err = 0, false, false, -1, 0, w.body[:0], nil
}

func (w *laneWriter) Header() http.Header { return w.h }

func (w *laneWriter) WriteHeader(status int) {
	if w.status != 0 || status < 200 {
		return // informational answers are not sent; a second status is ignored, as net/http does (with a log line)
	}
	w.status = status
	if v := w.h["Content-Length"]; len(v) == 1 {
		if n, err := strconv.ParseInt(v[0], 10, 64); err == nil && n >= 0 {
			w.length = n
		}
	}
}

func (w *laneWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if !w.head {
		if w.length < 0 && len(w.body)+len(p) <= laneChunking {
			w.body = append(w.body, p...)
			return len(p), nil
		}
		w.chunked = w.length < 0
		if len(w.body) > 0 {
			w.writeHead(w.body)
		} else {
			w.writeHead(p)
		}
		held := w.body
		w.body = w.body[:0]
		if len(held) > 0 {
			w.appendBody(held)
		}
	}
	if w.length >= 0 && w.written+int64(len(p)) > w.length {
		return 0, http.ErrContentLength
	}
	w.appendBody(p)
	if len(w.out) >= laneFlush {
		if err := w.flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (w *laneWriter) appendBody(p []byte) {
	w.written += int64(len(p))
	if !w.chunked {
		w.out = append(w.out, p...)
		return
	}
	w.out = strconv.AppendInt(w.out, int64(len(p)), 16)
	w.out = append(w.out, "\r\n"...)
	w.out = append(w.out, p...)
	w.out = append(w.out, "\r\n"...)
}

// Flush sends what was written so far (http.Flusher).
func (w *laneWriter) Flush() { _ = w.FlushError() }

// FlushError sends what was written so far (http.ResponseController).
func (w *laneWriter) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.head {
		if w.length < 0 {
			w.chunked = true
		}
		w.writeHead(w.body)
		held := w.body
		w.body = w.body[:0]
		if len(held) > 0 {
			w.appendBody(held)
		}
	}
	return w.flush()
}

// SetWriteDeadline sets the connection's write deadline
// (http.ResponseController).
func (w *laneWriter) SetWriteDeadline(t time.Time) error { return w.lc.rw.SetWriteDeadline(t) }

// flush writes out to the connection.
func (w *laneWriter) flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.out) == 0 {
		return nil
	}
	_, err := w.lc.rw.Write(w.out)
	w.flushes++
	if cap(w.out) > laneKeep {
		w.out = nil // an idle connection holds little
	} else {
		w.out = w.out[:0]
	}
	if err != nil {
		w.err = err
	}
	return err
}

// finish completes the answer; false when the connection is to be
// closed.
func (w *laneWriter) finish() bool {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.head {
		if w.length < 0 && bodyAllowed(w.status) {
			w.length = int64(len(w.body))
			w.h["Content-Length"] = []string{strconv.Itoa(len(w.body))}
		}
		w.writeHead(w.body)
		held := w.body
		w.body = w.body[:0]
		if len(held) > 0 {
			w.appendBody(held)
		}
	}
	if w.chunked {
		w.out = append(w.out, "0\r\n\r\n"...)
	}
	if w.length >= 0 && w.written != w.length {
		w.lc.close = true // the client cannot tell where the next answer starts
	}
	if w.lc.close || len(w.out) >= laneFlush || w.lc.start == w.lc.end {
		if w.flush() != nil {
			return false
		}
	}
	return w.err == nil
}

// writeHead appends the status line and the header to out; first is the
// start of the body, from which a missing Content-Type is guessed, as
// net/http guesses it.
func (w *laneWriter) writeHead(first []byte) {
	w.head = true
	if _, ok := w.h["Content-Type"]; !ok && len(first) > 0 && bodyAllowed(w.status) && w.h.Get("Content-Encoding") == "" {
		w.h["Content-Type"] = []string{http.DetectContentType(first)}
	}
	if connectionClose(w.h) || w.lc.l.lanes.isClosed() {
		w.lc.close = true
	}
	out := append(w.out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(w.status), 10)
	out = append(out, ' ')
	out = append(out, http.StatusText(w.status)...)
	out = append(out, "\r\n"...)
	if w.chunked {
		delete(w.h, "Content-Length")
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	}
	if w.lc.close {
		out = append(out, "Connection: close\r\n"...)
	}
	delete(w.h, "Connection")
	delete(w.h, "Transfer-Encoding")
	if _, ok := w.h["Date"]; !ok {
		out = append(out, "Date: "...)
		out = appendDate(out)
		out = append(out, "\r\n"...)
	}
	var keys [16]string
	ks := keys[:0]
	for k := range w.h {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	for _, k := range ks {
		if !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		for _, v := range w.h[k] {
			out = append(out, k...)
			out = append(out, ": "...)
			out = appendFieldValue(out, v)
			out = append(out, "\r\n"...)
		}
	}
	w.out = append(out, "\r\n"...)
}

// appendFieldValue appends v with its line breaks made spaces and its
// ends trimmed, as net/http writes header values.
func appendFieldValue(out []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' {
			b := []byte(v)
			for j := range b {
				if b[j] == '\r' || b[j] == '\n' {
					b[j] = ' '
				}
			}
			return append(out, bytes.TrimSpace(b)...)
		}
	}
	return append(out, textproto.TrimString(v)...)
}

// connectionClose reports whether a header asks to close the connection.
func connectionClose(h http.Header) bool {
	for _, v := range h["Connection"] {
		for _, opt := range bytes.Split([]byte(v), []byte(",")) {
			if asciiEqualFold(bytes.TrimSpace(opt), "close") {
				return true
			}
		}
	}
	return false
}

// bodyAllowed reports whether an answer with status may have a body.
func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified
}

// laneDate is the Date header value of the current second.
var laneDate atomic.Pointer[dateValue]

type dateValue struct {
	sec  int64
	text []byte
}

func appendDate(out []byte) []byte {
	now := time.Now()
	d := laneDate.Load()
	if d == nil || d.sec != now.Unix() {
		d = &dateValue{sec: now.Unix(), text: now.UTC().AppendFormat(nil, http.TimeFormat)}
		laneDate.Store(d)
	}
	return append(out, d.text...)
}
