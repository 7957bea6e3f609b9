package reqlog_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/reqlog"
)

// viaSlog is the line slog's JSONHandler writes for the record of r.
func viaSlog(t time.Time, level slog.Level, r *reqlog.Request) string {
	var buf bytes.Buffer
	rec := slog.NewRecord(t, level, reqlog.Message, 0)
	rec.AddAttrs(r.Attrs()...)
	_ = slog.NewJSONHandler(&buf, nil).Handle(context.Background(), rec)
	return buf.String()
}

func viaLogRequest(t time.Time, level slog.Level, r *reqlog.Request) string {
	var buf bytes.Buffer
	reqlog.New(&buf).LogRequest(t, level, r)
	return buf.String()
}

func TestLogRequestAsSlog(t *testing.T) {
	at := time.Date(2026, 12, 7, 18, 3, 4, 120000000, time.FixedZone("X", 3600))
	tests := []reqlog.Request{
		{Method: "GET", Route: "ip_lookup", User: "alice", Auth: "bearer", Object: "192.0.2.1", Status: 200,
			Latency: 123456 * time.Nanosecond, Bytes: 3300},
		{Method: "GET", Route: "url_lookup", Object: "a\"b\\c\n\r\t\x01\x7f<>&\u2028\u2029é\xff", Status: 400,
			Latency: time.Millisecond, Code: "invalid_request"},
		{Method: "POST", Route: "bulk", Status: 500, Error: "store: disk full", Code: "internal_error", Bytes: -1},
	}
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelError} {
		for _, r := range tests {
			if got, want := viaLogRequest(at, level, &r), viaSlog(at, level, &r); got != want {
				t.Errorf("LogRequest wrote\n%s\nslog writes\n%s", got, want)
			}
		}
	}
	if got := viaLogRequest(at, slog.LevelInfo, &tests[0]); got != `{"time":"2026-12-07T18:03:04.12+01:00","level":"INFO","msg":"request",`+
		`"method":"GET","route":"ip_lookup","user":"alice","auth":"bearer","object":"192.0.2.1","status":200,"latency":123456,"bytes":3300}`+"\n" {
		t.Errorf("line %s", got)
	}
}

// FuzzLogRequest: any fields give the line slog's JSONHandler writes.
func FuzzLogRequest(f *testing.F) {
	f.Add("GET", "ip_lookup", "alice", "1.2.3.4", "", "", 200, int64(5))
	f.Add("G\x00", "r\u2028", "\xff\xfe", "a\"\\b", "c\n", "e\té", -1, int64(-7))
	f.Fuzz(func(t *testing.T, method, route, user, object, code, errText string, status int, n int64) {
		r := reqlog.Request{Method: method, Route: route, User: user, Auth: "bearer", Object: object, Status: status,
			Latency: time.Duration(n), Bytes: n, Code: code, Error: errText}
		at := time.Unix(1765130584, n%1e9).UTC()
		if got, want := viaLogRequest(at, slog.LevelInfo, &r), viaSlog(at, slog.LevelInfo, &r); got != want {
			t.Fatalf("LogRequest wrote\n%q\nslog writes\n%q", got, want)
		}
	})
}

// BenchmarkRequestLine compares a request's line written through slog's
// Logger machinery with LogRequest.
func BenchmarkRequestLine(b *testing.B) {
	r := reqlog.Request{Method: "GET", Route: "ip_lookup", User: "alice", Auth: "bearer", Object: "192.0.2.1", Status: 200,
		Latency: 123456, Bytes: 3300}
	h := reqlog.New(discard{})
	b.Run("slog", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec := slog.NewRecord(time.Now(), slog.LevelInfo, reqlog.Message, 0)
			rec.AddAttrs(r.Attrs()...)
			_ = h.JSONHandler.Handle(context.Background(), rec)
		}
	})
	b.Run("LogRequest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.LogRequest(time.Now(), slog.LevelInfo, &r)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
