package report

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

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
	Now      time.Time    // the time it was scored at
}

// Explain scores ip with the same inputs as IP and returns the contributions.
//
// A special-purpose address is Grey whatever the evidence: unlike IP, which
// never reads the store for it, Explain reads its summary and lists what a
// feed or report said about it as ignored, with 0 points.
func (b *Builder) Explain(ctx context.Context, ip netip.Addr) (Explanation, error) {
	ip = ip.Unmap().WithZone("")
	_, now := b.generation() // the time the address's lookup scores at
	e := Explanation{IP: ip, Now: now}
	if blk, ok := netdata.Reserved(ip); ok {
		e.Reserved, e.Block = true, blk
		sum, err := b.Store.Address(ctx, ip)
		if err != nil {
			return e, err
		}
		e.Summary = sum
		e.Result = score.Result{Zone: intel.ZoneGrey, Contributions: append([]score.Contribution{{
			Evidence: "special-purpose address " + blk.Prefix.String(), Source: blk.RFC,
			Note: blk.Name + ": reserved addresses are Grey and never looked up", Rule: score.RuleReserved,
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
	e.Related = related(&sum, res)
	e.Result = score.Score(b.Score, &score.Input{
		Summary: &e.Summary, NetListings: e.Net.Listings, Allows: e.Net.Allows, Related: e.Related, Reports: e.Reports, Now: e.Now,
	})
	recordedSources(e.Result.Contributions)
	return e, nil
}

// RecordedZones is the source of the pieces of an explanation that count
// Red related objects (an address's hosted content and resolving
// domains, the floor of a name serving a Red web address): the zones
// feeds recorded with the records, which the verdict counts (a bounded
// read, the same for every count). The objects' own zones, shown in the
// list sections, may differ (docs/scoring.md, "Zones of list items").
const RecordedZones = "zones recorded by the feeds"

// recordedSources names RecordedZones as the source of the pieces that
// count related objects.
func recordedSources(cs []score.Contribution) {
	for i := range cs {
		c := &cs[i]
		if c.Source == "" && (c.Rule == score.RuleHostedContent || c.Rule == score.RuleResolvingDomains) {
			c.Source = RecordedZones
		}
	}
}

// ignoredEvidence lists the stored evidence of a special-purpose address,
// each with 0 points.
func ignoredEvidence(sum *intel.AddressSummary) []score.Contribution {
	const note, rule = "ignored: special-purpose address", score.RuleIgnored
	var out []score.Contribution
	for _, l := range sum.Listings {
		out = append(out, score.Contribution{Evidence: "listing " + string(l.Category), Source: l.Feed, Note: note, Rule: rule,
			Provenance: l.Source, RecencyDate: cmpTime(l.LastSeen, l.FirstSeen)})
	}
	for _, id := range sum.ReportIDs {
		out = append(out, score.Contribution{Evidence: "report link", Source: id, Note: note, Rule: rule})
	}
	if sum.Spam.Attacks > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d spam attacks", sum.Spam.Attacks), Source: score.SpamTelemetry,
			Note: note, Rule: rule, RecencyDate: sum.Spam.Last})
	}
	if sum.Phishing.Attacks > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d phishing attacks", sum.Phishing.Attacks), Source: score.PhishingTelemetry,
			Note: note, Rule: rule, RecencyDate: sum.Phishing.Last})
	}
	if sum.RedURLs > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d red hosted URLs", sum.RedURLs), Note: note, Rule: rule})
	}
	if sum.RedFiles > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d red downloaded files", sum.RedFiles), Note: note, Rule: rule})
	}
	if sum.Hits > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("sightings (%d hits)", sum.Hits), Note: note, Rule: rule,
			RecencyDate: sum.LastSeen})
	}
	return out
}

// cmpTime is a, or b when a is zero.
func cmpTime(a, b time.Time) time.Time {
	if a.IsZero() {
		return b
	}
	return a
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
	Now           time.Time // the time it was scored at
}

// ExplainDomain explains the verdict on a domain name (normalised by
// intel.NormalizeDomain) with the inputs of Domain.
func (b *Builder) ExplainDomain(ctx context.Context, name string) (ObjectExplanation, error) {
	j := b.judge()
	h, err := j.host(ctx, name)
	if err != nil {
		return ObjectExplanation{}, err
	}
	in := h.in
	in.Allows = hostAllowSources(h, in.Allows)
	res := score.Object(b.Score, &in)
	recordedSources(res.Contributions)
	return ObjectExplanation{Kind: intel.ObjectHost, Key: name, Known: h.sum.Known(), Score: res.Score, Zone: res.Zone,
		Categories: res.Categories, Contributions: res.Contributions, Now: j.now}, nil
}

// hostAllowSources returns a copy of allows, the allow lists naming the
// name of h or one of its ancestors, with the provenance of the record
// of the name that holds each list.
func hostAllowSources(h *hostEv, allows []score.AllowRef) []score.AllowRef {
	if len(allows) == 0 {
		return allows
	}
	out := slices.Clone(allows)
	for i := range out {
		for _, s := range append([]*intel.ObjectSummary{h.sum}, h.anc...) {
			if s.Key == out[i].Name {
				out[i].Source = s.Info.Source
				break
			}
		}
	}
	return out
}

// ExplainURL explains the verdict on a web address given in any form the
// client sent, with the inputs of URL.
func (b *Builder) ExplainURL(ctx context.Context, rawURL string) (ObjectExplanation, error) {
	key, _, err := intel.NormalizeURL(rawURL)
	if err != nil {
		return ObjectExplanation{}, intel.Invalid("invalid web address: %v", err)
	}
	j := b.judge()
	u, err := j.url(ctx, key)
	if err != nil {
		return ObjectExplanation{}, err
	}
	in := u.in
	switch {
	case u.hostEv != nil:
		in.Allows = hostAllowSources(u.hostEv, in.Allows)
	case u.hostIP.IsValid() && len(in.Allows) > 0:
		info := b.netInfo(u.hostIP)
		in.Allows = slices.Clone(in.Allows)
		for i := range in.Allows {
			for _, a := range info.Allows {
				if a.List == in.Allows[i].List && a.Prefix.String() == in.Allows[i].Name {
					in.Allows[i].Source = a.Source
					break
				}
			}
		}
	}
	res := score.Object(b.Score, &in)
	return ObjectExplanation{Kind: intel.ObjectURL, Key: key, Known: u.known, Score: res.Score, Zone: res.Zone,
		Categories: res.Categories, Contributions: res.Contributions, Now: j.now}, nil
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
	in.Detections, in.DetectionSources = nil, nil
	for i := range dets {
		in.Detections = append(in.Detections, dets[i].Item)
		in.DetectionSources = append(in.DetectionSources, dets[i].Source)
	}
	if in.Reports > 0 {
		links, err := j.readLinks(ctx, intel.LinkFileReports, f.keys, MaxReports)
		if err != nil {
			return ObjectExplanation{}, err
		}
		for i := range links {
			in.ReportIDs = append(in.ReportIDs, links[i].Item)
			in.ReportSources = append(in.ReportSources, links[i].Source)
		}
	}
	in.AllowSources = nil
	for _, a := range in.Allows {
		var src intel.Source
		for _, s := range f.sums {
			if slices.Contains(s.Info.Allows, a) {
				src = s.Info.Source
				break
			}
		}
		in.AllowSources = append(in.AllowSources, src)
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
		Hashes: f.hashes.Hashes(), Contributions: res.Contributions, Now: j.now}, nil
}
