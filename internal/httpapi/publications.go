package httpapi

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Paths of the publications endpoints.
const (
	publicationsPrefix  = "/api/publications/"
	publicationOnePath  = "/api/publications/get_one"
	publicationListPath = "/api/publications/get_list"
	masterIOCPath       = "/api/publications/get_master_ioc"
	masterYARAPath      = "/api/publications/get_master_yara"
)

// Limits of the publications endpoints.
const (
	// maxFormBody bounds a POST body (form-encoded parameters).
	maxFormBody = 64 << 10
	// maxPublications is the largest `limit` of get_list; without limit
	// get_list streams every report of the window.
	maxPublications = 200
	// publicationPage is how many reports get_list reads from the store at
	// a time when it streams: what one answer holds in memory, whatever
	// the size of the window.
	publicationPage = 200
	// maxListIndicators is how many indicators of each report get_list
	// carries (get_one carries all): with publicationPage it bounds a page
	// of an answer to 200,000 indicators written. A page reads at most
	// intel.MaxReportIndicators own and maxLinkedAddresses linked
	// indicators of each report, and as many linked objects, before cutting
	// them: that, not the
	// window, bounds the memory of an answer.
	maxListIndicators = 1000
	// maxLinkedAddresses is how many addresses linked to a report by
	// imports (report_link records) its indicators take, beyond its own;
	// maxLinkedObjects how many domains, web addresses and files.
	maxLinkedAddresses = intel.MaxReportIndicators
	maxLinkedObjects   = intel.MaxReportIndicators
)

// publication is one report as the publications endpoints answer it.
type publication struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Desc string `json:"desc"`
	// Published and Updated are Unix seconds, never null: see
	// publicationOf.
	Published    int64    `json:"published"`
	Updated      int64    `json:"updated"`
	ReportGroup  string   `json:"report_group"` // APT, Crimeware or ICS
	Tags         []string `json:"tags"`
	TagsIndustry []string `json:"tags_industry"`
	TagsGeo      []string `json:"tags_geo"`
	TagsActors   []string `json:"tags_actors"`
	Indicators   []string `json:"indicators"`
	// IndicatorsCount is the number of the report's indicators, also when
	// get_list carries only the first maxListIndicators of them.
	IndicatorsCount int `json:"indicators_count"`
	// ReportIOCs is get_one's OpenIOC document of the report, gzipped and
	// base64-encoded, when include_info asks for it (reportIOC).
	ReportIOCs string `json:"report_iocs,omitempty"`
	// ReportYARA is get_one's YARA rules of the report, gzipped and
	// base64-encoded, when include_info asks for them and it has some.
	// (report_pdf, which may be large, is written after these fields:
	// answerWithPDF.)
	ReportYARA string `json:"report_yara,omitempty"`
}

// publicationOf is the answer of r with its indicators. Dates never are
// null: published is the report's Published date, else the time it was
// imported (Source.Imported), else 0 (the Unix epoch); updated is its
// Updated date, else the published date served.
func publicationOf(r *intel.Report, indicators []string) publication {
	list := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	var published int64
	switch {
	case !r.Published.IsZero():
		published = r.Published.Unix()
	case !r.Source.Imported.IsZero():
		published = r.Source.Imported.Unix()
	}
	updated := published
	if !r.Updated.IsZero() {
		updated = r.Updated.Unix()
	}
	return publication{
		ID: r.ID, Name: r.Title, Desc: r.Description, Published: published, Updated: updated,
		ReportGroup: r.Type, Tags: list(r.Tags), TagsIndustry: list(r.Industries), TagsGeo: list(r.Geo),
		TagsActors: list(r.Actors), Indicators: list(indicators), IndicatorsCount: len(indicators),
	}
}

// indicators returns the indicators of r that may be served: its own, in
// their order, then the addresses that imports linked to it (report_link
// records, at most maxLinkedAddresses, in address order), then the
// domains, web addresses and files linked to it (object links of the
// report lists, at most maxLinkedObjects, by kind then key; a web address
// with the scheme http:// when its key has none), each only when not
// among the earlier ones; without those that a legal hold holds.
func indicators(r *intel.Report, linked []netip.Addr, objects []store.ObjectRef, held *heldIndicators) []string {
	out := make([]string, 0, len(r.Indicators)+len(linked)+len(objects))
	seen := make(map[string]bool, len(r.Indicators))
	for _, x := range r.Indicators {
		if !seen[x] && !held.held(x) {
			out = append(out, x)
		}
		seen[x] = true
	}
	for _, ip := range linked {
		x := ip.String()
		if !seen[x] && !held.held(x) {
			out = append(out, x)
		}
		seen[x] = true
	}
	for _, o := range objects {
		x := o.Key
		if o.Kind == intel.ObjectURL && !strings.Contains(x, "://") {
			x = "http://" + x
		}
		if !seen[x] && !seen[o.Key] && !held.held(x) {
			out = append(out, x)
		}
		seen[x] = true
	}
	return out
}

// envelope is the body of every publications answer.
type envelope struct {
	Status     string `json:"status"` // "ok" or "error"
	StatusMsg  string `json:"status_msg"`
	ReturnData any    `json:"return_data,omitempty"`
}

// publicationsRequest authenticates, reads the parameters (query string,
// and for POST a form-encoded body of at most maxFormBody bytes) and checks
// the user's licence; the answer is counted by answer.
func (s *server) publicationsRequest(w http.ResponseWriter, r *http.Request, info *requestInfo) (intel.User, intel.Token, error) {
	info.style = errEnvelope
	user, token, err := s.credentials(r, info)
	if err != nil {
		return user, token, err
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return user, token, intel.Invalid("the request body is larger than %d bytes", maxFormBody)
		}
		return user, token, intel.Invalid("the parameters are malformed: send them as name=value pairs joined by &")
	}
	return user, token, nil
}

// answer counts the request and writes the envelope with data.
func (s *server) answer(w http.ResponseWriter, r *http.Request, user intel.User, token intel.Token, data any) error {
	if _, err := s.access.Authorize(r.Context(), user, token); err != nil {
		return err
	}
	body, err := json.Marshal(envelope{Status: "ok", StatusMsg: "", ReturnData: data})
	if err != nil {
		return fmt.Errorf("encode publications answer: %w", err)
	}
	writeBody(w, http.StatusOK, "application/json; charset=utf-8", append(body, '\n'))
	return nil
}

// handlePublicationOne answers GET|POST /api/publications/get_one?publication_id=….
func (s *server) handlePublicationOne(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	user, token, err := s.publicationsRequest(w, r, info)
	if err != nil {
		return err
	}
	id, err := formValue(r, "publication_id", true)
	if err != nil {
		return err
	}
	v, err := formValue(r, "include_info", false)
	if err != nil {
		return err
	}
	include, err := parseIncludeInfo(v)
	if err != nil {
		return err
	}
	// lang is accepted and ignored: the answers are in English.
	if err := s.access.Check(r.Context(), user); err != nil {
		return err
	}
	rep, err := s.reports.Publication(r.Context(), id)
	if errors.Is(err, intel.ErrNotFound) {
		return intel.Errorf(intel.KindNotFound, "not_found", "there is no publication %q", clip(id))
	}
	if err != nil {
		return fmt.Errorf("publication %q: %w", id, err)
	}
	held, err := s.heldIndicators(r.Context())
	if err != nil {
		return err
	}
	linked, err := s.reports.Store.ReportAddresses(r.Context(), rep.ID, maxLinkedAddresses)
	if err != nil {
		return fmt.Errorf("addresses of publication %q: %w", rep.ID, err)
	}
	objects, err := s.reports.Store.ReportObjects(r.Context(), rep.ID, maxLinkedObjects)
	if err != nil {
		return fmt.Errorf("objects of publication %q: %w", rep.ID, err)
	}
	p := publicationOf(&rep, indicators(&rep, linked, objects, held))
	// report_iocs, report_yara and report_pdf when include_info asks for
	// them; report_yara and report_pdf are absent when the report has no
	// such file.
	if include.iocs {
		doc, err := reportIOC(&p)
		if err != nil {
			return err
		}
		if p.ReportIOCs, err = gzipBase64(doc); err != nil {
			return fmt.Errorf("compress the OpenIOC document of %q: %w", p.ID, err)
		}
	}
	if include.yara {
		rules, err := store.ReportYARA(r.Context(), s.reports.Store, []string{rep.ID})
		if err != nil {
			return fmt.Errorf("YARA rules of publication %q: %w", rep.ID, err)
		}
		if y := rules[rep.ID]; y != "" {
			if p.ReportYARA, err = gzipBase64([]byte(y)); err != nil {
				return fmt.Errorf("compress the YARA rules of %q: %w", p.ID, err)
			}
		}
	}
	var pdf []byte
	if include.pdf {
		if pdf, err = store.ReportPDF(r.Context(), s.reports.Store, rep.ID); err != nil {
			return fmt.Errorf("PDF of publication %q: %w", rep.ID, err)
		}
	}
	if len(pdf) == 0 {
		return s.answer(w, r, user, token, p)
	}
	return s.answerWithPDF(w, r, user, token, p, pdf)
}

// answerWithPDF counts the request and writes the envelope with p and
// report_pdf, the PDF in base64 as its last field. The PDF (at most
// intel.MaxReportPDF bytes) is encoded as it is written, not copied into
// the answer; the length is known ahead (Content-Length), and a client
// that stops reading is dropped (bodyStream).
func (s *server) answerWithPDF(w http.ResponseWriter, r *http.Request, user intel.User, token intel.Token, p publication, pdf []byte) error {
	if _, err := s.access.Authorize(r.Context(), user, token); err != nil {
		return err
	}
	body, err := json.Marshal(envelope{Status: "ok", StatusMsg: "", ReturnData: p})
	if err != nil {
		return fmt.Errorf("encode publications answer: %w", err)
	}
	// body ends with the publication's } and the envelope's }: the PDF
	// goes before them.
	head := append(body[:len(body)-2:len(body)-2], `,"report_pdf":"`...)
	const tail = `"}}` + "\n"
	w.Header().Set("Content-Length", strconv.Itoa(len(head)+base64.StdEncoding.EncodedLen(len(pdf))+len(tail)))
	out := &bodyStream{w: w, contentType: "application/json; charset=utf-8", stall: s.cfg.WriteStall}
	bw := bufio.NewWriterSize(out, 32<<10)
	bw.Write(head) //nolint:errcheck // buffered: reported by Flush
	b64 := base64.NewEncoder(base64.StdEncoding, bw)
	b64.Write(pdf)       //nolint:errcheck // buffered: reported by Flush
	b64.Close()          //nolint:errcheck // buffered: reported by Flush
	bw.WriteString(tail) //nolint:errcheck // reported by Flush
	return bw.Flush()
}

// handlePublicationList answers GET|POST
// /api/publications/get_list?date_start=…&date_end=…&limit=…&after_id=….
// Without limit it streams every report of the window, reading the store
// publicationPage reports at a time; with limit it answers at most limit
// reports and, when there are more, where the next page starts.
func (s *server) handlePublicationList(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	user, token, err := s.publicationsRequest(w, r, info)
	if err != nil {
		return err
	}
	start, err := unixParam(r, "date_start", 0)
	if err != nil {
		return err
	}
	now := time.Now
	if s.reports.Now != nil {
		now = s.reports.Now
	}
	end, err := unixParam(r, "date_end", now().Unix())
	if err != nil {
		return err
	}
	if end < start {
		return intel.Invalid("date_end %d is before date_start %d", end, start)
	}
	limit := 0
	if v, err := formValue(r, "limit", false); err != nil {
		return err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > maxPublications {
			return intel.Invalid("limit must be an integer from 1 to %d, not %q", maxPublications, clip(v))
		}
		limit = n
	}
	afterID, err := formValue(r, "after_id", false)
	if err != nil {
		return err
	}
	if err := s.access.Check(r.Context(), user); err != nil {
		return err
	}
	// Both ends are inclusive, to the second.
	from, to := time.Unix(start, 0), time.Unix(end+1, 0)
	var cursor store.ReportCursor
	if afterID != "" {
		rep, err := s.reports.Publication(r.Context(), afterID)
		if errors.Is(err, intel.ErrNotFound) {
			return intel.Invalid("after_id %q names no publication", clip(afterID))
		}
		if err != nil {
			return fmt.Errorf("publication %q: %w", afterID, err)
		}
		if rep.Published.IsZero() || rep.Published.Unix() != end {
			return intel.Invalid("after_id %q is not a publication published at date_end %d; "+
				"pass the date_end and after_id of the answer's next", clip(afterID), end)
		}
		cursor = store.CursorOf(rep)
	}
	held, err := s.heldIndicators(r.Context())
	if err != nil {
		return err
	}
	if limit > 0 {
		return s.publicationPage(w, r, user, token, from, to, cursor, limit, held)
	}
	if _, err := s.access.Authorize(r.Context(), user, token); err != nil {
		return err
	}
	return s.streamPublications(w, r, from, to, cursor, held)
}

// publicationPage answers get_list with a limit: the first limit reports
// after the cursor, count (how many), and next when more follow.
func (s *server) publicationPage(w http.ResponseWriter, r *http.Request, user intel.User, token intel.Token,
	from, to time.Time, cursor store.ReportCursor, limit int, held *heldIndicators) error {
	reps, err := s.reports.Store.ReportsAfter(r.Context(), from, to, cursor, limit+1)
	if err != nil {
		return fmt.Errorf("publications: %w", err)
	}
	pubs, err := s.listedPublications(r.Context(), reps[:min(len(reps), limit)], held)
	if err != nil {
		return err
	}
	data := publicationList{Publications: pubs, Count: len(pubs)}
	if len(reps) > limit {
		last := reps[limit-1]
		data.Next = &publicationCursor{DateEnd: last.Published.Unix(), AfterID: last.ID}
	}
	return s.answer(w, r, user, token, data)
}

// publicationList is the return_data of get_list with a limit.
type publicationList struct {
	Publications []publication `json:"publications"`
	// Count is the number of publications in this answer.
	Count int `json:"count"`
	// Next, when more reports of the window follow, are the date_end and
	// after_id that ask for them.
	Next *publicationCursor `json:"next,omitempty"`
}

// publicationCursor is where the next page of get_list starts.
type publicationCursor struct {
	DateEnd int64  `json:"date_end"`
	AfterID string `json:"after_id"`
}

// listedPublications are reps as get_list carries them: at most
// maxListIndicators indicators each. The linked addresses of all of them
// are read at once.
func (s *server) listedPublications(ctx context.Context, reps []intel.Report, held *heldIndicators) ([]publication, error) {
	ids := make([]string, len(reps))
	for i := range reps {
		ids[i] = reps[i].ID
	}
	linked, err := store.ReportAddressesOf(ctx, s.reports.Store, ids, maxLinkedAddresses)
	if err != nil {
		return nil, fmt.Errorf("addresses of publications: %w", err)
	}
	objects, err := store.ReportObjectsOf(ctx, s.reports.Store, ids, maxLinkedObjects)
	if err != nil {
		return nil, fmt.Errorf("objects of publications: %w", err)
	}
	out := make([]publication, 0, len(reps))
	for i := range reps {
		p := publicationOf(&reps[i], indicators(&reps[i], linked[reps[i].ID], objects[reps[i].ID], held))
		if len(p.Indicators) > maxListIndicators {
			p.Indicators = p.Indicators[:maxListIndicators]
		}
		out = append(out, p)
	}
	return out, nil
}

// streamPublications writes get_list without a limit: the envelope with
// every report of the window, newest first, then count, the number of
// reports written. The store is read publicationPage reports at a time
// after a (published, id) cursor, and the answer written as it is read,
// so its memory does not grow with the window. An error after the first
// byte is sent cannot change the status: it is logged and the connection
// is cut, so that the client sees a truncated answer, never a short list
// that looks complete. A client that stops reading ends the answer
// (errStalled).
func (s *server) streamPublications(w http.ResponseWriter, r *http.Request, from, to time.Time, cursor store.ReportCursor, held *heldIndicators) error {
	ctx := r.Context()
	reps, err := s.reports.Store.ReportsAfter(ctx, from, to, cursor, publicationPage)
	if err != nil {
		return fmt.Errorf("publications: %w", err)
	}
	out := &bodyStream{w: w, contentType: "application/json; charset=utf-8", stall: s.cfg.WriteStall}
	bw := bufio.NewWriterSize(out, 32<<10)
	fail := func(err error) error {
		if out.started() && ctx.Err() == nil {
			s.logger.LogAttrs(ctx, slog.LevelError, "publications stream cut", slog.String("error", err.Error()))
			panic(http.ErrAbortHandler)
		}
		return err
	}
	bw.WriteString(`{"status":"ok","status_msg":"","return_data":{"publications":[`) //nolint:errcheck // buffered: the first Write reports it
	count := 0
	for len(reps) > 0 {
		pubs, err := s.listedPublications(ctx, reps, held)
		if err != nil {
			return fail(err)
		}
		for _, p := range pubs {
			b, err := json.Marshal(p)
			if err != nil {
				return fail(fmt.Errorf("encode publication %q: %w", p.ID, err))
			}
			if count > 0 {
				b = append([]byte{','}, b...)
			}
			if _, err := bw.Write(b); err != nil {
				return err // the client stopped reading (errStalled)
			}
			count++
		}
		if len(reps) < publicationPage {
			break
		}
		if reps, err = s.reports.Store.ReportsAfter(ctx, from, to, store.CursorOf(reps[len(reps)-1]), publicationPage); err != nil {
			return fail(fmt.Errorf("publications: %w", err))
		}
	}
	fmt.Fprintf(bw, `],"count":%d}}`+"\n", count)
	if err := bw.Flush(); err != nil {
		return err
	}
	return nil
}

// isPublicationsPath reports whether a raw path is under /api/publications,
// where every error is answered in the envelope.
func isPublicationsPath(path string) bool {
	return path == strings.TrimSuffix(publicationsPrefix, "/") || strings.HasPrefix(path, publicationsPrefix)
}

// handlePublicationNotFound answers the paths under /api/publications that
// are no endpoint.
func (s *server) handlePublicationNotFound(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	path, _ := rawTarget(r)
	return intel.Errorf(intel.KindNotFound, "not_found", "there is nothing at %q; the publications are at %s, %s, %s and %s",
		clip(path), publicationOnePath, publicationListPath, masterIOCPath, masterYARAPath)
}

// formValue returns a parameter given at most once, from the query string
// or a form-encoded body.
func formValue(r *http.Request, name string, required bool) (string, error) {
	switch vs := r.Form[name]; {
	case len(vs) > 1:
		return "", intel.Invalid("the parameter %s is given %d times; give it once", name, len(vs))
	case len(vs) == 1 && vs[0] != "":
		return vs[0], nil
	case required:
		return "", intel.Invalid("the parameter %s is required", name)
	}
	return "", nil
}

// unixParam parses a Unix timestamp in seconds (def when absent).
func unixParam(r *http.Request, name string, def int64) (int64, error) {
	v, err := formValue(r, name, false)
	if err != nil || v == "" {
		return def, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return 0, intel.Invalid("%s must be a Unix timestamp in seconds, not %q", name, clip(v))
	}
	return n, nil
}

// writeEnvelopeError answers an error of the publications endpoints in
// their envelope.
func (s *server) writeEnvelopeError(w http.ResponseWriter, status int, message string) {
	body, err := json.Marshal(envelope{Status: "error", StatusMsg: message})
	if err != nil { // strings always marshal
		body = []byte(`{"status":"error","status_msg":"an internal error occurred"}`)
	}
	writeBody(w, status, "application/json; charset=utf-8", append(body, '\n'))
}
