package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// FuzzLaneRequest: a request head the lane accepts is one net/http reads
// to the very same request (method, target, URL, host, header fields,
// Close); the lane may refuse more than net/http (it hands those over),
// never less.
func FuzzLaneRequest(f *testing.F) {
	for _, s := range []string{
		"GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n",
		"GET /api/ip/1.2.3.4?count=2 HTTP/1.1\r\nhost: x:80\r\nConnection: close\r\n\r\n",
		"GET /api/url/http://a.example/b?c=d HTTP/1.1\r\nHost: x\r\nX-A:  b \r\nX-A: c\r\n\r\n",
		"GET /api/v1/search/hash?request=ab HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: keep-alive, close\r\n\r\n",
		"GET /api/domain/%41 HTTP/1.1\r\nHost: x\r\nUSER-AGENT: a\r\n\r\n",
		"GET /api/ip/1.2.3.4 HTTP/1.1\r\nHost: x\r\nX-\xff: b\r\n\r\n",
		"GET /api/ip/ HTTP/1.1\r\nHost: x\r\nA: \xe9t\xe9\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		i := bytes.Index(head, headEnd)
		if i < 0 {
			return
		}
		head = head[:i+len(headEnd)]
		lc := &laneConn{reqH: http.Header{}, base: &http.Request{Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}}
		got, ok := lc.request(head)
		if !ok {
			return
		}
		if !laneStart(head) {
			t.Fatalf("request accepted %q, laneStart refused it", head)
		}
		want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("lane accepted %q, net/http refused it: %v", head, err)
		}
		if got.Method != want.Method || got.RequestURI != want.RequestURI || got.URL.String() != want.URL.String() ||
			got.Host != want.Host || got.Close != want.Close || got.ContentLength != want.ContentLength ||
			len(want.TransferEncoding) > 0 || want.Body != http.NoBody {
			t.Fatalf("%q: lane read %s %s %s host %q close %v, net/http %s %s %s host %q close %v length %d",
				head, got.Method, got.RequestURI, got.URL, got.Host, got.Close,
				want.Method, want.RequestURI, want.URL, want.Host, want.Close, want.ContentLength)
		}
		if a, b := headerText(got.Header), headerText(want.Header); a != b {
			t.Fatalf("%q: lane read the header\n%s\nnet/http\n%s", head, a, b)
		}
	})
}

func headerText(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, h[k])
	}
	return b.String()
}
