package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Paths of the publications endpoints.
const (
	publicationOnePath  = "/api/publications/get_one"
	publicationListPath = "/api/publications/get_list"
)

// Limits of the publications endpoints.
const (
	// maxFormBody bounds a POST body (form-encoded parameters).
	maxFormBody = 64 << 10
	// defaultPublications and maxPublications are the default and the
	// largest `limit` of get_list.
	defaultPublications = 100
	maxPublications     = 200
	// maxListIndicators is how many indicators of each report get_list
	// carries (get_one carries all); with maxPublications it bounds an
	// answer to 200,000 indicators.
	maxListIndicators = 1000
)

// publication is one report as the publications endpoints answer it.
type publication struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Desc         string   `json:"desc"`
	Published    *int64   `json:"published"` // Unix seconds
	Updated      *int64   `json:"updated"`
	ReportGroup  string   `json:"report_group"` // APT, Crimeware or ICS
	Tags         []string `json:"tags"`
	TagsIndustry []string `json:"tags_industry"`
	TagsGeo      []string `json:"tags_geo"`
	TagsActors   []string `json:"tags_actors"`
	Indicators   []string `json:"indicators"`
	// IndicatorsCount is the number of the report's indicators, also when
	// get_list carries only the first maxListIndicators of them.
	IndicatorsCount int `json:"indicators_count"`
}

func publicationOf(r *intel.Report) publication {
	unix := func(t time.Time) *int64 {
		if t.IsZero() {
			return nil
		}
		u := t.Unix()
		return &u
	}
	list := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return publication{
		ID: r.ID, Name: r.Title, Desc: r.Description, Published: unix(r.Published), Updated: unix(r.Updated),
		ReportGroup: r.Type, Tags: list(r.Tags), TagsIndustry: list(r.Industries), TagsGeo: list(r.Geo),
		TagsActors: list(r.Actors), Indicators: list(r.Indicators), IndicatorsCount: len(r.Indicators),
	}
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
	return s.answer(w, r, user, token, publicationOf(&rep))
}

// handlePublicationList answers GET|POST
// /api/publications/get_list?date_start=…&date_end=…&limit=….
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
	limit := defaultPublications
	if v, err := formValue(r, "limit", false); err != nil {
		return err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > maxPublications {
			return intel.Invalid("limit must be an integer from 1 to %d, not %q", maxPublications, clip(v))
		}
		limit = n
	}
	if err := s.access.Check(r.Context(), user); err != nil {
		return err
	}
	// Both ends are inclusive, to the second.
	reps, err := s.reports.Publications(r.Context(), time.Unix(start, 0), time.Unix(end+1, 0), limit)
	if err != nil {
		return fmt.Errorf("publications: %w", err)
	}
	list := make([]publication, 0, len(reps))
	for i := range reps {
		p := publicationOf(&reps[i])
		if len(p.Indicators) > maxListIndicators {
			p.Indicators = p.Indicators[:maxListIndicators]
		}
		list = append(list, p)
	}
	return s.answer(w, r, user, token, map[string]any{"publications": list, "count": len(list)})
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
