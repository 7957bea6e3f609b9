package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Change stamps. The summary of every address and web address carries the
// stamp of its latest change, and the change index holds one key per
// stamped owner:
//
//	c 'a' stamp(8) family(1) addr      -> (empty)  addresses (family 4 or 6)
//	c 'u' stamp(8) url                 -> (empty)  web addresses
//
// stamp is the big-endian microseconds since 1970, so the index is in
// stamp order, and within a stamp in netip.Addr.Compare order (IPv4 before
// IPv6) or bytewise. Apply stamps an owner when the batch changed its
// summary or an item of its lists: it deletes the owner's previous index
// key (the stamp in its summary) and writes the new one in the same batch.
// M stamp holds the latest stamp given, so that stamps increase across
// restarts even if the clock goes back.
const (
	tChange  = 'c'
	cAddress = 'a'
	cURL     = 'u'
)

var keyStamp = []byte{tMeta, 's', 't', 'a', 'm', 'p'}

func changeKind(kind store.ChangeKind) (byte, error) {
	switch kind {
	case store.ChangedAddresses:
		return cAddress, nil
	case store.ChangedURLs:
		return cURL, nil
	}
	return 0, intel.Invalid("unknown change kind %d", kind)
}

// appendStamp appends the index form of a stamp.
func appendStamp(dst []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t.UnixMicro()))
}

// appendChangeAddr appends the index form of an address.
func appendChangeAddr(dst []byte, ip netip.Addr) []byte {
	if ip.Is4() {
		a := ip.As4()
		return append(append(dst, 4), a[:]...)
	}
	a := ip.As16()
	return append(append(dst, 6), a[:]...)
}

func addrChangeKey(t time.Time, ip netip.Addr) []byte {
	return appendChangeAddr(appendStamp([]byte{tChange, cAddress}, t), ip)
}

func urlChangeKey(t time.Time, url string) []byte {
	return append(appendStamp([]byte{tChange, cURL}, t), url...)
}

// nextStamp returns a stamp later than every earlier one. The caller holds
// applyMu.
func (s *Store) nextStamp() (time.Time, error) {
	if !s.stampLoaded {
		v, found, err := get(s.db, keyStamp)
		if err != nil {
			return time.Time{}, fmt.Errorf("read the latest change stamp: %w", err)
		}
		if found {
			if len(v) != 8 {
				return time.Time{}, fmt.Errorf("read the latest change stamp: %w", errCorrupt)
			}
			s.lastStamp = time.UnixMicro(int64(binary.BigEndian.Uint64(v))).UTC()
		}
		s.stampLoaded = true
	}
	t := time.Now().UTC().Truncate(time.Microsecond)
	if !t.After(s.lastStamp) {
		t = s.lastStamp.Add(time.Microsecond)
	}
	return t, nil
}

// writeSummaries writes the summary of every address and web address the
// batch touched and gives the batch's change stamp to those whose summary
// or lists it changed. A summary the batch left as it was is not written
// again. The stamp is the last field of a summary, so a changed summary is
// encoded once and its stamp replaced in place.
func (a *applier) writeSummaries(s *Store) error {
	var at time.Time
	stamp := func() (time.Time, error) {
		if at.IsZero() {
			t, err := s.nextStamp()
			if err != nil {
				return t, err
			}
			at = t
			a.set(keyStamp, appendStamp(nil, at))
		}
		return at, nil
	}
	for k, sum := range a.addrs {
		key := append([]byte{tAddr}, k[:]...)
		v := encAddrSum(nil, sum)
		if !a.listChanged[k] && a.sameValue(key, v) {
			continue
		}
		t, err := stamp()
		if err != nil {
			return err
		}
		ip := netip.AddrFrom16(k).Unmap()
		if !sum.changed.IsZero() {
			a.del(addrChangeKey(sum.changed, ip))
		}
		v = replaceStamp(v, sum.changed, t)
		sum.changed = t
		a.set(key, v)
		a.set(addrChangeKey(t, ip), nil)
	}
	for k, u := range a.urls {
		key := strKey(tURL, k)
		v := encURLSum(nil, u)
		if !a.urlListChanged[k] && a.sameValue(key, v) {
			continue
		}
		t, err := stamp()
		if err != nil {
			return err
		}
		if !u.changed.IsZero() {
			a.del(urlChangeKey(u.changed, k))
		}
		v = replaceStamp(v, u.changed, t)
		u.changed = t
		a.set(key, v)
		a.set(urlChangeKey(t, k), nil)
	}
	if !at.IsZero() {
		a.stamped = at
	}
	return nil
}

// replaceStamp replaces the trailing encoded stamp old of a summary by new.
func replaceStamp(v []byte, old, new time.Time) []byte {
	var buf [24]byte
	e := enc{buf[:0]}
	e.time(old)
	v = v[:len(v)-len(e.b)]
	e.b = e.b[:0]
	e.time(new)
	return append(v, e.b...)
}

// sameValue reports whether key held v before the batch.
func (a *applier) sameValue(key, v []byte) bool {
	r, ok := a.read[string(key)]
	return ok && r.found && bytes.Equal(r.v, v)
}

// markList records that the batch changed an item of the list of owner.
func (a *applier) markList(list byte, owner []byte) {
	switch list {
	case lHosted, lFiles, lRes, lMasks:
		if len(owner) == 16 {
			a.listChanged[[16]byte(owner)] = true
		}
	case lURLFiles:
		if n := len(owner); n > 0 && owner[n-1] == 0 {
			a.urlListChanged[string(owner[:n-1])] = true
		}
	}
}

// Changes implements store.Intel: one bounded scan of the change index.
func (s *Store) Changes(ctx context.Context, kind store.ChangeKind, after store.Change, limit int) ([]store.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := changeKind(kind)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	prefix := []byte{tChange, c}
	lower := prefix
	switch {
	case kind == store.ChangedAddresses && after.IP.IsValid():
		lower = append(addrChangeKey(after.At, after.IP.WithZone("")), 0)
	case kind == store.ChangedURLs && after.URL != "":
		lower = append(urlChangeKey(after.At, after.URL), 0)
	case !after.At.IsZero():
		lower = appendStamp(bytes.Clone(prefix), after.At.Truncate(time.Microsecond).Add(time.Microsecond))
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: []byte{tChange, c + 1}})
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer it.Close()
	var out []store.Change
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		if len(k) < 10 {
			return nil, fmt.Errorf("changes: %w", errCorrupt)
		}
		ch := store.Change{At: time.UnixMicro(int64(binary.BigEndian.Uint64(k[2:10]))).UTC()}
		rest := k[10:]
		if c == cURL {
			ch.URL = string(rest)
		} else {
			switch {
			case len(rest) == 5 && rest[0] == 4:
				ch.IP = netip.AddrFrom4([4]byte(rest[1:]))
			case len(rest) == 17 && rest[0] == 6:
				ch.IP = netip.AddrFrom16([16]byte(rest[1:]))
			default:
				return nil, fmt.Errorf("changes: %w", errCorrupt)
			}
		}
		out = append(out, ch)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	return out, nil
}
