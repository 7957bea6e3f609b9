package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestConnectorConversation plays a CTI connector's conversation with the
// publications API as its own client does: POST with the parameters in the
// query string, Basic authentication together with a client certificate
// over mutual TLS, against the reports `tipd gen -formats reports` writes
// (250 of them, with YARA rules and PDFs). get_list over the whole window
// returns every report without a limit, get_one with include_info=all
// carries decodable OpenIOC, YARA and PDF, both master files decode, and
// refusals come in the publications envelope.
func TestConnectorConversation(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	certs := filepath.Join(dir, "certs")
	world := filepath.Join(dir, "world")
	tipdIn(t, "", "gen", "-size", "25000", "-seed", "3", "-now", e2eNow, "-formats", "reports", "-out", world)
	tipdIn(t, "", "import", "-store", st, "-format", "reports", filepath.Join(world, "reports.jsonl"))
	tipdIn(t, "s3cret-pw\n", "user", "add", "-store", st, "-password-stdin", "connector")
	tipdIn(t, "", "ca", "init", "-store", st)
	tipdIn(t, "", "cert", "issue", "-store", st, "-out", certs, "connector")
	tipdIn(t, "", "cert", "server", "-store", st, "-host", "127.0.0.1", "-out", certs)
	base := startTLSServer(t, st, certs)
	client := tlsClient(t, st, certs, "connector")
	auth := basic("connector", "s3cret-pw")

	post := func(path string, q url.Values, auth string) (int, map[string]json.RawMessage, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+path+"?"+q.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var env struct {
			Status     string                     `json:"status"`
			StatusMsg  string                     `json:"status_msg"`
			ReturnData map[string]json.RawMessage `json:"return_data"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%s: not the publications envelope: %.200s", path, body)
		}
		if (resp.StatusCode == 200) != (env.Status == "ok") || resp.StatusCode != 200 && env.StatusMsg == "" {
			t.Errorf("%s: status %d with envelope %q %q", path, resp.StatusCode, env.Status, env.StatusMsg)
		}
		return resp.StatusCode, env.ReturnData, env.Status
	}
	str := func(raw json.RawMessage) string {
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	gunzip := func(what, s string) []byte {
		t.Helper()
		return unpackBase64Gzip(t, what, s)
	}

	// The whole window, no limit: every report, count = the window's.
	end := strconv.FormatInt(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), 10)
	status, d, _ := post("/api/publications/get_list", url.Values{"date_start": {"0"}, "date_end": {end}}, auth)
	var pubs []struct {
		ID      string `json:"id"`
		Updated int64  `json:"updated"`
	}
	var count int
	if err := json.Unmarshal(d["publications"], &pubs); err != nil || status != 200 || json.Unmarshal(d["count"], &count) != nil {
		t.Fatalf("get_list: %d %v", status, err)
	}
	if len(pubs) != 250 || count != 250 {
		t.Fatalf("get_list over every report: %d publications, count %d; want 250", len(pubs), count)
	}
	// get_one with everything, for reports until one with a PDF was seen.
	sawPDF := false
	for _, p := range pubs {
		if p.Updated == 0 {
			t.Errorf("%s: no updated date", p.ID)
		}
		status, d, _ := post("/api/publications/get_one", url.Values{"publication_id": {p.ID}, "include_info": {"all"}}, auth)
		if status != 200 {
			t.Fatalf("get_one %s: %d", p.ID, status)
		}
		var ioc struct {
			XMLName xml.Name
			Items   []struct {
				Context struct {
					Search string `xml:"search,attr"`
				} `xml:"Context"`
				Content string `xml:"Content"`
			} `xml:"definition>Indicator>IndicatorItem"`
		}
		if err := xml.Unmarshal(gunzip(p.ID+" report_iocs", str(d["report_iocs"])), &ioc); err != nil || ioc.XMLName.Local != "ioc" {
			t.Errorf("%s: report_iocs is no OpenIOC document: %v", p.ID, err)
		}
		if y := str(d["report_yara"]); y == "" || !strings.Contains(string(gunzip(p.ID+" report_yara", y)), "rule ") {
			t.Errorf("%s: no YARA rules in report_yara", p.ID)
		}
		if pdf := str(d["report_pdf"]); pdf != "" {
			b, err := base64.StdEncoding.DecodeString(pdf)
			if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("%%EOF")) {
				t.Errorf("%s: report_pdf is no PDF document (%v)", p.ID, err)
			}
			sawPDF = true
			break
		}
	}
	if !sawPDF {
		t.Error("no report of the generated world has a PDF")
	}
	for _, m := range []struct{ path, key, want string }{
		{"/api/publications/get_master_ioc", "master_ioc", "uid,publication,indicator,detection_date,indicator_type\n"},
		{"/api/publications/get_master_yara", "master_yara", "// report "},
	} {
		status, d, _ := post(m.path, url.Values{"report_group": {"all"}}, auth)
		text := string(gunzip(m.key, str(d[m.key])))
		if status != 200 || !strings.HasPrefix(text, m.want) {
			t.Errorf("%s: %d, does not start with %q", m.path, status, m.want)
		}
		if m.key == "master_ioc" {
			for _, typ := range []string{",md5Hash\n", ",sha1Hash\n", ",sha256Hash\n", ",networkActivity\n"} {
				if !strings.Contains(text, typ) {
					t.Errorf("master_ioc has no %s row", strings.TrimSpace(typ[1:]))
				}
			}
		}
	}
	// Refusals, in the envelope.
	if status, _, env := post("/api/publications/get_list", url.Values{}, basic("connector", "wrong")); status != 401 || env != "error" {
		t.Errorf("a wrong password: %d %q, want 401 in the envelope", status, env)
	}
	if status, _, env := post("/api/publications/get_nothing", url.Values{}, auth); status != 404 || env != "error" {
		t.Errorf("an unknown path: %d %q, want 404 in the envelope", status, env)
	}
}
