package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

type listedPub struct {
	ID         string   `json:"id"`
	Published  *int64   `json:"published"`
	Updated    *int64   `json:"updated"`
	Indicators []string `json:"indicators"`
	Count      int      `json:"indicators_count"`
}

type listData struct {
	Publications []listedPub `json:"publications"`
	Count        int         `json:"count"`
	Next         *struct {
		DateEnd int64  `json:"date_end"`
		AfterID string `json:"after_id"`
	} `json:"next"`
}

func getList(t *testing.T, e *env, target string) listData {
	t.Helper()
	w := e.do(t, http.MethodGet, target, "alice")
	env := decodeEnvelope(t, w)
	if w.Code != http.StatusOK || env.Status != "ok" {
		t.Fatalf("%s: got %d %s", target, w.Code, w.Body)
	}
	var d listData
	if err := json.Unmarshal(env.ReturnData, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// manyReports stores n reports, five to a second (so that pages cut
// through reports sharing a date), the newest at base.
func manyReports(t *testing.T, st store.Store, n int, base time.Time) []string {
	t.Helper()
	var b intel.Batch
	var want []string
	for i := range n {
		id := fmt.Sprintf("rep-%04d", i)
		b.Reports = append(b.Reports, intel.Report{ID: id, Type: intel.ReportAPT, Title: "r",
			Published: base.Add(-time.Duration(i/5) * time.Second)})
		want = append(want, id)
	}
	if err := st.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return want
}

// TestPublicationListWholeWindow: without limit get_list answers every
// report of the window (250 here, more than a store page), newest first,
// and count is their number; with limit, following next pages through
// the same reports once each, also when more than a page share a second.
func TestPublicationListWholeWindow(t *testing.T) {
	e := newEnv(t, options{})
	base := day(2026, 6, 1)
	want := manyReports(t, e.st, 250, base)
	window := "date_start=" + itoa(base.Add(-time.Hour).Unix()) + "&date_end=" + itoa(base.Unix())
	d := getList(t, e, "/api/publications/get_list?"+window)
	var got []string
	for _, p := range d.Publications {
		got = append(got, p.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || d.Count != 250 || d.Next != nil {
		t.Errorf("got %d publications, count %d, next %v; want the 250 reports in order, count 250", len(got), d.Count, d.Next)
	}
	// POST too.
	r := httptest.NewRequest(http.MethodPost, "/api/publications/get_list", strings.NewReader(window))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	var pd listData
	if err := json.Unmarshal(decodeEnvelope(t, w).ReturnData, &pd); err != nil || pd.Count != 250 || len(pd.Publications) != 250 {
		t.Errorf("POST: got %d publications, count %d (%v), want 250", len(pd.Publications), pd.Count, err)
	}

	for _, limit := range []int{1, 3, 7, 200} {
		var paged []string
		target := "/api/publications/get_list?" + window + "&limit=" + itoa(int64(limit))
		for range 300 {
			d := getList(t, e, target)
			if d.Count != len(d.Publications) || d.Count > limit {
				t.Fatalf("limit %d: count %d for %d publications", limit, d.Count, len(d.Publications))
			}
			for _, p := range d.Publications {
				paged = append(paged, p.ID)
			}
			if d.Next == nil {
				break
			}
			target = fmt.Sprintf("/api/publications/get_list?date_start=%d&date_end=%d&after_id=%s&limit=%d",
				base.Add(-time.Hour).Unix(), d.Next.DateEnd, d.Next.AfterID, limit)
		}
		if strings.Join(paged, ",") != strings.Join(want, ",") {
			t.Errorf("limit %d: paged through %d reports, want the 250 once each in order", limit, len(paged))
		}
	}
	// An after_id that is not at date_end is refused.
	w = e.do(t, http.MethodGet, "/api/publications/get_list?date_end="+itoa(base.Unix())+"&after_id=rep-0249", "alice")
	if env := decodeEnvelope(t, w); w.Code != 400 || !strings.Contains(env.StatusMsg, "after_id") {
		t.Errorf("after_id off date_end: got %d %s, want 400", w.Code, w.Body)
	}
}

// TestPublicationDates: published and updated are never null.
func TestPublicationDates(t *testing.T) {
	e := newEnv(t, options{})
	imported := day(2026, 5, 5)
	if err := e.st.Apply(context.Background(), &intel.Batch{Reports: []intel.Report{
		{ID: "both", Type: intel.ReportAPT, Title: "r", Published: day(2026, 1, 1), Updated: day(2026, 2, 1)},
		{ID: "published", Type: intel.ReportAPT, Title: "r", Published: day(2026, 1, 1)},
		{ID: "imported", Type: intel.ReportAPT, Title: "r", Source: intel.Source{Feed: "Reports", Imported: imported}},
		{ID: "none", Type: intel.ReportAPT, Title: "r"},
	}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id                 string
		published, updated int64
	}{
		{"both", day(2026, 1, 1).Unix(), day(2026, 2, 1).Unix()},
		{"published", day(2026, 1, 1).Unix(), day(2026, 1, 1).Unix()},
		{"imported", imported.Unix(), imported.Unix()},
		{"none", 0, 0},
	} {
		w := e.do(t, http.MethodGet, "/api/publications/get_one?publication_id="+c.id, "alice")
		var p listedPub
		if err := json.Unmarshal(decodeEnvelope(t, w).ReturnData, &p); err != nil {
			t.Fatal(err)
		}
		if p.Published == nil || p.Updated == nil || *p.Published != c.published || *p.Updated != c.updated {
			t.Errorf("%s: got published %v updated %v, want %d and %d (body %s)", c.id, p.Published, p.Updated, c.published, c.updated, w.Body)
		}
	}
}

// TestPublicationLinkedIndicators: a report's indicators take the
// addresses, then the domains, web addresses and files, that imports
// linked to it, after its own and without repeating them, in get_one and
// get_list.
func TestPublicationLinkedIndicators(t *testing.T) {
	e := newEnv(t, options{})
	link := func(ip, id string) intel.ReportLink {
		return intel.ReportLink{IP: netip.MustParseAddr(ip), ReportID: id}
	}
	if err := e.st.Apply(context.Background(), &intel.Batch{
		Reports: []intel.Report{
			{ID: "apt-1", Type: intel.ReportAPT, Title: "r", Published: day(2026, 3, 1)},
			{ID: "apt-2", Type: intel.ReportAPT, Title: "r", Published: day(2026, 3, 2), Indicators: []string{"c2.badcorp.example", "45.95.147.10"}},
		},
		ReportLinks: []intel.ReportLink{link("45.95.147.10", "apt-1"), link("45.95.147.9", "apt-1"), link("2001:db8::5", "apt-1"),
			link("45.95.147.10", "apt-2"), link("45.95.147.11", "apt-2")},
		// Domains, web addresses and files that imports tied to the
		// reports (the object links of the report lists).
		Links: []intel.Link{
			{List: intel.LinkFileReports, Owner: "0F343B0931126A20F133D67C2B018A3B", Item: "apt-1"},
			{List: intel.LinkHostReports, Owner: "gate.badcorp.example", Item: "apt-1"},
			{List: intel.LinkURLReports, Owner: "gate.badcorp.example/panel/", Item: "apt-1"},
			{List: intel.LinkHostReports, Owner: "c2.badcorp.example", Item: "apt-2"}, // one of its own already
		},
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"apt-1": "45.95.147.9,45.95.147.10,2001:db8::5,gate.badcorp.example,http://gate.badcorp.example/panel/," +
			"0F343B0931126A20F133D67C2B018A3B",
		"apt-2": "c2.badcorp.example,45.95.147.10,45.95.147.11",
	}
	for id, w := range want {
		resp := e.do(t, http.MethodGet, "/api/publications/get_one?publication_id="+id, "alice")
		var p listedPub
		if err := json.Unmarshal(decodeEnvelope(t, resp).ReturnData, &p); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(p.Indicators, ","); got != w || p.Count != len(p.Indicators) {
			t.Errorf("get_one %s: got %q (count %d), want %q", id, got, p.Count, w)
		}
	}
	d := getList(t, e, "/api/publications/get_list?date_start="+itoa(day(2026, 3, 1).Unix())+"&date_end="+itoa(day(2026, 3, 2).Unix()))
	for _, p := range d.Publications {
		if got := strings.Join(p.Indicators, ","); got != want[p.ID] {
			t.Errorf("get_list %s: got %q, want %q", p.ID, got, want[p.ID])
		}
	}
}

// TestPublicationHeldIndicators: an indicator a legal hold holds (an
// address, by a network; a network overlapping a held one; a name below
// a held one; a web address on a held name; a file by another of its
// hashes) is never served, nor counted.
func TestPublicationHeldIndicators(t *testing.T) {
	e := newEnv(t, options{})
	md5 := strings.Repeat("A", 32)
	sha256 := strings.Repeat("B", 64)
	kept := []string{"45.95.148.1", "good.example", "good.example/x", "10.9.0.0/16", strings.Repeat("C", 32)}
	own := append([]string{"45.95.147.10", "10.1.0.0/16", "c2.badcorp.example", "badcorp.example/login", sha256}, kept...)
	ctx := context.Background()
	if err := e.st.Apply(ctx, &intel.Batch{
		Reports:     []intel.Report{{ID: "held-1", Type: intel.ReportAPT, Title: "r", Published: day(2026, 4, 1), Indicators: own}},
		ReportLinks: []intel.ReportLink{{IP: netip.MustParseAddr("45.95.147.77"), ReportID: "held-1"}},
		FileHashes:  []intel.FileHashes{{MD5: md5, SHA256: sha256}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []intel.Hold{
		{Ref: "H-1", Prefix: netip.MustParsePrefix("45.95.147.0/24")},
		{Ref: "H-2", Prefix: netip.MustParsePrefix("10.1.2.0/24")},
		{Ref: "H-3", Domain: "badcorp.example"},
		{Ref: "H-4", Hash: md5},
	} {
		if err := e.st.PutHold(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	want := strings.Join(kept, ",")
	resp := e.do(t, http.MethodGet, "/api/publications/get_one?publication_id=held-1", "alice")
	var p listedPub
	if err := json.Unmarshal(decodeEnvelope(t, resp).ReturnData, &p); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Indicators, ","); got != want || p.Count != len(kept) {
		t.Errorf("get_one: got %q (count %d), want %q", got, p.Count, want)
	}
	d := getList(t, e, "/api/publications/get_list?date_start="+itoa(day(2026, 4, 1).Unix()))
	if len(d.Publications) != 1 || strings.Join(d.Publications[0].Indicators, ",") != want {
		t.Errorf("get_list: got %+v, want held-1 with %q", d.Publications, want)
	}
}

// failingReports fails the report reads.
type failingReports struct{ store.Store }

func (failingReports) ReportsAfter(context.Context, time.Time, time.Time, store.ReportCursor, int) ([]intel.Report, error) {
	return nil, errors.New("disk on fire")
}

func (failingReports) Report(context.Context, string) (intel.Report, error) {
	return intel.Report{}, errors.New("disk on fire")
}

// TestPublicationErrorEnvelope: every error under /api/publications has
// the envelope as its body, whatever its status (golden file).
func TestPublicationErrorEnvelope(t *testing.T) {
	e := pubEnv(t)
	failing := newEnv(t, options{store: failingReports{mem.New()}})
	limited := newConfiguredEnv(t, httpapi.Config{RatePerSecond: 0.001, Burst: 1}, fixedNow)
	limited.do(t, http.MethodGet, "/api/publications/get_one?publication_id=x", "alice")
	type result struct {
		Name        string          `json:"name"`
		Status      int             `json:"status"`
		ContentType string          `json:"content_type"`
		Body        json.RawMessage `json:"body"`
	}
	var results []result
	for _, c := range []struct {
		name, method, target, user string
		e                          *env
	}{
		{"400 bad parameter", "GET", "/api/publications/get_list?limit=x", "alice", e},
		{"401 no credentials", "GET", "/api/publications/get_list", "", e},
		{"402 licence expired", "GET", "/api/publications/get_list", "expired", e},
		{"403 no API access", "GET", "/api/publications/get_list", "noapi", e},
		{"404 unknown publication", "GET", "/api/publications/get_one?publication_id=nope", "alice", e},
		{"404 unknown path", "GET", "/api/publications/get_all", "alice", e},
		{"404 publications root", "GET", "/api/publications", "alice", e},
		{"405 method", "DELETE", "/api/publications/get_list", "alice", e},
		{"414 target too long", "GET", "/api/publications/get_list?x=" + strings.Repeat("a", 9000), "alice", e},
		{"429 rate limited", "GET", "/api/publications/get_one?publication_id=x", "alice", limited},
		{"500 store failure, get_one", "GET", "/api/publications/get_one?publication_id=x", "alice", failing},
		{"500 store failure, get_list", "GET", "/api/publications/get_list", "alice", failing},
		{"500 store failure, get_master_ioc", "GET", "/api/publications/get_master_ioc", "alice", failing},
		{"400 bad report_group, get_master_yara", "GET", "/api/publications/get_master_yara?report_group=x", "alice", e},
		{"500 store failure, get_master_yara", "GET", "/api/publications/get_master_yara", "alice", failing},
	} {
		w := c.e.do(t, c.method, c.target, c.user)
		env := decodeEnvelope(t, w)
		if env.Status != "error" || env.StatusMsg == "" || env.ReturnData != nil {
			t.Errorf("%s: got %d %s, want the error envelope", c.name, w.Code, w.Body)
		}
		results = append(results, result{c.name, w.Code, w.Header().Get("Content-Type"), json.RawMessage(w.Body.Bytes())})
	}
	b, err := json.Marshal(results)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "publications-errors", b, true)
}

// TestPublicationFramingEnvelope: a request under /api/publications with
// both Content-Length and Transfer-Encoding is refused in the envelope.
func TestPublicationFramingEnvelope(t *testing.T) {
	s := startEdgeServer(t, false)
	resp, body := s.raw(t, "POST /api/publications/get_one HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
	var env struct {
		Status    string `json:"status"`
		StatusMsg string `json:"status_msg"`
	}
	if err := json.Unmarshal(body, &env); err != nil || resp.StatusCode != 400 || env.Status != "error" ||
		!strings.Contains(env.StatusMsg, "both Content-Length and Transfer-Encoding") {
		t.Errorf("got %d %s (%v), want 400 in the envelope", resp.StatusCode, body, err)
	}
}

// failsLater answers the first report read and fails the next.
type failsLater struct {
	store.Store
	calls atomic.Int32
}

func (f *failsLater) ReportsAfter(ctx context.Context, from, to time.Time, after store.ReportCursor, limit int) ([]intel.Report, error) {
	if f.calls.Add(1) > 1 {
		return nil, errors.New("disk on fire")
	}
	return f.Store.ReportsAfter(ctx, from, to, after, limit)
}

// TestPublicationStreamCut: when the store fails after get_list has begun
// its answer, the connection is cut: the client gets a truncated answer
// (a read error), never a complete-looking short list.
func TestPublicationStreamCut(t *testing.T) {
	st := &failsLater{Store: mem.New()}
	e := newEnv(t, options{store: st})
	base := day(2026, 6, 1)
	manyReports(t, st.Store, 1000, base)
	wantCut(t, e, "/api/publications/get_list?date_start=0", "publications stream cut")
}

// wantCut asks target of a server on e through a real connection and
// wants a 200 whose body is cut (a read error, not valid JSON) and the cut
// logged with logged.
func wantCut(t *testing.T, e *env, target, logged string) {
	t.Helper()
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+target, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || err == nil || json.Valid(body) {
		t.Errorf("got %d, %d bytes, read error %v; want 200 and a cut answer", resp.StatusCode, len(body), err)
	}
	if !strings.Contains(e.logs.String(), logged) {
		t.Errorf("the cut is not logged: %s", e.logs.String())
	}
}
