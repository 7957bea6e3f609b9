package httpapi

import (
	"net"
	"strings"
	"testing"
)

func TestLineScan(t *testing.T) {
	tests := []struct {
		in       string
		conflict bool
		tooLong  bool // with a 20-byte target limit
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, false},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", true, false},
		{"POST / HTTP/1.1\ncontent-length: 3\nTRANSFER-ENCODING: chunked\n\n", true, false},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", false, false},
		{"POST / HTTP/1.1\r\nX-Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", false, false},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n", false, false}, // not ended yet
		{"GET /" + strings.Repeat("a", 100), false, true},
		{"GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\nHost: x\r\nX: y", false, true},
		{"GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 100), false, false},
	}
	for _, tt := range tests {
		var s lineScan
		if got := s.feed([]byte(tt.in)); got != tt.conflict {
			t.Errorf("%.40q: conflict %v, want %v", tt.in, got, tt.conflict)
		}
		if got := s.targetTooLong(20); got != tt.tooLong {
			t.Errorf("%.40q: target too long %v, want %v", tt.in, got, tt.tooLong)
		}
	}
}

// FuzzLineScan: what the scan finds does not depend on how the reads
// split the bytes.
func FuzzLineScan(f *testing.F) {
	f.Add("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 20)
	f.Add("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 3)
	f.Fuzz(func(t *testing.T, in string, cut int) {
		var whole, parts lineScan
		want := whole.feed([]byte(in))
		got := false
		for rest := []byte(in); len(rest) > 0; {
			n := 1 + (cut&0xff)%len(rest)
			got = parts.feed(rest[:n]) || got
			rest = rest[n:]
		}
		if got != want || whole != parts {
			t.Fatalf("%q in parts of %d: conflict %v, state %+v; whole: %v, %+v", in, cut, got, parts, want, whole)
		}
	})
}

// sinkConn is a connection whose writes go nowhere.
type sinkConn struct{ net.Conn }

func (sinkConn) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkEdgePerRequest measures what an edge connection adds to one
// request and its answer: the scan of the request as read, and the check
// of the answer's first write.
func BenchmarkEdgePerRequest(b *testing.B) {
	req := []byte("GET /api/ip/45.95.147.10?count=10 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" +
		"Authorization: Bearer tipd_" + strings.Repeat("x", 43) + "\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
	head := []byte("HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: 2210\r\n" +
		"Content-Type: application/json; charset=utf-8\r\nDate: Sat, 28 Nov 2026 15:00:00 GMT\r\nX-Content-Type-Options: nosniff\r\n\r\n")
	resp := append(head, strings.Repeat("{}", 1105)...)
	b.Run("plain", func(b *testing.B) {
		var c net.Conn = sinkConn{}
		for b.Loop() {
			c.Write(resp)
		}
	})
	b.Run("edge", func(b *testing.B) {
		c := &edgeConn{Conn: sinkConn{}, l: &edgeListener{}}
		for b.Loop() {
			if c.scan.feed(req) {
				b.Fatal("conflict")
			}
			c.Write(resp)
		}
	})
}
