package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// A Pebble store can be open in one process only. So that operator commands
// (import, user, token, lookup, explain) work while `tipd serve` runs on the
// same store, the server listens on a Unix socket inside the store directory
// (mode 0600: only the store's owner can use it) and runs forwarded commands
// against its own open store. The command's standard input travels as the
// request body; its output and exit status come back as JSON lines.

const execPath = "/v1/exec"

// forwardFrame is one line of a forwarded command's answer.
type forwardFrame struct {
	Stdout string `json:"o,omitempty"`
	Stderr string `json:"e,omitempty"`
	Exit   *int   `json:"x,omitempty"`
}

// exitStatus carries a forwarded command's exit status back to run.
type exitStatus struct{ code int }

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// forward runs args on the server listening at sock, sending body as the
// command's standard input.
func (e *env) forward(ctx context.Context, sock string, args []string, body io.Reader) error {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	hdr, err := json.Marshal(args)
	if err != nil {
		return err
	}
	if body == nil {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://tipd"+execPath, body)
	if err != nil {
		return err
	}
	req.Header.Set("X-Tipd-Args", string(hdr))
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("the store is in use by another process and its server socket %s does not answer (%v); stop that process or run the command through it", sock, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("the running server refused the command: %s", bytes.TrimSpace(msg))
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var f forwardFrame
		if err := dec.Decode(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the running server closed the connection before the command finished")
			}
			return fmt.Errorf("read the server's answer: %w", err)
		}
		io.WriteString(e.stdout, f.Stdout)
		io.WriteString(e.stderr, f.Stderr)
		if f.Exit != nil {
			if *f.Exit == 0 {
				return nil
			}
			return exitStatus{*f.Exit}
		}
	}
}

// forwardable lists the commands a server runs on behalf of a CLI.
var forwardable = map[string]bool{"import": true, "user": true, "token": true, "hold": true, "lookup": true, "explain": true}

// execHandler runs forwarded commands against the server's shared store.
func execHandler(logger *slog.Logger, shared *sharedStore, getenv func(string) string, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != execPath {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		var args []string
		if err := json.Unmarshal([]byte(r.Header.Get("X-Tipd-Args")), &args); err != nil || len(args) == 0 || !forwardable[args[0]] {
			http.Error(w, "bad command", http.StatusBadRequest)
			return
		}
		var out, errOut bytes.Buffer
		sub := &env{getenv: getenv, stdin: bufio.NewReaderSize(r.Body, 1<<16), stdout: &out, stderr: &errOut, now: now, shared: shared}
		start := time.Now()
		code := sub.exec(r.Context(), args)
		logger.Info("operator command", "command", args[0], "exit", code, "elapsed", time.Since(start).String())
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		enc.Encode(forwardFrame{Stdout: out.String(), Stderr: errOut.String()})
		enc.Encode(forwardFrame{Exit: &code})
	})
}

// listenSocket listens on the store's socket, replacing a stale one left by
// a killed server (one that no longer answers).
func listenSocket(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another server already answers on %s", path)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("restrict %s: %w", path, err)
	}
	return ln, nil
}
