package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the flusher and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	n  int // writes
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return l.b.Write(p)
}

func (l *lockedBuffer) String() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.n
}

// The log buffer writes many lines in few writes, every line within
// logFlush, in order, and everything at Close; lines after Close at once.
func TestLogBuffer(t *testing.T) {
	var out lockedBuffer
	b := newLogBuffer(&out)
	var want strings.Builder
	for i := range 1000 {
		line := strings.Repeat("x", i%50) + "\n"
		want.WriteString(line)
		if _, err := b.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * logFlush)
	for {
		got, n := out.String()
		if got == want.String() {
			if n > 10 {
				t.Errorf("%d writes for 1000 lines, want a few", n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %d of %d bytes written", 10*logFlush, len(got), want.Len())
		}
		time.Sleep(logFlush / 5)
	}
	b.Write([]byte("last\n"))
	b.Close()
	if got, _ := out.String(); got != want.String()+"last\n" {
		t.Errorf("after Close: the last line is missing")
	}
	b.Write([]byte("after\n"))
	if got, _ := out.String(); !strings.HasSuffix(got, "last\nafter\n") {
		t.Errorf("a line after Close is not written at once")
	}
}
