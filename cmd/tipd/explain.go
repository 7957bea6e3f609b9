package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

func cmdExplain(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("explain", "[-store URL] [-json] ADDRESS|DOMAIN|URL|HASH")
	storeURL := e.storeFlag(fs)
	scoring := e.scoreFlags(fs)
	asJSON := fs.Bool("json", false, "print the explanation as GET /api/explain answers it")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("explain takes one address, domain name, web address or file hash")
	}
	target, err := report.ParseExplainTarget(pos[0])
	if err != nil {
		return err
	}
	return e.withExistingStore(ctx, *storeURL, prepend("explain", args), true, func(st store.Store, net *netdata.Holder) error {
		b := &report.Builder{Store: st, Net: net, Now: e.now, Score: scoring()}
		x, err := b.ExplainData(ctx, target)
		if err != nil {
			return err
		}
		if *asJSON {
			body, err := x.MarshalJSON()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "%s\n", body)
			return err
		}
		return printExplanation(e, &x)
	})
}

// printExplanation prints an explanation: what it is about, the evidence
// table, then the verdict.
func printExplanation(e *env, x *report.ExplanationData) error {
	switch x.Kind {
	case report.ExplainAddress:
		fmt.Fprintf(e.stdout, "address: %s\n", x.Object)
	case report.ExplainFile:
		fmt.Fprintf(e.stdout, "file: %s\n", x.Object)
		if len(x.Hashes) > 1 {
			fmt.Fprintf(e.stdout, "hashes: %s\n", strings.Join(x.Hashes, " "))
		}
	case report.ExplainURL:
		fmt.Fprintf(e.stdout, "web address: %s\n", x.Object)
	default:
		fmt.Fprintf(e.stdout, "domain: %s\n", x.Object)
	}
	if !x.Known && x.Kind != report.ExplainAddress {
		fmt.Fprintln(e.stdout, "no evidence stored")
	}
	if err := printEvidence(e, x); err != nil {
		return err
	}
	if x.HasScore() {
		fmt.Fprintf(e.stdout, "score: %d\nzone: %s\n", x.Score, x.Zone)
	} else {
		fmt.Fprintf(e.stdout, "zone: %s\nstatus: %s\n", x.Zone, x.Status)
	}
	fmt.Fprintf(e.stdout, "scored at: %s\n", timeOrDash(x.ScoredAt))
	return nil
}

// printEvidence prints the evidence table: one row per piece, "-" for
// what a piece does not have.
func printEvidence(e *env, x *report.ExplanationData) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POINTS\tRULE\tEVIDENCE\tSOURCE\tFEED\tFILE\tIMPORTED\tRECENCY DATE\tHOW")
	for _, c := range x.Evidence {
		fmt.Fprintf(tw, "%+d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Points, orDash(c.Rule), c.Evidence, orDash(c.Source),
			orDash(c.Provenance.Feed), orDash(c.Provenance.File), timeOrDash(c.Provenance.Imported), timeOrDash(c.RecencyDate), c.Note)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// timeOrDash is t in UTC as RFC 3339, or "-" for the zero time.
func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
