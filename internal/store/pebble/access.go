package pebble

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/quota"
)

// PutUser implements store.Access.
func (s *Store) PutUser(ctx context.Context, u intel.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if u.Name == "" {
		return intel.Invalid("user name is empty")
	}
	u.Expires, u.Created = intel.UTC(u.Expires), intel.UTC(u.Created)
	j, err := json.Marshal(u)
	if err == nil {
		err = s.db.Set(strKey(tUser, u.Name), j, pebble.Sync)
		s.access.reset()
	}
	if err != nil {
		return fmt.Errorf("put user %q: %w", u.Name, err)
	}
	return nil
}

// User implements store.Access.
func (s *Store) User(ctx context.Context, name string) (intel.User, error) {
	if u, _, ok := s.access.user(name); ok {
		return u, ctx.Err()
	}
	// Read into a variable of its own: the decoder's pointer makes it
	// escape, and a kept user must not pay that allocation.
	_, gen, _ := s.access.user(name)
	var u intel.User
	found, err := s.getJSON(ctx, strKey(tUser, name), &u)
	if err == nil && !found {
		err = intel.ErrNotFound
	}
	if err != nil {
		return intel.User{}, fmt.Errorf("user %q: %w", name, err)
	}
	s.access.putUser(u, gen)
	return u, nil
}

// Users implements store.Access.
func (s *Store) Users(ctx context.Context) ([]intel.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tUser}, UpperBound: []byte{tUser + 1}})
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer it.Close()
	out := []intel.User{}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		var u intel.User
		if err := json.Unmarshal(v, &u); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, u)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	return out, nil
}

// SetToken implements store.Access: the old token's hash entry is deleted in
// the same synced batch that writes the new one.
func (s *Store) SetToken(ctx context.Context, t intel.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.User == "" || t.Hash == "" {
		return intel.Invalid("token needs a user and a hash")
	}
	t.Issued, t.Expires = intel.UTC(t.Issued), intel.UTC(t.Expires)
	j, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("set token of %q: %w", t.User, err)
	}
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	b := s.db.NewBatch()
	defer b.Close()
	uk := strKey(tUserTok, t.User)
	old, found, err := get(s.db, uk)
	if err == nil && found && string(old) != t.Hash {
		err = b.Delete(strKey(tToken, string(old)), nil)
	}
	if err == nil {
		err = b.Set(strKey(tToken, t.Hash), j, nil)
	}
	if err == nil {
		err = b.Set(uk, []byte(t.Hash), nil)
	}
	if err == nil {
		err = b.Commit(pebble.Sync)
		s.access.reset()
	}
	if err != nil {
		return fmt.Errorf("set token of %q: %w", t.User, err)
	}
	return nil
}

// TokenByHash implements store.Access.
func (s *Store) TokenByHash(ctx context.Context, hash string) (intel.Token, error) {
	if t, _, ok := s.access.token(hash); ok {
		return t, ctx.Err()
	}
	_, gen, _ := s.access.token(hash) // see User
	var t intel.Token
	found, err := s.getJSON(ctx, strKey(tToken, hash), &t)
	if err == nil && !found {
		err = intel.ErrNotFound
	}
	if err != nil {
		return intel.Token{}, fmt.Errorf("token: %w", err)
	}
	s.access.putToken(t, gen)
	return t, nil
}

// UserToken implements store.Access.
func (s *Store) UserToken(ctx context.Context, user string) (intel.Token, error) {
	if err := ctx.Err(); err != nil {
		return intel.Token{}, err
	}
	h, found, err := get(s.db, strKey(tUserTok, user))
	var t intel.Token
	if err == nil && found {
		found, err = s.getJSON(ctx, strKey(tToken, string(h)), &t)
	}
	if err == nil && !found {
		err = intel.ErrNotFound
	}
	if err != nil {
		return intel.Token{}, fmt.Errorf("token of %q: %w", user, err)
	}
	return t, nil
}

// RevokeToken implements store.Access.
func (s *Store) RevokeToken(ctx context.Context, user string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	uk := strKey(tUserTok, user)
	h, found, err := get(s.db, uk)
	if err == nil && found {
		b := s.db.NewBatch()
		defer b.Close()
		err = b.Delete(strKey(tToken, string(h)), nil)
		if err == nil {
			err = b.Delete(uk, nil)
		}
		if err == nil {
			err = b.Commit(pebble.Sync)
			s.access.reset()
		}
	}
	if err != nil {
		return fmt.Errorf("revoke token of %q: %w", user, err)
	}
	return nil
}

func countKey(user, day string) []byte { return strKey(tCount, user, day) }

// firstLease is the size of a user's first block of counts of the day:
// one process counts alone, so blocks cost no exactness, only what a kill
// leaves counted unused.
const firstLease = 8

// CountRequest implements store.Access: the request is counted in memory
// from a block of counts reserved with one synced write (countWriter), so
// the quota is exact (the directory lock makes this Store the only
// writer) and a killed process loses no count (see package quota).
func (s *Store) CountRequest(ctx context.Context, user, day string, quota int64) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	n, ok, err := s.counts.Count(ctx, user, day, quota)
	if err != nil {
		return 0, false, fmt.Errorf("count request of %q: %w", user, err)
	}
	return n, ok, nil
}

// countWriter is the quota.Reserver of a Store: a read-modify-write of
// the count key under countMu, synced.
type countWriter struct{ s *Store }

// Reserve implements quota.Reserver.
func (w countWriter) Reserve(ctx context.Context, user, day string, n, max int64) (int64, int64, error) {
	s := w.s
	k := countKey(user, day)
	s.countMu.Lock()
	defer s.countMu.Unlock()
	c, err := s.count(k)
	if err != nil {
		return 0, 0, err
	}
	got := quota.Grant(c, n, max)
	if got == 0 {
		return c, 0, nil
	}
	if err := s.db.Set(k, binary.AppendUvarint(nil, uint64(c+got)), pebble.Sync); err != nil {
		return 0, 0, err
	}
	return c + got, got, nil
}

// Release implements quota.Reserver.
func (w countWriter) Release(ctx context.Context, user, day string, n int64) error {
	s := w.s
	k := countKey(user, day)
	s.countMu.Lock()
	defer s.countMu.Unlock()
	c, err := s.count(k)
	if err != nil {
		return err
	}
	return s.db.Set(k, binary.AppendUvarint(nil, uint64(max(0, c-n))), pebble.Sync)
}

func (s *Store) count(k []byte) (int64, error) {
	var n uint64
	_, err := getFn(s.db, k, func(v []byte) error {
		var m int
		n, m = binary.Uvarint(v)
		if m <= 0 {
			return errCorrupt
		}
		return nil
	})
	return int64(n), err
}

// RequestCount implements store.Access: the stored count but for the
// counts reserved and not used yet.
func (s *Store) RequestCount(ctx context.Context, user, day string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.counts.Counted(user, day, func() (int64, error) {
		s.countMu.Lock()
		defer s.countMu.Unlock()
		return s.count(countKey(user, day))
	})
	if err != nil {
		return 0, fmt.Errorf("request count of %q: %w", user, err)
	}
	return max(0, n), nil
}

var _ store.QuotaHolder = (*Store)(nil)

// HoldsCount implements store.QuotaHolder with the blocks of counts this
// process reserved.
func (s *Store) HoldsCount(user, day string, quota int64) bool {
	return s.counts != nil && s.counts.Holds(user, day, quota)
}
