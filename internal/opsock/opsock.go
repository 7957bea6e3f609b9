// Package opsock is the operator socket of a running server. A Pebble store
// can be open in one process only. So that operator commands (import, user,
// token, lookup, explain) work while `tipd serve` runs on the same store,
// the server listens on a Unix socket inside the store directory (mode
// 0600: only the store's owner can use it) and runs forwarded commands
// against its own open store. The command's standard input travels as the
// request body; its output and exit status come back as JSON lines.
//
// The package holds the wire protocol, the listener and the client; which
// commands may be forwarded and how one runs is the caller's.
package opsock

import (
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

const execPath = "/v1/exec"

// argsHeader carries the command line, JSON-encoded.
const argsHeader = "X-Tipd-Args"

// frame is one line of a forwarded command's answer.
type frame struct {
	Stdout string `json:"o,omitempty"`
	Stderr string `json:"e,omitempty"`
	Exit   *int   `json:"x,omitempty"`
}

// ExitStatus is the non-zero exit status of a forwarded command.
type ExitStatus struct{ Code int }

func (e ExitStatus) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Forward runs args on the server listening at sock, sending stdin as the
// command's standard input and copying its output to stdout and stderr. A
// command that exits non-zero is an ExitStatus.
func Forward(ctx context.Context, sock string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
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
	if stdin == nil {
		stdin = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://tipd"+execPath, stdin)
	if err != nil {
		return err
	}
	req.Header.Set(argsHeader, string(hdr))
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
		var f frame
		if err := dec.Decode(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the running server closed the connection before the command finished")
			}
			return fmt.Errorf("read the server's answer: %w", err)
		}
		io.WriteString(stdout, f.Stdout)
		io.WriteString(stderr, f.Stderr)
		if f.Exit != nil {
			if *f.Exit == 0 {
				return nil
			}
			return ExitStatus{*f.Exit}
		}
	}
}

// Runner runs one forwarded command line and returns its exit status.
type Runner func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Handler answers forwarded commands whose name (args[0]) allowed accepts
// by running them through run, and logs one line per command.
func Handler(logger *slog.Logger, allowed func(name string) bool, run Runner) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != execPath {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		var args []string
		if err := json.Unmarshal([]byte(r.Header.Get(argsHeader)), &args); err != nil || len(args) == 0 || !allowed(args[0]) {
			http.Error(w, "bad command", http.StatusBadRequest)
			return
		}
		var out, errOut bytes.Buffer
		start := time.Now()
		code := run(r.Context(), args, r.Body, &out, &errOut)
		logger.Info("operator command", "command", args[0], "exit", code, "elapsed", time.Since(start).String())
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		enc.Encode(frame{Stdout: out.String(), Stderr: errOut.String()})
		enc.Encode(frame{Exit: &code})
	})
}

// Listen listens on the socket at path, replacing a stale one left by a
// killed server (one that no longer answers).
func Listen(path string) (net.Listener, error) {
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
