package taxii

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Entry kinds. Entries with the same stamp are shown in the order of
// kindRank: addresses, the identity, web addresses (store.ChangedURLs),
// then objects (store.ChangedObjects) by object kind: domains, web
// addresses, files.
const (
	kindIdentity = 'i'
	kindAddress  = 'a'
	kindURL      = 'u'
	kindHost     = 'h' // an object of kind intel.ObjectHost
	kindURLObj   = 'w' // an object of kind intel.ObjectURL
	kindFile     = 'f' // an object of kind intel.ObjectFile
)

// kindRank orders the entry kinds.
func kindRank(k byte) int {
	switch k {
	case kindAddress:
		return 1
	case kindIdentity:
		return 2
	case kindURL:
		return 3
	case kindHost:
		return 4
	case kindURLObj:
		return 5
	case kindFile:
		return 6
	}
	return 0
}

// objectKinds maps the object kinds to their entry kinds.
var objectKinds = map[intel.ObjectKind]byte{intel.ObjectHost: kindHost, intel.ObjectURL: kindURLObj, intel.ObjectFile: kindFile}

// objectKind is the object kind of an entry kind (0 for other kinds).
func objectKind(k byte) intel.ObjectKind {
	for ok, ek := range objectKinds {
		if ek == k {
			return ok
		}
	}
	return 0
}

// position is a place in a collection: the entry (stamp, kind, key) and
// how many of its objects were consumed. The zero position is the start.
type position struct {
	at   time.Time
	kind byte
	key  string // the address, web address or object key; "" for the identity
	done int    // objects of the entry already consumed
	// afterStamp: every entry stamped at or before at is behind
	// (added_after), rather than the entries up to (at, kind, key).
	afterStamp bool
}

// compareEntry orders entries by stamp, then kind, then key.
func compareEntry(at time.Time, kind byte, key string, bt time.Time, bkind byte, bkey string) int {
	if c := at.Compare(bt); c != 0 {
		return c
	}
	if kind != bkind {
		return kindRank(kind) - kindRank(bkind)
	}
	if kind == kindAddress {
		a, _ := netip.ParseAddr(key)
		b, _ := netip.ParseAddr(bkey)
		return a.Compare(b)
	}
	return strings.Compare(key, bkey)
}

// cursorVersion starts every next token, so that a format change can be
// told from a damaged token.
const cursorVersion = "1"

// encode is the opaque `next` token of the position.
func (p position) encode() string {
	s := cursorVersion + "|" + strconv.FormatInt(p.at.UnixMicro(), 10) + "|" + string(p.kind) + "|" +
		strconv.Itoa(p.done) + "|" + p.key
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// decodePosition parses a `next` token.
func decodePosition(tok string) (position, error) {
	bad := intel.Invalid("the next parameter %q is not a token this server gave out: repeat the request without it, or with added_after", clip(tok))
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return position{}, bad
	}
	parts := strings.SplitN(string(raw), "|", 5)
	if len(parts) != 5 || parts[0] != cursorVersion || len(parts[2]) != 1 {
		return position{}, bad
	}
	us, err1 := strconv.ParseInt(parts[1], 10, 64)
	done, err2 := strconv.Atoi(parts[3])
	if err1 != nil || err2 != nil || done < 0 {
		return position{}, bad
	}
	p := position{at: time.UnixMicro(us).UTC(), kind: parts[2][0], done: done, key: parts[4]}
	switch p.kind {
	case kindIdentity:
	case kindAddress:
		if _, err := netip.ParseAddr(p.key); err != nil {
			return position{}, bad
		}
	case kindURL, kindHost, kindURLObj, kindFile:
		if p.key == "" {
			return position{}, bad
		}
	default:
		return position{}, bad
	}
	return p, nil
}

// clip shortens a client-supplied value for quoting in a message.
func clip(s string) string {
	const max = 120
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
