package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/tipd/tipd/internal/opsock"
)

// Commands run on a store that a server holds open go through its operator
// socket (package opsock).

// forward runs args on the server listening at sock, sending body as the
// command's standard input.
func (e *env) forward(ctx context.Context, sock string, args []string, body io.Reader) error {
	return opsock.Forward(ctx, sock, args, body, e.stdout, e.stderr)
}

// forwardable lists the commands a server runs on behalf of a CLI.
var forwardable = map[string]bool{"import": true, "user": true, "token": true, "hold": true, "lookup": true, "explain": true, "feeds": true}

// execHandler runs forwarded commands against the server's shared store.
func execHandler(logger *slog.Logger, shared *sharedStore, getenv func(string) string, now func() time.Time) http.Handler {
	allowed := func(name string) bool { return forwardable[name] }
	return opsock.Handler(logger, allowed, func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		sub := &env{getenv: getenv, stdin: bufio.NewReaderSize(stdin, 1<<16), stdout: stdout, stderr: stderr, now: now, shared: shared}
		return sub.exec(ctx, args)
	})
}
