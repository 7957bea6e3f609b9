package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
)

func cmdUser(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("user needs a subcommand: add or list")
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, e, args)
	case "list":
		return userList(ctx, e, args)
	}
	return usagef("unknown user subcommand %q; use add or list", args[0])
}

// Defaults of a new user's licence.
const (
	defaultDayQuota = 1000
	defaultLicence  = 365 * 24 * time.Hour
)

func userAdd(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("user add", "[-store URL] [-access Commercial|Trial] [-day-quota N] [-expires YYYY-MM-DD] [-no-api] NAME")
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
	if *pwStdin {
		return usagef("-password-stdin (Basic authentication with client certificates) is not available in this build yet")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	exp, err := access.ParseExpires(*expires)
	if err != nil {
		return err
	}
	return e.withStore(ctx, *storeURL, prepend("user", args), false, func(st store.Store, _ *netdata.Holder) error {
		svc := &access.Service{Store: st, Now: e.now}
		l := access.Licence{Access: *acc, DayQuota: *quota, Expires: exp, APIAccess: !*noAPI}
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
		fmt.Fprintf(e.stdout, "user %s: %s, %d requests a day, %s, API access %s\n",
			u.Name, u.Access, u.DayQuota, expiryText(u.Expires), yesNo(u.APIAccess))
		return nil
	})
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
	return e.withStore(ctx, *storeURL, prepend("user", args), false, func(st store.Store, _ *netdata.Holder) error {
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
		return e.withStore(ctx, *storeURL, prepend("token", args), false, func(st store.Store, _ *netdata.Holder) error {
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
		return e.withStore(ctx, *storeURL, prepend("token", args), false, func(st store.Store, _ *netdata.Holder) error {
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
