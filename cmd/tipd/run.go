package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/opsock"
	"github.com/tipd/tipd/internal/score"
)

// env is what a command may touch: its streams, environment and clock, and,
// when a running server executes a forwarded command, the server's open
// store and the hook that refreshes its network snapshot.
type env struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	stderrIsTTY    bool
	environ        func() []string // the whole environment (tipd config checks its TIPD_ names)

	shared *sharedStore // set when running inside a server (forwarded command)
}

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve the API, the portal, /healthz, /readyz and /metrics", cmdServe},
		{"demo", "generate a demo world, import it, create user demo and serve it", cmdDemo},
		{"import", "stream files of one format into the store", cmdImport},
		{"feeds", "list the feeds of a feeds file, fetch one now, or show a server's feeds (list, run, status)", cmdFeeds},
		{"lookup", "print the API's answer for an address or web address", cmdLookup},
		{"explain", "print the evidence behind the verdict on an address, domain, web address or file", cmdExplain},
		{"user", "manage users, licences, passwords and certificates (add, list, passwd, bind-cert, unbind-cert)", cmdUser},
		{"token", "issue or revoke API tokens (issue, revoke)", cmdToken},
		{"hold", "put addresses, networks, web addresses, files or domain names under a legal hold (add, remove, list)", cmdHold},
		{"ca", "create the local CA for client certificates (init)", cmdCA},
		{"cert", "issue client certificates bound to users, or a server certificate (issue, server)", cmdCert},
		{"gen", "write a synthetic world in the import formats", cmdGen},
		{"migrate", "apply the PostgreSQL schema migrations (-citus: distribute the tables)", cmdMigrate},
		{"bench", "measure lookups/s of a running server against a static file", cmdBench},
		{"config", "print the configuration the environment gives, secrets redacted", cmdConfig},
		{"version", "print the version, commit and store formats of this binary", cmdVersion},
	}
}

// run is the whole program: it parses args, runs one command and returns
// the exit status (0 success, 1 failure, 2 bad usage).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, stderrIsTTY: isTerminal(stderr), environ: os.Environ}
	// TIPD_NOW fixes the clock (RFC 3339), for reproducible tests and demos.
	if v := getenv("TIPD_NOW"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fmt.Fprintf(stderr, "tipd: TIPD_NOW %q is not an RFC 3339 time such as 2026-11-28T12:00:00Z.\n", v)
			return 2
		}
		e.now = func() time.Time { return t }
	}
	return e.exec(ctx, args)
}

func (e *env) exec(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		e.usage()
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		return e.report(err)
	}
	fmt.Fprintf(e.stderr, "tipd: unknown command %q; run 'tipd help' for the list.\n", args[0])
	return 2
}

// report prints err as one sentence and maps it to an exit status.
func (e *env) report(err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var es opsock.ExitStatus
	if errors.As(err, &es) {
		return es.Code
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "tipd: %s\n", ue.msg)
		return 2
	}
	var ie *intel.Error
	if errors.As(err, &ie) && ie.Kind != intel.KindInternal {
		fmt.Fprintf(e.stderr, "tipd: %s\n", sentence(ie.Message))
		return 1
	}
	fmt.Fprintf(e.stderr, "tipd: %s\n", sentence(err.Error()))
	return 1
}

func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func (e *env) usage() {
	fmt.Fprintln(e.stderr, "usage: tipd COMMAND [flags] [args]")
	fmt.Fprintln(e.stderr, "")
	for _, c := range commands() {
		fmt.Fprintf(e.stderr, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(e.stderr, "")
	fmt.Fprintln(e.stderr, "Every command takes -store URL (or TIPD_STORE): ./tipd-data, pebble:///path, postgres://…, mem:.")
	fmt.Fprintln(e.stderr, "Run 'tipd COMMAND -h' for a command's flags.")
}

// newFlags returns a flag set that writes its help to stderr and reports
// errors (not exits).
func (e *env) newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("tipd "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: tipd %s %s\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may stand before, between or after positional
// arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// storeFlag registers -store with its default from TIPD_STORE.
// The store URL may hold a password (postgres://user:pw@host/db), so it can
// come from a file named by TIPD_STORE_FILE, and help and `tipd config`
// print it redacted.
func (e *env) storeFlag(fs *flag.FlagSet) *string {
	def := e.storeDefault()
	p := fs.String("store", def, "store URL: ./tipd-data, pebble:///path, postgres://…, mem: (env TIPD_STORE or TIPD_STORE_FILE)")
	fs.Lookup("store").DefValue = redactURL(def)
	return p
}

// storeDefault is the store URL from the environment: TIPD_STORE, else the
// content of the file TIPD_STORE_FILE names, else ./tipd-data.
func (e *env) storeDefault() string {
	if v := e.getenv("TIPD_STORE"); v != "" {
		return v
	}
	if f := e.getenv("TIPD_STORE_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(e.stderr, "tipd: cannot read TIPD_STORE_FILE %s: %v.\n", f, errors.Unwrap(err))
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	return "./tipd-data"
}

// redactURL hides the password of a URL.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// scoreFlags registers the scoring flags and returns a function giving the
// configuration they set.
func (e *env) scoreFlags(fs *flag.FlagSet) func() score.Config {
	half := fs.Duration("half-life", score.DefaultHalfLife, "age at which feed evidence counts half")
	reportHalf := fs.Duration("report-half-life", score.DefaultReportHalfLife, "age at which a report link counts half")
	return func() score.Config { return score.Config{HalfLife: *half, ReportHalfLife: *reportHalf} }
}

func redactSecret(s string) string {
	if s == "" {
		return ""
	}
	return "(set, redacted)"
}
