package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
)

func cmdUser(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("user needs a subcommand: add, list, passwd, bind-cert or unbind-cert")
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, e, args)
	case "list":
		return userList(ctx, e, args)
	case "passwd":
		return userPasswd(ctx, e, args)
	case "bind-cert":
		return userBindCert(ctx, e, args)
	case "unbind-cert":
		return userUnbindCert(ctx, e, args)
	}
	return usagef("unknown user subcommand %q; use add, list, passwd, bind-cert or unbind-cert", args[0])
}

// Defaults of a new user's licence.
const (
	defaultDayQuota = 1000
	defaultLicence  = 365 * 24 * time.Hour
)

func userAdd(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("user add", "[-store URL] [-access Commercial|Trial] [-day-quota N] [-expires YYYY-MM-DD] [-no-api] [-password-stdin] NAME")
	storeURL := e.storeFlag(fs)
	acc := fs.String("access", intel.AccessCommercial, "licence access type: Commercial or Trial")
	quota := fs.Int64("day-quota", defaultDayQuota, "requests answered per UTC day")
	expires := fs.String("expires", "", "last day of the licence, YYYY-MM-DD (default: one year from today)")
	noAPI := fs.Bool("no-api", false, "the user may not use the lookup API")
	pwStdin := fs.Bool("password-stdin", false, "read a password for Basic authentication from standard input")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("user add takes one user name")
	}
	var pw string
	if *pwStdin {
		if pw, err = e.readPassword(); err != nil {
			return err
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	exp, err := access.ParseExpires(*expires)
	if err != nil {
		return err
	}
	return e.withStoreInput(ctx, *storeURL, prepend("user", args), pw, func(st store.Store) error {
		svc := &access.Service{Store: st, Now: e.now}
		l := access.License{Access: *acc, DayQuota: *quota, Expires: exp, APIAccess: !*noAPI}
		if l.Expires.IsZero() {
			l.Expires = e.now().UTC().Truncate(24 * time.Hour).Add(defaultLicence)
		}
		// Updating an existing user changes only what the flags name.
		if old, err := st.User(ctx, pos[0]); err == nil {
			if !set["access"] {
				l.Access = old.Access
			}
			if !set["day-quota"] {
				l.DayQuota = old.DayQuota
			}
			if !set["expires"] {
				l.Expires = old.Expires
			}
			if !set["no-api"] {
				l.APIAccess = old.APIAccess
			}
		} else if !errors.Is(err, intel.ErrNotFound) {
			return err
		}
		u, err := svc.AddUser(ctx, pos[0], l)
		if err != nil {
			return err
		}
		if *pwStdin {
			if err := svc.SetPassword(ctx, u.Name, pw); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "user %s: %s, %d requests a day, %s, API access %s\n",
			u.Name, u.Access, u.DayQuota, expiryText(u.Expires), yesNo(u.APIAccess))
		return nil
	})
}

// userPasswd sets a user's password for Basic authentication, read from
// standard input.
func userPasswd(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("user passwd", "[-store URL] NAME  (the password is read from standard input)")
	storeURL := e.storeFlag(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("user passwd takes one user name")
	}
	pw, err := e.readPassword()
	if err != nil {
		return err
	}
	return e.withStoreInput(ctx, *storeURL, prepend("user", args), pw, func(st store.Store) error {
		svc := &access.Service{Store: st, Now: e.now}
		if err := svc.SetPassword(ctx, pos[0], pw); err != nil {
			return err
		}
		_, err := fmt.Fprintf(e.stdout, "password of %s set\n", pos[0])
		return err
	})
}

// userBindCert binds a client certificate, by its SHA-256 fingerprint, to
// a user: one issued by another CA the server trusts, or, run by `tipd cert
// issue` through a running server, one it just issued.
func userBindCert(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("user bind-cert", "[-store URL] NAME SHA256-FINGERPRINT")
	storeURL := e.storeFlag(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("user bind-cert takes a user name and a hex SHA-256 certificate fingerprint")
	}
	return e.withExistingStore(ctx, *storeURL, prepend("user", args), false, func(st store.Store, _ *netdata.Holder) error {
		svc := &access.Service{Store: st, Now: e.now}
		fp := fingerprintArg(pos[1])
		if err := svc.BindCert(ctx, pos[0], fp); err != nil {
			return err
		}
		_, err := fmt.Fprintf(e.stdout, "certificate sha256:%s bound to %s\n", fp, pos[0])
		return err
	})
}

// fingerprintArg accepts "sha256:<hex>" as cert issue prints it and
// "AB:CD:…" as openssl x509 -fingerprint -sha256 prints it.
func fingerprintArg(s string) string {
	return strings.ReplaceAll(strings.TrimPrefix(strings.ToLower(s), "sha256:"), ":", "")
}

// userUnbindCert withdraws a client certificate from a user: Basic
// authentication with it is refused from the next request on.
func userUnbindCert(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("user unbind-cert", "[-store URL] NAME SHA256-FINGERPRINT")
	storeURL := e.storeFlag(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("user unbind-cert takes a user name and a hex SHA-256 certificate fingerprint")
	}
	return e.withExistingStore(ctx, *storeURL, prepend("user", args), false, func(st store.Store, _ *netdata.Holder) error {
		svc := &access.Service{Store: st, Now: e.now}
		fp := fingerprintArg(pos[1])
		if err := svc.UnbindCert(ctx, pos[0], fp); err != nil {
			return err
		}
		_, err := fmt.Fprintf(e.stdout, "certificate sha256:%s unbound from %s\n", fp, pos[0])
		return err
	})
}

// maxPasswordLine bounds the line a password is read from.
const maxPasswordLine = 4096

// readPassword reads a password, one line, from standard input: without
// echo and after a prompt on a terminal. An empty password is refused.
func (e *env) readPassword() (string, error) {
	var line string
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		line = string(b)
	} else {
		r := bufio.NewReaderSize(io.LimitReader(e.stdin, maxPasswordLine), maxPasswordLine)
		s, err := r.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		if err == nil || len(s) < maxPasswordLine {
			line = s
		} else {
			return "", usagef("the password line on standard input is longer than %d bytes", maxPasswordLine-1)
		}
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("the password on standard input is empty; give one line holding the password")
	}
	return line, nil
}

// withStoreInput is withStore for commands that read standard input: when
// the command is forwarded to a running server, input travels as its
// standard input.
func (e *env) withStoreInput(ctx context.Context, u string, args []string, input string, fn func(st store.Store) error) error {
	if e.shared != nil {
		return fn(e.shared.st)
	}
	st, loc, err := openStore(ctx, u, storeOptions{})
	if err != nil {
		if inUse(err) {
			return e.forward(ctx, loc.socketPath(), args, strings.NewReader(input+"\n"))
		}
		return err
	}
	defer st.Close()
	return fn(st)
}

func expiryText(t time.Time) string {
	if t.IsZero() {
		return "never expires"
	}
	return "valid through " + t.Add(-time.Nanosecond).UTC().Format("2006-01-02")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func userList(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("user list", "[-store URL]")
	storeURL := e.storeFlag(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("user list takes no arguments")
	}
	return e.withExistingStore(ctx, *storeURL, prepend("user", args), false, func(st store.Store, _ *netdata.Holder) error {
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		day := store.Day(e.now())
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tACCESS\tTODAY\tDAY-QUOTA\tLICENCE\tAPI\tTOKEN-EXPIRES")
		for _, u := range users {
			used, err := st.RequestCount(ctx, u.Name, day)
			if err != nil {
				return err
			}
			tokExp := "-"
			if t, err := st.UserToken(ctx, u.Name); err == nil {
				tokExp = t.Expires.UTC().Format(time.RFC3339)
			} else if !errors.Is(err, intel.ErrNotFound) {
				return err
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", u.Name, u.Access, used, u.DayQuota, expiryText(u.Expires), yesNo(u.APIAccess), tokExp)
		}
		return tw.Flush()
	})
}

func cmdToken(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("token needs a subcommand: issue or revoke")
	}
	switch args[0] {
	case "issue":
		fs := e.newFlags("token issue", "[-store URL] [-valid DURATION] NAME")
		storeURL := e.storeFlag(fs)
		valid := fs.String("valid", "365d", "validity: a Go duration (720h) or days (90d), at most one year")
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("token issue takes one user name")
		}
		d, err := parseValidity(*valid)
		if err != nil {
			return err
		}
		return e.withExistingStore(ctx, *storeURL, prepend("token", args), false, func(st store.Store, _ *netdata.Holder) error {
			svc := &access.Service{Store: st, Now: e.now}
			tok, _, err := svc.IssueToken(ctx, pos[0], d)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, tok)
			return err
		})
	case "revoke":
		fs := e.newFlags("token revoke", "[-store URL] NAME")
		storeURL := e.storeFlag(fs)
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("token revoke takes one user name")
		}
		return e.withExistingStore(ctx, *storeURL, prepend("token", args), false, func(st store.Store, _ *netdata.Holder) error {
			svc := &access.Service{Store: st, Now: e.now}
			if err := svc.RevokeToken(ctx, pos[0]); err != nil {
				return err
			}
			_, err := fmt.Fprintf(e.stdout, "token of %s revoked\n", pos[0])
			return err
		})
	}
	return usagef("unknown token subcommand %q; use issue or revoke", args[0])
}

// parseValidity accepts Go durations and whole days ("90d").
func parseValidity(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, usagef("-valid %q is not a positive number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, usagef("-valid %q is not a positive duration such as 720h or 90d", s)
	}
	return d, nil
}

func prepend(cmd string, args []string) []string { return append([]string{cmd}, args...) }
