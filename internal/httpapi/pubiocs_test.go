package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store/mem"
)

// goldenText compares got with testdata/name (rewritten with -update).
func goldenText(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
	}
}

// unpack decodes base64 and gunzips.
func unpack(t *testing.T, s string) []byte {
	t.Helper()
	z, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	return b
}

const (
	iocMD5    = "0f343b0931126a20f133d67c2b018a3b"
	iocSHA1   = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	iocSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	heldMD5   = "11111111111111111111111111111111"
)

// iocEnv has a report with indicators of every type, some held, a name
// and description that need escaping, and reports of each group.
func iocEnv(t *testing.T) *env {
	t.Helper()
	e := pubEnv(t)
	ctx := context.Background()
	if err := e.st.Apply(ctx, &intel.Batch{
		Reports: []intel.Report{{ID: "rpt-ioc", Type: intel.ReportAPT, Title: `Tom's "loader", <v2> & co`,
			Description: "Invented <b>&</b>.", Published: day(2026, 11, 1), Updated: day(2026, 11, 5),
			Indicators: []string{"45.95.148.1", "10.9.0.0/16", "c2.example", "evil.example/a,b", "http://x.example/q?a=1&b=<2>",
				iocMD5, iocSHA1, iocSHA256, "45.95.147.10", "held.badcorp.example", heldMD5},
			Detected: map[string]time.Time{"c2.example": day(2026, 10, 28), iocSHA1: day(2026, 10, 30)}}},
		ReportLinks: []intel.ReportLink{{IP: netip.MustParseAddr("45.95.147.20"), ReportID: "rpt-ioc"},
			{IP: netip.MustParseAddr("45.95.149.2"), ReportID: "rpt-3"}},
		Links: []intel.Link{{List: intel.LinkHostReports, Owner: "gate.example", Item: "rpt-2"}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []intel.Hold{
		{Ref: "H-1", Prefix: netip.MustParsePrefix("45.95.147.0/24")},
		{Ref: "H-2", Domain: "badcorp.example"},
		{Ref: "H-3", Hash: heldMD5},
	} {
		if err := e.st.PutHold(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

var heldValues = []string{"45.95.147.10", "45.95.147.20", "held.badcorp.example", heldMD5, strings.ToUpper(heldMD5)}

type iocDoc struct {
	XMLName      xml.Name `xml:"http://schemas.mandiant.com/2010/ioc ioc"`
	ID           string   `xml:"id,attr"`
	LastModified string   `xml:"last-modified,attr"`
	Short        string   `xml:"short_description"`
	Desc         string   `xml:"description"`
	AuthoredBy   string   `xml:"authored_by"`
	AuthoredDate string   `xml:"authored_date"`
	Indicator    struct {
		Operator string `xml:"operator,attr"`
		ID       string `xml:"id,attr"`
		Items    []struct {
			ID        string `xml:"id,attr"`
			Condition string `xml:"condition,attr"`
			Context   struct {
				Document string `xml:"document,attr"`
				Search   string `xml:"search,attr"`
				Type     string `xml:"type,attr"`
			} `xml:"Context"`
			Content struct {
				Type  string `xml:"type,attr"`
				Value string `xml:",chardata"`
			} `xml:"Content"`
		} `xml:"IndicatorItem"`
	} `xml:"definition>Indicator"`
}

func getIOCs(t *testing.T, e *env, target string) (map[string]json.RawMessage, int) {
	t.Helper()
	w := e.do(t, http.MethodGet, target, "alice")
	var data map[string]json.RawMessage
	if env := decodeEnvelope(t, w); w.Code == http.StatusOK {
		if err := json.Unmarshal(env.ReturnData, &data); err != nil {
			t.Fatal(err)
		}
	}
	return data, w.Code
}

// TestPublicationIOCs: get_one with include_info=iocs carries the
// report's OpenIOC document (golden), whose items are its served
// indicators; without it, or with yara or pdf alone, no report_iocs; and
// never report_yara nor report_pdf.
func TestPublicationIOCs(t *testing.T) {
	e := iocEnv(t)
	for _, c := range []struct {
		include string
		iocs    bool
	}{
		{"", false}, {"yara", false}, {"pdf,yara", false}, {"iocs", true}, {"all", true}, {"yara,%20iocs", true}, {"all&lang=ru", true},
	} {
		data, code := getIOCs(t, e, "/api/publications/get_one?publication_id=rpt-ioc&include_info="+c.include)
		if code != http.StatusOK {
			t.Fatalf("include_info=%s: got %d, want 200", c.include, code)
		}
		_, has := data["report_iocs"]
		_, yara := data["report_yara"]
		_, pdf := data["report_pdf"]
		if has != c.iocs || yara || pdf {
			t.Errorf("include_info=%s: got report_iocs %v, report_yara %v, report_pdf %v; want %v, false, false", c.include, has, yara, pdf, c.iocs)
		}
	}
	data, _ := getIOCs(t, e, "/api/publications/get_one?publication_id=rpt-ioc&include_info=iocs")
	var encoded string
	var served []string
	if err := json.Unmarshal(data["report_iocs"], &encoded); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data["indicators"], &served); err != nil {
		t.Fatal(err)
	}
	doc := unpack(t, encoded)
	goldenText(t, "report-iocs.xml", doc)

	var d iocDoc
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatalf("not OpenIOC XML: %v", err)
	}
	if d.Short != `Tom's "loader", <v2> & co` || d.Desc != "Invented <b>&</b>." || d.AuthoredDate != "2026-11-01T00:00:00" ||
		d.LastModified != "2026-11-05T00:00:00" || d.Indicator.Operator != "OR" || d.ID == "" || d.Indicator.ID == "" {
		t.Errorf("got %+v, want the report's name, description and dates, operator OR", d)
	}
	want := map[string][4]string{ // value: document, search, content type
		"45.95.148.1":                  {"PortItem", "PortItem/remoteIP", "IP"},
		"10.9.0.0/16":                  {"PortItem", "PortItem/remoteIP", "IP"},
		"c2.example":                   {"Network", "Network/DNS", "string"},
		"evil.example/a,b":             {"Network", "Network/URI", "string"},
		"http://x.example/q?a=1&b=<2>": {"Network", "Network/URI", "string"},
		iocMD5:                         {"FileItem", "FileItem/Md5sum", "md5"},
		iocSHA1:                        {"FileItem", "FileItem/Sha1sum", "string"},
		iocSHA256:                      {"FileItem", "FileItem/Sha256sum", "string"},
	}
	if len(d.Indicator.Items) != len(served) || len(served) != len(want) {
		t.Fatalf("got %d items for %d served indicators, want %d", len(d.Indicator.Items), len(served), len(want))
	}
	ids := map[string]bool{d.ID: true, d.Indicator.ID: true}
	for i, it := range d.Indicator.Items {
		w, ok := want[it.Content.Value]
		got := [4]string{it.Context.Document, it.Context.Search, it.Content.Type, it.Context.Type}
		if !ok || it.Content.Value != served[i] || got != [4]string{w[0], w[1], w[2], "mir"} || it.Condition != "is" {
			t.Errorf("item %d: got %q %v %s, want %q %v mir is", i, it.Content.Value, got, it.Condition, served[i], w)
		}
		if ids[it.ID] {
			t.Errorf("item %d: id %s repeated", i, it.ID)
		}
		ids[it.ID] = true
	}
	for _, h := range heldValues {
		if bytes.Contains(doc, []byte(h)) {
			t.Errorf("held %s in the OpenIOC document", h)
		}
	}
	// The same request, the same document.
	again, _ := getIOCs(t, e, "/api/publications/get_one?publication_id=rpt-ioc&include_info=iocs")
	if !bytes.Equal(again["report_iocs"], data["report_iocs"]) {
		t.Error("report_iocs differs between two requests")
	}
}

// TestMasterIOC: get_master_ioc's list of every group (golden for all),
// the groups' reports, and held indicators never listed.
func TestMasterIOC(t *testing.T) {
	e := iocEnv(t)
	list := func(target string) string {
		t.Helper()
		data, code := getIOCs(t, e, target)
		if code != http.StatusOK {
			t.Fatalf("%s: got %d, want 200", target, code)
		}
		var s string
		if err := json.Unmarshal(data["master_ioc"], &s); err != nil {
			t.Fatal(err)
		}
		return string(unpack(t, s))
	}
	all := list("/api/publications/get_master_ioc?report_group=all")
	goldenText(t, "master-ioc.csv", []byte(all))
	if got := list("/api/publications/get_master_ioc"); got != all {
		t.Errorf("without report_group: got\n%s\nwant\n%s", got, all)
	}
	for _, h := range heldValues {
		if strings.Contains(all, h) {
			t.Errorf("held %s in the master IOC list", h)
		}
	}
	header, _, _ := strings.Cut(all, "\n")
	lines := strings.Split(strings.TrimSuffix(all, "\n"), "\n")[1:]
	for group, of := range map[string]func(string) bool{
		"apt": func(l string) bool { return !strings.Contains(l, ",Example loader,") },
		"fin": func(l string) bool { return strings.Contains(l, ",Example loader,") },
	} {
		want := header + "\n"
		for _, l := range lines {
			if of(l) {
				want += l + "\n"
			}
		}
		if got := list("/api/publications/get_master_ioc?report_group=" + group); got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", group, got, want)
		}
	}
	// POST takes report_group in the body.
	r := httptest.NewRequest(http.MethodPost, "/api/publications/get_master_ioc", strings.NewReader("report_group=fin"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	var data struct {
		MasterIOC string `json:"master_ioc"`
	}
	if err := json.Unmarshal(decodeEnvelope(t, w).ReturnData, &data); err != nil || w.Code != 200 ||
		!strings.Contains(string(unpack(t, data.MasterIOC)), "Example loader") || strings.Contains(string(unpack(t, data.MasterIOC)), "Example ICS") {
		t.Errorf("POST fin: got %d %s", w.Code, w.Body)
	}
}

// TestMasterIOCPages: get_master_ioc lists the reports of more than one
// store page once each, newest first.
func TestMasterIOCPages(t *testing.T) {
	e := newEnv(t, options{})
	var b intel.Batch
	var want []string
	for i := range 130 {
		id := fmt.Sprintf("rep-%04d", i)
		x := fmt.Sprintf("host-%04d.example", i)
		b.Reports = append(b.Reports, intel.Report{ID: id, Type: intel.ReportCrimeware, Title: id,
			Published: day(2026, 6, 1).Add(-time.Duration(i/7) * time.Second), Indicators: []string{x}})
		want = append(want, id+","+x)
	}
	if err := e.st.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	data, code := getIOCs(t, e, "/api/publications/get_master_ioc?report_group=fin")
	var s string
	if err := json.Unmarshal(data["master_ioc"], &s); err != nil || code != 200 {
		t.Fatalf("got %d %v", code, err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(string(unpack(t, s)), "\n"), "\n")[1:] {
		f := strings.Split(l, ",")
		got = append(got, f[1]+","+f[2])
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %d rows %v, want %d %v", len(got), got, len(want), want)
	}
}

// TestPublicationIOCErrors: unknown include_info and report_group are
// refused in the envelope, and not counted.
func TestPublicationIOCErrors(t *testing.T) {
	e := iocEnv(t)
	for _, c := range []struct{ target, msg string }{
		{"/api/publications/get_one?publication_id=rpt-1&include_info=iocs,stix", `include_info "stix" is unknown`},
		{"/api/publications/get_one?publication_id=rpt-1&include_info=IOCS", `include_info "IOCS" is unknown`},
		{"/api/publications/get_master_ioc?report_group=APT", `report_group "APT" is unknown`},
		{"/api/publications/get_master_ioc?report_group=ics", `report_group "ics" is unknown`},
		{"/api/publications/get_master_ioc?report_group=all&report_group=apt", "given 2 times"},
	} {
		w := e.do(t, http.MethodGet, c.target, "alice")
		env := decodeEnvelope(t, w)
		if w.Code != http.StatusBadRequest || env.Status != "error" || !strings.Contains(env.StatusMsg, c.msg) || env.ReturnData != nil {
			t.Errorf("%s: got %d %s, want 400 with %q", c.target, w.Code, w.Body, c.msg)
		}
	}
	if n, _ := e.acc.Store.RequestCount(context.Background(), "alice", "2026-11-28"); n != 0 {
		t.Errorf("got %d requests counted, want 0", n)
	}
	if w := e.do(t, http.MethodGet, "/api/publications/get_master_ioc", ""); w.Code != http.StatusUnauthorized || decodeEnvelope(t, w).Status != "error" {
		t.Errorf("no token: got %d %s, want 401 in the envelope", w.Code, w.Body)
	}
}

// TestMasterIOCStreamCut: when the store fails after get_master_ioc has
// begun its answer, the connection is cut: the client gets a truncated
// answer, never a complete-looking short list.
func TestMasterIOCStreamCut(t *testing.T) {
	st := &failsLater{Store: mem.New()}
	e := newEnv(t, options{store: st})
	var b intel.Batch
	for i := range 60 {
		var xs []string
		for j := range 200 {
			sum := sha256.Sum256([]byte(fmt.Sprint(i, j)))
			xs = append(xs, hex.EncodeToString(sum[:]))
		}
		b.Reports = append(b.Reports, intel.Report{ID: fmt.Sprintf("rep-%04d", i), Type: intel.ReportAPT, Title: "r",
			Published: day(2026, 6, 1).Add(-time.Duration(i) * time.Second), Indicators: xs})
	}
	if err := st.Store.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	wantCut(t, e, "/api/publications/get_master_ioc", "master IOC stream cut")
}
