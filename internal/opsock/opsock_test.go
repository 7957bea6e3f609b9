package opsock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// echo runs "cat" (stdin to stdout) and "fail N" (exit N, a line on stderr).
func echo(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch args[0] {
	case "cat":
		io.Copy(stdout, stdin)
		return 0
	default:
		fmt.Fprintf(stderr, "failed: %s\n", strings.Join(args[1:], " "))
		return 3
	}
}

func serve(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "tipd.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	allowed := func(name string) bool { return name == "cat" || name == "fail" }
	srv := &http.Server{Handler: Handler(slog.New(slog.DiscardHandler), allowed, echo)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sock
}

func TestForward(t *testing.T) {
	sock := serve(t)
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantOut    string
		wantErrOut string
		wantErr    string
	}{
		{name: "output", args: []string{"cat"}, stdin: "hello\n", wantOut: "hello\n"},
		{name: "no input", args: []string{"cat"}, wantOut: ""},
		{name: "exit status", args: []string{"fail", "now"}, wantErrOut: "failed: now\n", wantErr: "exit status 3"},
		{name: "refused", args: []string{"rm"}, wantErr: "the running server refused the command: bad command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdin io.Reader
			if tt.stdin != "" {
				stdin = strings.NewReader(tt.stdin)
			}
			var out, errOut bytes.Buffer
			err := Forward(context.Background(), sock, tt.args, stdin, &out, &errOut)
			if got := fmt.Sprint(err); tt.wantErr == "" && err != nil || tt.wantErr != "" && got != tt.wantErr {
				t.Fatalf("got error %v, want %q", err, tt.wantErr)
			}
			if out.String() != tt.wantOut || errOut.String() != tt.wantErrOut {
				t.Errorf("got stdout %q stderr %q, want %q and %q", out.String(), errOut.String(), tt.wantOut, tt.wantErrOut)
			}
		})
	}
	var es ExitStatus
	if err := Forward(context.Background(), sock, []string{"fail"}, nil, io.Discard, io.Discard); !errors.As(err, &es) || es.Code != 3 {
		t.Errorf("got %v, want ExitStatus{3}", err)
	}
}

func TestListenRefusesALiveSocket(t *testing.T) {
	sock := serve(t)
	if ln, err := Listen(sock); err == nil {
		ln.Close()
		t.Fatal("got a second listener on a live socket, want an error")
	}
}

func TestListenReplacesAStaleSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "tipd.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	ln.Close() // leaves the socket file behind, as a killed server does
	ln, err = Listen(sock)
	if err != nil {
		t.Fatalf("got %v, want the stale socket replaced", err)
	}
	ln.Close()
}
