package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logBuffer batches the log lines of `tipd serve`: one request is one
// line, and a write system call per line cost a tenth of the server's CPU
// under load. Lines are written in order, at most logFlush after they were
// logged (or as soon as logBufferSize bytes are pending); Close writes
// what is left. A process killed without a chance to stop (SIGKILL) loses
// at most the lines of its last logFlush.
type logBuffer struct {
	mu     sync.Mutex
	w      *bufio.Writer
	closed bool // lines are written at once
	stop   chan struct{}
	done   chan struct{}
}

// Bounds of what logBuffer holds back.
const (
	logFlush      = 50 * time.Millisecond
	logBufferSize = 64 << 10
)

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, logBufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flusher()
	return b
}

// Write keeps p, a whole line as slog writes it.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.w.Write(p)
	if err == nil && b.closed {
		err = b.w.Flush()
	}
	return n, err
}

func (b *logBuffer) flusher() {
	defer close(b.done)
	t := time.NewTicker(logFlush)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.flush()
		}
	}
}

func (b *logBuffer) flush() {
	b.mu.Lock()
	if b.w.Buffered() > 0 {
		b.w.Flush() //nolint:errcheck // nowhere to report a failing log
	}
	b.mu.Unlock()
}

// Close writes every pending line and stops the flusher; lines logged
// later are written at once.
func (b *logBuffer) Close() {
	close(b.stop)
	<-b.done
	b.mu.Lock()
	b.w.Flush() //nolint:errcheck // nowhere to report a failing log
	b.closed = true
	b.mu.Unlock()
}
