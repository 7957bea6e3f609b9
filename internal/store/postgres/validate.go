package postgres

import (
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
)

// badText reports whether PostgreSQL cannot hold s as text: a NUL byte
// or invalid UTF-8. Batches are validated with it in every text field
// (intel.Batch.ValidateText), other writes check their own fields.
func badText(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

// addrArg is an address as a nullable inet parameter.
func addrArg(ip netip.Addr) any {
	if !ip.IsValid() {
		return nil
	}
	return ip
}

// ts is a time as a nullable timestamptz parameter: unknown (zero) is NULL.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// tm is a scanned nullable timestamptz: NULL is the zero time.
func tm(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func strs[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

func cats(in []string) []intel.Category {
	if len(in) == 0 {
		return nil
	}
	out := make([]intel.Category, len(in))
	for i, s := range in {
		out[i] = intel.Category(s)
	}
	return out
}

func nilIfEmpty(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	return in
}
