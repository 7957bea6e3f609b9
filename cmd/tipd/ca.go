package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/ca"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
)

// The commands of the local certificate authority for mutual TLS (package
// ca): `tipd ca init` writes ca.pem and ca.key into a directory (by default
// <store dir>/ca of a Pebble store), `tipd cert issue` signs client
// certificates with it and binds them to users, `tipd cert server` signs a
// server certificate.

func cmdCA(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "init" {
		return usagef("ca needs the subcommand init")
	}
	fs := e.newFlags("ca init", "[-dir DIR] [-store URL]")
	storeURL := e.storeFlag(fs)
	dir := fs.String("dir", "", "directory for ca.pem and ca.key (default: <store dir>/ca of a Pebble store)")
	// -ca-dir, as tipd cert names the same directory.
	fs.StringVar(dir, "ca-dir", "", "the same as -dir")
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
	if err := ca.Init(d, e.now()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "ca: %s\n", filepath.Join(d, ca.CertFile))
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
	return e.issueClientCert(ctx, *storeURL, cadir, *out, name, now.Add(-ca.Backdate), now.Add(d))
}

// issueClientCert signs a client certificate for name valid from notBefore
// to notAfter, writes it to outDir and binds it to the user. Tests use it
// directly to make certificates that have already expired.
func (e *env) issueClientCert(ctx context.Context, storeURL, cadir, outDir, name string, notBefore, notAfter time.Time) error {
	authority, err := ca.Load(cadir)
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
	der, err := authority.Issue(ca.Leaf{CommonName: name, Client: true, NotBefore: notBefore, NotAfter: notAfter}, outDir, name)
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
	var l ca.Leaf
	for h := range strings.SplitSeq(*hosts, ",") {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
		case net.ParseIP(h) != nil:
			l.IPs = append(l.IPs, net.ParseIP(h))
		default:
			l.DNSNames = append(l.DNSNames, h)
		}
		if l.CommonName == "" {
			l.CommonName = h
		}
	}
	if len(l.IPs)+len(l.DNSNames) == 0 {
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
	authority, err := ca.Load(cadir)
	if err != nil {
		return err
	}
	now := e.now()
	l.NotBefore, l.NotAfter = now.Add(-ca.Backdate), now.Add(d)
	if _, err := authority.Issue(l, *out, "server"); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "certificate: %s\nkey: %s\n", filepath.Join(*out, "server.pem"), filepath.Join(*out, "server.key"))
	return err
}
