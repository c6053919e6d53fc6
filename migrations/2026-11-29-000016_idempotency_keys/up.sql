-- POST requests sent with an `Idempotency-Key`: the first successful answer under a key is
-- kept, so a retry of the same request gets it again instead of doing the work twice.
-- A key belongs to one account. `fingerprint` is a digest of the method, path, query and
-- body; `status` is NULL while the first request is still running (until `locked_until`,
-- after which a retry may take the key over: the first one died). Kept answers expire at
-- `expires_at`, and are purged after that.
CREATE TABLE idempotency_keys (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint   bytea NOT NULL,
    attempt       uuid NOT NULL,
    locked_until  timestamptz NOT NULL,
    status        smallint CHECK (status BETWEEN 200 AND 299),
    headers       jsonb,
    body          bytea,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
