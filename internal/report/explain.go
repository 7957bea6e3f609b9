package report

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/score"
)

// Explanation is the verdict on one address with every piece of evidence
// behind it (`tipd explain`).
type Explanation struct {
	IP       netip.Addr
	Reserved bool                  // a special-purpose address: Grey, its stored evidence listed as ignored
	Block    netdata.ReservedBlock // its block when Reserved
	Summary  intel.AddressSummary
	Net      netdata.Info
	Related  score.Related
	Reports  []score.ReportRef
	Result   score.Result // with Contributions
}

// Explain scores ip with the same inputs as IP and returns the contributions.
//
// A special-purpose address is Grey whatever the evidence: unlike IP, which
// never reads the store for it, Explain reads its summary and lists what a
// feed or report said about it as ignored, with 0 points.
func (b *Builder) Explain(ctx context.Context, ip netip.Addr) (Explanation, error) {
	ip = ip.Unmap().WithZone("")
	e := Explanation{IP: ip}
	if blk, ok := netdata.Reserved(ip); ok {
		e.Reserved, e.Block = true, blk
		sum, err := b.Store.Address(ctx, ip)
		if err != nil {
			return e, err
		}
		e.Summary = sum
		e.Result = score.Result{Zone: intel.ZoneGrey, Contributions: append([]score.Contribution{{
			Evidence: "special-purpose address " + blk.Prefix.String(), Source: blk.RFC,
			Note: blk.Name + ": reserved addresses are Grey and never looked up",
		}}, ignoredEvidence(&sum)...)}
		return e, nil
	}
	e.Net = b.netInfo(ip)
	sum, err := b.Store.Address(ctx, ip)
	if err != nil {
		return e, err
	}
	e.Summary = sum
	reports, err := b.reports(ctx, sum.ReportIDs)
	if err != nil {
		return e, err
	}
	e.Reports = reportRefs(reports)
	res, err := b.Store.Resolutions(ctx, ip, RedDomainScan)
	if err != nil {
		return e, err
	}
	e.Related = score.Related{RedURLs: sum.RedURLs, RedFiles: sum.RedFiles}
	for i := range res {
		if res[i].Zone == intel.ZoneRed {
			e.Related.RedDomains++
		}
	}
	e.Result = score.Score(b.Score, &score.Input{
		Summary: &e.Summary, NetListings: e.Net.Listings, Allows: e.Net.Allows, Related: e.Related, Reports: e.Reports, Now: b.now(),
	})
	return e, nil
}

// ignoredEvidence lists the stored evidence of a special-purpose address,
// each with 0 points.
func ignoredEvidence(sum *intel.AddressSummary) []score.Contribution {
	const note = "ignored: special-purpose address"
	var out []score.Contribution
	for _, l := range sum.Listings {
		out = append(out, score.Contribution{Evidence: "listing " + string(l.Category), Source: l.Feed, Note: note})
	}
	for _, id := range sum.ReportIDs {
		out = append(out, score.Contribution{Evidence: "report link", Source: id, Note: note})
	}
	if sum.Spam.Attacks > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d spam attacks", sum.Spam.Attacks), Source: score.SpamTelemetry, Note: note})
	}
	if sum.Phishing.Attacks > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d phishing attacks", sum.Phishing.Attacks), Source: score.PhishingTelemetry, Note: note})
	}
	if sum.RedURLs > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d red hosted URLs", sum.RedURLs), Note: note})
	}
	if sum.RedFiles > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d red downloaded files", sum.RedFiles), Note: note})
	}
	if sum.Hits > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("sightings (%d hits)", sum.Hits), Note: note})
	}
	return out
}
