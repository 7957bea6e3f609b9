package ca

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestIssueVerifiesAgainstTheCA(t *testing.T) {
	dir := t.TempDir()
	if err := Init(dir, now); err != nil {
		t.Fatal(err)
	}
	authority, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(authority.cert)
	out := t.TempDir()
	tests := []struct {
		name  string
		leaf  Leaf
		usage x509.ExtKeyUsage
		host  string
	}{
		{"client", Leaf{CommonName: "alice", Client: true, NotBefore: now.Add(-Backdate), NotAfter: now.Add(24 * time.Hour)}, x509.ExtKeyUsageClientAuth, ""},
		{"server", Leaf{CommonName: "tipd.example", DNSNames: []string{"tipd.example"}, IPs: []net.IP{net.ParseIP("127.0.0.1")},
			NotBefore: now.Add(-Backdate), NotAfter: now.Add(24 * time.Hour)}, x509.ExtKeyUsageServerAuth, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der, err := authority.Issue(tt.leaf, out, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, DNSName: tt.host, KeyUsages: []x509.ExtKeyUsage{tt.usage}}); err != nil {
				t.Errorf("got %v, want the certificate to verify", err)
			}
			if cert.Subject.CommonName != tt.leaf.CommonName {
				t.Errorf("got common name %q, want %q", cert.Subject.CommonName, tt.leaf.CommonName)
			}
			pemBytes, err := os.ReadFile(filepath.Join(out, tt.name+".pem"))
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := pem.Decode(pemBytes); b == nil || string(b.Bytes) != string(der) {
				t.Errorf("got %s.pem not holding the issued certificate", tt.name)
			}
			fi, err := os.Stat(filepath.Join(out, tt.name+".key"))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("got key mode %o, want 600", got)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "there is no CA in") {
		t.Errorf("got %v, want there is no CA", err)
	}
	if err := Init(dir, now); err != nil {
		t.Fatal(err)
	}
	if err := Init(dir, now); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("got %v, want an existing CA kept", err)
	}
	authority, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := authority.Issue(Leaf{CommonName: "x", NotBefore: now, NotAfter: now}, t.TempDir(), "x"); err == nil || !strings.Contains(err.Error(), "would end") {
		t.Errorf("got %v, want a certificate ending before it begins refused", err)
	}
}
