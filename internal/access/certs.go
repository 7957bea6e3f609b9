package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/tipd/tipd/internal/intel"
)

// CertFingerprint returns the stored form of a certificate bound to a user:
// the hex SHA-256 of its DER encoding.
func CertFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// BindCert binds the client certificate with SHA-256 fingerprint fp (hex,
// as CertFingerprint returns it) to an existing user. Binding the same
// certificate twice is not an error.
func (s *Service) BindCert(ctx context.Context, user, fp string) error {
	b, err := hex.DecodeString(fp)
	if err != nil || len(b) != sha256.Size {
		return intel.Invalid("%q is not a hex SHA-256 certificate fingerprint", fp)
	}
	fp = hex.EncodeToString(b) // lower case
	u, err := s.user(ctx, user)
	if err != nil {
		return err
	}
	if slices.Contains(u.CertFingerprints, fp) {
		return nil
	}
	u.CertFingerprints = append(u.CertFingerprints, fp)
	if err := s.Store.PutUser(ctx, u); err != nil {
		return fmt.Errorf("bind certificate to %s: %w", user, err)
	}
	return nil
}

// UnbindCert withdraws a client certificate from a user, by its SHA-256
// fingerprint: from the next request on, Basic authentication with that
// certificate is refused (the certificate itself stays valid for TLS;
// this is how a lost or compromised certificate is revoked before it
// expires). intel.ErrNotFound (KindNotFound) when it is not bound to the
// user.
func (s *Service) UnbindCert(ctx context.Context, user, fp string) error {
	b, err := hex.DecodeString(fp)
	if err != nil || len(b) != sha256.Size {
		return intel.Invalid("%q is not a hex SHA-256 certificate fingerprint", fp)
	}
	fp = hex.EncodeToString(b)
	u, err := s.user(ctx, user)
	if err != nil {
		return err
	}
	i := slices.Index(u.CertFingerprints, fp)
	if i < 0 {
		return intel.Errorf(intel.KindNotFound, "not_found", "no certificate sha256:%s is bound to %s", fp, user)
	}
	u.CertFingerprints = slices.Delete(u.CertFingerprints, i, i+1)
	if err := s.Store.PutUser(ctx, u); err != nil {
		return fmt.Errorf("unbind certificate from %s: %w", user, err)
	}
	return nil
}

// AuthenticateBasic resolves Basic credentials presented over a TLS
// connection whose client certificate was verified against the operator's
// CA and has the SHA-256 fingerprint certFP. The certificate must be bound
// to that same user and the password must match; every refusal is the same
// KindUnauthenticated error, so that a client learns nothing about which
// part was wrong. An empty certFP (no verified certificate) is refused
// before any password is checked.
func (s *Service) AuthenticateBasic(ctx context.Context, name, pw, certFP string) (intel.User, error) {
	refused := intel.Errorf(intel.KindUnauthenticated, CodeInvalidCredentials,
		"the user name, password or client certificate is not valid: Basic authentication needs a client certificate bound to the user and the user's password")
	if certFP == "" {
		return intel.User{}, intel.Errorf(intel.KindUnauthenticated, CodeInvalidCredentials,
			"Basic authentication needs a client certificate issued by the operator: connect with that certificate, or send Authorization: Bearer <token>")
	}
	if ValidateName(name) != nil || pw == "" {
		return intel.User{}, refused
	}
	u, err := s.Store.User(ctx, name)
	if errors.Is(err, intel.ErrNotFound) {
		return intel.User{}, refused
	}
	if err != nil {
		return intel.User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	bound := 0
	for _, fp := range u.CertFingerprints {
		bound |= subtle.ConstantTimeCompare([]byte(fp), []byte(certFP))
	}
	if bound != 1 || u.PasswordHash == "" {
		return intel.User{}, refused
	}
	ok, err := verifyBounded(ctx, u.PasswordHash, pw)
	if err != nil {
		return intel.User{}, fmt.Errorf("check password of %s: %w", name, err)
	}
	if !ok {
		return intel.User{}, refused
	}
	return u, nil
}
