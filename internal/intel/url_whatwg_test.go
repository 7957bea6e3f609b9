package intel

import (
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// whatwgRow is one row of testdata/whatwg-hosts.json: what the WHATWG URL
// parser of a browser engine makes of In (or of URL, when set), made by
// testdata/gen-whatwg-hosts.js.
type whatwgRow struct {
	In     string `json:"in"`
	URL    string `json:"url"`
	Host   string `json:"host"`
	Port   string `json:"port"`
	Path   string `json:"path"`
	Search string `json:"search"`
	Error  bool   `json:"error"`
}

// Reasons for which tipd deliberately rejects what a browser accepts. In
// each case tipd answers with an error, never for another host.
const (
	notDNSName = "tipd accepts only host names that can be DNS names (labels of 1 to 63 letters, digits, '-' or '_', 253 bytes at most); the browser accepts this one but no resolver can find it"
	notHTTP    = "tipd reads only http and https web addresses"
	xnLabel    = "tipd does not decode xn-- labels to check them; the name is stored as given"
)

// whatwgExceptions lists, by input, the rows where tipd deliberately differs
// from the browser, and why. Besides these, tipd differs in ways the
// comparison allows for every row: it removes a trailing dot of the host,
// writes IPv4-mapped IPv6 addresses as IPv4, drops the ports 80 and 443
// whatever the scheme, cuts a path before a segment holding an e-mail
// address and drops sensitive query parameters, and writes percent-escapes
// in a normal form (compared after decoding).
var whatwgExceptions = map[string]string{
	// Not DNS names: other characters, empty labels, long names.
	"http://evil%2A.example/":                          notDNSName,
	"http://%E3%80%82evil.example/":                    notDNSName,
	"http://1.2.3.4../":                                notDNSName,
	"http://a\"b.example/":                             notDNSName,
	"http://a*b.example/":                              notDNSName,
	"http://a!b.example/":                              notDNSName,
	"http://a{b.example/":                              notDNSName,
	"http://a}b.example/":                              notDNSName,
	"http://a`b.example/":                              notDNSName,
	"http://a~b.example/":                              notDNSName,
	"http://a$b.example/":                              notDNSName,
	"http://a&b.example/":                              notDNSName,
	"http://a'b.example/":                              notDNSName,
	"http://a(b.example/":                              notDNSName,
	"http://a+b.example/":                              notDNSName,
	"http://a,b.example/":                              notDNSName,
	"http://a;b.example/":                              notDNSName,
	"http://a=b.example/":                              notDNSName,
	"http://evil.example../":                           notDNSName,
	"http://.evil.example/":                            notDNSName,
	"http://evil..example/":                            notDNSName,
	"http://./":                                        notDNSName,
	"http://../":                                       notDNSName,
	"http://.../":                                      notDNSName,
	"http://" + strings.Repeat("a", 64) + ".example/":  notDNSName,
	"http://" + strings.Repeat("a.", 130) + "example/": notDNSName,
	// Punycode labels that do not decode.
	"http://xn--abc.example/": xnLabel,
	"http://xn--.example/":    xnLabel,
	"http://xn--a.example/":   xnLabel,
	// Other schemes.
	"ftp://evil.example/":    notHTTP,
	"javascript:alert(1)":    notHTTP,
	"file:///etc/passwd":     notHTTP,
	"ws://evil.example/":     notHTTP,
	"hxxp://evil.example/":   notHTTP,
	"http+x://evil.example/": notHTTP,
	// "http:" followed by a number is read as the host "http" and a port,
	// so that the key "http:8080/" of http://http:8080/ reads back the same;
	// a browser reads the host 8080, i.e. 0.0.31.144.
	"http:8080/": "a key names no scheme: tipd reads \"http:\" and digits as the host http and its port",
}

func TestNormalizeURLAgreesWithWHATWG(t *testing.T) {
	b, err := os.ReadFile("testdata/whatwg-hosts.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []whatwgRow
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 300 {
		t.Fatalf("%d rows, want the whole table", len(rows))
	}
	seen := map[string]bool{}
	for _, row := range rows {
		seen[row.In] = true
		problem := compareWHATWG(row)
		reason, excepted := whatwgExceptions[row.In]
		switch {
		case excepted && problem == "":
			t.Errorf("%q: listed as an exception (%s) but tipd agrees with the browser", row.In, reason)
		case excepted:
			t.Logf("%q: %s (%s)", row.In, problem, reason)
		case problem != "":
			t.Errorf("%q: %s", row.In, problem)
		}
	}
	for in := range whatwgExceptions {
		if !seen[in] {
			t.Errorf("exception %q is not a row of the table", in)
		}
	}
}

// compareWHATWG returns how NormalizeURL disagrees with the browser on row,
// or "".
func compareWHATWG(row whatwgRow) string {
	key, _, err := NormalizeURL(row.In)
	switch {
	case row.Error && err != nil:
		return ""
	case row.Error:
		return "browser rejects it, tipd reads " + key
	case err != nil:
		return "browser reads host " + row.Host + ", tipd rejects it: " + err.Error()
	}
	u, err := parseWebAddress(row.In)
	if err != nil {
		return "parseWebAddress rejects it: " + err.Error()
	}
	// Host, as tipd writes it.
	want := row.Host
	if strings.HasPrefix(want, "[") {
		ip, err := netip.ParseAddr(strings.Trim(want, "[]"))
		if err != nil {
			return "browser host " + want + " is not an IPv6 address"
		}
		if want = "[" + ip.String() + "]"; ip.Is4In6() {
			want = ip.Unmap().String()
		}
	} else if len(want) > 1 {
		want = strings.TrimSuffix(want, ".")
	}
	if u.host != want {
		return "browser host " + row.Host + ", tipd host " + u.host
	}
	if h := URLHost(key); h != strings.Trim(want, "[]") {
		return "browser host " + row.Host + ", host of the key " + key + " is " + h
	}
	// Port: tipd drops 80 and 443 whatever the scheme.
	wantPort := row.Port
	if wantPort == "80" || wantPort == "443" {
		wantPort = ""
	}
	hostPort := u.host
	if wantPort != "" {
		hostPort += ":" + wantPort
	}
	if u.port != wantPort || !strings.HasPrefix(key, hostPort) {
		return "browser port " + row.Port + ", tipd key " + key
	}
	// Path and query, as the key tells them.
	rest := key[len(hostPort):]
	if rest != "" && rest[0] != '/' {
		return "key " + key + " has no path after host and port"
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if path == "" {
		path = "/"
	}
	_, cut := normalizePath(u.path)
	wantPath := unescape(row.Path)
	switch {
	case cut && !strings.HasPrefix(wantPath, unescape(path)):
		return "browser path " + row.Path + ", tipd cut it to " + path
	case !cut && unescape(path) != wantPath:
		return "browser path " + row.Path + ", tipd path " + path
	}
	if cut {
		return ""
	}
	wantQuery := strings.TrimPrefix(row.Search, "?")
	if _, qt := normalizeQuery(u.query); !qt && unescape(query) != unescape(wantQuery) {
		return "browser query " + row.Search + ", tipd query " + query + " (" + map[bool]string{true: "present", false: "absent"}[hasQuery] + ")"
	}
	return ""
}
