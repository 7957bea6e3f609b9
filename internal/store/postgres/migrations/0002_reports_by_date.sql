-- Reports keep their indicators, and are listed by publication date
-- (/api/publications/get_list).
ALTER TABLE reports ADD COLUMN indicators text[] NOT NULL DEFAULT '{}';
CREATE INDEX reports_published ON reports (published DESC, id) WHERE published IS NOT NULL;
