package httpapi

import (
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/intel"
)

// verifiedCertFingerprint returns the SHA-256 fingerprint of the client
// certificate of r's TLS connection if it is verified against the client
// CA, else "": verified by the TLS layer (a non-empty verified chain), or,
// when the TLS layer only asked for it, verified here against the server's
// client CAs now (chain, validity dates, client-authentication usage). A
// certificate the client merely presented does not count.
func (s *server) verifiedCertFingerprint(r *http.Request) string {
	if r.TLS == nil {
		return ""
	}
	if len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		return access.CertFingerprint(r.TLS.VerifiedChains[0][0].Raw)
	}
	if s.caPool == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: s.caPool, Intermediates: inter, CurrentTime: s.clock(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return ""
	}
	return access.CertFingerprint(leaf.Raw)
}

// maxBasicLen bounds the decoded Basic credentials.
const maxBasicLen = 2048

// parseBasic decodes the credentials of Authorization: Basic.
func parseBasic(cred string) (name, pw string, err error) {
	bad := intel.Errorf(intel.KindUnauthenticated, access.CodeInvalidCredentials,
		"the Basic credentials are malformed: send base64 of name:password")
	cred = strings.TrimSpace(cred)
	if cred == "" || len(cred) > maxBasicLen {
		return "", "", bad
	}
	b, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return "", "", bad
	}
	name, pw, ok := strings.Cut(string(b), ":")
	if !ok {
		return "", "", bad
	}
	return name, pw, nil
}

// basicChallenge is the challenge of Basic authentication.
const basicChallenge = `Basic realm="tipd"`

// WithBasicChallenge wraps the API of a server that verifies client
// certificates (mutual TLS): a 401 answer to a request that tried
// Authorization: Basic carries the Basic challenge first, before the
// Bearer one every 401 carries.
func WithBasicChallenge(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, _, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if !strings.EqualFold(scheme, "Basic") {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(&challengeWriter{ResponseWriter: w}, r)
	})
}

// challengeWriter adds the Basic challenge to a 401 status.
type challengeWriter struct {
	http.ResponseWriter
	wrote bool
}

func (c *challengeWriter) WriteHeader(status int) {
	if !c.wrote && status == http.StatusUnauthorized {
		h := c.Header()
		h["Www-Authenticate"] = append([]string{basicChallenge}, h["Www-Authenticate"]...)
	}
	c.wrote = true
	c.ResponseWriter.WriteHeader(status)
}

func (c *challengeWriter) Write(p []byte) (int, error) {
	c.wrote = true
	return c.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
