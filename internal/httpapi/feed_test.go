package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/feeds"
	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

// TestFeed: a feed page tells the latest version the store keeps and the
// state of this server's fetches, without the feed's address or error
// texts; an unknown name is a 404, a bad one a 400; each page counts once.
func TestFeed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, options{})
	st, acc, tok := e.st, e.acc, e.tokens["alice"]
	if err := store.PutFeedVersions(ctx, st, map[string]time.Time{"Example DROP": now.Add(-2 * time.Hour), "Old List": now.AddDate(0, 0, -3)}); err != nil {
		t.Fatal(err)
	}
	statuses := func() []feeds.Status {
		return []feeds.Status{{Name: "Example DROP", URL: "https://feeds.example/secret-path/drop.txt", Format: "drop", Interval: time.Hour,
			LastSuccess: now.Add(-time.Hour), LastImport: now.Add(-2 * time.Hour), NextRun: now, LastApplied: 1234, Failures: 1,
			LastError: "fetch https://feeds.example/secret-path/drop.txt: 503", LastFailure: now.Add(-3 * time.Hour)}}
	}
	h := httpapi.NewServer(nil, httpapi.Config{}, httpapi.Deps{Access: acc,
		Reports: &report.Builder{Store: st, Now: fixedNow}, Feeds: statuses})
	get := func(query string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/feed?"+query, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := get("name=Example+DROP")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	const want = `{"Name":"Example DROP","LatestVersion":"2026-11-28T13:00:00Z","Fetched":{"Format":"drop","IntervalSeconds":3600,"LastSuccess":"2026-11-28T14:00:00Z","LastImport":"2026-11-28T13:00:00Z","LastFailure":"2026-11-28T12:00:00Z","NextRun":"2026-11-28T15:00:00Z","LastApplied":1234,"Failures":1}}`
	if got := strings.TrimSpace(w.Body.String()); got != want {
		t.Errorf("answer:\ngot  %s\nwant %s", got, want)
	}
	var a map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || strings.Contains(w.Body.String(), "secret-path") {
		t.Errorf("the answer shows the feed's address or error: %s (%v)", w.Body, err)
	}
	if w := get("name=Old%20List"); w.Code != 200 || !strings.Contains(w.Body.String(), `"LatestVersion":"2026-11-25T15:00:00Z"`) || strings.Contains(w.Body.String(), "Fetched") {
		t.Errorf("a feed with a version only: %d %s", w.Code, w.Body)
	}
	for _, tt := range []struct {
		query  string
		status int
	}{
		{"name=Nobody", 404},
		{"", 400},
		{"name=", 400},
		{"name=a&name=b", 400},
		{"name=%00", 400},
		{"name=" + strings.Repeat("x", 300), 400},
		{"feed=x", 400},
	} {
		if w := get(tt.query); w.Code != tt.status {
			t.Errorf("%q: status %d, want %d: %s", tt.query, w.Code, tt.status, w.Body)
		}
	}
	// Two answered pages and the 404 (a lookup of nothing) counted.
	if n, _ := st.RequestCount(ctx, "alice", store.Day(now)); n != 3 {
		t.Errorf("counted %d requests, want 3", n)
	}
}
