package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
)

// A local certificate authority for mutual TLS: `tipd ca init` writes
// ca.pem and ca.key into a directory (by default <store dir>/ca of a Pebble
// store), `tipd cert issue` signs client certificates with it and binds
// them to users, `tipd cert server` signs a server certificate.

// Files of a CA directory.
const (
	caCertFile = "ca.pem"
	caKeyFile  = "ca.key"
)

// caValidity is how long the CA certificate is valid.
const caValidity = 10 * 365 * 24 * time.Hour

// backdate is how far before now certificates become valid, so that clocks
// a little behind still accept them.
const backdate = time.Hour

func cmdCA(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "init" {
		return usagef("ca needs the subcommand init")
	}
	fs := e.newFlags("ca init", "[-dir DIR] [-store URL]")
	storeURL := e.storeFlag(fs)
	dir := fs.String("dir", "", "directory for ca.pem and ca.key (default: <store dir>/ca of a Pebble store)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("ca init takes no arguments")
	}
	d, err := caDir(*dir, *storeURL, "-dir")
	if err != nil {
		return err
	}
	if err := initCA(d, e.now()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "ca: %s\n", filepath.Join(d, caCertFile))
	return err
}

// caDir is the CA directory flag's value, or <store dir>/ca for a Pebble
// store.
func caDir(flagValue, storeURL, flagName string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	loc, err := parseStoreURL(storeURL)
	if err != nil {
		return "", err
	}
	if loc.kind != "pebble" {
		return "", usagef("%s is required with a %s store (the default is <store dir>/ca of a Pebble store)", flagName, loc.kind)
	}
	return filepath.Join(loc.path, "ca"), nil
}

// initCA creates an ECDSA P-256 key and a self-signed CA certificate in
// dir. An existing CA is never overwritten.
func initCA(dir string, now time.Time) error {
	keyPath := filepath.Join(dir, caKeyFile)
	if _, err := os.Stat(keyPath); err == nil {
		return fmt.Errorf("%s already exists; remove it to create a new CA (certificates it signed stop working)", keyPath)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create CA directory: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tipd local CA", Organization: []string{"tipd"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("create CA certificate: %w", err)
	}
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	return writeCert(filepath.Join(dir, caCertFile), der)
}

// localCA is a loaded CA.
type localCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func loadCA(dir string) (localCA, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if errors.Is(err, fs.ErrNotExist) {
		return localCA{}, fmt.Errorf("there is no CA in %s; create one with tipd ca init", dir)
	}
	if err != nil {
		return localCA{}, fmt.Errorf("read CA certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return localCA{}, fmt.Errorf("read CA key: %w", err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return localCA{}, fmt.Errorf("the CA files in %s are not PEM", dir)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return localCA{}, fmt.Errorf("parse CA certificate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return localCA{}, fmt.Errorf("parse CA key: %w", err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return localCA{}, fmt.Errorf("the CA key in %s is not an ECDSA key", dir)
	}
	return localCA{cert: cert, key: key}, nil
}

// leaf describes a certificate to issue.
type leaf struct {
	commonName string
	client     bool // ExtKeyUsage ClientAuth, else ServerAuth
	dnsNames   []string
	ips        []net.IP
	notBefore  time.Time
	notAfter   time.Time
}

// issue signs a new ECDSA P-256 key's certificate described by l and
// writes NAME.pem and NAME.key into outDir. It returns the certificate's
// DER encoding.
func (ca localCA) issue(l leaf, outDir, name string) ([]byte, error) {
	if !l.notAfter.After(l.notBefore) {
		return nil, fmt.Errorf("the certificate would end (%s) before it begins (%s)", l.notAfter.Format(time.RFC3339), l.notBefore.Format(time.RFC3339))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	usage := x509.ExtKeyUsageServerAuth
	if l.client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: l.commonName},
		NotBefore:             l.notBefore,
		NotAfter:              l.notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{usage},
		BasicConstraintsValid: true,
		DNSNames:              l.dnsNames,
		IPAddresses:           l.ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	if err := writeKey(filepath.Join(outDir, name+".key"), key); err != nil {
		return nil, err
	}
	if err := writeCert(filepath.Join(outDir, name+".pem"), der); err != nil {
		return nil, err
	}
	return der, nil
}

func cmdCert(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("cert needs a subcommand: issue or server")
	}
	switch args[0] {
	case "issue":
		return certIssue(ctx, e, args)
	case "server":
		return certServer(e, args)
	}
	return usagef("unknown cert subcommand %q; use issue or server", args[0])
}

// certIssue signs a client certificate for a user and binds it to the user.
func certIssue(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("cert issue", "[-ca-dir DIR] [-store URL] [-valid 365d] [-out DIR] NAME")
	storeURL := e.storeFlag(fs)
	dir := fs.String("ca-dir", "", "CA directory (default: <store dir>/ca of a Pebble store)")
	valid := fs.String("valid", "365d", "validity: a Go duration (720h) or days (90d)")
	out := fs.String("out", ".", "directory for NAME.pem and NAME.key")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cert issue takes one user name")
	}
	name := pos[0]
	if err := access.ValidateName(name); err != nil {
		return err
	}
	d, err := parseValidity(*valid)
	if err != nil {
		return err
	}
	cadir, err := caDir(*dir, *storeURL, "-ca-dir")
	if err != nil {
		return err
	}
	now := e.now()
	return e.issueClientCert(ctx, *storeURL, cadir, *out, name, now.Add(-backdate), now.Add(d))
}

// issueClientCert signs a client certificate for name valid from notBefore
// to notAfter, writes it to outDir and binds it to the user. Tests use it
// directly to make certificates that have already expired.
func (e *env) issueClientCert(ctx context.Context, storeURL, cadir, outDir, name string, notBefore, notAfter time.Time) error {
	ca, err := loadCA(cadir)
	if err != nil {
		return err
	}
	// Binding goes through a running server when one holds the store.
	quiet := *e // the forwarded bind-cert's confirmation is not printed
	quiet.stdout = io.Discard
	bind := func(fp string) error {
		return quiet.withStore(ctx, storeURL, []string{"user", "bind-cert", "-store", storeURL, name, fp}, false, func(st store.Store, _ *netdata.Holder) error {
			svc := &access.Service{Store: st, Now: e.now}
			return svc.BindCert(ctx, name, fp)
		})
	}
	der, err := ca.issue(leaf{commonName: name, client: true, notBefore: notBefore, notAfter: notAfter}, outDir, name)
	if err != nil {
		return err
	}
	fp := access.CertFingerprint(der)
	if err := bind(fp); err != nil {
		os.Remove(filepath.Join(outDir, name+".pem"))
		os.Remove(filepath.Join(outDir, name+".key"))
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "certificate: %s\nkey: %s\nfingerprint: sha256:%s\n",
		filepath.Join(outDir, name+".pem"), filepath.Join(outDir, name+".key"), fp)
	return err
}

// certServer signs a server certificate for the given host names and
// addresses.
func certServer(e *env, args []string) error {
	fs := e.newFlags("cert server", "[-ca-dir DIR] [-store URL] -host H[,H…] [-valid 365d] -out DIR")
	storeURL := e.storeFlag(fs)
	dir := fs.String("ca-dir", "", "CA directory (default: <store dir>/ca of a Pebble store)")
	hosts := fs.String("host", "", "comma-separated host names and IP addresses the certificate is for")
	valid := fs.String("valid", "365d", "validity: a Go duration (720h) or days (90d)")
	out := fs.String("out", "", "directory for server.pem and server.key")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("cert server takes no arguments")
	}
	if *out == "" {
		return usagef("cert server needs -out DIR")
	}
	var l leaf
	for h := range strings.SplitSeq(*hosts, ",") {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
		case net.ParseIP(h) != nil:
			l.ips = append(l.ips, net.ParseIP(h))
		default:
			l.dnsNames = append(l.dnsNames, h)
		}
		if l.commonName == "" {
			l.commonName = h
		}
	}
	if len(l.ips)+len(l.dnsNames) == 0 {
		return usagef("cert server needs -host with at least one host name or address")
	}
	d, err := parseValidity(*valid)
	if err != nil {
		return err
	}
	cadir, err := caDir(*dir, *storeURL, "-ca-dir")
	if err != nil {
		return err
	}
	ca, err := loadCA(cadir)
	if err != nil {
		return err
	}
	now := e.now()
	l.notBefore, l.notAfter = now.Add(-backdate), now.Add(d)
	if _, err := ca.issue(l, *out, "server"); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "certificate: %s\nkey: %s\n", filepath.Join(*out, "server.pem"), filepath.Join(*out, "server.key"))
	return err
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return n, nil
}

// writeKey writes key as PKCS #8 PEM, readable by its owner only.
func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	// WriteFile keeps the mode of an existing file.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("restrict key: %w", err)
	}
	return nil
}

func writeCert(path string, der []byte) error {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("write certificate: %w", err)
	}
	return nil
}
