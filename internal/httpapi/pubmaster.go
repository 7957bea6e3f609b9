package httpapi

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// masterPage is how many reports get_master_ioc reads from the store at a
// time. With the indicators of each (at most intel.MaxReportIndicators
// own, maxLinkedAddresses linked addresses and maxLinkedObjects linked
// objects) it bounds the memory of an answer to masterPage × 30,000
// indicators, whatever the number of reports.
const masterPage = 50

// masterHeader is the header row of the master IOC list.
const masterHeader = "uid,publication,indicator,detection_date,indicator_type"

// masterTypes are the indicator_type of each indicator type in the
// master IOC list.
var masterTypes = map[indicatorType]string{
	indAddress: "networkActivity",
	indNetwork: "networkActivity",
	indDomain:  "networkActivity",
	indURL:     "networkActivity",
	indMD5:     "md5Hash",
	indSHA1:    "sha1Hash",
	indSHA256:  "sha256Hash",
}

// reportGroups maps get_master_ioc's report_group to tipd's report types:
// apt the APT and ICS reports (targeted attacks, industrial ones
// included), fin the Crimeware reports, all every report (nil).
var reportGroups = map[string]map[string]bool{
	"apt": {intel.ReportAPT: true, intel.ReportICS: true},
	"fin": {intel.ReportCrimeware: true},
	"all": nil,
}

// handleMasterIOC answers GET|POST
// /api/publications/get_master_ioc?report_group=apt|fin|all: every served
// indicator of every report of the group (published at a time from the
// Unix epoch on), as a gzipped CSV list in base64 (writeMaster), in the
// order of get_list (newest first). It is streamed like get_list without
// a limit: the store is read masterPage reports at a time, and the
// answer written as it is read.
func (s *server) handleMasterIOC(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.serveMaster(w, r, info, "master_ioc", "master IOC", writeMaster)
}

// handleMasterYARA answers GET|POST
// /api/publications/get_master_yara?report_group=apt|fin|all: the YARA
// rules of every report of the group, as gzipped text in base64
// (writeMasterYARA), streamed as get_master_ioc is.
func (s *server) handleMasterYARA(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.serveMaster(w, r, info, "master_yara", "master YARA", func(ctx context.Context, w io.Writer, st store.Intel, reps []intel.Report,
		next func(store.ReportCursor) ([]intel.Report, error), types map[string]bool, held *heldIndicators) error {
		return writeMasterYARA(ctx, w, st, reps, next, types, held)
	})
}

// masterWriter writes a master file of the reports of reps and the pages
// that follow (next), those of types only (all when nil).
type masterWriter func(ctx context.Context, w io.Writer, st store.Intel, reps []intel.Report,
	next func(store.ReportCursor) ([]intel.Report, error), types map[string]bool, held *heldIndicators) error

// serveMaster answers a master file endpoint: the parameters and checks,
// then return_data {key: base64 of the gzipped file that write writes},
// streamed. An error once the answer has begun cuts the connection (and
// logs "<what> stream cut").
func (s *server) serveMaster(w http.ResponseWriter, r *http.Request, info *requestInfo, key, what string, write masterWriter) error {
	user, token, err := s.publicationsRequest(w, r, info)
	if err != nil {
		return err
	}
	group, err := formValue(r, "report_group", false)
	if err != nil {
		return err
	}
	if group == "" {
		group = "all"
	}
	types, ok := reportGroups[group]
	if !ok {
		return intel.Invalid("report_group %q is unknown: give apt, fin or all", clip(group))
	}
	if err := s.access.Check(r.Context(), user); err != nil {
		return err
	}
	held, err := s.heldIndicators(r.Context())
	if err != nil {
		return err
	}
	ctx := r.Context()
	from, to := time.Unix(0, 0), time.Unix(1<<40, 0)
	reps, err := s.reports.Store.ReportsAfter(ctx, from, to, store.ReportCursor{}, masterPage)
	if err != nil {
		return fmt.Errorf("publications: %w", err)
	}
	if _, err := s.access.Authorize(ctx, user, token); err != nil {
		return err
	}
	out := &bodyStream{w: w, contentType: "application/json; charset=utf-8", stall: s.cfg.WriteStall}
	fail := func(err error) error {
		if out.started() && ctx.Err() == nil {
			s.logger.LogAttrs(ctx, slog.LevelError, what+" stream cut", slog.String("error", err.Error()))
			panic(http.ErrAbortHandler)
		}
		return err
	}
	bw := bufio.NewWriterSize(out, 32<<10)
	bw.WriteString(`{"status":"ok","status_msg":"","return_data":{"` + key + `":"`) //nolint:errcheck // buffered: the first Write reports it
	b64 := base64.NewEncoder(base64.StdEncoding, bw)
	zw := gzip.NewWriter(b64)
	next := func(after store.ReportCursor) ([]intel.Report, error) {
		return s.reports.Store.ReportsAfter(ctx, from, to, after, masterPage)
	}
	if err := write(ctx, zw, s.reports.Store, reps, next, types, held); err != nil {
		var we writeErr
		if errors.As(err, &we) {
			return we.err // the client stopped reading (errStalled)
		}
		return fail(err)
	}
	for _, c := range []io.Closer{zw, b64} {
		if err := c.Close(); err != nil {
			return err
		}
	}
	bw.WriteString(`"}}` + "\n") //nolint:errcheck // reported by Flush
	return bw.Flush()
}

// yaraChunk is how many reports' YARA rules get_master_yara reads from the
// store at a time: with intel.MaxReportYARA it bounds the rules an answer
// holds to 8 MiB.
const yaraChunk = 8

// writeMasterYARA writes the master YARA file to w: for each report of
// reps and of the pages that follow (next) whose type is in types (every
// type when types is nil) and that has YARA rules, in that order, a
// comment line naming the report ("// report <id>: <name>", line breaks
// in them made spaces), its rules as imported (with a final line break),
// and an empty line.
func writeMasterYARA(ctx context.Context, w io.Writer, st store.Intel, reps []intel.Report,
	next func(store.ReportCursor) ([]intel.Report, error), types map[string]bool, held *heldIndicators) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	oneLine := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")
	for len(reps) > 0 {
		var in []*intel.Report
		for i := range reps {
			if (types == nil || types[reps[i].Type]) && !held.reportHeld(reps[i].ID) {
				in = append(in, &reps[i])
			}
		}
		for len(in) > 0 {
			chunk := in[:min(len(in), yaraChunk)]
			in = in[len(chunk):]
			ids := make([]string, len(chunk))
			for i, rep := range chunk {
				ids[i] = rep.ID
			}
			rules, err := store.ReportYARA(ctx, st, ids)
			if err != nil {
				return fmt.Errorf("YARA rules of publications: %w", err)
			}
			for _, rep := range chunk {
				y := rules[rep.ID]
				if y == "" {
					continue
				}
				bw.WriteString("// report " + oneLine.Replace(rep.ID) + ": " + oneLine.Replace(rep.Title) + "\n") //nolint:errcheck // reported by the next
				bw.WriteString(y)                                                                                 //nolint:errcheck // reported by the next
				if !strings.HasSuffix(y, "\n") {
					bw.WriteByte('\n') //nolint:errcheck // reported by the next
				}
				if err := bw.WriteByte('\n'); err != nil {
					return writeErr{err}
				}
			}
		}
		if len(reps) < masterPage {
			break
		}
		var err error
		if reps, err = next(store.CursorOf(reps[len(reps)-1])); err != nil {
			return fmt.Errorf("publications: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return writeErr{err}
	}
	return nil
}

// writeErr is a failed write to the client (it stopped reading), told
// apart from a failed read of the store.
type writeErr struct{ err error }

func (e writeErr) Error() string { return e.err.Error() }

// writeMaster writes the master IOC list to w: the header, then a row
// for each served indicator (indicators, holds applied) of each report
// of reps and of the pages that follow (next, after the last report of
// a page of masterPage reports)
// whose type is in types (every type when types is nil). Its columns:
// uid, a UUID derived from the report id and the indicator (stableUUID);
// publication, the report's name; indicator; detection_date, the date the
// report gives the indicator, else the report's Updated date, else its
// Published date (intel.Report.DetectedOn), as YYYY-MM-DD (UTC);
// indicator_type (masterTypes). Fields are quoted with ' when they hold
// a ', a ", a comma or a line break, or begin or end with a space
// (csvField).
func writeMaster(ctx context.Context, w io.Writer, st store.Intel, reps []intel.Report,
	next func(store.ReportCursor) ([]intel.Report, error), types map[string]bool, held *heldIndicators) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	var line strings.Builder
	line.WriteString(masterHeader + "\n")
	for len(reps) > 0 {
		var ids []string
		for i := range reps {
			if (types == nil || types[reps[i].Type]) && !held.reportHeld(reps[i].ID) {
				ids = append(ids, reps[i].ID)
			}
		}
		linked, err := store.ReportAddressesOf(ctx, st, ids, maxLinkedAddresses)
		if err != nil {
			return fmt.Errorf("addresses of publications: %w", err)
		}
		objects, err := store.ReportObjectsOf(ctx, st, ids, maxLinkedObjects)
		if err != nil {
			return fmt.Errorf("objects of publications: %w", err)
		}
		for i := range reps {
			rep := &reps[i]
			if types != nil && !types[rep.Type] || held.reportHeld(rep.ID) {
				continue
			}
			name := csvField(rep.Title)
			for _, x := range indicators(rep, linked[rep.ID], objects[rep.ID], held) {
				day := rep.DetectedOn(x).UTC().Format("2006-01-02")
				line.WriteString(stableUUID(rep.ID, x))
				line.WriteByte(',')
				line.WriteString(name)
				line.WriteByte(',')
				line.WriteString(csvField(x))
				line.WriteByte(',')
				line.WriteString(day)
				line.WriteByte(',')
				line.WriteString(masterTypes[classify(x)])
				line.WriteByte('\n')
				if _, err := bw.WriteString(line.String()); err != nil {
					return writeErr{err}
				}
				line.Reset()
			}
		}
		if len(reps) < masterPage {
			break
		}
		if reps, err = next(store.CursorOf(reps[len(reps)-1])); err != nil {
			return fmt.Errorf("publications: %w", err)
		}
	}
	if _, err := bw.WriteString(line.String()); err != nil {
		return writeErr{err}
	}
	if err := bw.Flush(); err != nil {
		return writeErr{err}
	}
	return nil
}

// csvField is a field of the master IOC list: as it is, or between ' with
// each ' doubled when it holds a ', a comma, a line break or a double
// quote, or begins or ends with a space.
func csvField(s string) string {
	if !strings.ContainsAny(s, "',\r\n\"") && strings.TrimSpace(s) == s {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
