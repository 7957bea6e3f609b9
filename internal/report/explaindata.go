package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
)

// Explanations as data: an address's Explanation and a domain's, web
// address's or file's ObjectExplanation have one form, ExplanationData,
// which `tipd explain` prints and GET /api/explain serves as JSON
// (docs/api.md, "Explanations").

// Kinds of ExplanationData.Kind.
const (
	ExplainAddress = "address"
	ExplainDomain  = "domain"
	ExplainURL     = "url"
	ExplainFile    = "file"
)

// ExplanationData is the verdict on one object with every piece of
// evidence behind it, in the same form for every kind of object.
type ExplanationData struct {
	Kind   string // ExplainAddress, ExplainDomain, ExplainURL or ExplainFile
	Object string // the address, normalised name, web address (without scheme) or asked hash
	// Known reports whether the store holds evidence on the object.
	Known  bool
	Zone   intel.Zone
	Score  int    // addresses, domains and web addresses; files have none
	Status string // files: FileStatus
	// Hashes are a file's known hashes (MD5, SHA-1, SHA-256 order).
	Hashes     []string
	Categories []score.CategoryZone
	// Evidence are the pieces of evidence in the order the rules weighed
	// them; their Points add up to Score.
	Evidence []score.Contribution
	ScoredAt time.Time // the time the verdict was computed at
	// FirstSeen and LastSeen are an address's first and last sighting or
	// evidence time (zero when unknown, and for the other kinds).
	FirstSeen, LastSeen time.Time
}

// HasScore reports whether the kind of object has a threat score (files
// have a zone and a status only).
func (d *ExplanationData) HasScore() bool { return d.Kind != ExplainFile }

// Data is the explanation in the form shared by every kind of object.
func (e *Explanation) Data() ExplanationData {
	return ExplanationData{Kind: ExplainAddress, Object: e.IP.String(), Known: e.Summary.Known(),
		Zone: e.Result.Zone, Score: e.Result.Score, Categories: e.Result.Categories, Evidence: e.Result.Contributions, ScoredAt: e.Now,
		FirstSeen: e.Summary.FirstSeen, LastSeen: e.Summary.LastSeen}
}

// Data is the explanation in the form shared by every kind of object.
func (x *ObjectExplanation) Data() ExplanationData {
	d := ExplanationData{Object: x.Key, Known: x.Known, Zone: x.Zone, Score: x.Score, Status: x.Status,
		Hashes: x.Hashes, Categories: x.Categories, Evidence: x.Contributions, ScoredAt: x.Now}
	switch x.Kind {
	case intel.ObjectFile:
		d.Kind = ExplainFile
	case intel.ObjectURL:
		d.Kind = ExplainURL
	default:
		d.Kind = ExplainDomain
	}
	return d
}

// MarshalJSON writes the explanation as GET /api/explain answers it.
func (e Explanation) MarshalJSON() ([]byte, error) { d := e.Data(); return d.MarshalJSON() }

// MarshalJSON writes the explanation as GET /api/explain answers it.
func (x ObjectExplanation) MarshalJSON() ([]byte, error) { d := x.Data(); return d.MarshalJSON() }

// explanationJSON is the wire form of ExplanationData: every key always
// present, null when unknown or not applicable.
type explanationJSON struct {
	Kind        string
	Object      string
	Known       bool
	Zone        intel.Zone
	ThreatScore *int
	FileStatus  *string
	Hashes      []string
	Categories  []categoryJSON
	Evidence    []pieceJSON
	ScoredAt    string
	FirstSeen   *string
	LastSeen    *string
}

type categoryJSON struct {
	Name intel.Category
	Zone intel.Zone
}

type pieceJSON struct {
	Points        int
	Rule          string
	Evidence      string
	Source        *string
	Feed          *string
	File          *string
	Imported      *string
	RecencyDate   *string
	RecencyWeight *float64
	Note          string
	// FeedLatestVersion is present only on a listing its feed's latest
	// version no longer holds: that version's date.
	FeedLatestVersion *string `json:",omitempty"`
}

// MarshalJSON writes the wire form (docs/api.md, "Explanations"): times
// in UTC as RFC 3339 with seconds, recency weights rounded to four
// decimals, lists never null.
func (d ExplanationData) MarshalJSON() ([]byte, error) {
	w := explanationJSON{Kind: d.Kind, Object: d.Object, Known: d.Known, Zone: d.Zone,
		Hashes: d.Hashes, Categories: []categoryJSON{}, Evidence: []pieceJSON{}, ScoredAt: timeText(d.ScoredAt)}
	if w.Hashes == nil {
		w.Hashes = []string{}
	}
	if !d.FirstSeen.IsZero() {
		w.FirstSeen = nonEmpty(timeText(d.FirstSeen))
	}
	if !d.LastSeen.IsZero() {
		w.LastSeen = nonEmpty(timeText(d.LastSeen))
	}
	if d.HasScore() {
		w.ThreatScore = &d.Score
	} else {
		w.FileStatus = &d.Status
	}
	for _, c := range d.Categories {
		w.Categories = append(w.Categories, categoryJSON{Name: c.Name, Zone: c.Zone})
	}
	for i := range d.Evidence {
		c := &d.Evidence[i]
		p := pieceJSON{Points: c.Points, Rule: c.Rule, Evidence: c.Evidence, Source: nonEmpty(c.Source),
			Feed: nonEmpty(c.Provenance.Feed), File: nonEmpty(c.Provenance.File), Note: c.Note}
		if !c.Provenance.Imported.IsZero() {
			p.Imported = nonEmpty(timeText(c.Provenance.Imported))
		}
		if !c.RecencyDate.IsZero() {
			p.RecencyDate = nonEmpty(timeText(c.RecencyDate))
		}
		if c.RecencyWeight != 0 {
			v := math.Round(c.RecencyWeight*1e4) / 1e4
			p.RecencyWeight = &v
		}
		if !c.FeedLatestVersion.IsZero() {
			p.FeedLatestVersion = nonEmpty(timeText(c.FeedLatestVersion))
		}
		w.Evidence = append(w.Evidence, p)
	}
	return json.Marshal(w)
}

// timeText is t in UTC as RFC 3339 with seconds ("" for the zero time).
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ExplainTarget is what an explanation is asked for: an address, a
// domain name, a web address or a file hash.
type ExplainTarget struct {
	Kind string     // ExplainAddress, ExplainDomain, ExplainURL or ExplainFile
	IP   netip.Addr // ExplainAddress (IPv4-mapped addresses unmapped)
	// Key is the normalised domain name (ExplainDomain), the web address
	// as given (ExplainURL) or the upper-case hash (ExplainFile).
	Key string
}

// ParseExplainTarget tells what s is: an address; a file hash (32, 40 or
// 64 hexadecimal digits); a web address (a scheme, "/" or "?"); else a
// domain name. Anything else is a KindInvalid error.
func ParseExplainTarget(s string) (ExplainTarget, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		if ip.Zone() != "" {
			return ExplainTarget{}, intel.Invalid("%q carries an IPv6 zone; send the address without %%%s", quoteClip(s), quoteClip(ip.Zone()))
		}
		return ExplainTarget{Kind: ExplainAddress, IP: ip.Unmap()}, nil
	}
	if h, err := intel.NormalizeHash(s); err == nil {
		return ExplainTarget{Kind: ExplainFile, Key: h}, nil
	}
	if strings.ContainsAny(s, "/?") {
		if _, _, err := intel.NormalizeURL(s); err != nil {
			return ExplainTarget{}, intel.Invalid("%q is not a valid web address: %v", quoteClip(s), err)
		}
		return ExplainTarget{Kind: ExplainURL, Key: s}, nil
	}
	d, err := intel.NormalizeDomain(s)
	if err != nil {
		return ExplainTarget{}, intel.Invalid("%q is not an address, domain name, web address or file hash", quoteClip(s))
	}
	return ExplainTarget{Kind: ExplainDomain, Key: d}, nil
}

// quoteClip shortens a value given by a client for quoting in a message.
func quoteClip(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// ExplainData explains the verdict on t with the inputs of its lookup:
// Explain, ExplainDomain, ExplainURL or ExplainFile. An object the store
// knows nothing of is explained too (Grey, no evidence).
func (b *Builder) ExplainData(ctx context.Context, t ExplainTarget) (ExplanationData, error) {
	var (
		x   ObjectExplanation
		err error
	)
	switch t.Kind {
	case ExplainAddress:
		e, err := b.Explain(ctx, t.IP)
		if err != nil {
			return ExplanationData{}, err
		}
		d := e.Data()
		return d, b.markNoLongerListed(ctx, d.Evidence)
	case ExplainFile:
		x, err = b.ExplainFile(ctx, t.Key)
	case ExplainURL:
		x, err = b.ExplainURL(ctx, t.Key)
	case ExplainDomain:
		x, err = b.ExplainDomain(ctx, t.Key)
	default:
		return ExplanationData{}, intel.Invalid("nothing to explain")
	}
	if err != nil {
		return ExplanationData{}, err
	}
	d := x.Data()
	return d, b.markNoLongerListed(ctx, d.Evidence)
}

// listingRules are the rules of evidence that is a feed's listing.
var listingRules = map[string]bool{
	score.RuleListing: true, score.RuleIndependentFeeds: true, score.RuleFileListing: true,
	score.RuleKnownBenign: true, score.RuleSuppressed: true, score.RuleIgnored: true,
}

// markNoLongerListed dates the listings whose feed's latest version
// (store.FeedVersions: a snapshot feed's file, dated by itself or by its
// import) no longer holds them: last seen before that version. Their
// recency already decays from their last version; this says why.
func (b *Builder) markNoLongerListed(ctx context.Context, cs []score.Contribution) error {
	var vers map[string]time.Time
	for i := range cs {
		c := &cs[i]
		if !listingRules[c.Rule] || c.Provenance.Feed == "" || c.RecencyDate.IsZero() {
			continue
		}
		if vers == nil {
			var err error
			if vers, err = store.FeedVersions(ctx, b.Store); err != nil {
				return err
			}
		}
		if v, ok := vers[c.Provenance.Feed]; ok && c.RecencyDate.Before(v) {
			c.FeedLatestVersion = v
			c.Note += fmt.Sprintf("; not in %s's latest version (%s)", c.Provenance.Feed, v.UTC().Format(time.DateOnly))
		}
	}
	return nil
}
