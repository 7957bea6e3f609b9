// Package reqlog writes the request log of `tipd serve`: the JSON lines of
// log/slog's JSONHandler, with a short way for the one line of each
// request.
//
// A request's line through slog (a Record, its attributes, the
// handler's state and escaping) cost about a tenth of the CPU of a kept
// lookup. Handler is a slog.JSONHandler for every other line; its
// LogRequest appends the request's line straight into a pooled buffer, byte
// for byte what the JSONHandler writes for the same record (fuzzed against
// it in the tests), and writes it with one Write.
package reqlog

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Request is what the log line of a request holds, in the order of its
// fields: Code and Error only when set.
type Request struct {
	Method, Route, User, Auth, Object string
	Status                            int
	Latency                           time.Duration
	Bytes                             int64
	Code, Error                       string
}

// Attrs returns the fields of r as slog attributes, for other handlers.
func (r *Request) Attrs() []slog.Attr {
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("route", r.Route),
		slog.String("user", r.User),
		slog.String("auth", r.Auth),
		slog.String("object", r.Object),
		slog.Int("status", r.Status),
		slog.Duration("latency", r.Latency),
		slog.Int64("bytes", r.Bytes),
	}
	if r.Code != "" {
		attrs = append(attrs, slog.String("code", r.Code))
	}
	if r.Error != "" {
		attrs = append(attrs, slog.String("error", r.Error))
	}
	return attrs
}

// Message is the message of a request's line.
const Message = "request"

// Handler is a slog.JSONHandler (default options: level Info) that writes
// request lines the short way.
type Handler struct {
	*slog.JSONHandler
	w    *lockedWriter
	bufs sync.Pool
}

// New returns a handler writing JSON lines to w, one Write a line.
func New(w io.Writer) *Handler {
	lw := &lockedWriter{w: w}
	h := &Handler{JSONHandler: slog.NewJSONHandler(lw, nil), w: lw}
	h.bufs.New = func() any { b := make([]byte, 0, 512); return &b }
	return h
}

// lockedWriter serialises the Writes of the JSONHandler and of
// LogRequest.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// LogRequest writes the line of a request logged at t with level, as the
// JSONHandler writes the record of message Message with r.Attrs(). Write
// errors are dropped, as slog's Logger drops them.
func (h *Handler) LogRequest(t time.Time, level slog.Level, r *Request) {
	bp := h.bufs.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `{"time":"`...)
	b = t.Round(0).AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":`...)
	b = appendString(b, level.String())
	b = append(b, `,"msg":"`+Message+`"`...)
	b = appendField(b, "method", r.Method)
	b = appendField(b, "route", r.Route)
	b = appendField(b, "user", r.User)
	b = appendField(b, "auth", r.Auth)
	b = appendField(b, "object", r.Object)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"latency":`...)
	b = strconv.AppendInt(b, int64(r.Latency), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, r.Bytes, 10)
	if r.Code != "" {
		b = appendField(b, "code", r.Code)
	}
	if r.Error != "" {
		b = appendField(b, "error", r.Error)
	}
	b = append(b, "}\n"...)
	h.w.Write(b) //nolint:errcheck // as slog: a failed log write has nowhere to go
	if cap(b) <= 4<<10 {
		*bp = b
		h.bufs.Put(bp)
	}
}

// appendField appends ,"key":"value".
func appendField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

const hex = "0123456789abcdef"

// appendString appends s quoted and escaped as slog's JSONHandler escapes
// strings: `"`, `\` and control characters, invalid UTF-8 as U+FFFD, and
// U+2028 and U+2029; no HTML escaping.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
