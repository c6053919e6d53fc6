-- Failed logins are counted per account and source address together: a stranger's guesses lock
-- the stranger out, not the account's owner (issue 14, item 6).
ALTER TABLE login_failures ADD COLUMN source text NOT NULL DEFAULT '';
DROP INDEX login_failures_idx;
CREATE INDEX login_failures_idx ON login_failures (username, source, failed_at);
