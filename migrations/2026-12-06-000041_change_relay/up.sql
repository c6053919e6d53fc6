-- How far each relay has published the change feed (`src/relay`): every change up to and
-- including (txid, seq) has been acknowledged by its target. The `changes` table is the
-- outbox (written in the writing transaction); this row moves only after the target has
-- acknowledged a batch, so a relay that dies in between publishes that batch again, under the
-- same message ids, and the target drops what it already holds.
CREATE TABLE change_relay (
    target      text PRIMARY KEY,
    txid        xid8 NOT NULL DEFAULT '0',
    seq         bigint NOT NULL DEFAULT 0,
    relayed_at  timestamptz NOT NULL DEFAULT now()
);
