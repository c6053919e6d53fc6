DROP TABLE audit_log;
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE regions;
DROP EXTENSION IF EXISTS pg_trgm;
