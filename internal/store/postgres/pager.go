package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

var _ store.ListPager = (*Store)(nil)

// ListPage implements store.ListPager. A list's order mixes directions
// (newest first, then most hits, then the key ascending), which a row
// comparison cannot seek to; so "strictly after the cursor" is split into
// one branch per column of the order: the rows equal to the cursor in the
// columns before it and after it in that column (a NULL LastSeen, last in
// the order, is a branch of its own). Each branch is a range scan of the
// list's index, in its order, that stops after limit+1 rows; the query
// keeps the first limit+1 rows of their union. The cost is bounded by the
// page size, whatever the cursor's position.
func (s *Store) ListPage(ctx context.Context, ref store.ListRef, after store.ListCursor, limit int) (store.ListPage, error) {
	var p store.ListPage
	if err := ctx.Err(); err != nil || limit <= 0 {
		return p, err
	}
	var err error
	switch ref.Name {
	case store.ListHostedURLs, store.ListFiles, store.ListResolutions, store.ListMasks:
		ip := intel.NormIP(ref.IP)
		if !ip.IsValid() {
			return p, nil
		}
		op := "page of a list of " + ip.String()
		switch ref.Name {
		case store.ListHostedURLs:
			q := hostedPage.sql(ts(after.LastSeen), after.Hits, after.Key)
			p.HostedURLs, p.Next, err = page(ctx, s, op, limit, after, q, scanHosted(ip), store.HostedCursor, ip)
		case store.ListFiles:
			md5, url, _ := strings.Cut(after.Key, "\x00")
			q := filesPage.sql(ts(after.LastSeen), after.Hits, md5, url)
			p.Files, p.Next, err = page(ctx, s, op, limit, after, q, scanFile(&ip), store.FileCursor, ip)
		case store.ListResolutions:
			q := resolutionsPage.sql(ts(after.LastSeen), after.Hits, after.Key)
			q.wrap = `SELECT r.domain, r.first_seen, r.last_seen, r.hits, r.daily_peak, r.peak_date, r.src_feed, r.src_file, r.src_imported,
				COALESCE(NULLIF(d.zone, ''), 'Grey'), COALESCE(d.categories, '{}')
				FROM (%s) AS r LEFT JOIN domains d ON d.domain = r.domain
				ORDER BY r.last_seen DESC NULLS LAST, r.hits DESC, r.domain`
			p.Resolutions, p.Next, err = page(ctx, s, op, limit, after, q, scanResolution(ip), store.ResolutionCursor, ip)
		default:
			mask, typ, _ := strings.Cut(after.Key, "\x00")
			q := masksPage.sql(after.Sev, mask, typ)
			p.Masks, p.Next, err = page(ctx, s, op, limit, after, q, scanMask(ip), store.MaskCursor, ip)
		}
	case store.ListURLFiles:
		if badText(ref.URL) {
			return p, nil
		}
		q := urlFilesPage.sql(ts(after.LastSeen), after.Hits, after.Key)
		p.Files, p.Next, err = page(ctx, s, "page of the files of a web address", limit, after, q, scanFile(nil), store.URLFileCursor, ref.URL)
	case store.ListLinks:
		if !ref.Link.Valid() || badText(ref.Owner) {
			return p, nil
		}
		sev, recent := 0, any(nil)
		if ref.Link.BySeverity() {
			sev = after.Sev
		} else if !after.LastSeen.IsZero() {
			recent = ts(after.LastSeen)
		}
		q := linksPage.sql(sev, recent, after.Hits, after.Key)
		p.Links, p.Next, err = page(ctx, s, "page of the links of a "+ref.Link.Owner().String(), limit, after, q,
			scanLink(ref.Link, ref.Owner), store.LinkCursor, ref.Owner, int16(ref.Link))
	default:
		return p, intel.Invalid("unknown list %d", ref.Name)
	}
	if err != nil {
		return store.ListPage{}, err
	}
	p.Total, err = s.listTotal(ctx, ref)
	return p, err
}

// listTotal is the length of a list: one primary-key read of its owner's
// counter (url_summary.files, object_counts, addr_list_counts).
func (s *Store) listTotal(ctx context.Context, ref store.ListRef) (int64, error) {
	var sql string
	var args []any
	switch ref.Name {
	case store.ListURLFiles:
		sql, args = `SELECT files FROM url_summary WHERE url = $1`, []any{ref.URL}
	case store.ListLinks:
		sql, args = `SELECT items FROM object_counts WHERE key = $1 AND kind = $2 AND list = $3`,
			[]any{ref.Owner, int16(ref.Link.Owner()), int16(ref.Link)}
	default:
		list := map[store.ListName]int16{store.ListHostedURLs: 1, store.ListFiles: 2, store.ListResolutions: 3, store.ListMasks: 4}[ref.Name]
		sql, args = `SELECT items FROM addr_list_counts WHERE addr = $1 AND list = $2`, []any{intel.NormIP(ref.IP), list}
	}
	var n int64
	err := s.pool.QueryRow(ctx, sql, args...).Scan(&n)
	if notFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, wrapErr(ctx, "count of a list", err)
	}
	return n, nil
}

// page runs the page query q with the owner's arguments and returns the
// first limit rows and the cursor after them when there were more.
func page[T any](ctx context.Context, s *Store, op string, limit int, after store.ListCursor, q pageQuery,
	scan pgx.RowToFunc[T], cursor func(*T) store.ListCursor, owner ...any) ([]T, store.ListCursor, error) {
	if after.IsZero() {
		q = q.first()
	}
	if q.wrap != "" {
		q.text = strings.Replace(q.wrap, "%s", q.text, 1)
	}
	for _, a := range q.args {
		if k, ok := a.(string); ok && badText(k) {
			return nil, store.ListCursor{}, intel.Invalid("not a cursor of this list")
		}
	}
	args := append(append(owner, q.args...), limit+1)
	rows, err := s.pool.Query(ctx, q.text, args...)
	if err != nil {
		return nil, store.ListCursor{}, wrapErr(ctx, op, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, store.ListCursor{}, wrapErr(ctx, op, err)
	}
	return store.CutPage(out, limit, cursor)
}

// orderCol is one column of a list's order.
type orderCol struct {
	name      string
	desc      bool
	nullsLast bool // DESC NULLS LAST: NULL after every value
}

// pageShape is a list's table, the condition naming its owner (arguments
// $1…$owners) and the columns of its index order.
type pageShape struct {
	cols   string // the columns the list's scan reads
	table  string
	owner  string
	owners int
	order  []orderCol
}

// pageQuery is a page query and its cursor arguments (after the owner's,
// before the limit).
type pageQuery struct {
	text  string
	wrap  string // when set, the query is wrap with %s replaced by text
	args  []any
	shape *pageShape
}

var (
	hostedPage = &pageShape{cols: "url, zone, categories, hits, truncated, first_seen, last_seen, src_feed, src_file, src_imported", table: "hosted_urls", owner: "addr = $1", owners: 1,
		order: []orderCol{{"last_seen", true, true}, {"hits", true, false}, {"url", false, false}}}
	filesPage = &pageShape{cols: "md5, url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported", table: "files", owner: "addr = $1", owners: 1,
		order: []orderCol{{"last_seen", true, true}, {"hits", true, false}, {"md5", false, false}, {"url", false, false}}}
	resolutionsPage = &pageShape{cols: "*", table: "resolutions", owner: "addr = $1", owners: 1,
		order: []orderCol{{"last_seen", true, true}, {"hits", true, false}, {"domain", false, false}}}
	masksPage = &pageShape{cols: "mask, mask_type, zone, feeds, last_seen, src_feed, src_file, src_imported", table: "masks", owner: "addr = $1", owners: 1,
		order: []orderCol{{"sev", true, false}, {"mask", false, false}, {"mask_type", false, false}}}
	urlFilesPage = &pageShape{cols: "addr, md5, full_url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported", table: "url_files", owner: "url = $1", owners: 1,
		order: []orderCol{{"last_seen", true, true}, {"hits", true, false}, {"md5", false, false}}}
	linksPage = &pageShape{cols: "item, zone, hits, first_seen, last_seen, daily_peak, peak_date, attrs, src_feed, src_file, src_imported", table: "links", owner: "owner = $1 AND list = $2", owners: 2,
		order: []orderCol{{"sev", true, false}, {"recent", true, true}, {"hits", true, false}, {"item", false, false}}}
)

// orderBy is the ORDER BY list of the columns cols.
func orderBy(cols []orderCol) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.name
		if c.desc {
			parts[i] += " DESC"
		}
		if c.nullsLast {
			parts[i] += " NULLS LAST"
		}
	}
	return strings.Join(parts, ", ")
}

// first is the query of the first page: the list's order from its start.
func (q pageQuery) first() pageQuery {
	sh := q.shape
	limit := fmt.Sprintf("$%d", sh.owners+1)
	return pageQuery{shape: sh, wrap: q.wrap, text: `SELECT ` + sh.cols + ` FROM ` + sh.table + ` WHERE ` + sh.owner +
		` ORDER BY ` + orderBy(sh.order) + ` LIMIT ` + limit}
}

// sql is the query of the rows strictly after the cursor whose values in
// the order's columns are vals (nil for NULL).
func (sh *pageShape) sql(vals ...any) pageQuery {
	q := pageQuery{shape: sh, args: vals}
	limit := fmt.Sprintf("$%d", sh.owners+len(vals)+1)
	arg := func(i int) string { return fmt.Sprintf("$%d", sh.owners+1+i) }
	var branches, eq, unused []string
	branch := func(cond string, i int) {
		where := append(append([]string{sh.owner}, eq...), cond)
		branches = append(branches, `(SELECT * FROM `+sh.table+` WHERE `+strings.Join(where, " AND ")+
			` ORDER BY `+orderBy(sh.order[i:])+` LIMIT `+limit+`)`)
	}
	for i, c := range sh.order {
		v := vals[i]
		switch {
		case v == nil && c.nullsLast:
			// NULL is last: nothing comes after it in this column.
		case c.nullsLast:
			branch(c.name+" < "+arg(i), i)
			branch(c.name+" IS NULL", i)
		case c.desc:
			branch(c.name+" < "+arg(i), i)
		default:
			branch(c.name+" > "+arg(i), i)
		}
		if v == nil {
			eq = append(eq, c.name+" IS NULL")
			// Referenced once, so that PostgreSQL knows its type.
			unused = append(unused, arg(i)+"::text IS NULL")
		} else {
			eq = append(eq, c.name+" = "+arg(i))
		}
	}
	where := ""
	if len(unused) > 0 {
		where = ` WHERE ` + strings.Join(unused, " AND ")
	}
	if len(branches) == 0 {
		branches = append(branches, `(SELECT * FROM `+sh.table+` WHERE false)`)
	}
	q.text = `SELECT ` + sh.cols + ` FROM (` + strings.Join(branches, " UNION ALL ") + `) AS p` + where +
		` ORDER BY ` + orderBy(sh.order) + ` LIMIT ` + limit
	return q
}
