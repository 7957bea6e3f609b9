package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/indicator"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

// bulkPath is the path of the bulk lookup (docs/api.md, "Bulk lookup").
const bulkPath = "/api/bulk"

// Bounds of a bulk lookup.
const (
	// MaxBulkIndicators is the most distinct indicators of one bulk lookup.
	MaxBulkIndicators = 10000
	// MaxBulkBody is the largest body of a bulk lookup, in bytes.
	MaxBulkBody = 4 << 20
	// bulkFlushEvery is how often a streamed answer is flushed to its
	// client, so that a progress bar moves.
	bulkFlushEvery = 50 * time.Millisecond
)

// Media types of the bulk answers.
const (
	mediaNDJSON = "application/x-ndjson"
	mediaJSON   = "application/json; charset=utf-8"
)

// BulkCountHeader carries, before the rows, how many rows a bulk answer
// will have (one per distinct indicator).
const BulkCountHeader = "Tipd-Bulk-Indicators"

// Statuses of a bulk row.
const (
	bulkOK            = "ok"
	bulkInvalid       = "invalid"
	bulkHeld          = "held"
	bulkRateLimited   = "rate_limited"
	bulkQuotaExceeded = "quota_exceeded"
)

// bodyLimit is the largest request body of a route.
func bodyLimit(route string) int64 {
	if route == "bulk" {
		return MaxBulkBody
	}
	return maxFormBody
}

// bulkRow is one answered indicator, as the bulk answer writes it: every
// key always present, null where it does not apply.
type bulkRow struct {
	Indicator   string
	Kind        *string
	Value       *string
	Status      string
	Zone        *intel.Zone
	ThreatScore *int
	TopCategory *intel.Category
	Country     *string
	ASN         *string
	ASName      *string
	Error       *string
}

// bulkSummary closes a bulk answer: how each row was answered.
type bulkSummary struct {
	Indicators    int
	Answered      int
	Invalid       int
	Held          int
	RateLimited   int
	QuotaExceeded int
}

// bulkLicense is LicenseInfo as the lookups write it.
type bulkLicense struct {
	AccessType          string
	DayRequests         int64
	DayQuota            int64
	TokenExpirationDate *string
}

// handleBulk answers POST /api/bulk: up to MaxBulkIndicators indicators
// in a text or JSON body, each looked up for its verdict, answered as
// JSON or NDJSON, streamed. The request passes the checks of a lookup
// once (credentials, burst limit, lookups in flight, the body, licence,
// API access, a quota not yet used up); then each indicator takes its own
// place under the burst limit (the first one the request's), is checked
// for legal holds (as the request found them: they are read once), looked up (bulkPrepare, several at once) and counted
// once towards the day's quota in the order given. An indicator that
// fails one of these gets a row saying so, and is not counted.
func (s *server) handleBulk(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	ctx := r.Context()
	user, token, t, err := s.admit(r, info)
	if err != nil {
		return err
	}
	defer t.leave()
	ndjson, err := bulkFormat(r)
	if err != nil {
		return err
	}
	inds, err := readBulk(r)
	if err != nil {
		return err
	}
	info.setRaw(fmt.Sprintf("bulk of %d", len(inds)))
	if err := s.access.CheckLicence(user); err != nil {
		return err
	}
	if err := s.access.Check(ctx, user); err != nil {
		return err
	}
	// bulkWorkers verdicts are held at a time; the indicators whole.
	if err := t.acquire(ctx, bulkWorkers*itemsWeight(report.RedDomainScan, formatJSON)+bulkWeight(inds)); err != nil {
		return err
	}

	h := w.Header()
	if ndjson {
		h.Set("Content-Type", mediaNDJSON)
	} else {
		h.Set("Content-Type", mediaJSON)
	}
	h.Set(BulkCountHeader, strconv.Itoa(len(inds)))
	w.WriteHeader(http.StatusOK)
	out := &bulkWriter{w: bufio.NewWriterSize(w, streamChunk), rc: http.NewResponseController(w),
		stall: s.cfg.WriteStall, ndjson: ndjson, last: time.Now()}
	if !ndjson {
		out.raw(`{"Indicators":` + strconv.Itoa(len(inds)) + `,"Results":[`)
	}
	sum := bulkSummary{Indicators: len(inds)}
	lic := intel.LicenseInfo{AccessType: user.Access, DayQuota: user.DayQuota}
	// The legal holds as the request found them, read once (files are
	// still asked of the store, which knows their other hashes).
	var held *holdSet
	if s.holds != nil {
		hs, err := s.holds(ctx)
		if err != nil {
			return err
		}
		held = &holdSet{hs}
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop() // the dispatcher and the workers end with the answer
	preps := s.bulkPrepare(pctx, user, inds, held)
	var (
		quotaOut error  // set once the quota is used up
		nb       []byte // one row
	)
	for i := range inds {
		var p bulkResult
		select {
		case p = <-preps[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		row := s.bulkCount(ctx, user, p, &quotaOut, &lic)
		switch row.Status {
		case bulkOK:
			sum.Answered++
		case bulkInvalid:
			sum.Invalid++
		case bulkHeld:
			sum.Held++
		case bulkRateLimited:
			sum.RateLimited++
		case bulkQuotaExceeded:
			sum.QuotaExceeded++
		}
		if row.err != nil {
			return row.err // the answer is cut: a client sees JSON that does not close
		}
		s.logBulkItem(ctx, user.Name, &row.bulkRow)
		nb, err = json.Marshal(&row.bulkRow)
		if err != nil {
			return fmt.Errorf("bulk row: %w", err)
		}
		if !ndjson && i > 0 {
			out.raw(",")
		}
		out.row(nb)
		if err := out.flushed(); err != nil {
			return err
		}
	}
	if lic.DayRequests == 0 {
		// Nothing was counted: the day's count as it stands.
		day := time.Now()
		if s.access.Now != nil {
			day = s.access.Now()
		}
		if n, err := s.access.Store.RequestCount(ctx, user.Name, store.Day(day)); err == nil {
			lic.DayRequests = n
		}
	}
	lic.TokenExpires = token.Expires
	if token.Hash == "" { // authenticated otherwise: the user's active token
		if t, err := s.access.Store.UserToken(ctx, user.Name); err == nil {
			lic.TokenExpires = t.Expires
		}
	}
	tail, err := bulkTail(sum, lic, ndjson)
	if err != nil {
		return err
	}
	out.raw(tail)
	return out.close()
}

// bulkResult is a row, or the error that cuts the answer.
type bulkResult struct {
	bulkRow
	err error
}

// logBulkItem writes the audit line of one row of a bulk lookup
// (docs/operations.md, "Audit log"): who asked for which object and how it
// was answered. The request's own line follows the last row.
func (s *server) logBulkItem(ctx context.Context, user string, r *bulkRow) {
	object := r.Indicator
	if r.Value != nil {
		object = *r.Value
	}
	var clipped requestInfo
	clipped.setRaw(object)
	s.logger.LogAttrs(ctx, slog.LevelInfo, "bulk item",
		slog.String("route", "bulk"),
		slog.String("user", user),
		slog.String("object", clipped.raw),
		slog.String("result", r.Status))
}

// bulkWorkers is how many indicators of one bulk lookup are looked up at
// once: the store's round trips overlap (PostgreSQL), and the answer keeps
// the order given.
const bulkWorkers = 8

// bulkPrepare looks the indicators up ahead of the answer, at most
// bulkWorkers at once: in the order given, each takes its place under the
// burst limit (the first recognised one uses the request's); then, in
// parallel, it is checked for legal holds and its verdict computed. The
// result of inds[i] arrives on the i-th channel (buffered: a worker never
// waits for the answer). Everything stops when ctx ends.
func (s *server) bulkPrepare(ctx context.Context, user intel.User, inds []indicator.Indicator, held *holdSet) []chan bulkResult {
	preps := make([]chan bulkResult, len(inds))
	for i := range preps {
		preps[i] = make(chan bulkResult, 1)
	}
	go func() {
		sem := make(chan struct{}, bulkWorkers)
		first := true
		for i := range inds {
			in := &inds[i]
			row := bulkResult{bulkRow: bulkRow{Indicator: in.Raw}}
			if in.Err != nil {
				row.Status, row.Error = bulkInvalid, strPtr(errMessage(in.Err))
				preps[i] <- row
				continue
			}
			row.Kind, row.Value = strPtr(string(in.Kind)), strPtr(in.Value)
			if first {
				first = false
			} else if err := s.checkRate(user.Name); err != nil {
				row.Status, row.Error = bulkRateLimited, strPtr(errMessage(err))
				preps[i] <- row
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				defer func() { <-sem }()
				preps[i] <- s.bulkLook(ctx, in, row, held)
			}()
		}
	}()
	return preps
}

// bulkLook checks one indicator for legal holds and computes its verdict.
func (s *server) bulkLook(ctx context.Context, in *indicator.Indicator, row bulkResult, hs *holdSet) bulkResult {
	held, err := s.bulkHeld(ctx, in, hs)
	if err != nil {
		row.err = err
		return row
	}
	if held {
		row.Status, row.Error = bulkHeld, strPtr("this object is under a legal hold and cannot be shown")
		return row
	}
	v, err := s.bulkVerdict(ctx, in)
	if err != nil {
		row.err = fmt.Errorf("bulk %s %s: %w", in.Kind, in.Value, err)
		return row
	}
	row.Status = bulkOK
	v.fill(&row.bulkRow)
	return row
}

// bulkCount counts an answered row towards the day's quota, in the order
// of the answer; once the quota is used up, the answered rows after it
// lose their verdict and say so.
func (s *server) bulkCount(ctx context.Context, user intel.User, row bulkResult, quotaOut *error, lic *intel.LicenseInfo) bulkResult {
	if row.err != nil || row.Status != bulkOK {
		return row
	}
	if *quotaOut == nil {
		n, err := s.access.Count(ctx, user)
		switch {
		case err == nil:
			lic.DayRequests = n
			return row
		case intel.KindOf(err) != intel.KindQuotaExceeded:
			row.err = err
			return row
		}
		*quotaOut = err
		s.metrics.quotaDenials.Inc()
	}
	return bulkResult{bulkRow: bulkRow{Indicator: row.Indicator, Kind: row.Kind, Value: row.Value,
		Status: bulkQuotaExceeded, Error: strPtr(errMessage(*quotaOut))}}
}

// holdSet is every legal hold, read once for a bulk lookup.
type holdSet struct{ holds []intel.Hold }

// held reports whether a hold of the set covers what q names, as
// access.Service.Held does (a web address's host too, when it is a name).
func (h *holdSet) held(q intel.HoldQuery) bool {
	if host := intel.URLHost(q.URL); host != "" && q.Domain == "" {
		if _, err := netip.ParseAddr(host); err != nil {
			q.Domain = host
		}
	}
	for _, x := range h.holds {
		if x.Matches(q) {
			return true
		}
	}
	return false
}

// bulkHeld reports whether a legal hold covers the indicator, as it would
// refuse its lookup: from hs (when not nil) but for files, which the store
// is asked about with their other hashes. A network is answered with
// network data only, never an address's evidence, and is not held.
func (s *server) bulkHeld(ctx context.Context, in *indicator.Indicator, hs *holdSet) (bool, error) {
	var q intel.HoldQuery
	switch in.Kind {
	case indicator.KindIP:
		q.IP = in.IP
	case indicator.KindDomain:
		q.Domain = in.Value
	case indicator.KindHash:
		q.Hashes = []string{in.Value}
	case indicator.KindURL:
		q.URL = in.Value
		if a, err := netip.ParseAddr(intel.URLHost(in.Value)); err == nil && a.Zone() == "" {
			q.IP = a.Unmap()
		}
	default:
		return false, nil
	}
	if hs != nil && len(q.Hashes) == 0 {
		return hs.held(q), nil
	}
	return s.access.Held(ctx, q)
}

// verdict is what a bulk row tells of one object.
type verdict struct {
	zone    intel.Zone
	score   *int
	top     intel.Category
	country string
	as      []intel.ASRange
}

func (v *verdict) fill(r *bulkRow) {
	if v.zone != "" {
		r.Zone = &v.zone
	}
	r.ThreatScore = v.score
	if v.top != "" {
		r.TopCategory = &v.top
	}
	if v.country != "" {
		r.Country = &v.country
	}
	if len(v.as) > 0 {
		a := v.as[0]
		r.ASN = strPtr("AS" + strconv.FormatUint(uint64(a.ASN), 10))
		if len(a.Description) > 0 {
			r.ASName = strPtr(strings.Join(a.Description, " · "))
		}
	}
}

// bulkVerdict computes the verdict of one indicator as its lookup does:
// an address by its report (zone, threat score, categories, country, AS),
// a domain, web address or file by its explanation (the score is that of
// the explanation; files have none), a network by the network data (the
// country and AS of its first address, and the network listing covering
// it whole, if any).
func (s *server) bulkVerdict(ctx context.Context, in *indicator.Indicator) (verdict, error) {
	var v verdict
	switch in.Kind {
	case indicator.KindIP:
		r, err := s.reports.IP(ctx, in.IP, report.SecZone|report.SecIPGeneralInfo|report.SecIPWhoIs, 1)
		if err != nil {
			return v, err
		}
		defer r.Release()
		v.zone, v.country, v.as = r.Zone, r.General.CountryCode, r.Whois.ASN
		sc := r.General.ThreatScore
		v.score = &sc
		if len(r.General.Categories) > 0 {
			v.top = r.General.Categories[0].Name
		}
		return v, nil
	case indicator.KindCIDR:
		info := s.netInfo(in.Prefix.Addr())
		v.country, v.as = info.Country, info.AS
		if v.country == "" && info.Whois != nil {
			v.country = info.Whois.Country
		}
		for _, l := range info.Listings {
			if l.Prefix.Bits() <= in.Prefix.Bits() && l.Prefix.Contains(in.Prefix.Addr()) {
				v.top = l.Category
				v.zone = l.Zone
				if z, ok := intel.CategoryZone(l.Category); ok {
					v.zone = z
				}
				break
			}
		}
		return v, nil
	}
	t := report.ExplainTarget{Key: in.Lookup}
	switch in.Kind {
	case indicator.KindDomain:
		t.Kind = report.ExplainDomain
	case indicator.KindHash:
		t.Kind = report.ExplainFile
	default:
		t.Kind = report.ExplainURL
	}
	d, err := s.reports.ExplainData(ctx, t)
	if err != nil {
		return v, err
	}
	v.zone = d.Zone
	if d.HasScore() {
		sc := d.Score
		v.score = &sc
	}
	if len(d.Categories) > 0 {
		v.top = d.Categories[0].Name
	}
	if in.Kind == indicator.KindURL {
		if a, err := netip.ParseAddr(intel.URLHost(in.Value)); err == nil {
			info := s.netInfo(a.Unmap())
			v.country, v.as = info.Country, info.AS
		}
	}
	return v, nil
}

// netInfo is the network data of an address.
func (s *server) netInfo(a netip.Addr) netdata.Info {
	if s.reports.Net == nil {
		return netdata.Info{}
	}
	snap := s.reports.Net.Load()
	if snap == nil {
		return netdata.Info{}
	}
	return snap.Lookup(a)
}

// bulkFormat tells the answer's format: NDJSON when ?format=ndjson or an
// Accept header that names application/x-ndjson (and no format=json),
// else JSON.
func bulkFormat(r *http.Request) (ndjson bool, err error) {
	f := r.URL.Query().Get("format")
	switch f {
	case "ndjson":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, intel.Invalid("format must be json or ndjson, not %q", clip(f))
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		if mt == "application/x-ndjson" || mt == "application/ndjson" {
			return true, nil
		}
	}
	return false, nil
}

// readBulk reads the indicators of a bulk body: JSON ({"indicators":
// [...]}, Content-Type application/json) or text (anything else).
func readBulk(r *http.Request) ([]indicator.Indicator, error) {
	if r.Body == nil {
		return nil, intel.Invalid("the body names no indicators: send them as text, one per line (or separated by commas or spaces), or as JSON {\"indicators\":[...]}")
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var inds []indicator.Indicator
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		var body struct {
			Indicators []string `json:"indicators"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return nil, bodyError(err, "the body is not JSON of the form {\"indicators\":[\"…\", …]}: %v")
		}
		if dec.More() {
			return nil, intel.Invalid("the body holds more than one JSON value")
		}
		d := indicator.NewDeduper(MaxBulkIndicators)
		for _, s := range body.Indicators {
			if err := d.Add(indicator.Recognize(s)); err != nil {
				return nil, err
			}
		}
		inds = d.List()
	} else {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err, "the body could not be read: %v")
		}
		if inds, err = indicator.Parse(string(b), MaxBulkIndicators); err != nil {
			return nil, err
		}
	}
	if len(inds) == 0 {
		return nil, intel.Invalid("the body names no indicators: send them as text, one per line (or separated by commas or spaces), or as JSON {\"indicators\":[...]}")
	}
	return inds, nil
}

// bodyError is the 400 of a body that could not be read.
func bodyError(err error, format string) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return intel.Invalid("the body is larger than %d bytes; send at most %d indicators at once", MaxBulkBody, MaxBulkIndicators)
	}
	return intel.Invalid(format, err)
}

// bulkWeight is what the indicators of a bulk lookup hold in memory.
func bulkWeight(inds []indicator.Indicator) int64 {
	var n int64
	for i := range inds {
		n += int64(len(inds[i].Raw)+len(inds[i].Value)+len(inds[i].Lookup)) + 128
	}
	return n
}

// bulkTail closes the answer: the summary and the licence, as the last
// line of NDJSON or the last keys of the JSON object.
func bulkTail(sum bulkSummary, lic intel.LicenseInfo, ndjson bool) (string, error) {
	l := bulkLicense{AccessType: lic.AccessType, DayRequests: lic.DayRequests, DayQuota: lic.DayQuota}
	if !lic.TokenExpires.IsZero() {
		l.TokenExpirationDate = strPtr(lic.TokenExpires.UTC().Format(time.RFC3339))
	}
	sb, err := json.Marshal(sum)
	if err != nil {
		return "", err
	}
	lb, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	if ndjson {
		return `{"Summary":` + string(sb) + `,"LicenseInfo":` + string(lb) + "}\n", nil
	}
	return `],"Summary":` + string(sb) + `,"LicenseInfo":` + string(lb) + "}\n", nil
}

// bulkWriter writes a bulk answer in buffered chunks, flushing at least
// every bulkFlushEvery, each write bounded by the stall deadline.
type bulkWriter struct {
	w      *bufio.Writer
	rc     *http.ResponseController
	stall  time.Duration
	ndjson bool
	last   time.Time
	err    error
}

func (b *bulkWriter) raw(s string) {
	if b.err == nil {
		b.deadline()
		_, b.err = b.w.WriteString(s)
	}
}

func (b *bulkWriter) row(p []byte) {
	if b.err != nil {
		return
	}
	b.deadline()
	if _, b.err = b.w.Write(p); b.err == nil && b.ndjson {
		b.err = b.w.WriteByte('\n')
	}
}

// deadline gives the next write stall to complete, when the buffer is
// about to go out.
func (b *bulkWriter) deadline() {
	if b.stall > 0 && b.w.Available() < 4<<10 {
		b.rc.SetWriteDeadline(time.Now().Add(b.stall)) //nolint:errcheck // not every writer has deadlines
	}
}

// flushed sends what is buffered when bulkFlushEvery has passed.
func (b *bulkWriter) flushed() error {
	if b.err != nil {
		return b.err
	}
	if time.Since(b.last) < bulkFlushEvery {
		return nil
	}
	b.last = time.Now()
	return b.flush()
}

func (b *bulkWriter) flush() error {
	if b.err != nil {
		return b.err
	}
	if b.stall > 0 {
		b.rc.SetWriteDeadline(time.Now().Add(b.stall)) //nolint:errcheck
	}
	if b.err = b.w.Flush(); b.err != nil {
		return b.err
	}
	if err := b.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		b.err = err
	}
	return b.err
}

func (b *bulkWriter) close() error {
	err := b.flush()
	if b.stall > 0 {
		b.rc.SetWriteDeadline(time.Time{}) //nolint:errcheck
	}
	return err
}

// errMessage is the message a client sees for err.
func errMessage(err error) string {
	_, _, msg := statusOf(err)
	return msg
}

func strPtr(s string) *string { return &s }
