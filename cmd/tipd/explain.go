package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"text/tabwriter"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
)

func cmdExplain(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("explain", "[-store URL] ADDRESS|DOMAIN|URL|HASH")
	storeURL := e.storeFlag(fs)
	scoring := e.scoreFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("explain takes one address, domain name, web address or file hash")
	}
	arg := pos[0]
	kind, err := explainKind(arg)
	if err != nil {
		return err
	}
	return e.withStore(ctx, *storeURL, prepend("explain", args), true, func(st store.Store, net *netdata.Holder) error {
		b := &report.Builder{Store: st, Net: net, Now: e.now, Score: scoring()}
		if kind == 0 {
			ip, _ := netip.ParseAddr(arg)
			x, err := b.Explain(ctx, ip.Unmap())
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "address: %s\n", x.IP)
			if err := printContributions(e, x.Result.Contributions); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "score: %d\nzone: %s\n", x.Result.Score, x.Result.Zone)
			return nil
		}
		var x report.ObjectExplanation
		switch kind {
		case intel.ObjectFile:
			h, _ := intel.NormalizeHash(arg)
			x, err = b.ExplainFile(ctx, h)
		case intel.ObjectURL:
			x, err = b.ExplainURL(ctx, arg)
		default:
			d, _ := intel.NormalizeDomain(arg)
			x, err = b.ExplainDomain(ctx, d)
		}
		if err != nil {
			return err
		}
		switch kind {
		case intel.ObjectFile:
			fmt.Fprintf(e.stdout, "file: %s\n", x.Key)
			if len(x.Hashes) > 1 {
				fmt.Fprintf(e.stdout, "hashes: %s\n", strings.Join(x.Hashes, " "))
			}
		case intel.ObjectURL:
			fmt.Fprintf(e.stdout, "web address: %s\n", x.Key)
		default:
			fmt.Fprintf(e.stdout, "domain: %s\n", x.Key)
		}
		if !x.Known {
			fmt.Fprintln(e.stdout, "no evidence stored")
		}
		if err := printContributions(e, x.Contributions); err != nil {
			return err
		}
		if kind == intel.ObjectFile {
			fmt.Fprintf(e.stdout, "zone: %s\nstatus: %s\n", x.Zone, x.Status)
			return nil
		}
		fmt.Fprintf(e.stdout, "score: %d\nzone: %s\n", x.Score, x.Zone)
		return nil
	})
}

// explainKind tells what explain was given: an address (0), a file hash,
// a web address (a scheme, "/" or "?") or a domain name.
func explainKind(arg string) (intel.ObjectKind, error) {
	if ip, err := netip.ParseAddr(arg); err == nil {
		if ip.Zone() != "" {
			return 0, intel.Invalid("%q is not an IPv4 or IPv6 address", arg)
		}
		return 0, nil
	}
	if _, err := intel.NormalizeHash(arg); err == nil {
		return intel.ObjectFile, nil
	}
	if strings.ContainsAny(arg, "/?") {
		if _, _, err := intel.NormalizeURL(arg); err != nil {
			return 0, intel.Invalid("%q is not a valid web address: %v", arg, err)
		}
		return intel.ObjectURL, nil
	}
	if _, err := intel.NormalizeDomain(arg); err != nil {
		return 0, intel.Invalid("%q is not an address, domain name, web address or file hash", arg)
	}
	return intel.ObjectHost, nil
}

// printContributions prints the evidence table.
func printContributions(e *env, cs []score.Contribution) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POINTS\tEVIDENCE\tSOURCE\tHOW")
	for _, c := range cs {
		src := c.Source
		if src == "" {
			src = "-"
		}
		fmt.Fprintf(tw, "%+d\t%s\t%s\t%s\n", c.Points, c.Evidence, src, c.Note)
	}
	return tw.Flush()
}
