-- The files of reports (intel.Report's YARA rules and PDF document), kept
-- apart from the reports so that reading reports never reads them: a
-- report's row here is replaced, or deleted, whenever the report is
-- (store.ReportFilesReader). Existing reports have no files.
CREATE TABLE report_files (
	id   text PRIMARY KEY,
	yara text,
	pdf  bytea
);
