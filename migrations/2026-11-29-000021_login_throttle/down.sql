DROP INDEX login_failures_idx;
ALTER TABLE login_failures DROP COLUMN source;
CREATE INDEX login_failures_idx ON login_failures (username, failed_at);
