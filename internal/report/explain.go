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

// ObjectExplanation is the verdict on one domain name, web address or
// file with every piece of evidence behind it (`tipd explain`).
type ObjectExplanation struct {
	Kind   intel.ObjectKind
	Key    string // the normalised name, web address (without scheme) or the asked hash
	Known  bool   // the store holds evidence on it
	Score  int    // domains and web addresses
	Zone   intel.Zone
	Status string // files: FileStatus
	// Hashes are a file's known hashes (MD5, SHA-1, SHA-256 order).
	Hashes        []string
	Categories    []score.CategoryZone
	Contributions []score.Contribution
}

// ExplainDomain explains the verdict on a domain name (normalised by
// intel.NormalizeDomain) with the inputs of Domain.
func (b *Builder) ExplainDomain(ctx context.Context, name string) (ObjectExplanation, error) {
	h, err := b.judge().host(ctx, name)
	if err != nil {
		return ObjectExplanation{}, err
	}
	res := score.Object(b.Score, &h.in)
	return ObjectExplanation{Kind: intel.ObjectHost, Key: name, Known: h.sum.Known(), Score: res.Score, Zone: res.Zone,
		Categories: res.Categories, Contributions: res.Contributions}, nil
}

// ExplainURL explains the verdict on a web address given in any form the
// client sent, with the inputs of URL.
func (b *Builder) ExplainURL(ctx context.Context, rawURL string) (ObjectExplanation, error) {
	key, _, err := intel.NormalizeURL(rawURL)
	if err != nil {
		return ObjectExplanation{}, intel.Invalid("invalid web address: %v", err)
	}
	u, err := b.judge().url(ctx, key)
	if err != nil {
		return ObjectExplanation{}, err
	}
	res := score.Object(b.Score, &u.in)
	return ObjectExplanation{Kind: intel.ObjectURL, Key: key, Known: u.known, Score: res.Score, Zone: res.Zone,
		Categories: res.Categories, Contributions: res.Contributions}, nil
}

// ExplainFile explains the verdict on a file asked by one of its hashes
// (normalised by intel.NormalizeHash), with the inputs of File, its
// detection names and report links, and the Red web addresses among the
// most recent it came from or contacted (indirect evidence: noted, never
// counted).
func (b *Builder) ExplainFile(ctx context.Context, hash string) (ObjectExplanation, error) {
	j := b.judge()
	f, err := j.file(ctx, hash)
	if err != nil {
		return ObjectExplanation{}, err
	}
	in := f.in
	dets, err := j.wholeList(ctx, f, intel.LinkDetections)
	if err != nil {
		return ObjectExplanation{}, err
	}
	for i := range dets {
		in.Detections = append(in.Detections, dets[i].Item)
	}
	if in.Reports > 0 {
		links, err := j.readLinks(ctx, intel.LinkFileReports, f.keys, MaxReports)
		if err != nil {
			return ObjectExplanation{}, err
		}
		for i := range links {
			in.ReportIDs = append(in.ReportIDs, links[i].Item)
		}
	}
	for _, list := range []intel.LinkList{intel.LinkFileURLs, intel.LinkFileAccessedURLs} {
		links, err := j.readLinks(ctx, list, f.keys, relScan)
		if err != nil {
			return ObjectExplanation{}, err
		}
		for i := range links {
			z, err := j.urlZone(ctx, links[i].Item)
			if err != nil {
				return ObjectExplanation{}, err
			}
			if z == intel.ZoneRed {
				in.RedSources++
			}
		}
	}
	res := score.File(&in)
	return ObjectExplanation{Kind: intel.ObjectFile, Key: hash, Known: f.known, Zone: res.Zone, Status: res.Status,
		Hashes: f.hashes.Hashes(), Contributions: res.Contributions}, nil
}
