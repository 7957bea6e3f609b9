package pebble

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/store"
)

// Feed versions (store.FeedVersioner): one key per feed under the metadata
// table, M "fv" 0x00 feed -> the version date in Unix microseconds
// (uvarint). Their number is the number of feeds.
var keyFeedVersions = []byte{tMeta, 'f', 'v', 0}

var _ store.FeedVersioner = (*Store)(nil)

func feedVersionKey(feed string) []byte {
	return append(append([]byte(nil), keyFeedVersions...), feed...)
}

// PutFeedVersions implements store.FeedVersioner.
func (s *Store) PutFeedVersions(ctx context.Context, versions map[string]time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.feedVerMu.Lock()
	defer s.feedVerMu.Unlock()
	b := s.db.NewBatch()
	defer b.Close()
	for feed, t := range versions {
		k := feedVersionKey(feed)
		v, found, err := get(s.db, k)
		if err != nil {
			return fmt.Errorf("read feed version: %w", err)
		}
		us := uint64(max(t.UnixMicro(), 0))
		if found {
			if old, n := binary.Uvarint(v); n > 0 && old >= us {
				continue
			}
		}
		if err := b.Set(k, binary.AppendUvarint(nil, us), nil); err != nil {
			return err
		}
	}
	if b.Empty() {
		return nil
	}
	return b.Commit(pebble.Sync)
}

// FeedVersions implements store.FeedVersioner.
func (s *Store) FeedVersions(ctx context.Context) (map[string]time.Time, error) {
	upper := append([]byte(nil), keyFeedVersions...)
	upper[len(upper)-1]++
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: keyFeedVersions, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := map[string]time.Time{}
	for it.First(); it.Valid(); it.Next() {
		us, n := binary.Uvarint(it.Value())
		if n <= 0 {
			return nil, fmt.Errorf("feed version of %q: bad value", it.Key()[len(keyFeedVersions):])
		}
		out[string(it.Key()[len(keyFeedVersions):])] = time.UnixMicro(int64(us)).UTC()
	}
	return out, it.Error()
}
