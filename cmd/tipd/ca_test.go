package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The mutual TLS tests run against the real clock: TLS checks certificate
// validity with it, so certificates are made relative to it too.
func realEnv() func(string) string {
	return testEnv(map[string]string{"TIPD_NOW": time.Now().UTC().Format(time.RFC3339)})
}

// tipdIn runs the command line on the real clock with stdin and fails the
// test on a non-zero exit.
func tipdIn(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), args, realEnv(), strings.NewReader(stdin), &out, &errb); code != 0 {
		t.Fatalf("tipd %s: exit %d, stderr %q", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// startTLSServer runs `tipd serve` with TLS and client certificate
// verification and returns its base URL. The tests send many wrong
// credentials from one address, so the failed-authentication limit is off.
func startTLSServer(t *testing.T, storeDir, certs string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	go func() {
		code := run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-store", storeDir, "-log", "text",
			"-tls-cert", filepath.Join(certs, "server.pem"), "-tls-key", filepath.Join(certs, "server.key"),
			"-client-ca", filepath.Join(storeDir, "ca", "ca.pem"), "-auth-failures", "0"}, realEnv(), strings.NewReader(""), pw, s.stderr)
		pw.Close()
		s.done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "url: https://") {
		cancel()
		t.Fatalf("serve printed %q (%v); stderr: %s", line, err, s.stderr.String())
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() { s.stop(t) })
	return strings.TrimSpace(strings.TrimPrefix(line, "url: "))
}

// tlsClient trusts the store's CA and presents the client certificate
// NAME.pem in dir, if dir is not empty.
func tlsClient(t *testing.T, storeDir, dir, name string) *http.Client {
	t.Helper()
	caPEM, err := os.ReadFile(filepath.Join(storeDir, "ca", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.pem holds no certificate")
	}
	cfg := &tls.Config{RootCAs: pool}
	if dir != "" {
		c, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
}

// call sends GET url with the Authorization header auth and returns the
// status and the WWW-Authenticate header; err is a transport failure such
// as a refused TLS handshake.
func call(c *http.Client, url, auth string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), nil
}

func basic(name, pw string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(name, pw)
	return req.Header.Get("Authorization")
}

func TestMutualTLSBasic(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	certs := filepath.Join(dir, "certs")
	expired := filepath.Join(dir, "expired")

	tipdIn(t, "", "user", "add", "-store", st, "alice")
	tipdIn(t, "alice-secret\n", "user", "add", "-store", st, "-password-stdin", "bob")
	tipdIn(t, "", "user", "add", "-store", st, "carol")
	if out := tipdIn(t, "", "ca", "init", "-store", st); !strings.Contains(out, "ca.pem") {
		t.Errorf("ca init printed %q", out)
	}
	if info, err := os.Stat(filepath.Join(st, "ca", "ca.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key: %v, %v", info, err)
	}
	// A second init must not replace the CA.
	if _, _, code := tipd(t, "", "ca", "init", "-store", st); code != 1 {
		t.Errorf("second ca init: exit %d, want 1", code)
	}
	fingerprints := map[string]string{}
	for _, name := range []string{"alice", "bob"} {
		out := tipdIn(t, "", "cert", "issue", "-store", st, "-out", certs, name)
		fp := strings.TrimPrefix(lineOf(out, "fingerprint: "), "fingerprint: ")
		if !strings.HasPrefix(fp, "sha256:") {
			t.Errorf("cert issue printed %q", out)
		}
		fingerprints[name] = fp
	}
	if _, errOut, code := tipd(t, "", "cert", "issue", "-store", st, "-out", certs, "nobody"); code != 1 {
		t.Errorf("cert issue for an unknown user: exit %d (%s)", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(certs, "nobody.pem")); err == nil {
		t.Error("cert issue left the certificate of an unknown user behind")
	}
	tipdIn(t, "", "cert", "server", "-store", st, "-host", "127.0.0.1,localhost", "-out", certs)
	tipdIn(t, "alice-pw\n", "user", "passwd", "-store", st, "alice")
	if _, _, code := tipd(t, "\n", "user", "passwd", "-store", st, "alice"); code != 2 {
		t.Errorf("empty password: exit %d, want 2", code)
	}
	// A certificate of alice that expired an hour ago, bound to her.
	now := time.Now()
	e := &env{getenv: realEnv(), stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, now: time.Now}
	if err := e.issueClientCert(context.Background(), st, filepath.Join(st, "ca"), expired, "alice", now.Add(-48*time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A certificate of alice signed by another CA, bound to her all the same.
	rogue := filepath.Join(dir, "rogue")
	tipdIn(t, "", "ca", "init", "-ca-dir", filepath.Join(dir, "rogue-ca")) // the name tipd cert uses
	tipdIn(t, "", "ca", "init", "-dir", filepath.Join(dir, "other-ca"))
	for _, d := range []string{"rogue-ca", "other-ca"} {
		if _, err := os.Stat(filepath.Join(dir, d, "ca.pem")); err != nil {
			t.Errorf("ca init into %s: %v", d, err)
		}
	}
	tipdIn(t, "", "cert", "issue", "-ca-dir", filepath.Join(dir, "rogue-ca"), "-store", st, "-out", rogue, "alice")
	tokAlice := strings.TrimSpace(tipdIn(t, "", "token", "issue", "-store", st, "alice"))
	tokCarol := strings.TrimSpace(tipdIn(t, "", "token", "issue", "-store", st, "carol"))

	base := startTLSServer(t, st, certs)
	u := base + "/api/ip/192.0.2.1"
	// Bob's password is set while the server runs: forwarded over its socket.
	tipdIn(t, "bob-pw\n", "user", "passwd", "-store", st, "bob")

	alice := tlsClient(t, st, certs, "alice")
	bob := tlsClient(t, st, certs, "bob")
	anon := tlsClient(t, st, "", "")
	old := tlsClient(t, st, expired, "alice")
	other := tlsClient(t, st, rogue, "alice")
	for _, c := range []struct {
		name   string
		client *http.Client
		auth   string
		status int
	}{
		{"certificate and password", alice, basic("alice", "alice-pw"), 200},
		{"bob, password set through the server", bob, basic("bob", "bob-pw"), 200},
		{"password without certificate", anon, basic("alice", "alice-pw"), 401},
		{"another user's certificate", bob, basic("alice", "alice-pw"), 401},
		{"own certificate, another user's name", alice, basic("bob", "bob-pw"), 401},
		{"wrong password", alice, basic("alice", "bob-pw"), 401},
		{"previous password", bob, basic("bob", "alice-secret"), 401},
		{"no password", alice, basic("alice", ""), 401},
		{"certificate alone", alice, "", 401},
		{"unknown user", alice, basic("mallory", "alice-pw"), 401},
		{"malformed Basic", alice, "Basic !!!", 401},
		{"Bearer without certificate", anon, "Bearer " + tokAlice, 200},
		{"Bearer with a certificate", alice, "Bearer " + tokAlice, 200},
		{"Bearer with another user's certificate", alice, "Bearer " + tokCarol, 200},
		{"expired certificate", old, basic("alice", "alice-pw"), 401},
		{"certificate of another CA", other, basic("alice", "alice-pw"), 401},
	} {
		status, challenge, err := call(c.client, u, c.auth)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, status, c.status)
		}
		// The TAXII server authenticates the same way.
		if ts, _, err := call(c.client, base+"/taxii2/api/collections/", c.auth); err != nil || ts != c.status {
			t.Errorf("%s, TAXII: status %d (%v), want %d", c.name, ts, err, c.status)
		}
		// So do the publications (get_list over an empty store).
		if ps, pc, err := call(c.client, base+"/api/publications/get_list", c.auth); err != nil || ps != c.status || pc != challenge {
			t.Errorf("%s, publications: status %d, challenge %q (%v), want %d, %q", c.name, ps, pc, err, c.status, challenge)
		}
		if status == 401 {
			want := `Bearer realm="tipd"`
			if strings.HasPrefix(c.auth, "Basic") {
				want = `Basic realm="tipd"`
			}
			if challenge != want {
				t.Errorf("%s: first WWW-Authenticate %q, want %q", c.name, challenge, want)
			}
		}
	}

	// Withdrawing bob's certificate on the running server refuses Basic
	// with it from the next request on; his token still works.
	if out := tipdIn(t, "", "user", "unbind-cert", "-store", st, "bob", fingerprints["bob"]); !strings.Contains(out, "unbound from bob") {
		t.Errorf("unbind-cert printed %q", out)
	}
	if status, _, err := call(bob, u, basic("bob", "bob-pw")); err != nil || status != 401 {
		t.Errorf("bob's withdrawn certificate: %d %v, want 401", status, err)
	}
	if status, _, err := call(alice, u, basic("alice", "alice-pw")); err != nil || status != 200 {
		t.Errorf("alice after bob's certificate was withdrawn: %d %v, want 200", status, err)
	}
	if _, errOut, code := tipd(t, "", "user", "unbind-cert", "-store", st, "bob", fingerprints["bob"]); code != 1 || !strings.Contains(errOut, "no certificate") {
		t.Errorf("unbinding twice: exit %d, %q", code, errOut)
	}
}

func TestNoSecretsInStore(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	var secrets []string
	for _, name := range []string{"alice", "bob"} {
		pw := "pw-of-" + name + "-0123456789"
		tipdIn(t, pw+"\n", "user", "add", "-store", st, "-password-stdin", name)
		secrets = append(secrets, pw)
		for range 2 {
			secrets = append(secrets, strings.TrimSpace(tipdIn(t, "", "token", "issue", "-store", st, name)))
		}
	}
	pw := "second-password-of-alice"
	tipdIn(t, pw+"\n", "user", "passwd", "-store", st, "alice")
	secrets = append(secrets, pw)

	files := 0
	err := filepath.WalkDir(st, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the secret %q in clear", p, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("the store has no files")
	}
}
