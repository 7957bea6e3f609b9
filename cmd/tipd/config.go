package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/tipd/tipd/internal/opsock"
)

// envSettings are the environment variables tipd reads. Names starting
// with TIPD_TEST_ or TIPD_BENCH_ belong to the tests and the benchmark
// scripts and are not checked.
var envSettings = []string{"TIPD_STORE", "TIPD_STORE_FILE", "TIPD_ADDR", "TIPD_LOG", "TIPD_TLS_CERT", "TIPD_TLS_KEY", "TIPD_TOKEN", "TIPD_NOW", "TIPD_FEEDS"}

// logFormats are the values of -log and TIPD_LOG.
var logFormats = []string{"json", "text", "none"}

// cmdConfig prints every effective setting: those the environment gives
// (each command's flags override them), with secrets redacted, and the
// settings `tipd serve` would run with. It checks them as the commands
// would: an unknown TIPD_ variable or a malformed value is named, one
// sentence each, and the exit status is 1.
func cmdConfig(_ context.Context, e *env, args []string) error {
	fs := e.newFlags("config", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("config takes no arguments")
	}
	problems := e.configProblems()
	store := e.storeDefault()
	source := func(names ...string) string {
		for _, n := range names {
			if e.getenv(n) != "" {
				return n
			}
		}
		return "default"
	}
	rows := []struct{ name, src, value string }{
		{"store", source("TIPD_STORE", "TIPD_STORE_FILE"), redactURL(store)},
		{"addr", source("TIPD_ADDR"), envOr(e.getenv, "TIPD_ADDR", "127.0.0.1:8080")},
		{"log", source("TIPD_LOG"), envOr(e.getenv, "TIPD_LOG", "json")},
		{"tls-cert", source("TIPD_TLS_CERT"), e.getenv("TIPD_TLS_CERT")},
		{"tls-key", source("TIPD_TLS_KEY"), e.getenv("TIPD_TLS_KEY")},
		{"bench token", source("TIPD_TOKEN"), redactSecret(e.getenv("TIPD_TOKEN"))},
		{"clock", source("TIPD_NOW"), envOr(e.getenv, "TIPD_NOW", "system clock")},
		{"feeds", source("TIPD_FEEDS"), e.getenv("TIPD_FEEDS")},
	}
	fmt.Fprintf(e.stdout, "%-12s %-16s %s\n", "SETTING", "FROM", "VALUE")
	for _, r := range rows {
		if r.value == "" {
			r.value = "-"
		}
		fmt.Fprintf(e.stdout, "%-12s %-16s %s\n", r.name, r.src, r.value)
	}
	// serve's flags with the defaults this environment gives them.
	sfs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c serveConfig
	e.serveFlags(sfs, &c)
	fmt.Fprintf(e.stdout, "\ntipd serve runs with (flags override):\n")
	sfs.VisitAll(func(f *flag.Flag) {
		if f.Name == "tls-cert" || f.Name == "tls-key" || f.Name == "addr" || f.Name == "log" || f.Name == "feeds" {
			return // above
		}
		fmt.Fprintf(e.stdout, "  -%-16s %s\n", f.Name, f.DefValue)
	})
	if len(problems) == 0 {
		return nil
	}
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "tipd: %s\n", sentence(p.Error()))
	}
	return opsock.ExitStatus{Code: 1}
}

// configProblems checks the TIPD_ environment variables: unknown names and
// values the commands would refuse (or, before this check, misread).
func (e *env) configProblems() []error {
	var out []error
	if e.environ != nil {
		for _, kv := range e.environ() {
			name, _, _ := strings.Cut(kv, "=")
			if !strings.HasPrefix(name, "TIPD_") || strings.HasPrefix(name, "TIPD_TEST_") || strings.HasPrefix(name, "TIPD_BENCH_") {
				continue
			}
			if !slices.Contains(envSettings, name) {
				out = append(out, fmt.Errorf("%s is not a setting tipd reads (known: %s)", name, strings.Join(envSettings, ", ")))
			}
		}
	}
	if v := e.getenv("TIPD_STORE"); v != "" {
		if _, err := parseStoreURL(v); err != nil {
			out = append(out, fmt.Errorf("TIPD_STORE: %w", err))
		}
	} else if f := e.getenv("TIPD_STORE_FILE"); f != "" {
		b, err := os.ReadFile(f)
		switch {
		case err != nil:
			out = append(out, fmt.Errorf("TIPD_STORE_FILE %s cannot be read: %w", f, errors.Unwrap(err)))
		default:
			if _, err := parseStoreURL(strings.TrimSpace(string(b))); err != nil {
				out = append(out, fmt.Errorf("TIPD_STORE_FILE %s: %w", f, err))
			}
		}
	}
	if v := e.getenv("TIPD_ADDR"); v != "" {
		if err := checkListenAddr(v); err != nil {
			out = append(out, fmt.Errorf("TIPD_ADDR %q %w", v, err))
		}
	}
	if v := e.getenv("TIPD_FEEDS"); v != "" {
		if _, err := readFeeds(v); err != nil {
			out = append(out, fmt.Errorf("TIPD_FEEDS: %w", err))
		}
	}
	if v := e.getenv("TIPD_LOG"); v != "" && !slices.Contains(logFormats, v) {
		out = append(out, fmt.Errorf("TIPD_LOG %q is not one of %s", v, strings.Join(logFormats, ", ")))
	}
	cert, key := e.getenv("TIPD_TLS_CERT"), e.getenv("TIPD_TLS_KEY")
	switch {
	case (cert == "") != (key == ""):
		out = append(out, errors.New("TIPD_TLS_CERT and TIPD_TLS_KEY must be set together"))
	case cert != "":
		if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
			out = append(out, fmt.Errorf("TIPD_TLS_CERT and TIPD_TLS_KEY are not a usable certificate and key: %v", err))
		}
	}
	return out
}

// checkListenAddr checks a listen address: host:port, the port a number
// from 0 to 65535.
func checkListenAddr(a string) error {
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		return errors.New("is not host:port (such as 127.0.0.1:8080)")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("has port %q, not a number from 0 to 65535", port)
	}
	return nil
}
