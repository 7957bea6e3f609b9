-- The domains, web addresses and files linked to a report (the links of
-- the lists LinkHostReports 10, LinkURLReports 14 and LinkFileReports 27,
-- whose items are report ids), for the indicators of /api/publications/
-- (store.Intel.ReportObjects).
CREATE INDEX links_by_report_item ON links (item, list, owner) WHERE list IN (10, 14, 27);
