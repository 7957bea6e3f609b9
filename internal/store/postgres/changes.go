package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// trackObjects makes an INSERT statement into an object table record the
// object of every row it inserts or updates into ch_objs, which
// stampChanges stamps; key and kind are expressions of the returned row
// (alias t).
func trackObjects(stmt, key, kind string) string {
	return "WITH m AS (" + stmt + "\nRETURNING " + key + " AS key, " + kind + " AS kind)\n" +
		"INSERT INTO ch_objs (key, kind) SELECT key, kind FROM m"
}

// trackSHA256 is trackObjects for rows keyed by file hash that stamps the
// SHA-256s among them only: an MD5's or SHA-1's object is not stamped for
// its hashes (store.Store.Changes).
func trackSHA256(stmt, key, kind string) string {
	return trackObjects(stmt, key, kind) + " WHERE length(key) = 64"
}

// kindSQL is the SQL value of an object kind.
func kindSQL(k intel.ObjectKind) string { return fmt.Sprintf("%d::smallint", k) }

// linkOwnerKind is the SQL expression of the kind of the owners of the
// list in column list (intel.LinkList.Owner).
func linkOwnerKind(list string) string {
	var b strings.Builder
	b.WriteString("(CASE")
	for l := intel.LinkList(1); l < intel.NumLinkLists; l++ {
		fmt.Fprintf(&b, " WHEN %s = %d THEN %s", list, l, kindSQL(l.Owner()))
	}
	b.WriteString(" END)")
	return b.String()
}

// stampObjects gives the objects of ch_objs the stamp of change_clock
// (see stampChanges).
const stampObjects = `INSERT INTO object_changes AS t (key, kind, changed_at)
	SELECT DISTINCT c.key, c.kind, k.last FROM ch_objs c, change_clock k WHERE k.id = 1
	ON CONFLICT (key, kind) DO UPDATE SET changed_at = EXCLUDED.changed_at`

// Changes implements store.Intel: one index range scan of addr_changes_order,
// url_changes_order or object_changes_order, (changed_at, key) greater than
// the cursor, stopped at the limit. Addresses are ordered as inet (IPv4
// before IPv6, then by bytes: netip.Addr.Compare for host addresses), web
// addresses and object keys bytewise (COLLATE "C").
func (s *Store) Changes(ctx context.Context, kind store.ChangeKind, after store.Change, limit int) ([]store.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var table, key string
	var cursorKey any
	var cursorKind int16
	switch kind {
	case store.ChangedAddresses:
		table, key = "addr_changes", "addr"
		if ip := intel.NormIP(after.IP); ip.IsValid() {
			cursorKey = ip
		}
	case store.ChangedURLs:
		table, key = "url_changes", "url"
		if after.URL != "" {
			if badText(after.URL) {
				// No entry has such a key, and PostgreSQL text cannot hold
				// it to compare with.
				return nil, intel.Invalid("change cursor: web address %q is not a stored key", after.URL)
			}
			cursorKey = after.URL
		}
	case store.ChangedObjects:
		table, key = "object_changes", "kind, key"
		if after.Kind != 0 {
			if badText(after.Key) {
				return nil, intel.Invalid("change cursor: object key %q is not a stored key", after.Key)
			}
			cursorKey, cursorKind = after.Key, int16(after.Kind)
		}
	default:
		return nil, intel.Invalid("unknown change kind %d", kind)
	}
	if limit <= 0 {
		return nil, nil
	}
	if after.At.Truncate(time.Microsecond) != after.At {
		// Stamps are in microseconds: every one at or before the cursor's
		// microsecond is before the cursor, whatever its key.
		cursorKey = nil
	}
	q := `SELECT ` + key + `, changed_at FROM ` + table
	args := []any{limit}
	switch {
	case after.At.IsZero():
		// Every stamp is after the zero time.
	case cursorKey == nil:
		q += ` WHERE changed_at > $2`
		args = append(args, after.At)
	case kind == store.ChangedObjects:
		q += ` WHERE (changed_at, kind, key) > ($2, $3, $4)`
		args = append(args, after.At, cursorKind, cursorKey)
	default:
		q += ` WHERE (changed_at, ` + key + `) > ($2, $3)`
		args = append(args, after.At, cursorKey)
	}
	q += ` ORDER BY changed_at, ` + key + ` LIMIT $1`

	scan := func(row pgx.CollectableRow) (store.Change, error) {
		var c store.Change
		var at time.Time
		var err error
		switch kind {
		case store.ChangedAddresses:
			err = row.Scan(&c.IP, &at)
		case store.ChangedURLs:
			err = row.Scan(&c.URL, &at)
		default:
			var k int16
			err = row.Scan(&k, &c.Key, &at)
			c.Kind = intel.ObjectKind(k)
		}
		c.At = at.UTC()
		return c, err
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrapErr(ctx, "changes", err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, wrapErr(ctx, "changes", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
