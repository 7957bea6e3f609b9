package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPublicationsEndToEnd imports 250 reports (five to a day, none with
// an update date) and a report link through the command line, serves the
// store and reads them as a CTI connector does: one get_list over the
// window answers all 250 with count 250, each with a date in updated;
// paging with limit and next gives the same reports once each; a report
// known by a report link only lists its address; 401 and 404 come in the
// envelope.
func TestPublicationsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	var lines strings.Builder
	first := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range 250 {
		fmt.Fprintf(&lines, `{"kind":"report","id":"e2e-%03d","type":"APT","title":"Report %d","published":"%s"}`+"\n",
			i, i, first.AddDate(0, 0, i/5).Format("2006-01-02"))
	}
	lines.WriteString(`{"kind":"report_link","ip":"45.95.147.10","report":"e2e-007"}` + "\n")
	file := filepath.Join(dir, "reports.jsonl")
	if err := os.WriteFile(file, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	st := filepath.Join(dir, "store")
	mustTipd(t, "import", "-store", st, "-format", "jsonl", file)
	mustTipd(t, "user", "add", "-store", st, "cti")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "cti"))
	s := startServer(t, st)

	type pub struct {
		ID         string   `json:"id"`
		Published  *int64   `json:"published"`
		Updated    *int64   `json:"updated"`
		Indicators []string `json:"indicators"`
	}
	type list struct {
		Status     string `json:"status"`
		ReturnData struct {
			Publications []pub `json:"publications"`
			Count        int   `json:"count"`
			Next         *struct {
				DateEnd int64  `json:"date_end"`
				AfterID string `json:"after_id"`
			} `json:"next"`
		} `json:"return_data"`
	}
	fetch := func(query string) list {
		t.Helper()
		a := get(t, "GET", s.url+"/api/publications/get_list?"+query, tok)
		var l list
		if err := json.Unmarshal(a.body, &l); err != nil || a.status != 200 || l.Status != "ok" {
			t.Fatalf("%s: got %d %.300s (%v)", query, a.status, a.body, err)
		}
		return l
	}
	start, end := first.Unix(), first.AddDate(0, 0, 50).Unix()
	window := fmt.Sprintf("date_start=%d&date_end=%d", start, end)
	l := fetch(window)
	if len(l.ReturnData.Publications) != 250 || l.ReturnData.Count != 250 {
		t.Fatalf("got %d publications, count %d, want 250", len(l.ReturnData.Publications), l.ReturnData.Count)
	}
	var all []string
	for _, p := range l.ReturnData.Publications {
		if p.Updated == nil || p.Published == nil || *p.Updated != *p.Published {
			t.Errorf("%s: published %v updated %v, want updated = published", p.ID, p.Published, p.Updated)
		}
		if p.ID == "e2e-007" && strings.Join(p.Indicators, ",") != "45.95.147.10" {
			t.Errorf("e2e-007: indicators %v, want the linked address", p.Indicators)
		}
		all = append(all, p.ID)
	}
	var paged []string
	q := window + "&limit=7"
	for range 100 {
		l := fetch(q)
		for _, p := range l.ReturnData.Publications {
			paged = append(paged, p.ID)
		}
		if l.ReturnData.Next == nil {
			break
		}
		q = fmt.Sprintf("date_start=%d&date_end=%d&after_id=%s&limit=7", start, l.ReturnData.Next.DateEnd, l.ReturnData.Next.AfterID)
	}
	if strings.Join(paged, ",") != strings.Join(all, ",") {
		t.Errorf("paging by 7 gave %d reports, want the 250 of one get_list in its order", len(paged))
	}

	for _, c := range []struct {
		path, token string
		status      int
	}{
		{"/api/publications/get_list", "", 401},
		{"/api/publications/get_list", "wrong", 401},
		{"/api/publications/nothing", tok, 404},
		{"/api/publications/get_one?publication_id=missing", tok, 404},
	} {
		a := get(t, "GET", s.url+c.path, c.token)
		var env map[string]any
		if err := json.Unmarshal(a.body, &env); err != nil || a.status != c.status || env["status"] != "error" ||
			env["status_msg"] == "" || len(env) != 2 {
			t.Errorf("%s: got %d %s, want %d in the envelope", c.path, a.status, a.body, c.status)
		}
	}
}
