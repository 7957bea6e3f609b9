package httpapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/tipd/tipd/internal/intel"
)

// The edge: what happens to a request before any handler runs.
//
// net/http refuses some requests itself, before a handler sees them: a
// request line or header block over http.Server.MaxHeaderBytes (431), a
// target that is no URI ("%zz"), a missing or malformed Host header, a bad
// header line (400), an unsupported Transfer-Encoding (501), another HTTP
// version (505). It writes those answers straight to the connection as
// plain text. An edge listener (NewEdgeListener) wraps every connection of
// the API's http.Server so that such an answer is recognised as it is
// written and replaced by the API's JSON error answer, and so that a
// request carrying both Content-Length and Transfer-Encoding, which
// net/http accepts (it drops Content-Length), is refused with 400.
//
// Recognising a refusal costs next to nothing: net/http writes it in one
// Write that starts "HTTP/1.1 4" or "HTTP/1.1 5" and whose header block is
// exactly edgeErrorHeaders (no Date header, unlike every answer of a
// handler). Reads are scanned line by line (bytes.IndexByte) for the names
// Content-Length and Transfer-Encoding at the start of a line; response
// bodies are never copied or scanned.
//
// With TLS the listener terminates TLS itself (tls.Server over the
// accepted connection) and hands the plaintext connection to net/http,
// which serves it as HTTP/1.1 and fills Request.TLS from its
// ConnectionState method. A client that negotiates HTTP/2 (ALPN "h2")
// is served by golang.org/x/net/http2 on the TLS connection instead: the
// handshake, in the connection's first read, hands it over, and net/http
// sees a connection that ends before its first request. HTTP/2 has its
// own refusals of what never reaches a handler (stream resets, frame-size
// and header-list limits), which are the protocol's and not JSON; every
// request that reaches the API gets the same answers as over HTTP/1.1.
// EdgeOptions.NoHTTP2 offers HTTP/1.1 only. See docs/design.md.

// EdgeOptions configure an edge listener.
type EdgeOptions struct {
	// TLS, when not nil, makes the listener terminate TLS with this
	// configuration (certificates included); serve with http.Server.Serve,
	// never ServeTLS, and leave http.Server.TLSConfig nil.
	TLS *tls.Config
	// MaxTarget is quoted in the message of a 414 (default
	// DefaultMaxTarget); it should be the API's Config.MaxTarget.
	MaxTarget int
	// Metrics counts the refusals (tipd_http_edge_refusals_total); nil
	// counts nothing.
	Metrics *Metrics
	// NoHTTP2 offers HTTP/1.1 only over TLS (by default clients may
	// negotiate HTTP/2).
	NoHTTP2 bool
	// NoLane hands every connection to net/http at once; by default the
	// lookup lane serves the plain lookups of HTTP/1.1 connections
	// itself (lane.go).
	NoLane bool
}

// NewEdgeListener wraps ln for srv, the http.Server of the API: it sets
// srv.ConnContext (keeping a function already there) so that the API sees
// what the connection learnt about its requests. TLS handshakes take at
// most the smallest of srv's ReadHeaderTimeout, ReadTimeout and
// WriteTimeout, as in net/http, and their failures are logged on
// srv.ErrorLog in net/http's words.
func NewEdgeListener(srv *http.Server, ln net.Listener, o EdgeOptions) net.Listener {
	if o.MaxTarget <= 0 {
		o.MaxTarget = DefaultMaxTarget
	}
	l := &edgeListener{Listener: ln, opts: o, errorLog: srv.ErrorLog, maxHeader: srv.MaxHeaderBytes,
		handoff: make(chan net.Conn), acceptErrs: make(chan error), done: make(chan struct{})}
	if l.maxHeader <= 0 {
		l.maxHeader = http.DefaultMaxHeaderBytes
	}
	for _, d := range []time.Duration{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout} {
		if d > 0 && (l.handshake == 0 || d < l.handshake) {
			l.handshake = d
		}
	}
	if o.TLS != nil {
		cfg := o.TLS.Clone()
		cfg.NextProtos = []string{"http/1.1"}
		if !o.NoHTTP2 {
			cfg.NextProtos = []string{"h2", "http/1.1"}
			l.h2 = &http2.Server{}
			// Graceful shutdown (srv.Shutdown) sends GOAWAY to the
			// HTTP/2 connections too. ConfigureServer also fills
			// srv.TLSConfig and srv.TLSNextProto, which an edge
			// listener's server never uses (it serves with Serve).
			if err := http2.ConfigureServer(srv, l.h2); err != nil {
				panic("httpapi: configure HTTP/2: " + err.Error()) // only on a TLSConfig with HTTP/2's forbidden ciphers
			}
		}
		l.opts.TLS = cfg
	}
	l.srv = srv
	next := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if next != nil {
			ctx = next(ctx, c)
		}
		switch e := c.(type) {
		case *edgeConn:
			return context.WithValue(ctx, edgeKey{}, e)
		case *edgeTLSConn:
			return context.WithValue(ctx, edgeKey{}, e.edgeConn)
		}
		return ctx
	}
	return l
}

type edgeListener struct {
	net.Listener
	srv       *http.Server
	h2        *http2.Server // nil: HTTP/1.1 only
	opts      EdgeOptions
	errorLog  *log.Logger
	maxHeader int
	handshake time.Duration // TLS handshake timeout, 0 for none

	// The lane (lane.go): connections are accepted by acceptLoop, served
	// in the lane, and handed to net/http's Accept through handoff.
	startLane  sync.Once
	acceptErrs chan error
	handoff    chan net.Conn
	lanes      lanes
	closeOnce  sync.Once
	done       chan struct{} // closed by Close
}

func (l *edgeListener) Accept() (net.Conn, error) {
	if l.opts.NoLane {
		c, _, err := l.accept()
		return c, err
	}
	l.startLane.Do(func() { go l.acceptLoop() })
	for {
		select {
		case c := <-l.handoff:
			return c, nil
		case err := <-l.acceptErrs:
			return nil, err
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
}

// acceptLoop accepts connections for the lane, and passes the errors of
// Accept on to net/http, which decides whether to go on.
func (l *edgeListener) acceptLoop() {
	for {
		c, e, err := l.accept()
		if err == nil {
			go l.serveLane(c, e)
			continue
		}
		select {
		case l.acceptErrs <- err:
		case <-l.done:
			return
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// accept accepts a connection and wraps it.
func (l *edgeListener) accept() (net.Conn, *edgeConn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, nil, err
	}
	e := &edgeConn{Conn: c, l: l}
	if l.opts.TLS == nil {
		return e, e, nil
	}
	t := &edgeTLSConn{edgeConn: e, raw: c, tls: tls.Server(c, l.opts.TLS)}
	e.Conn = t.tls
	e.secure = true
	return t, e, nil
}

// Close closes the listener and the lane's idle connections; the lane's
// busy ones close after their current answer.
func (l *edgeListener) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		l.lanes.close()
	})
	return l.Listener.Close()
}

// edgeKey is the context key of a request's *edgeConn.
type edgeKey struct{}

// lengthConflict reports whether r's connection carried a header block
// with both Content-Length and Transfer-Encoding. net/http lets only a
// chunked request with a Content-Length through (any other
// Transfer-Encoding it refuses itself), so only requests with
// r.TransferEncoding set need asking.
func lengthConflict(r *http.Request) bool {
	e, _ := r.Context().Value(edgeKey{}).(*edgeConn)
	return e != nil && e.conflict.Load()
}

// edgeConn is one connection of an edge listener.
type edgeConn struct {
	net.Conn // what net/http reads and writes: the accepted connection, or TLS over it
	l        *edgeListener
	secure   bool
	conflict atomic.Bool // a header block had both Content-Length and Transfer-Encoding
	scan     lineScan    // touched by reads only, and by the write of a refusal
	pre      []byte      // what the lane read and did not serve, read first
}

func (c *edgeConn) Read(p []byte) (int, error) {
	var (
		n   int
		err error
	)
	if len(c.pre) > 0 {
		n = copy(p, c.pre)
		if c.pre = c.pre[n:]; len(c.pre) == 0 {
			c.pre = nil
		}
	} else {
		n, err = c.Conn.Read(p)
	}
	if n > 0 && c.scan.feed(p[:n]) {
		c.conflict.Store(true)
	}
	return n, err
}

// Write passes p on, unless it is one of net/http's own plain-text
// refusals, which it replaces by a JSON answer.
func (c *edgeConn) Write(p []byte) (int, error) {
	if len(p) > 12 && (p[9] == '4' || p[9] == '5') && string(p[:9]) == "HTTP/1.1 " {
		if b := c.rewrite(p); b != nil {
			if _, err := c.Conn.Write(b); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	return c.Conn.Write(p)
}

// CloseWrite lets net/http half-close the connection after a refusal, so
// that the client reads the answer before the connection goes.
func (c *edgeConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// edgeErrorHeaders is the header block of net/http's own refusals
// (net/http/server.go, errorHeaders), after the status line.
const edgeErrorHeaders = "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// rewrite returns the JSON answer that replaces p, or nil when p is not a
// refusal of net/http's.
func (c *edgeConn) rewrite(p []byte) []byte {
	status, err := strconv.Atoi(string(p[9:12]))
	if err != nil || p[12] != ' ' && p[12] != '\r' {
		return nil
	}
	if status == http.StatusExpectationFailed { // no route answers 417: net/http's answer to an unknown Expect
		return c.refused(status, "expectation_failed",
			"the Expect header asks for something this server does not do: send Expect: 100-continue, or no Expect header")
	}
	eol := bytes.Index(p, []byte("\r\n"))
	if eol < 0 || !bytes.HasPrefix(p[eol+2:], []byte(edgeErrorHeaders)) {
		return nil
	}
	reason := ""
	if _, text, ok := bytes.Cut(p[9:eol], []byte(": ")); ok {
		reason = string(text)
	}
	return c.refused(c.refusal(status, reason))
}

// refused counts a refusal and returns its answer.
func (c *edgeConn) refused(status int, code, msg string) []byte {
	if c.l.opts.Metrics != nil {
		c.l.opts.Metrics.edgeRefusals.WithLabelValues(strconv.Itoa(status)).Inc()
	}
	return edgeAnswer(status, code, msg, c.secure)
}

// refusal chooses the status, code and message of the answer to a request
// net/http refused with status (and reason, the text net/http gives with
// some statuses).
func (c *edgeConn) refusal(status int, reason string) (int, string, string) {
	if c.conflict.Load() && (status == http.StatusBadRequest || status == http.StatusNotImplemented) {
		return http.StatusBadRequest, "invalid_request", conflictMessage
	}
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		if c.scan.targetTooLong(c.l.opts.MaxTarget) {
			return http.StatusRequestURITooLong, "request_too_long",
				"the request line is " + c.scan.requestLineLen() + " bytes long; the request target may be at most " +
					strconv.Itoa(c.l.opts.MaxTarget) + " bytes"
		}
		return status, "header_too_large",
			"the request's header fields are larger than " + strconv.Itoa(c.l.maxHeader) + " bytes; send fewer or shorter ones"
	case http.StatusNotImplemented:
		return status, "unsupported_transfer_encoding",
			"the Transfer-Encoding is not supported: send a request body with Content-Length, or with Transfer-Encoding: chunked alone"
	case http.StatusHTTPVersionNotSupported:
		return status, "http_version_not_supported", "this server speaks HTTP/1.1 (and HTTP/1.0): send the request in HTTP/1.1"
	case http.StatusBadRequest:
		switch reason {
		case "missing required Host header":
			return status, "invalid_request", "the request has no Host header: an HTTP/1.1 request must name the server's host in one"
		case "malformed Host header":
			return status, "invalid_request", "the Host header is malformed: send the server's host name or address, with an optional port"
		case "invalid header name":
			return status, "invalid_request", "a header field name holds characters HTTP does not allow"
		case "invalid header value":
			return status, "invalid_request", "a header field value holds characters HTTP does not allow, such as control characters"
		}
		return status, "invalid_request", "the request is malformed: its request line or a header field breaks HTTP/1.1 " +
			"(for example a percent sign in the target not followed by two hex digits, such as %zz)"
	}
	return status, "invalid_request", "the request cannot be served: " + http.StatusText(status)
}

// conflictMessage is the message of a request with both Content-Length
// and Transfer-Encoding.
const conflictMessage = "the request has both Content-Length and Transfer-Encoding, " +
	"which proxies may read differently (request smuggling): send only one of them"

// edgeAnswer is a complete JSON error answer that closes the connection,
// with the headers every answer of the API carries.
func edgeAnswer(status int, code, message string, secure bool) []byte {
	body, err := json.Marshal(errorBody{Error: code, Message: message})
	if err != nil { // strings always marshal
		body = []byte(`{"error":"internal_error","message":"an internal error occurred"}`)
	}
	body = append(body, '\n')
	b := make([]byte, 0, 320+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\nContent-Type: application/json\r\nDate: "...)
	b = time.Now().UTC().AppendFormat(b, http.TimeFormat)
	if secure {
		b = append(b, "\r\nStrict-Transport-Security: max-age=31536000"...)
	}
	b = append(b, "\r\nX-Content-Type-Options: nosniff\r\n\r\n"...)
	return append(b, body...)
}

// lineScan follows the lines of what a connection reads. Lines are grouped
// in paragraphs separated by empty lines; a request's header block is one
// paragraph (whose first line is the request line), possibly after the end
// of the previous request's body.
type lineScan struct {
	head    [len("transfer-encoding:")]byte // the start of the current line
	headLen int
	lineLen int  // bytes of the current line so far
	lines   int  // complete lines of the current paragraph
	first   int  // length of its first line, newline included
	cl, te  bool // the current paragraph has a Content-Length, a Transfer-Encoding line
}

// feed scans p and reports whether it ended a paragraph that had both a
// Content-Length and a Transfer-Encoding line.
func (s *lineScan) feed(p []byte) (conflict bool) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i+1]
		}
		if s.headLen < len(s.head) {
			s.headLen += copy(s.head[s.headLen:], seg)
		}
		s.lineLen += len(seg)
		if i < 0 {
			return conflict
		}
		p = p[i+1:]
		line := s.head[:s.headLen]
		if s.lineLen <= 2 && (s.lineLen == 1 || line[0] == '\r') { // an empty line
			conflict = conflict || s.cl && s.te
			s.cl, s.te, s.lines = false, false, 0
		} else {
			if s.lines == 0 {
				s.first = s.lineLen
			}
			s.lines++
			switch {
			case hasPrefixFold(line, "content-length:"):
				s.cl = true
			case hasPrefixFold(line, "transfer-encoding:"):
				s.te = true
			}
		}
		s.headLen, s.lineLen = 0, 0
	}
	return conflict
}

// targetTooLong reports whether the request line of the current paragraph,
// complete or not, is longer than a request with a target of max bytes.
func (s *lineScan) targetTooLong(max int) bool {
	const slack = len("OPTIONS  HTTP/1.1\r\n")
	if s.lines == 0 {
		return s.lineLen > max+slack
	}
	return s.first > max+slack
}

// requestLineLen describes the length of the request line: "over N"
// while it is incomplete.
func (s *lineScan) requestLineLen() string {
	if s.lines == 0 {
		return "over " + strconv.Itoa(s.lineLen)
	}
	return strconv.Itoa(s.first - 2) // without CR LF
}

// hasPrefixFold reports whether b starts with the lower-case ASCII prefix,
// in any case.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if b[i]|0x20 != prefix[i] { // the prefixes hold letters, '-' and ':' only
			return false
		}
	}
	return true
}

// edgeTLSConn is an edge connection over TLS. net/http calls
// ConnectionState once, before it reads the first request: the handshake
// runs then, in the connection's own goroutine, and the state becomes
// Request.TLS.
type edgeTLSConn struct {
	*edgeConn
	raw  net.Conn
	tls  *tls.Conn
	once sync.Once
	err  error // of the handshake
	// h2 is set when the client negotiated HTTP/2: the connection
	// belongs to the HTTP/2 server, and net/http's side of it reads
	// nothing and closes nothing.
	h2 atomic.Bool
}

func (c *edgeTLSConn) Close() error {
	if c.h2.Load() {
		return nil
	}
	return c.edgeConn.Close()
}

func (c *edgeTLSConn) ConnectionState() tls.ConnectionState {
	c.handshake()
	return c.tls.ConnectionState()
}

func (c *edgeTLSConn) Read(p []byte) (int, error) {
	c.handshake()
	if c.err != nil || c.h2.Load() {
		return 0, io.EOF // net/http closes the connection without a word
	}
	return c.edgeConn.Read(p)
}

// handshake runs the TLS handshake once. A client that speaks plain HTTP
// to the TLS port gets a JSON 400 in plain text.
func (c *edgeTLSConn) handshake() {
	c.once.Do(func() {
		if d := c.l.handshake; d > 0 {
			c.raw.SetDeadline(time.Now().Add(d))
		}
		err := c.tls.HandshakeContext(context.Background())
		c.raw.SetDeadline(time.Time{})
		if err == nil {
			if c.l.h2 != nil && c.tls.ConnectionState().NegotiatedProtocol == http2.NextProtoTLS {
				c.h2.Store(true)
				go c.serveHTTP2()
			}
			return
		}
		c.err = err
		reason := err.Error()
		var re tls.RecordHeaderError
		plain := errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader)
		if plain {
			reason = "client sent an HTTP request to an HTTPS server"
		}
		msg := "http: TLS handshake error from " + c.raw.RemoteAddr().String() + ": " + reason
		if c.l.errorLog != nil {
			c.l.errorLog.Print(msg)
		} else {
			log.Print(msg)
		}
		if plain {
			c.refusePlainHTTP(re.Conn)
		}
	})
}

// serveHTTP2 serves the connection as HTTP/2 with the API's server
// settings and handler, and closes it when done. Its requests carry the
// connection in their context as net/http's would (ConnContext).
func (c *edgeTLSConn) serveHTTP2() {
	srv := c.l.srv
	ctx := context.Background()
	if srv.BaseContext != nil {
		ctx = srv.BaseContext(c.l.Listener)
	}
	ctx = context.WithValue(ctx, http.ServerContextKey, srv)
	if srv.ConnContext != nil {
		ctx = srv.ConnContext(ctx, c)
	}
	c.l.h2.ServeConn(c.tls, &http2.ServeConnOpts{Context: ctx, BaseConfig: srv, Handler: srv.Handler})
	c.edgeConn.Close() //nolint:errcheck // the client may have closed it
}

// refusePlainHTTP answers a plain HTTP request sent to the TLS port, then
// half-closes and drains the connection briefly so that the client reads
// the answer rather than a reset.
func (c *edgeTLSConn) refusePlainHTTP(raw net.Conn) {
	if m := c.l.opts.Metrics; m != nil {
		m.edgeRefusals.WithLabelValues("400").Inc()
	}
	raw.SetDeadline(time.Now().Add(time.Second))
	raw.Write(edgeAnswer(http.StatusBadRequest, "invalid_request", //nolint:errcheck // the client went away
		"this port speaks HTTPS: send the request over TLS (https://)", false))
	if cw, ok := raw.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(raw, 64<<10)) //nolint:errcheck // best effort
}

// looksLikeHTTP reports whether the first bytes a TLS server read are the
// start of an HTTP request (as net/http tells).
func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO":
		return true
	}
	return false
}

// handleConflict refuses a request that had both Content-Length and
// Transfer-Encoding, and closes its connection: what follows on it cannot
// be trusted to start a request.
func (s *server) handleConflict(w http.ResponseWriter, r *http.Request, _ *requestInfo) error {
	w.Header().Set("Connection", "close")
	return intel.Invalid("%s", conflictMessage)
}
