-- The addresses linked to a report, for the indicators of
-- /api/publications/ (store.Intel.ReportAddresses).
CREATE INDEX report_links_by_report ON report_links (report_id, family(addr), addr);
