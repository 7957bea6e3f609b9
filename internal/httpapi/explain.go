package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

// explainPath is the path of the explanations (docs/api.md,
// "Explanations").
const explainPath = "/api/explain"

// handleExplain answers GET /api/explain?request=<address|domain|web
// address|hash> through the lookup pipeline: the same credentials,
// checks, legal holds and quota as a lookup, one count per answer.
func (s *server) handleExplain(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	_, query := rawTarget(r)
	v, _ := searchURLValue(query)
	info.setRaw(v)
	return s.lookup(w, r, info, func() (lookupRequest, error) {
		return parseExplain(query)
	})
}

// parseExplain reads the query string of GET /api/explain. Only
// `request` is read, as /api/v1/search/url reads it: everything after the
// first request= to the end of the query string, percent-decoded once
// ("+" kept), so that a pasted web address with a query of its own works.
// What it names is told as `tipd explain` tells it
// (report.ParseExplainTarget).
func parseExplain(query string) (lookupRequest, error) {
	req := lookupRequest{explain: true, format: formatJSON}
	raw, ok := searchURLValue(query)
	if !ok || raw == "" {
		return req, intel.Invalid("the request names nothing to explain: use %s?request=<address, domain name, web address or file hash> (last in the query string)", explainPath)
	}
	t, err := explainTarget(raw)
	if err != nil {
		return req, err
	}
	req.target = t
	switch t.Kind {
	case report.ExplainAddress:
		// Weighed as an address lookup that scores the address.
		req.kind, req.ip, req.sections = kindIP, t.IP, report.SecZone
	case report.ExplainDomain:
		req.kind, req.object = kindDomain, t.Key
	case report.ExplainFile:
		req.kind, req.object = kindHash, t.Key
	default:
		req.kind, req.url = kindURL, t.Key
	}
	return req, nil
}

// explainAnswer is an explanation as the lookup pipeline writes it.
type explainAnswer struct{ d report.ExplanationData }

func (a explainAnswer) items() int                   { return len(a.d.Evidence) }
func (a explainAnswer) known() bool                  { return a.d.Known }
func (a explainAnswer) setLicense(intel.LicenseInfo) {}
func (a explainAnswer) release()                     {}
func (a explainAnswer) appendSearch(dst []byte) []byte {
	b, err := a.d.MarshalJSON()
	if err != nil { // the wire form holds strings and numbers only
		return dst
	}
	return append(append(dst, b...), '\n')
}
func (a explainAnswer) stix(time.Time) ([]byte, error) {
	return nil, errors.New("explanations have no STIX form")
}
func (a explainAnswer) stream(buf []byte, _ io.Writer, _ int) ([]byte, error) {
	b, err := a.d.MarshalJSON()
	if err != nil {
		return buf, err
	}
	return append(append(buf, b...), '\n'), nil
}

// explainTarget reads the request= value of /api/explain and /api/list,
// percent-decoded once, as `tipd explain` reads its argument.
func explainTarget(raw string) (report.ExplainTarget, error) {
	v, err := url.PathUnescape(raw)
	if err != nil {
		return report.ExplainTarget{}, intel.Invalid("the request %q is not correctly percent-encoded", clip(raw))
	}
	return report.ParseExplainTarget(v)
}
