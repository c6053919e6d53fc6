-- The change feed keeps CHANGE_FEED_RETENTION_DAYS of changes (records::changes::trimmed): the
-- oldest are deleted in feed order, never one a relay has not published, and the position up to
-- which they are gone is kept here, so a reader asking from before it is told to resync (410).
CREATE TABLE change_feed_trimmed (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    txid       xid8 NOT NULL,
    seq        bigint NOT NULL,
    trimmed_at timestamptz NOT NULL DEFAULT now()
);
