package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
)

func cmdHold(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("hold needs a subcommand: add, remove or list")
	}
	switch args[0] {
	case "add":
		return holdAdd(ctx, e, args)
	case "remove":
		return holdRemove(ctx, e, args)
	case "list":
		return holdList(ctx, e, args)
	}
	return usagef("unknown hold subcommand %q; use add, remove or list", args[0])
}

// parseHoldTarget reads an address, a network (CIDR), an http(s) web
// address, a file hash (32, 40 or 64 hexadecimal digits: MD5, SHA-1,
// SHA-256) or a domain name into the target fields of a hold, in that
// order of precedence.
func parseHoldTarget(s string) (intel.Hold, error) {
	var h intel.Hold
	if strings.Contains(s, "://") || hasHTTPPrefix(s) {
		if !hasHTTPPrefix(s) {
			return h, usagef("%q: a web address must start with http:// or https://", s)
		}
		key, _, err := intel.NormalizeURL(s)
		if err != nil {
			return h, usagef("%q is not a valid web address: %v", s, err)
		}
		h.URL = key
		return h, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return h, usagef("%q is not a network in CIDR notation (192.0.2.0/24, 2001:db8::/32)", s)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.Addr().Is4In6() {
			return h, usagef("%q mixes IPv4-mapped and other IPv6 addresses; give an IPv4 or an IPv6 network", s)
		}
		h.Prefix = p.Masked()
		return h, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return h, usagef("%q: an address with a zone cannot be held; give it without %%%s", s, a.Zone())
		}
		a = a.Unmap()
		h.Prefix = netip.PrefixFrom(a, a.BitLen())
		return h, nil
	}
	if x, err := intel.NormalizeHash(s); err == nil {
		h.Hash = x
		return h, nil
	}
	d, err := intel.NormalizeDomain(s)
	if err != nil {
		return h, usagef("%q is not an IPv4 or IPv6 address, a network (CIDR), a web address starting with http:// or https://, a file hash (MD5, SHA-1, SHA-256) or a domain name", s)
	}
	if intel.RegistrableDomain(d) == "" {
		return h, usagef("%q is a public suffix: a hold on it would hold every name below it; hold a registrable domain or a name below one", s)
	}
	h.Domain = d
	return h, nil
}

// holdAdded is the line `hold add` prints: the reference alone for an
// address, a network or a web address; for a name and a file, also what
// the target was read as.
func holdAdded(h intel.Hold) string {
	switch {
	case h.Domain != "":
		return fmt.Sprintf("%s domain %s and every name below it", h.Ref, h.Domain)
	case h.Hash != "":
		return fmt.Sprintf("%s file %s %s and its other hashes", h.Ref, intel.HashKind(h.Hash), h.Hash)
	}
	return h.Ref
}

// hasHTTPPrefix reports whether s starts with the scheme http: or https:,
// followed by slashes or backslashes as a browser accepts them
// (`http:\\host` is http://host).
func hasHTTPPrefix(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(l, "http:") || strings.HasPrefix(l, "https:")
}

func newHoldRef() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("hold reference: %w", err)
	}
	return "hold-" + hex.EncodeToString(b[:]), nil
}

func holdAdd(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("hold add", "[-store URL] -reason TEXT (ADDRESS|CIDR|URL|HASH|DOMAIN)")
	storeURL := e.storeFlag(fs)
	reason := fs.String("reason", "", "why the object is held (court order, takedown); shown only to the operator")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("hold add takes one address, network (CIDR), web address, file hash or domain name")
	}
	if strings.TrimSpace(*reason) == "" {
		return usagef("hold add needs -reason")
	}
	h, err := parseHoldTarget(pos[0])
	if err != nil {
		return err
	}
	h.Reason = *reason
	h.Created = e.now().UTC().Truncate(time.Second)
	if h.Ref, err = newHoldRef(); err != nil {
		return err
	}
	return e.withStore(ctx, *storeURL, prepend("hold", args), false, func(st store.Store, _ *netdata.Holder) error {
		if err := st.PutHold(ctx, h); err != nil {
			return err
		}
		_, err := fmt.Fprintln(e.stdout, holdAdded(h))
		return err
	})
}

func holdRemove(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("hold remove", "[-store URL] REFERENCE")
	storeURL := e.storeFlag(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("hold remove takes one hold reference")
	}
	return e.withExistingStore(ctx, *storeURL, prepend("hold", args), false, func(st store.Store, _ *netdata.Holder) error {
		if err := st.DeleteHold(ctx, pos[0]); err != nil {
			return err
		}
		_, err := fmt.Fprintf(e.stdout, "hold %s removed\n", pos[0])
		return err
	})
}

func holdList(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("hold list", "[-store URL]")
	storeURL := e.storeFlag(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("hold list takes no arguments")
	}
	return e.withExistingStore(ctx, *storeURL, prepend("hold", args), false, func(st store.Store, _ *netdata.Holder) error {
		holds, err := st.Holds(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REFERENCE\tTARGET\tREASON\tCREATED")
		for _, h := range holds {
			created := "-"
			if !h.Created.IsZero() {
				created = h.Created.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Ref, h.Target(), strings.Join(strings.Fields(h.Reason), " "), created)
		}
		return tw.Flush()
	})
}
