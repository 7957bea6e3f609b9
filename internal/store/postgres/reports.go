package postgres

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// reportCols are the columns scanReport reads, in its order.
const reportCols = `id, type, title, description, published, updated, tags, industries, geo, actors, indicators,
	detected, src_feed, src_file, src_imported`

// scanReport reads one row of reportCols.
func scanReport(row pgx.Row) (intel.Report, error) {
	var r intel.Report
	var published, updated, imported pgtype.Timestamptz
	err := row.Scan(&r.ID, &r.Type, &r.Title, &r.Description, &published, &updated, &r.Tags, &r.Industries, &r.Geo, &r.Actors,
		&r.Indicators, &r.Detected, &r.Source.Feed, &r.Source.File, &imported)
	if err != nil {
		return intel.Report{}, err
	}
	for x, t := range r.Detected {
		r.Detected[x] = t.UTC()
	}
	r.Published, r.Updated, r.Source.Imported = tm(published), tm(updated), tm(imported)
	r.Tags, r.Industries, r.Geo, r.Actors = nilIfEmpty(r.Tags), nilIfEmpty(r.Industries), nilIfEmpty(r.Geo), nilIfEmpty(r.Actors)
	r.Indicators = nilIfEmpty(r.Indicators)
	return r, nil
}

// Reports implements store.Intel with the index reports_published
// (migration 0002).
func (s *Store) Reports(ctx context.Context, from, to time.Time, limit int) ([]intel.Report, error) {
	return s.ReportsAfter(ctx, from, to, store.ReportCursor{}, limit)
}

// ReportsAfter implements store.Intel with the index reports_published.
func (s *Store) ReportsAfter(ctx context.Context, from, to time.Time, after store.ReportCursor, limit int) ([]intel.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || !from.Before(to) {
		return nil, nil
	}
	if after.IsZero() {
		return s.queryReports(ctx, `SELECT `+reportCols+` FROM reports
		WHERE published IS NOT NULL AND published >= $1 AND published < $2
		ORDER BY published DESC, id LIMIT $3`, from.UTC(), to.UTC(), limit)
	}
	return s.queryReports(ctx, `SELECT `+reportCols+` FROM reports
		WHERE published IS NOT NULL AND published >= $1 AND published < $2
		AND published <= $3 AND (published < $3 OR id > $4)
		ORDER BY published DESC, id LIMIT $5`, from.UTC(), to.UTC(), after.Published.UTC(), after.ID, limit)
}

// ReportAddresses implements store.Intel with the index
// report_links_by_report (migration 0008).
func (s *Store) ReportAddresses(ctx context.Context, id string, limit int) ([]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || badText(id) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT addr FROM report_links WHERE report_id = $1
		ORDER BY family(addr), addr LIMIT $2`, id, limit)
	if err != nil {
		return nil, wrapErr(ctx, "report addresses", err)
	}
	defer rows.Close()
	var out []netip.Addr
	for rows.Next() {
		var ip netip.Addr
		if err := rows.Scan(&ip); err != nil {
			return nil, wrapErr(ctx, "report addresses", err)
		}
		out = append(out, intel.NormIP(ip))
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(ctx, "report addresses", err)
	}
	return out, nil
}

// queryReports runs a query of reportCols rows.
func (s *Store) queryReports(ctx context.Context, sql string, args ...any) ([]intel.Report, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrapErr(ctx, "reports", err)
	}
	defer rows.Close()
	var out []intel.Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, wrapErr(ctx, "reports", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(ctx, "reports", err)
	}
	return out, nil
}

var _ store.ReportAddressesReader = (*Store)(nil)

// ReportAddressesOf implements store.ReportAddressesReader: one query, an
// index scan of at most limit rows per report.
func (s *Store) ReportAddressesOf(ctx context.Context, ids []string, limit int) (map[string][]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	keep := make([]string, 0, len(ids))
	for _, id := range ids {
		if !badText(id) {
			keep = append(keep, id)
		}
	}
	out := map[string][]netip.Addr{}
	if limit <= 0 || len(keep) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT r.id, l.addr FROM unnest($1::text[]) AS r(id)
		CROSS JOIN LATERAL (SELECT addr FROM report_links WHERE report_id = r.id
			ORDER BY family(addr), addr LIMIT $2) AS l
		ORDER BY r.id, family(l.addr), l.addr`, keep, limit)
	if err != nil {
		return nil, wrapErr(ctx, "report addresses", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ip netip.Addr
		if err := rows.Scan(&id, &ip); err != nil {
			return nil, wrapErr(ctx, "report addresses", err)
		}
		out[id] = append(out[id], intel.NormIP(ip))
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(ctx, "report addresses", err)
	}
	return out, nil
}

var _ store.ReportsReader = (*Store)(nil)

// ReportsByID implements store.ReportsReader: one query by primary key.
func (s *Store) ReportsByID(ctx context.Context, ids []string) ([]intel.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	keep := make([]string, 0, len(ids))
	for _, id := range ids {
		if !badText(id) {
			keep = append(keep, id)
		}
	}
	if len(keep) == 0 {
		return nil, nil
	}
	return s.queryReports(ctx, `SELECT `+reportCols+` FROM reports WHERE id = ANY($1)`, keep)
}

// ReportObjects implements store.Intel: the object links of the report
// lists by item (index links_by_report_item).
func (s *Store) ReportObjects(ctx context.Context, id string, limit int) ([]store.ObjectRef, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || badText(id) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, reportObjectsSQL, id, limit)
	if err != nil {
		return nil, wrapErr(ctx, "report objects", err)
	}
	defer rows.Close()
	var out []store.ObjectRef
	for rows.Next() {
		var list int16
		var owner string
		if err := rows.Scan(&list, &owner); err != nil {
			return nil, wrapErr(ctx, "report objects", err)
		}
		out = append(out, store.ObjectRef{Kind: intel.LinkList(list).Owner(), Key: owner})
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(ctx, "report objects", err)
	}
	return out, nil
}

// reportObjectsSQL names the report lists as literals, so that the planner
// can use the partial index of migration 0009, whose predicate they are.
var reportObjectsSQL = func() string {
	lists := make([]string, len(store.ReportLists))
	for i, l := range store.ReportLists {
		lists[i] = strconv.Itoa(int(l))
	}
	return `SELECT list, owner FROM links WHERE item = $1 AND list IN (` + strings.Join(lists, ", ") +
		`) ORDER BY list, owner LIMIT $2`
}()

var _ store.ReportObjectsReader = (*Store)(nil)

// ReportObjectsOf implements store.ReportObjectsReader: one query, at
// most limit objects per report.
func (s *Store) ReportObjectsOf(ctx context.Context, ids []string, limit int) (map[string][]store.ObjectRef, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string][]store.ObjectRef{}
	keep := make([]string, 0, len(ids))
	for _, id := range ids {
		if !badText(id) {
			keep = append(keep, id)
		}
	}
	if limit <= 0 || len(keep) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, reportObjectsOfSQL, keep, limit)
	if err != nil {
		return nil, wrapErr(ctx, "report objects", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, owner string
		var list int16
		if err := rows.Scan(&id, &list, &owner); err != nil {
			return nil, wrapErr(ctx, "report objects", err)
		}
		out[id] = append(out[id], store.ObjectRef{Kind: intel.LinkList(list).Owner(), Key: owner})
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(ctx, "report objects", err)
	}
	return out, nil
}

// reportObjectsOfSQL is reportObjectsSQL for several reports, at most $2
// per report.
var reportObjectsOfSQL = func() string {
	lists := make([]string, len(store.ReportLists))
	for i, l := range store.ReportLists {
		lists[i] = strconv.Itoa(int(l))
	}
	return `SELECT item, list, owner FROM (
		SELECT item, list, owner, row_number() OVER (PARTITION BY item ORDER BY list, owner) AS n
		FROM links WHERE item = ANY($1) AND list IN (` + strings.Join(lists, ", ") + `)) r
		WHERE n <= $2 ORDER BY item, list, owner`
}()

var _ store.ReportFilesReader = (*Store)(nil)

// ReportYARAOf implements store.ReportFilesReader: one query by primary
// key of report_files.
func (s *Store) ReportYARAOf(ctx context.Context, ids []string) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]string{}
	keep := make([]string, 0, len(ids))
	for _, id := range ids {
		if !badText(id) {
			keep = append(keep, id)
		}
	}
	if len(keep) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id, yara FROM report_files WHERE id = ANY($1) AND yara IS NOT NULL`, keep)
	if err != nil {
		return nil, wrapErr(ctx, "report YARA rules", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, yara string
		if err := rows.Scan(&id, &yara); err != nil {
			return nil, wrapErr(ctx, "report YARA rules", err)
		}
		out[id] = yara
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(ctx, "report YARA rules", err)
	}
	return out, nil
}

// ReportPDF implements store.ReportFilesReader.
func (s *Store) ReportPDF(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if badText(id) {
		return nil, nil
	}
	var pdf []byte
	err := s.pool.QueryRow(ctx, `SELECT pdf FROM report_files WHERE id = $1`, id).Scan(&pdf)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapErr(ctx, "report PDF", err)
	}
	if len(pdf) == 0 {
		return nil, nil
	}
	return pdf, nil
}
