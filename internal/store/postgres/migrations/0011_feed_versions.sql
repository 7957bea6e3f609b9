-- The date of the latest version of each snapshot feed that was imported
-- (store.FeedVersioner): a listing of the feed last seen before it is no
-- longer in the feed's latest version. One row per feed.
CREATE TABLE feed_versions (
    feed    text PRIMARY KEY,
    version timestamptz NOT NULL
);
