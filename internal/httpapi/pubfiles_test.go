package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

// filesPDF is the PDF of rpt-ioc in the tests: short, with bytes that
// need base64.
var filesPDF = []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")

const filesYARA = "rule Tom_Loader\n{\n    strings:\n        $a = \"tom's\"\n    condition:\n        $a\n}\n"

// filesEnv is iocEnv with YARA rules on rpt-ioc (APT), rpt-2 (crimeware)
// and rpt-3 (ICS: without a final line break, a name on two lines), and a
// PDF on rpt-ioc; rpt-1 has neither.
func filesEnv(t *testing.T) *env {
	t.Helper()
	e := iocEnv(t)
	ctx := context.Background()
	var b intel.Batch
	for id, f := range map[string]struct {
		yara string
		pdf  []byte
	}{
		"rpt-ioc": {filesYARA, filesPDF},
		"rpt-2":   {"rule Loader_Two { condition: true }\n", nil},
		"rpt-3":   {"rule ICS_Three { condition: false }", nil},
	} {
		r, err := e.st.Report(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		r.YARA, r.PDF = f.yara, f.pdf
		if id == "rpt-3" {
			r.Title = "Example ICS\nsecond line"
		}
		b.Reports = append(b.Reports, r)
	}
	if err := e.st.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPublicationFiles: get_one's report_yara (gzipped rules) and
// report_pdf (the PDF) when include_info asks for them and the report has
// them; the answer with the PDF is a golden file, and its length is
// announced.
func TestPublicationFiles(t *testing.T) {
	e := filesEnv(t)
	for _, c := range []struct {
		id, include          string
		iocs, yara, pdf, any bool
	}{
		{"rpt-ioc", "", false, false, false, false},
		{"rpt-ioc", "iocs", true, false, false, true},
		{"rpt-ioc", "yara", false, true, false, true},
		{"rpt-ioc", "pdf", false, false, true, true},
		{"rpt-ioc", "pdf,yara", false, true, true, true},
		{"rpt-ioc", "all", true, true, true, true},
		{"rpt-ioc", "iocs,all", true, true, true, true},
		{"rpt-2", "all", true, true, false, true},
		{"rpt-1", "all", true, false, false, true},
	} {
		target := "/api/publications/get_one?publication_id=" + c.id + "&include_info=" + c.include
		w := e.do(t, http.MethodGet, target, "alice")
		if w.Code != http.StatusOK {
			t.Fatalf("%s: got %d %s", target, w.Code, w.Body)
		}
		if n, err := strconv.Atoi(w.Header().Get("Content-Length")); err != nil || n != w.Body.Len() {
			t.Errorf("%s: Content-Length %q for %d bytes", target, w.Header().Get("Content-Length"), w.Body.Len())
		}
		var data map[string]json.RawMessage
		if err := json.Unmarshal(decodeEnvelope(t, w).ReturnData, &data); err != nil {
			t.Fatal(err)
		}
		_, iocs := data["report_iocs"]
		_, yara := data["report_yara"]
		_, pdf := data["report_pdf"]
		if iocs != c.iocs || yara != c.yara || pdf != c.pdf {
			t.Errorf("%s: got report_iocs %v, report_yara %v, report_pdf %v; want %v, %v, %v", target, iocs, yara, pdf, c.iocs, c.yara, c.pdf)
		}
		if yara {
			var s string
			if err := json.Unmarshal(data["report_yara"], &s); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"rpt-ioc": filesYARA, "rpt-2": "rule Loader_Two { condition: true }\n"}[c.id]
			if got := string(unpack(t, s)); got != want {
				t.Errorf("%s: report_yara decodes to %q, want %q", target, got, want)
			}
		}
		if pdf {
			var s string
			if err := json.Unmarshal(data["report_pdf"], &s); err != nil {
				t.Fatal(err)
			}
			if got, err := base64.StdEncoding.DecodeString(s); err != nil || !bytes.Equal(got, filesPDF) {
				t.Errorf("%s: report_pdf decodes to %q (%v), want the PDF", target, got, err)
			}
		}
		if c.include == "pdf" {
			goldenText(t, "publication-pdf.json", w.Body.Bytes())
		}
	}
	// HEAD: the headers of GET, no body.
	w := e.do(t, http.MethodHead, "/api/publications/get_one?publication_id=rpt-ioc&include_info=pdf", "alice")
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD: got %d with %d bytes", w.Code, w.Body.Len())
	}
}

// masterYARA asks get_master_yara and returns the decoded text.
func masterYARA(t *testing.T, e *env, target string) string {
	t.Helper()
	data, code := getIOCs(t, e, target)
	if code != http.StatusOK {
		t.Fatalf("%s: got %d, want 200", target, code)
	}
	var s string
	if err := json.Unmarshal(data["master_yara"], &s); err != nil {
		t.Fatal(err)
	}
	return string(unpack(t, s))
}

// TestMasterYARA: get_master_yara's text for every group (golden for
// all), of the group's reports with rules only, newest first.
func TestMasterYARA(t *testing.T) {
	e := filesEnv(t)
	all := masterYARA(t, e, "/api/publications/get_master_yara?report_group=all")
	goldenText(t, "master-yara.yar", []byte(all))
	if got := masterYARA(t, e, "/api/publications/get_master_yara"); got != all {
		t.Errorf("without report_group: got\n%s\nwant\n%s", got, all)
	}
	for group, want := range map[string][]string{
		"apt": {"// report rpt-ioc:", "// report rpt-3: Example ICS second line\nrule ICS_Three { condition: false }\n\n"},
		"fin": {"// report rpt-2: Example loader\nrule Loader_Two { condition: true }\n\n"},
	} {
		got := masterYARA(t, e, "/api/publications/get_master_yara?report_group="+group)
		if n := strings.Count(got, "// report "); n != len(want) {
			t.Errorf("%s: got %d reports, want %d:\n%s", group, n, len(want), got)
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: got\n%s\nwant it to hold %q", group, got, w)
			}
		}
	}
	for _, c := range []struct{ target, msg string }{
		{"/api/publications/get_master_yara?report_group=FIN", `report_group "FIN" is unknown`},
		{"/api/publications/get_master_yara?report_group=all&report_group=all", "given 2 times"},
	} {
		w := e.do(t, http.MethodGet, c.target, "alice")
		env := decodeEnvelope(t, w)
		if w.Code != http.StatusBadRequest || env.Status != "error" || !strings.Contains(env.StatusMsg, c.msg) {
			t.Errorf("%s: got %d %s, want 400 with %q", c.target, w.Code, w.Body, c.msg)
		}
	}
	if w := e.do(t, http.MethodGet, "/api/publications/get_master_yara", ""); w.Code != http.StatusUnauthorized || decodeEnvelope(t, w).Status != "error" {
		t.Errorf("no token: got %d %s, want 401 in the envelope", w.Code, w.Body)
	}
}

// TestMasterYARAPages: the rules of more reports than a store page and a
// read of rules hold, each once, newest first.
func TestMasterYARAPages(t *testing.T) {
	e := newEnv(t, options{})
	var b intel.Batch
	var want strings.Builder
	for i := range 130 {
		id := fmt.Sprintf("rep-%04d", i)
		r := intel.Report{ID: id, Type: intel.ReportCrimeware, Title: id,
			Published: day(2026, 6, 1).Add(-time.Duration(i/7) * time.Second)}
		if i%3 != 0 {
			r.YARA = fmt.Sprintf("rule r%04d { condition: true }\n", i)
			fmt.Fprintf(&want, "// report %s: %s\n%s\n", id, id, r.YARA)
		}
		b.Reports = append(b.Reports, r)
	}
	if err := e.st.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if got := masterYARA(t, e, "/api/publications/get_master_yara?report_group=fin"); got != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got, want.String())
	}
	if got := masterYARA(t, e, "/api/publications/get_master_yara?report_group=apt"); got != "" {
		t.Errorf("apt: got %q, want nothing", got)
	}
}

// filesFailsLater is failsLater keeping the files of its store.
type filesFailsLater struct {
	*failsLater
	files store.ReportFilesReader
}

func (f *filesFailsLater) ReportYARAOf(ctx context.Context, ids []string) (map[string]string, error) {
	return f.files.ReportYARAOf(ctx, ids)
}

func (f *filesFailsLater) ReportPDF(ctx context.Context, id string) ([]byte, error) {
	return f.files.ReportPDF(ctx, id)
}

// TestMasterYARAStreamCut: when the store fails after get_master_yara has
// begun its answer, the connection is cut.
func TestMasterYARAStreamCut(t *testing.T) {
	m := mem.New()
	st := &filesFailsLater{failsLater: &failsLater{Store: m}, files: m}
	e := newEnv(t, options{store: st})
	var b intel.Batch
	for i := range 60 {
		var rule strings.Builder
		for j := range 40 {
			sum := sha256.Sum256([]byte(fmt.Sprint(i, j)))
			fmt.Fprintf(&rule, "        $h%d = \"%s\"\n", j, hex.EncodeToString(sum[:]))
		}
		b.Reports = append(b.Reports, intel.Report{ID: fmt.Sprintf("rep-%04d", i), Type: intel.ReportAPT, Title: "r",
			Published: day(2026, 6, 1).Add(-time.Duration(i) * time.Second),
			YARA:      "rule r {\n    strings:\n" + rule.String() + "    condition:\n        any of them\n}\n"})
	}
	if err := m.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	wantCut(t, e, "/api/publications/get_master_yara", "master YARA stream cut")
}
