package main

import (
	"context"
	"fmt"
	"net/netip"
	"text/tabwriter"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

func cmdExplain(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("explain", "[-store URL] ADDRESS")
	storeURL := e.storeFlag(fs)
	scoring := e.scoreFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("explain takes one address")
	}
	ip, err := netip.ParseAddr(pos[0])
	if err != nil || ip.Zone() != "" {
		return intel.Invalid("%q is not an IPv4 or IPv6 address", pos[0])
	}
	return e.withStore(ctx, *storeURL, prepend("explain", args), true, func(st store.Store, net *netdata.Holder) error {
		b := &report.Builder{Store: st, Net: net, Now: e.now, Score: scoring()}
		x, err := b.Explain(ctx, ip.Unmap())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "address: %s\n", x.IP)
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "POINTS\tEVIDENCE\tSOURCE\tHOW")
		for _, c := range x.Result.Contributions {
			src := c.Source
			if src == "" {
				src = "-"
			}
			fmt.Fprintf(tw, "%+d\t%s\t%s\t%s\n", c.Points, c.Evidence, src, c.Note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "score: %d\nzone: %s\n", x.Result.Score, x.Result.Zone)
		return nil
	})
}
