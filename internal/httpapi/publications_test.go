package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func pubEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, options{})
	err := e.st.Apply(context.Background(), &intel.Batch{
		Reports: []intel.Report{
			{ID: "rpt-1", Type: intel.ReportAPT, Title: "Example campaign", Description: "Invented.", Published: day(2026, 11, 10),
				Updated: day(2026, 11, 20), Tags: []string{"espionage"}, Industries: []string{"Telecommunications"}, Geo: []string{"NL"},
				Actors: []string{"Example Actor"}, Indicators: []string{"45.95.147.10", "c2.badcorp.example"}},
			{ID: "rpt-2", Type: intel.ReportCrimeware, Title: "Example loader", Published: day(2026, 10, 1)},
			{ID: "rpt-3", Type: intel.ReportICS, Title: "Example ICS", Published: day(2026, 9, 15)},
		},
		ReportLinks: []intel.ReportLink{{IP: netip.MustParseAddr("45.95.147.10"), ReportID: "rpt-1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type pubEnvelope struct {
	Status     string          `json:"status"`
	StatusMsg  string          `json:"status_msg"`
	ReturnData json.RawMessage `json:"return_data"`
}

func decodeEnvelope(t *testing.T, w *httptest.ResponseRecorder) pubEnvelope {
	t.Helper()
	var e pubEnvelope
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return e
}

func TestPublicationOne(t *testing.T) {
	e := pubEnv(t)
	w := e.do(t, http.MethodGet, "/api/publications/get_one?publication_id=rpt-1", "alice")
	if w.Code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", w.Code, w.Body)
	}
	want := `{"status":"ok","status_msg":"","return_data":{"id":"rpt-1","name":"Example campaign","desc":"Invented.",` +
		`"published":1794268800,"updated":1795132800,"report_group":"APT","tags":["espionage"],"tags_industry":["Telecommunications"],` +
		`"tags_geo":["NL"],"tags_actors":["Example Actor"],"indicators":["45.95.147.10","c2.badcorp.example"],"indicators_count":2}}` + "\n"
	if got := w.Body.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// Form-encoded POST.
	r := httptest.NewRequest(http.MethodPost, "/api/publications/get_one", strings.NewReader("publication_id=rpt-2"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
	w = httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if env := decodeEnvelope(t, w); w.Code != http.StatusOK || !strings.Contains(string(env.ReturnData), `"published":1790812800,"updated":1790812800`) ||
		!strings.Contains(string(env.ReturnData), `"tags":[]`) {
		t.Errorf("POST: got %d %s, want rpt-2 updated when published, and empty lists", w.Code, w.Body)
	}
}

func TestPublicationErrors(t *testing.T) {
	e := pubEnv(t)
	big := strings.Repeat("x", 70<<10)
	for _, c := range []struct {
		name, method, target, body, user string
		status                           int
		msg                              string
	}{
		{"unknown id", "GET", "/api/publications/get_one?publication_id=nope", "", "alice", 404, `there is no publication "nope"`},
		{"missing id", "GET", "/api/publications/get_one", "", "alice", 400, "publication_id is required"},
		{"twice", "GET", "/api/publications/get_one?publication_id=a&publication_id=b", "", "alice", 400, "given 2 times"},
		{"no token", "GET", "/api/publications/get_one?publication_id=rpt-1", "", "", 401, "Authorization: Bearer"},
		{"expired", "GET", "/api/publications/get_one?publication_id=rpt-1", "", "expired", 402, "expired"},
		{"bad date", "GET", "/api/publications/get_list?date_start=yesterday", "", "alice", 400, "date_start must be a Unix timestamp"},
		{"reversed", "GET", "/api/publications/get_list?date_start=200&date_end=100", "", "alice", 400, "before date_start"},
		{"bad limit", "GET", "/api/publications/get_list?limit=0", "", "alice", 400, "limit must be"},
		{"body too large", "POST", "/api/publications/get_list", "date_start=" + big, "alice", 400, "larger than 65536 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			} else {
				body = strings.NewReader("")
			}
			r := httptest.NewRequest(c.method, c.target, body)
			if c.method == "POST" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if c.user != "" {
				r.Header.Set("Authorization", "Bearer "+e.tokens[c.user])
			}
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			env := decodeEnvelope(t, w)
			if w.Code != c.status || env.Status != "error" || !strings.Contains(env.StatusMsg, c.msg) || env.ReturnData != nil {
				t.Errorf("got %d %s, want %d with status_msg containing %q", w.Code, w.Body, c.status, c.msg)
			}
		})
	}
	// Refused and malformed requests are not counted.
	if n, _ := e.acc.Store.RequestCount(context.Background(), "alice", "2026-11-28"); n != 0 {
		t.Errorf("got %d requests counted, want 0", n)
	}
}

func TestPublicationList(t *testing.T) {
	e := pubEnv(t)
	ids := func(target string) string {
		t.Helper()
		w := e.do(t, http.MethodGet, target, "alice")
		env := decodeEnvelope(t, w)
		if w.Code != http.StatusOK || env.Status != "ok" {
			t.Fatalf("%s: got %d %s", target, w.Code, w.Body)
		}
		var data struct {
			Publications []struct{ ID string } `json:"publications"`
			Count        int                   `json:"count"`
		}
		if err := json.Unmarshal(env.ReturnData, &data); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range data.Publications {
			out = append(out, p.ID)
		}
		if data.Count != len(out) {
			t.Errorf("count %d for %d publications", data.Count, len(out))
		}
		return strings.Join(out, ",")
	}
	oct1 := day(2026, 10, 1).Unix()
	for target, want := range map[string]string{
		"/api/publications/get_list":                          "rpt-1,rpt-2,rpt-3",
		"/api/publications/get_list?limit=2":                  "rpt-1,rpt-2",
		"/api/publications/get_list?date_start=" + itoa(oct1): "rpt-1,rpt-2",
		// date_end is inclusive.
		"/api/publications/get_list?date_start=0&date_end=" + itoa(oct1): "rpt-2,rpt-3",
		"/api/publications/get_list?date_end=" + itoa(oct1-1):            "rpt-3",
		"/api/publications/get_list?date_start=1&date_end=2":             "",
	} {
		if got := ids(target); got != want {
			t.Errorf("%s: got %q, want %q", target, got, want)
		}
	}
	if w := e.do(t, http.MethodPut, "/api/publications/get_list", "alice"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: got %d, want 405", w.Code)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPublicationListBoundsIndicators: get_list carries at most
// 1,000 indicators of each report and says how many there are;
// get_one carries them all.
func TestPublicationListBoundsIndicators(t *testing.T) {
	e := pubEnv(t)
	many := make([]string, 1500)
	for i := range many {
		many[i] = "45.95.146." + strconv.Itoa(i%250) + "/" + strconv.Itoa(i)
	}
	if err := e.st.Apply(context.Background(), &intel.Batch{Reports: []intel.Report{
		{ID: "rpt-big", Type: intel.ReportAPT, Title: "Big", Published: day(2026, 11, 12), Indicators: many},
	}}); err != nil {
		t.Fatal(err)
	}
	type pub struct {
		ID         string   `json:"id"`
		Indicators []string `json:"indicators"`
		Count      int      `json:"indicators_count"`
	}
	w := e.do(t, http.MethodGet, "/api/publications/get_list?date_start="+itoa(day(2026, 11, 11).Unix())+"&date_end="+itoa(day(2026, 11, 13).Unix()), "alice")
	var list struct {
		Publications []pub `json:"publications"`
	}
	if err := json.Unmarshal(decodeEnvelope(t, w).ReturnData, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Publications) != 1 || len(list.Publications[0].Indicators) != 1000 || list.Publications[0].Count != 1500 {
		t.Fatalf("get_list: got %d publications, first with %d indicators of %d", len(list.Publications), len(list.Publications[0].Indicators), list.Publications[0].Count)
	}
	w = e.do(t, http.MethodGet, "/api/publications/get_one?publication_id=rpt-big", "alice")
	var one pub
	if err := json.Unmarshal(decodeEnvelope(t, w).ReturnData, &one); err != nil {
		t.Fatal(err)
	}
	if len(one.Indicators) != 1500 || one.Count != 1500 {
		t.Errorf("get_one: got %d indicators, count %d, want 1500", len(one.Indicators), one.Count)
	}
}

// TestReportHolds: a held report is never served. get_one answers 451 in
// the envelope (also for an ID the store lacks); get_list and both master
// files leave it out; lifting the hold serves it again.
func TestReportHolds(t *testing.T) {
	e := pubEnv(t)
	ctx := context.Background()
	if err := e.st.PutHold(ctx, intel.Hold{Ref: "hold-00000001", Report: "rpt-1", Reason: "court order"}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.PutHold(ctx, intel.Hold{Ref: "hold-00000002", Report: "rpt-unknown", Reason: "court order"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"rpt-1", "rpt-unknown"} {
		w := e.do(t, http.MethodGet, "/api/publications/get_one?publication_id="+id, "alice")
		env := decodeEnvelope(t, w)
		if w.Code != http.StatusUnavailableForLegalReasons || env.Status != "error" || !strings.Contains(env.StatusMsg, "legal hold") {
			t.Errorf("get_one %s: got %d %s, want 451 in the envelope", id, w.Code, w.Body)
		}
	}
	w := e.do(t, http.MethodGet, "/api/publications/get_list?date_start=0&date_end=1900000000", "alice")
	if body := w.Body.String(); w.Code != 200 || strings.Contains(body, `"rpt-1"`) || !strings.Contains(body, `"rpt-2"`) || !strings.Contains(body, `"count":2`) {
		t.Errorf("get_list: got %d %s, want rpt-2 and rpt-3 only", w.Code, body)
	}
	w = e.do(t, http.MethodGet, "/api/publications/get_list?date_start=0&date_end=1900000000&limit=10", "alice")
	if body := w.Body.String(); w.Code != 200 || strings.Contains(body, `"rpt-1"`) || !strings.Contains(body, `"count":2`) {
		t.Errorf("get_list with a limit: got %d %s, want rpt-2 and rpt-3 only", w.Code, body)
	}
	w = e.do(t, http.MethodGet, "/api/publications/get_master_ioc?report_group=all", "alice")
	var env struct {
		ReturnData struct {
			MasterIOC string `json:"master_ioc"`
		} `json:"return_data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || w.Code != 200 {
		t.Fatalf("get_master_ioc: %d %s", w.Code, w.Body)
	}
	if csv := string(unpack(t, env.ReturnData.MasterIOC)); strings.Contains(csv, "Example campaign") || strings.Count(csv, "\n") != 1 {
		t.Errorf("get_master_ioc lists the held report:\n%s", csv)
	}
	if err := e.st.DeleteHold(ctx, "hold-00000001"); err != nil {
		t.Fatal(err)
	}
	if w := e.do(t, http.MethodGet, "/api/publications/get_one?publication_id=rpt-1", "alice"); w.Code != 200 {
		t.Errorf("get_one after the hold was lifted: %d %s", w.Code, w.Body)
	}
}
