package httpapi_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/httpapi"
)

// withCert gives r a TLS connection state whose client certificate has the
// DER encoding der, verified against the client CA or only presented.
func withCert(r *http.Request, der string, verified bool) {
	c := &x509.Certificate{Raw: []byte(der)}
	r.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{c}}
	if verified {
		r.TLS.VerifiedChains = [][]*x509.Certificate{{c}}
	}
}

func TestBasicWithClientCertificate(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	if err := e.acc.SetPassword(ctx, "alice", "alice-pw"); err != nil {
		t.Fatal(err)
	}
	if err := e.acc.SetPassword(ctx, "trial", "trial-pw"); err != nil {
		t.Fatal(err)
	}
	if err := e.acc.BindCert(ctx, "alice", access.CertFingerprint([]byte("alice cert"))); err != nil {
		t.Fatal(err)
	}
	if err := e.acc.BindCert(ctx, "trial", access.CertFingerprint([]byte("trial cert"))); err != nil {
		t.Fatal(err)
	}
	h := httpapi.WithBasicChallenge(e.h)
	tests := []struct {
		name, user, pw, cert string
		verified             bool
		status               int
		code                 string
	}{
		{"bound certificate and password", "alice", "alice-pw", "alice cert", true, 200, ""},
		{"no certificate", "alice", "alice-pw", "", false, 401, "unauthenticated"},
		{"certificate presented, not verified", "alice", "alice-pw", "alice cert", false, 401, "unauthenticated"},
		{"another user's certificate", "alice", "alice-pw", "trial cert", true, 401, "invalid_credentials"},
		{"unbound certificate", "alice", "alice-pw", "other cert", true, 401, "invalid_credentials"},
		{"wrong password", "alice", "trial-pw", "alice cert", true, 401, "invalid_credentials"},
		{"unknown user", "nobody", "alice-pw", "alice cert", true, 401, "invalid_credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/ip/1.2.3.4", nil)
			r.SetBasicAuth(tt.user, tt.pw)
			if tt.cert != "" {
				withCert(r, tt.cert, tt.verified)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if tt.status == 200 {
				return
			}
			if code, _ := errorOf(t, w); code != tt.code {
				t.Errorf("error = %q, want %q", code, tt.code)
			}
			got := w.Header().Values("WWW-Authenticate")
			if len(got) != 2 || got[0] != `Basic realm="tipd"` || got[1] != `Bearer realm="tipd"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		})
	}
	// Bearer answers are left alone.
	r := httptest.NewRequest(http.MethodGet, "/api/ip/1.2.3.4", nil)
	r.Header.Set("Authorization", "Bearer tipd_wrong")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if got := w.Header().Values("WWW-Authenticate"); w.Code != 401 || len(got) != 1 || got[0] != `Bearer realm="tipd", error="invalid_token"` {
		t.Errorf("Bearer: %d, WWW-Authenticate = %q", w.Code, got)
	}
}
