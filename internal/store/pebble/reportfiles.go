package pebble

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// tReportFile holds the files of reports, apart from the reports (R id),
// so that reading reports never reads them:
//
//	B id 0x00 'y'                   -> YARA rules (text)
//	B id 0x00 'p'                   -> PDF document
//
// Apply writes both keys of a report next to it, and deletes the key of a
// file the report does not have (a re-imported report replaces its files
// too). Stores written before the table existed have no files: nothing to
// upgrade.
const tReportFile = 'B'

// Kinds of report files (the last byte of B keys).
const (
	fileYARA = 'y'
	filePDF  = 'p'
)

// reportFileKey is the key of one file of report id.
func reportFileKey(id string, kind byte) []byte {
	return append(append(strKey(tReportFile, id), 0), kind)
}

// setReportFiles writes the files of r (about to replace the stored report
// of its id), deleting those it has not.
func (a *applier) setReportFiles(r *intel.Report) {
	if r.YARA != "" {
		a.set(reportFileKey(r.ID, fileYARA), []byte(r.YARA))
	} else {
		a.del(reportFileKey(r.ID, fileYARA))
	}
	if len(r.PDF) > 0 {
		a.set(reportFileKey(r.ID, filePDF), slices.Clone(r.PDF))
	} else {
		a.del(reportFileKey(r.ID, filePDF))
	}
}

var _ store.ReportFilesReader = (*Store)(nil)

// ReportYARAOf implements store.ReportFilesReader: one read per report.
func (s *Store) ReportYARAOf(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var yara string
		if _, err := getFn(s.db, reportFileKey(id, fileYARA), func(b []byte) error {
			yara = string(b)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("report %q YARA rules: %w", id, err)
		}
		if yara != "" {
			out[id] = yara
		}
	}
	return out, nil
}

// ReportPDF implements store.ReportFilesReader.
func (s *Store) ReportPDF(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var pdf []byte
	if _, err := getFn(s.db, reportFileKey(id, filePDF), func(b []byte) error {
		pdf = bytes.Clone(b)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("report %q PDF: %w", id, err)
	}
	if len(pdf) == 0 {
		return nil, nil
	}
	return pdf, nil
}
