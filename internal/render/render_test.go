package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// day and at build fixed times.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
func at(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, time.UTC)
}

var lic = intel.LicenseInfo{AccessType: intel.AccessCommercial, DayRequests: 42, DayQuota: 5000,
	TokenExpires: at(2027, 6, 30, 0, 0, 0)}

func redReport() *report.IPReport {
	ip := netip.MustParseAddr("45.95.147.10")
	return &report.IPReport{
		Sections:   report.AllIPSections,
		License:    lic,
		IP:         ip,
		Zone:       intel.ZoneRed,
		HasRedZone: true,
		General: report.IPGeneral{
			Status: report.StatusKnown, CountryCode: "NL", HitsCount: 1000,
			FirstSeen: at(2025, 3, 14, 8, 20, 11), ThreatScore: 91,
			Categories: []score.CategoryZone{
				{Name: intel.CatMalware, Zone: intel.ZoneRed},
				{Name: intel.CatBotnetCNC, Zone: intel.ZoneRed},
			},
			HasAPT:  true,
			Reports: []report.ReportRef{{ID: "rpt-2026-0117", Type: intel.ReportAPT, Title: "Example \"campaign\" <2026>"}},
		},
		Files: []intel.FileDownload{
			{IP: ip, MD5: "0f343b0931126a20f133d67c2b018a3b", URL: "http://45.95.147.10/bins/x86", Zone: intel.ZoneRed,
				DetectionName: "HEUR:Backdoor.Linux.Mirai.b", Hits: 37,
				FirstSeen: at(2026, 11, 20, 8, 15, 59), LastSeen: at(2026, 11, 27, 9, 0, 1)},
			{IP: ip, MD5: "D41D8CD98F00B204E9800998ECF8427E", URL: "http://c2.badcorp.example/a.sh",
				Hits: 2, FirstSeen: at(2026, 11, 1, 0, 0, 0), LastSeen: at(2026, 11, 2, 0, 0, 0)},
		},
		HostedURLs: []intel.HostedURL{
			{IP: ip, URL: "45.95.147.10/bins/x86", Zone: intel.ZoneRed, Hits: 120,
				FirstSeen: at(2026, 11, 20, 8, 15, 0), LastSeen: at(2026, 11, 27, 9, 0, 0)},
			{IP: ip, URL: "c2.badcorp.example/login", Zone: intel.ZoneOrange, Hits: 12, Truncated: true,
				FirstSeen: at(2026, 11, 21, 10, 0, 0), LastSeen: at(2026, 11, 22, 10, 0, 0)},
		},
		Masks: []intel.FeedMask{
			{IP: ip, Mask: "45.95.147.10/bins/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed,
				Feeds: []string{"Malicious URL Feed"}},
			{IP: ip, Mask: "45.95.147.10", MaskType: intel.MaskHost, Zone: intel.ZoneYellow,
				Feeds: []string{"Adware Feed"}},
		},
		// Merged between the two store masks by zone.
		NetMasks: []intel.FeedMask{
			{IP: ip, Mask: "45.95.147.0/24", MaskType: intel.MaskNetwork, Zone: intel.ZoneOrange,
				Feeds: []string{"APT IP Feed", "Botnet CC URL Feed"}},
		},
		Whois: report.Whois{
			Type: "inetnum", Status: report.StatusKnown,
			ASN: []intel.ASRange{{ASN: 213371, Description: []string{"EXAMPLE-HOSTING-AS"}}},
			Net: &intel.WhoisNet{
				Type: "inetnum", Start: netip.MustParseAddr("45.95.147.0"), End: netip.MustParseAddr("45.95.147.255"),
				Name: "EXAMPLE-NET", Description: "Example Hosting customers\r\nAmsterdam",
				Created: at(2020, 1, 15, 12, 0, 0), Changed: at(2025, 6, 30, 8, 30, 0),
			},
			Contacts: []intel.Contact{
				{Address: []string{"Examplestraat 1", "1000 AA Amsterdam", "NETHERLANDS"}, OrganizationID: "ORG-EH1-RIPE",
					Name: "Example Hosting B.V.", Role: "owner", Type: "organisation", Phone: "+31 20 000 0000",
					Email: "noc@hosting.example"},
				{Address: []string{"Examplestraat 1"}, Name: "Example Hosting NOC", Role: "abuse", Type: "role",
					Fax: "+31 20 000 0002", Email: "abuse@hosting.example"},
			},
		},
		Resolutions: []intel.Resolution{
			{IP: ip, Domain: "c2.badcorp.example", FirstSeen: at(2025, 11, 1, 12, 26, 30), LastSeen: at(2025, 11, 26, 23, 33, 0),
				Hits: 50, DailyPeak: 9, PeakDate: day(2025, 11, 12), Zone: intel.ZoneRed,
				Categories: []intel.Category{intel.CatBotnetCNC}},
			{IP: ip, Domain: "xn--80ak6aa92e.example", FirstSeen: at(2025, 10, 1, 0, 0, 0), LastSeen: at(2025, 10, 2, 0, 0, 0),
				Hits: 1, DailyPeak: 1, PeakDate: day(2025, 10, 1)},
		},
		Spam: report.Spam{Attacks: 3, Ratio: 0.003, Last: at(2026, 11, 25, 7, 0, 0), Types: []string{"Malware", "Phishing"}},
		Phishing: report.Phishing{Attacks: 5, Last: at(2026, 11, 26, 1, 2, 3), Regions: []string{"DE", "NL"},
			Kit: "16shop", StolenData: []string{"credentials"}, Industries: []string{"Banking"},
			Organizations: []string{"Example Bank"}},
		Industries: []string{"Financial services", "Telecommunications"},
	}
}

func greyReport() *report.IPReport {
	return &report.IPReport{
		Sections: report.AllIPSections,
		License:  intel.LicenseInfo{AccessType: intel.AccessTrial, DayRequests: 1, DayQuota: 100},
		IP:       netip.MustParseAddr("198.135.184.22"),
		Zone:     intel.ZoneGrey,
		General:  report.IPGeneral{Status: report.StatusNoInfo},
		Whois:    report.Whois{Status: report.StatusNoInfo},
	}
}

func ipv6Report() *report.IPReport {
	ip := netip.MustParseAddr("2a00:1450:4001:80b::200e")
	return &report.IPReport{
		Sections: report.AllIPSections,
		License:  lic,
		IP:       ip,
		Zone:     intel.ZoneOrange,
		General: report.IPGeneral{Status: report.StatusKnown, CountryCode: "IE", HitsCount: 100000,
			FirstSeen: at(2024, 1, 5, 12, 30, 0), ThreatScore: 65,
			Categories: []score.CategoryZone{{Name: intel.CatScanner, Zone: intel.ZoneOrange}}},
		Masks: []intel.FeedMask{{IP: ip, Mask: "2a00:1450:4001::/48", MaskType: intel.MaskNetwork,
			Zone: intel.ZoneOrange, Feeds: []string{"Scanner Feed"}}},
		Whois: report.Whois{Type: "inet6num", Status: report.StatusKnown,
			ASN: []intel.ASRange{{ASN: 15169, Description: []string{"GOOGLE", "Google LLC"}}},
			Net: &intel.WhoisNet{Type: "inet6num", Prefix: netip.MustParsePrefix("2a00:1450:4000::/37"),
				Name: "IE-GOOGLE-2a00-1450-4000-1"}},
		Resolutions: []intel.Resolution{{IP: ip, Domain: "scan.example", LastSeen: at(2024, 2, 1, 0, 0, 0),
			Hits: 3, Zone: intel.ZoneGrey}},
	}
}

func urlReport() *report.URLReport {
	return &report.URLReport{
		Sections:   report.AllURLSections,
		License:    lic,
		URL:        "45.95.147.10/bins/x86",
		Host:       "45.95.147.10",
		Known:      true,
		Zone:       intel.ZoneRed,
		HasRedZone: true,
		IPv4Count:  1,
		FilesCount: 1,
		Categories: []score.CategoryZone{{Name: intel.CatMalware, Zone: intel.ZoneRed}},
		HasAPT:     true,
		Reports:    []report.ReportRef{{ID: "rpt-2026-0117", Type: intel.ReportAPT, Title: "Example campaign"}},
		Files: []intel.FileDownload{{MD5: "0F343B0931126A20F133D67C2B018A3B", URL: "http://45.95.147.10/bins/x86",
			Zone: intel.ZoneRed, Hits: 37, FirstSeen: at(2026, 11, 20, 8, 15, 0), LastSeen: at(2026, 11, 27, 9, 0, 0)}},
		Masks: []intel.FeedMask{
			{Mask: "45.95.147.10/bins/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed, Feeds: []string{"Malicious URL Feed"}},
			{Mask: "45.95.147.10", MaskType: intel.MaskHost, Zone: intel.ZoneYellow, Feeds: []string{"Adware Feed"}},
		},
	}
}

func filteredReport() *report.IPReport {
	r := redReport()
	sec, err := report.ParseIPSections("HostedUrls,Zone,IpWhoIs,Zone,IPSpamInfo")
	if err != nil {
		panic(err)
	}
	r.Sections = sec
	r.HostedURLs = r.HostedURLs[:1] // count=1
	return r
}

// refuseStore fails every read: reserved addresses must not touch the store.
type refuseStore struct{ store.Intel }

func (refuseStore) Address(context.Context, netip.Addr) (intel.AddressSummary, error) {
	return intel.AddressSummary{}, errors.New("store read for a reserved address")
}

func reservedReport(t *testing.T, addr string) *report.IPReport {
	t.Helper()
	b := &report.Builder{Store: refuseStore{}, Now: func() time.Time { return at(2026, 11, 28, 0, 0, 0) }}
	r, err := b.IP(context.Background(), netip.MustParseAddr(addr), report.AllIPSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Reserved {
		t.Fatalf("%s: not reserved", addr)
	}
	r.License = lic
	return r
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name   string
		url    bool
		render func(t *testing.T) []byte
	}{
		{"ip-red-full", false, func(t *testing.T) []byte { return mustIP(t, redReport()) }},
		{"ip-grey-unknown", false, func(t *testing.T) []byte { return mustIP(t, greyReport()) }},
		{"ip-reserved-v4", false, func(t *testing.T) []byte { return mustIP(t, reservedReport(t, "192.168.10.1")) }},
		{"ip-reserved-v6", false, func(t *testing.T) []byte { return mustIP(t, reservedReport(t, "2001:db8::1")) }},
		{"ip-v6-global", false, func(t *testing.T) []byte { return mustIP(t, ipv6Report()) }},
		{"url", true, func(t *testing.T) []byte {
			b, err := URLJSON(urlReport())
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"ip-filtered", false, func(t *testing.T) []byte { return mustIP(t, filteredReport()) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.render(t)
			var compact bytes.Buffer
			if err := json.Compact(&compact, got); err != nil {
				t.Fatalf("invalid JSON: %v\n%s", err, got)
			}
			if !bytes.Equal(compact.Bytes(), got) {
				t.Errorf("output is not compact JSON")
			}
			want := golden(t, tc.name, got)
			checkContract(t, want, tc.url)
		})
	}
}

func mustIP(t *testing.T, r *report.IPReport) []byte {
	t.Helper()
	b, err := IPJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The spec table (section 3 and 5): a field kind per key.
type field struct {
	name string
	kind string // str, str?, int, num, bool, dt?, min?, day?, [str], [obj], obj?
	sub  []field
}

var (
	reDateTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	reMinute   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\dZ$`)
	reDay      = regexp.MustCompile(`^\d{4}-\d\d-\d\d$`)
)

func specFields() (ip, url map[string]field) {
	cats := []field{{"Categories", "[str]", nil},
		{"CategoriesWithZone", "[obj]", []field{{"Name", "str", nil}, {"Zone", "zone", nil}}}}
	apt := field{"RelatedAptReports", "[obj]", []field{{"Id", "str", nil}, {"Type", "str", nil}, {"Title", "str?", nil}}}
	file := []field{{"Zone", "zone", nil}, {"DownloadHitsCount", "int", nil}, {"Md5", "md5", nil},
		{"FirstSeen", "min?", nil}, {"LastSeen", "min?", nil}, {"DetectionName", "str?", nil}, {"Url", "str", nil}}
	masks := field{"FeedMasks", "[obj]", []field{{"Zone", "zone", nil}, {"Status", "str", nil},
		{"NormalizedMask", "str", nil}, {"FeedNames", "[str]", nil}, {"MaskType", "str", nil}}}
	common := map[string]field{
		"LicenseInfo": {"LicenseInfo", "obj", []field{{"AccessType", "str", nil}, {"DayRequests", "int", nil},
			{"DayQuota", "int", nil}, {"TokenExpirationDate", "dt?", nil}}},
		"Zone":           {"Zone", "zone", nil},
		"RelatedObjects": {"RelatedObjects", "obj", []field{{"HasRedZone", "bool", nil}}},
		"FeedMasks":      masks,
	}
	ip = map[string]field{
		"IpGeneralInfo": {"IpGeneralInfo", "obj", append([]field{{"Ip", "str", nil}, {"Status", "str", nil},
			{"CountryCode", "str?", nil}, {"HitsCount", "int", nil}, {"FirstSeen", "dt?", nil},
			{"ThreatScore", "int", nil}}, append(cats, field{"HasApt", "bool", nil}, apt)...)},
		"FilesDownloadedFromIp": {"FilesDownloadedFromIp", "[obj]", file},
		"HostedUrls": {"HostedUrls", "[obj]", []field{{"Zone", "zone", nil}, {"UrlHitsCount", "int", nil},
			{"Url", "str", nil}, {"IsUrlTruncated", "bool", nil}, {"FirstSeen", "min?", nil}, {"LastSeen", "min?", nil}}},
		"IpWhoIs": {"IpWhoIs", "obj", []field{{"Type", "str?", nil}, {"Status", "str", nil},
			{"Asn", "[obj]", []field{{"Number", "int", nil}, {"Origin", "str", nil}, {"Description", "[str]", nil}}},
			{"Net", "obj?", []field{{"RangeStart", "str", nil}, {"RangeEnd", "str", nil}, {"Created", "dt?", nil},
				{"Changed", "dt?", nil}, {"Name", "str?", nil}, {"Description", "str?", nil}}},
			{"Contacts", "[obj]", []field{{"Address", "[str]", nil}, {"OrganizationId", "str?", nil}, {"Name", "str?", nil},
				{"ContactRole", "str?", nil}, {"ContactType", "str?", nil}, {"Fax", "str?", nil}, {"Phone", "str?", nil},
				{"Email", "str?", nil}}}}},
		"IpDnsResolutions": {"IpDnsResolutions", "[obj]", []field{{"Zone", "zone", nil}, {"Domain", "str", nil},
			{"FirstSeen", "min?", nil}, {"LastSeen", "min?", nil}, {"HitsCount", "int", nil}, {"DailyPeak", "int", nil},
			{"PeakDate", "day?", nil}, {"Categories", "[str]", nil}}},
		"IPSpamInfo": {"IPSpamInfo", "obj", []field{{"spam_attacks", "int", nil}, {"spam_ratio", "num", nil},
			{"last_attack_date", "dt?", nil}, {"spam_attack_types", "[str]", nil}}},
		"IPPhishingInfo": {"IPPhishingInfo", "obj", []field{{"phishing_attacks", "int", nil}, {"last_attack_date", "dt?", nil},
			{"regions", "[str]", nil}, {"phish_kit", "str?", nil}, {"stolen_data_type", "[str]", nil},
			{"attacked_industry", "[str]", nil}, {"attacked_organization", "[str]", nil}}},
		"Industries": {"Industries", "[str]", nil},
	}
	url = map[string]field{
		"UrlGeneralInfo": {"UrlGeneralInfo", "obj", append([]field{{"Url", "str", nil}, {"Host", "str", nil},
			{"Ipv4Count", "int", nil}, {"FilesCount", "int", nil}}, append(cats, field{"HasApt", "bool", nil}, apt)...)},
		"FilesDownloaded": {"FilesDownloaded", "[obj]", file},
	}
	for k, v := range common {
		ip[k], url[k] = v, v
	}
	return ip, url
}

// ipOrder and urlOrder are the key orders of the contract.
var (
	ipOrder  = []string{"LicenseInfo", "Zone", "RelatedObjects", "IpGeneralInfo", "FilesDownloadedFromIp", "HostedUrls", "FeedMasks", "IpWhoIs", "IpDnsResolutions", "IPSpamInfo", "IPPhishingInfo", "Industries"}
	urlOrder = []string{"LicenseInfo", "Zone", "RelatedObjects", "UrlGeneralInfo", "UrlDomainWhoIs", "DomainDnsResolutions", "FilesDownloaded", "FilesAccessed", "UrlReferrals", "UrlReferredTo", "FeedMasks", "Industries"}
)

// checkContract decodes body and checks every section against the spec
// table: key order, every field present, no field unknown, types.
func checkContract(t *testing.T, body []byte, isURL bool) {
	t.Helper()
	ipSpec, urlSpec := specFields()
	spec, order := ipSpec, ipOrder
	if isURL {
		spec, order = urlSpec, urlOrder
	}
	keys := topKeys(t, body)
	last := -1
	for _, k := range keys {
		i := indexOf(order, k)
		if i < 0 {
			t.Errorf("unknown section %q", k)
			continue
		}
		if i <= last {
			t.Errorf("section %q out of order: %v", k, keys)
		}
		last = i
	}
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		t.Fatal(err)
	}
	for k, v := range top {
		f, ok := spec[k]
		if !ok {
			continue
		}
		checkValue(t, k, f, v)
	}
}

func checkValue(t *testing.T, path string, f field, v any) {
	t.Helper()
	bad := func() { t.Errorf("%s: %#v is not %s", path, v, f.kind) }
	str, isStr := v.(string)
	switch f.kind {
	case "str":
		if !isStr {
			bad()
		}
	case "str?":
		if v != nil && !isStr {
			bad()
		}
	case "zone":
		if !isStr || !intel.Zone(str).Valid() {
			bad()
		}
	case "md5":
		if !isStr || !regexp.MustCompile(`^[0-9A-F]{32}$`).MatchString(str) {
			bad()
		}
	case "int":
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			bad()
		}
	case "num":
		if _, ok := v.(json.Number); !ok {
			bad()
		}
	case "bool":
		if _, ok := v.(bool); !ok {
			bad()
		}
	case "dt?", "min?", "day?":
		if v == nil {
			return
		}
		re := map[string]*regexp.Regexp{"dt?": reDateTime, "min?": reMinute, "day?": reDay}[f.kind]
		if !isStr || !re.MatchString(str) {
			bad()
		}
	case "[str]":
		l, ok := v.([]any)
		if !ok {
			bad()
			return
		}
		for i, x := range l {
			if _, ok := x.(string); !ok {
				t.Errorf("%s[%d]: %#v is not a string", path, i, x)
			}
		}
	case "[obj]":
		l, ok := v.([]any)
		if !ok {
			bad()
			return
		}
		for i, x := range l {
			checkObject(t, fmt.Sprintf("%s[%d]", path, i), f.sub, x)
		}
	case "obj", "obj?":
		if v == nil && f.kind == "obj?" {
			return
		}
		checkObject(t, path, f.sub, v)
	default:
		t.Fatalf("unknown kind %q", f.kind)
	}
}

func checkObject(t *testing.T, path string, fields []field, v any) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: %#v is not an object", path, v)
		return
	}
	for _, f := range fields {
		x, ok := m[f.name]
		if !ok {
			t.Errorf("%s: field %q missing", path, f.name)
			continue
		}
		checkValue(t, path+"."+f.name, f, x)
	}
	for k := range m {
		found := false
		for _, f := range fields {
			found = found || f.name == k
		}
		if !found {
			t.Errorf("%s: unexpected field %q", path, k)
		}
	}
}

func topKeys(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("body is not an object: %v", err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}

func TestSectionsOnly(t *testing.T) {
	for _, name := range ipOrder {
		sec, err := report.ParseIPSections(name)
		if err != nil {
			t.Fatal(err)
		}
		r := redReport()
		r.Sections = sec
		keys := topKeys(t, mustIP(t, r))
		if len(keys) != 1 || keys[0] != name {
			t.Errorf("sections=%s: got keys %v", name, keys)
		}
	}
	var empty report.IPReport
	if got := string(mustIP(t, &empty)); got != "{}" {
		t.Errorf("no sections: got %s, want {}", got)
	}
}

func TestEmptyListsAndNulls(t *testing.T) {
	body := string(mustIP(t, greyReport()))
	for _, want := range []string{
		`"FilesDownloadedFromIp":[]`, `"HostedUrls":[]`, `"FeedMasks":[]`, `"IpDnsResolutions":[]`, `"Industries":[]`,
		`"Net":null`, `"CountryCode":null`, `"FirstSeen":null`, `"TokenExpirationDate":null`, `"HasApt":false`,
		`"IPSpamInfo":{"spam_attacks":0,"spam_ratio":0,"last_attack_date":null,"spam_attack_types":[]}`,
		`"IPPhishingInfo":{"phishing_attacks":0,"last_attack_date":null,"regions":[],"phish_kit":null,"stolen_data_type":[],"attacked_industry":[],"attacked_organization":[]}`,
		`"RelatedObjects":{"HasRedZone":false}`, `"Zone":"Grey"`, `"HitsCount":0`, `"ThreatScore":0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s in\n%s", want, body)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []string{
		"plain", `quote " and \ backslash`, "ctl \x00\x01\x1f\t\n\r", "<html>&amp;", "héllo wörld ✓",
		"bad utf8 \xff\xfe end", "line\u2028sep\u2029", "emoji 🚀", "",
	}
	for _, s := range tests {
		got := appendEscaped(nil, s)
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal(append(append([]byte{'"'}, got...), '"'), &back); err != nil {
			t.Errorf("%q: escaped form %s does not decode: %v", s, got, err)
			continue
		}
		var wantBack string
		if err := json.Unmarshal(want, &wantBack); err != nil {
			t.Fatal(err)
		}
		if back != wantBack {
			t.Errorf("%q: decodes to %q, want %q", s, back, wantBack)
		}
	}
}

func TestTimeLayouts(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	tm := time.Date(2024, 1, 5, 14, 30, 59, 999, loc) // 12:30:59Z
	tests := []struct {
		prec int
		want string
	}{{0, `"2024-01-05"`}, {1, `"2024-01-05T12:30Z"`}, {2, `"2024-01-05T12:30:59Z"`}}
	for _, tt := range tests {
		var w writer
		w.time(tm, tt.prec)
		if string(w.b) != tt.want {
			t.Errorf("prec %d: got %s, want %s", tt.prec, w.b, tt.want)
		}
	}
	var w writer
	w.time(time.Time{}, 2)
	if string(w.b) != "null" {
		t.Errorf("zero time: got %s, want null", w.b)
	}
	w = writer{}
	w.time(time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	if string(w.b) != `"12000-01-01"` {
		t.Errorf("year 12000: got %s", w.b)
	}
}

func BenchmarkIPJSON(b *testing.B) {
	r := redReport()
	// count=100 in every list section.
	for len(r.Files) < 100 {
		r.Files = append(r.Files, r.Files[0])
	}
	for len(r.HostedURLs) < 100 {
		r.HostedURLs = append(r.HostedURLs, r.HostedURLs[0])
	}
	for len(r.Resolutions) < 100 {
		r.Resolutions = append(r.Resolutions, r.Resolutions[0])
	}
	for len(r.Masks) < 100 {
		r.Masks = append(r.Masks, r.Masks[0])
	}
	body, _ := IPJSON(r)
	b.Run("IPJSON", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := IPJSON(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendIPJSON-reused", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		buf := make([]byte, 0, len(body))
		for b.Loop() {
			buf = AppendIPJSON(buf[:0], r)
		}
	})
}

// golden compares the indented form of the JSON got with
// testdata/<name>.golden (written with -update) and returns the golden
// bytes.
func golden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, got)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from golden:\ngot:\n%s\nwant:\n%s", name, pretty.Bytes(), want)
	}
	return want
}

// failAfter is a writer that fails from its n+1th call on.
type failAfter struct {
	n     int
	calls int
	bytes.Buffer
}

var errWriteFailed = errors.New("write failed")

func (w *failAfter) Write(p []byte) (int, error) {
	w.calls++
	if w.calls > w.n {
		return 0, errWriteFailed
	}
	return w.Buffer.Write(p)
}

// TestStreamJSON checks that a streamed body is the appended one, that the
// buffer stays near the chunk size (plus the sections written in one
// piece), and that a failing writer stops it.
func TestStreamJSON(t *testing.T) {
	r := fullReport(2000)
	want := AppendIPJSON(nil, r)
	u := &report.URLReport{Sections: report.AllURLSections, URL: "example.com/a", Files: r.Files, Masks: r.Masks}
	wantURL := AppendURLJSON(nil, u)
	for _, chunk := range []int{1, 1000, 32 << 10, len(want) + 1} {
		var out bytes.Buffer
		rest, err := StreamIPJSON(make([]byte, 0, 512), r, &out, chunk)
		if err != nil {
			t.Fatal(err)
		}
		if got := append(out.Bytes(), rest...); !bytes.Equal(got, want) {
			t.Errorf("chunk %d: streamed body differs from AppendIPJSON's (%d vs %d bytes)", chunk, len(got), len(want))
		}
		if chunk > len(want) && out.Len() != 0 {
			t.Errorf("chunk %d: %d bytes handed out for a body under the chunk", chunk, out.Len())
		}
		if lim := 2*chunk + 16<<10; chunk < len(want) && cap(rest) > lim {
			t.Errorf("chunk %d: buffer grew to %d bytes, want at most %d", chunk, cap(rest), lim)
		}
		out.Reset()
		rest, err = StreamURLJSON(nil, u, &out, chunk)
		if err != nil || !bytes.Equal(append(out.Bytes(), rest...), wantURL) {
			t.Errorf("chunk %d: streamed URL body differs from AppendURLJSON's (err %v)", chunk, err)
		}
	}
	w := &failAfter{n: 2}
	rest, err := StreamIPJSON(nil, r, w, 1000)
	if !errors.Is(err, errWriteFailed) || w.calls != 3 || len(rest) > 2*1000+16<<10 {
		t.Errorf("failing writer: err %v after %d calls, %d bytes left; want its error after 3 calls", err, w.calls, len(rest))
	}
}
