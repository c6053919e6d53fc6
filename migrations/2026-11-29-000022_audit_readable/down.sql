DROP INDEX audit_log_actor_idx;
DROP INDEX audit_log_region_idx;
DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_is_append_only();
DROP TRIGGER audit_log_locate ON audit_log;
DROP FUNCTION audit_log_locate();
DROP FUNCTION audit_region(text, text);
ALTER TABLE audit_log DROP COLUMN region_code;
