package access

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/tipd/tipd/internal/intel"
)

// Parameters of new password hashes: argon2id with 19 MiB, 2 passes and
// one lane (the OWASP minimum). Every Basic request pays one check, so the
// memory cost is kept moderate: a burst of concurrent checks must not
// exhaust the server's memory.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// Bounds of what VerifyPassword accepts from a stored hash, so that a
// damaged record cannot make one check take minutes or gigabytes.
const (
	maxArgonMemory  = 256 * 1024 // KiB
	maxArgonTime    = 16
	maxArgonThreads = 16
)

// maxPasswordLen bounds passwords; longer ones are refused when set and
// never match when checked.
const maxPasswordLen = 1024

// verifySlots bounds the password checks running at once in the process:
// each holds up to maxArgonMemory, so unbounded concurrency could exhaust
// memory. Checks beyond it wait (as long as their request does).
var verifySlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// verifyBounded is VerifyPassword in one of verifySlots.
func verifyBounded(ctx context.Context, encoded, pw string) (bool, error) {
	select {
	case verifySlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-verifySlots }()
	return VerifyPassword(encoded, pw)
}

// CodeInvalidCredentials is the code of refused Basic authentication.
const CodeInvalidCredentials = "invalid_credentials"

// HashPassword returns the PHC-style encoding of an argon2id hash of pw with
// a fresh random salt: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, salt
// and hash in unpadded standard base64.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generate salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// errBadHash is a stored hash that is not one HashPassword writes.
var errBadHash = errors.New("the stored password hash is not an argon2id PHC string")

// VerifyPassword reports whether pw matches encoded (as HashPassword
// writes it). The comparison of the derived keys is constant-time. An
// encoded value that cannot be parsed is an error.
func VerifyPassword(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return false, errBadHash
	}
	var m, t uint32
	var p uint8
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || n != 3 {
		return false, errBadHash
	}
	if m == 0 || m > maxArgonMemory || t == 0 || t > maxArgonTime || p == 0 || p > maxArgonThreads {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, errBadHash
	}
	if len(pw) > maxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// SetPassword sets the password of an existing user, for Basic
// authentication together with a bound client certificate. Only its
// argon2id hash is stored. An empty password is refused.
func (s *Service) SetPassword(ctx context.Context, user, pw string) error {
	if pw == "" {
		return intel.Invalid("the password is empty")
	}
	if len(pw) > maxPasswordLen {
		return intel.Invalid("the password is longer than %d bytes", maxPasswordLen)
	}
	if strings.ContainsAny(pw, "\r\n") {
		return intel.Invalid("the password holds a line break")
	}
	u, err := s.user(ctx, user)
	if err != nil {
		return err
	}
	h, err := HashPassword(pw)
	if err != nil {
		return err
	}
	u.PasswordHash = h
	if err := s.Store.PutUser(ctx, u); err != nil {
		return fmt.Errorf("store password of %s: %w", user, err)
	}
	return nil
}
