package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/e2e")

// TestMain lets tests start the test binary as a real tipd process: with
// TIPD_TEST_MAIN=1 it runs the command line in its arguments instead of the
// tests.
func TestMain(m *testing.M) {
	if os.Getenv("TIPD_TEST_MAIN") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// e2eNow is the fixed clock of the end-to-end tests (TIPD_NOW).
const e2eNow = "2026-11-28T12:00:00Z"

func testEnv(extra map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		if k == "TIPD_NOW" {
			return e2eNow
		}
		return ""
	}
}

// tipd runs the command line in-process and returns its output and status.
func tipd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, testEnv(nil), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// mustTipd is tipd that fails the test on a non-zero exit.
func mustTipd(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := tipd(t, "", args...)
	if code != 0 {
		t.Fatalf("tipd %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	return out
}

// server is a `tipd serve` running in-process through run().
type server struct {
	url    string
	cancel context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// worldServer imports the end-to-end world into a new Pebble store, adds
// user with the given tipd user add flags, issues the user's token and
// starts a server on the store.
func worldServer(t *testing.T, user string, flags ...string) (st, tok string, s *server) {
	t.Helper()
	st = filepath.Join(t.TempDir(), "store")
	mustTipd(t, "import", "-store", st, "-format", "jsonl", "testdata/e2e/world.jsonl")
	mustTipd(t, append(append([]string{"user", "add", "-store", st}, flags...), user)...)
	tok = strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, user))
	return st, tok, startServer(t, st)
}

func startServer(t *testing.T, storeDir string, extra ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	go func() {
		code := run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-store", storeDir, "-log", "text"}, extra...), testEnv(nil), strings.NewReader(""), pw, s.stderr)
		pw.Close()
		s.done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "url: ") {
		cancel()
		t.Fatalf("serve printed %q (%v); stderr: %s", line, err, s.stderr.String())
	}
	go io.Copy(io.Discard, pr)
	s.url = strings.TrimSpace(strings.TrimPrefix(line, "url: "))
	// Wait until ready.
	for i := 0; ; i++ {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i == 100 {
			t.Fatalf("server never became ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case code := <-s.done:
		if code != 0 {
			t.Errorf("serve exited %d; stderr: %s", code, s.stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Errorf("serve did not stop within 15s")
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, a.body)
	}
	return m
}

func get(t *testing.T, method, url, token string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, body}
}

// path walks a decoded JSON value: path(m, "IpGeneralInfo", "Status").
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return fmt.Sprintf("<no object at %q>", k)
			}
			v, ok = m[k]
			if !ok {
				return fmt.Sprintf("<missing %q>", k)
			}
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return fmt.Sprintf("<no item %d>", k)
			}
			v = l[k]
		}
	}
	return v
}

func wantField(t *testing.T, m map[string]any, want any, keys ...any) {
	t.Helper()
	got := path(m, keys...)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%v: got %v, want %v", keys, got, want)
	}
}

// golden compares body (re-indented) with testdata/e2e/NAME.json.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	buf.WriteByte('\n')
	file := filepath.Join("testdata", "e2e", name+".json")
	if *update {
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/tipd -run TestEndToEnd -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from %s:\n%s", name, file, buf.String())
	}
}
