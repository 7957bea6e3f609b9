package httpapi

import (
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
