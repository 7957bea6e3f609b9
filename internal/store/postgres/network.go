package postgres

import (
	"context"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/store"
)

var _ store.NetworkAddresses = (*Store)(nil)

// Reads of one bucket of the network index (migration 0014): from its
// newest address, and strictly after a cursor. Each is a range scan of
// the index addr_summary_net_small or _large that stops after $n rows.
const (
	netBucketFirst = `SELECT addr, last_seen, hits FROM addr_summary
		WHERE tipd_net_bucket(addr, $1) = $2 AND last_seen IS NOT NULL
		ORDER BY last_seen DESC, hits DESC, addr LIMIT $3`
	netBucketAfter = `SELECT addr, last_seen, hits FROM addr_summary
		WHERE tipd_net_bucket(addr, $1) = $2 AND last_seen IS NOT NULL AND last_seen <= $4
		AND (last_seen < $4 OR hits < $5 OR (hits = $5 AND addr > $6))
		ORDER BY last_seen DESC, hits DESC, addr LIMIT $3`
)

// NetworkAddresses implements store.NetworkAddresses with
// store.MergeNetworkPage over the expression indexes of addr_summary: the
// first reads of every bucket in one round trip, then one per refill.
func (s *Store) NetworkAddresses(ctx context.Context, q store.NetworkQuery) (store.NetworkPage, error) {
	if err := ctx.Err(); err != nil {
		return store.NetworkPage{}, err
	}
	page, err := store.MergeNetworkPage(q, func(reqs []*store.BucketRead) error {
		var b pgx.Batch
		for _, r := range reqs {
			small, _ := store.BucketSizes(r.Bucket.Addr().Is4())
			large := r.Bucket.Bits() != small
			if r.After.IsZero() {
				b.Queue(netBucketFirst, large, r.Bucket, r.N)
			} else {
				b.Queue(netBucketAfter, large, r.Bucket, r.N, r.After.LastSeen, r.After.Hits, r.After.IP)
			}
		}
		br := s.pool.SendBatch(ctx, &b)
		for _, r := range reqs {
			rows, err := br.Query()
			if err != nil {
				br.Close()
				return err
			}
			r.Items = r.Items[:0]
			for rows.Next() {
				var it store.NetworkItem
				var ip netip.Addr
				var last time.Time
				if err := rows.Scan(&ip, &last, &it.Hits); err != nil {
					rows.Close()
					br.Close()
					return err
				}
				it.IP, it.LastSeen = ip.Unmap(), last.UTC()
				r.Items = append(r.Items, it)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				br.Close()
				return err
			}
		}
		return br.Close()
	})
	if err != nil {
		return store.NetworkPage{}, wrapErr(ctx, "network addresses", err)
	}
	return page, nil
}
