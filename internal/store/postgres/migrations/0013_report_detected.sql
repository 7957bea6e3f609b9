-- The detection dates a report gives its indicators (intel.Report.Detected):
-- an object of indicator -> RFC 3339 time, NULL when it gives none.
ALTER TABLE reports ADD COLUMN detected jsonb;
