package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/gen"
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

// TestPublicationFilesEndToEnd imports reports with YARA rules (inline and
// from a file) and PDFs named next to the import file through the command
// line, once into a stopped store and once through a running server
// (a forwarded import, whose files the server reads from the directory the
// CLI names), and reads them back over HTTP as a CTI connector does:
// get_one with include_info=all, get_master_yara and get_master_ioc,
// decoded (base64, gunzip) and compared with what was imported.
func TestPublicationFilesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pdfA := gen.PDF("Report A", "An invented report.", "(with parentheses) and a \\ backslash")
	pdfD := append(gen.PDF("Report D"), []byte("\x00\xff trailing bytes")...)
	yaraA := "rule Report_A\n{\n    strings:\n        $a = \"c2.report-a.example\"\n    condition:\n        $a\n}\n"
	yaraB := "rule Report_B { condition: true }"
	yaraD := "rule Report_D { condition: false }\n"
	write("first/docs/a.pdf", pdfA)
	write("first/b.yar", []byte(yaraB))
	write("first/reports.jsonl", []byte(strings.Join([]string{
		`{"id":"rpt-a","type":"APT","title":"Report A","published":"2026-06-03","ips":["45.95.147.10"],"domains":["c2.report-a.example"],"hashes":["0f343b0931126a20f133d67c2b018a3b"],"yara":` + strconv.Quote(yaraA) + `,"pdf":"docs/a.pdf"}`,
		`{"id":"rpt-b","type":"Crimeware","title":"Report B","published":"2026-06-02","ips":["91.92.109.43"],"yara_file":"b.yar"}`,
		`{"id":"rpt-c","type":"ICS","title":"Report C","published":"2026-06-01","ips":["185.220.100.1"]}`,
	}, "\n")+"\n"))
	write("second/d.pdf", pdfD)
	write("second/reports.jsonl", []byte(`{"id":"rpt-d","type":"APT","title":"Report D","published":"2026-06-04","yara":`+strconv.Quote(yaraD)+`,"pdf":"d.pdf"}`+"\n"))

	// Standard input has no directory: -dir names it.
	second, err := os.ReadFile(filepath.Join(dir, "second", "reports.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := tipd(t, string(second), "import", "-store", "mem:", "-format", "reports", "-"); code != 1 || !strings.Contains(errOut, "give -dir") {
		t.Errorf("standard input naming a PDF, without -dir: exit %d, stderr %q; want the line reported bad, and exit 1 (nothing imported)", code, errOut)
	}
	if _, errOut, code := tipd(t, string(second), "import", "-store", "mem:", "-format", "reports", "-dir", filepath.Join(dir, "second"), "-"); code != 0 || errOut != "" {
		t.Errorf("standard input with -dir: exit %d, stderr %q; want no bad line", code, errOut)
	}

	st := filepath.Join(dir, "store")
	mustTipd(t, "import", "-store", st, "-format", "reports", filepath.Join(dir, "first", "reports.jsonl"))
	mustTipd(t, "user", "add", "-store", st, "cti")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "cti"))
	s := startServer(t, st)
	// The store is in use: this import goes through the server.
	mustTipd(t, "import", "-store", st, "-format", "reports", filepath.Join(dir, "second", "reports.jsonl"))

	returnData := func(path string) map[string]string {
		t.Helper()
		a := get(t, "POST", s.url+path, tok)
		var env struct {
			Status     string                     `json:"status"`
			ReturnData map[string]json.RawMessage `json:"return_data"`
		}
		if err := json.Unmarshal(a.body, &env); err != nil || a.status != 200 || env.Status != "ok" {
			t.Fatalf("%s: got %d %.300s (%v)", path, a.status, a.body, err)
		}
		out := map[string]string{}
		for k, v := range env.ReturnData {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			}
		}
		return out
	}
	gunzip := func(what, s string) string {
		t.Helper()
		z, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("%s: base64: %v", what, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatalf("%s: gzip: %v", what, err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: gzip: %v", what, err)
		}
		return string(b)
	}
	for _, c := range []struct {
		id, yara string
		pdf      []byte
	}{
		{"rpt-a", yaraA, pdfA}, {"rpt-b", yaraB, nil}, {"rpt-c", "", nil}, {"rpt-d", yaraD, pdfD},
	} {
		d := returnData("/api/publications/get_one?publication_id=" + c.id + "&include_info=all")
		if !strings.Contains(gunzip(c.id+" report_iocs", d["report_iocs"]), `<ioc xmlns="http://schemas.mandiant.com/2010/ioc"`) {
			t.Errorf("%s: report_iocs is no OpenIOC document", c.id)
		}
		y, hasY := d["report_yara"]
		if hasY != (c.yara != "") || hasY && gunzip(c.id+" report_yara", y) != c.yara {
			t.Errorf("%s: report_yara %q (present %v), want the rules %q", c.id, y, hasY, c.yara)
		}
		p, hasP := d["report_pdf"]
		got, err := base64.StdEncoding.DecodeString(p)
		if hasP != (c.pdf != nil) || err != nil || !bytes.Equal(got, c.pdf) {
			t.Errorf("%s: report_pdf of %d bytes (present %v, %v), want %d bytes", c.id, len(got), hasP, err, len(c.pdf))
		}
	}
	master := func(group string) string {
		t.Helper()
		return gunzip("master_yara "+group, returnData("/api/publications/get_master_yara?report_group=" + group)["master_yara"])
	}
	block := func(id, title, rules string) string {
		if !strings.HasSuffix(rules, "\n") {
			rules += "\n"
		}
		return "// report " + id + ": " + title + "\n" + rules + "\n"
	}
	for group, want := range map[string]string{
		"all": block("rpt-d", "Report D", yaraD) + block("rpt-a", "Report A", yaraA) + block("rpt-b", "Report B", yaraB),
		"apt": block("rpt-d", "Report D", yaraD) + block("rpt-a", "Report A", yaraA),
		"fin": block("rpt-b", "Report B", yaraB),
	} {
		if got := master(group); got != want {
			t.Errorf("get_master_yara %s: got\n%s\nwant\n%s", group, got, want)
		}
	}
	ioc := gunzip("master_ioc", returnData("/api/publications/get_master_ioc?report_group=apt")["master_ioc"])
	for _, want := range []string{",Report A,45.95.147.10,2026-06-03,networkActivity\n", ",Report A,c2.report-a.example,2026-06-03,networkActivity\n",
		",Report A,0F343B0931126A20F133D67C2B018A3B,2026-06-03,md5Hash\n", ",Report C,185.220.100.1,2026-06-01,networkActivity\n"} {
		if !strings.Contains(ioc, want) {
			t.Errorf("get_master_ioc apt: got\n%s\nwant a row ending %q", ioc, want)
		}
	}
	if strings.Contains(ioc, "Report B") {
		t.Errorf("get_master_ioc apt lists the crimeware report:\n%s", ioc)
	}
}
