-- Region codes use the "C" collation so that byte order is code order: a subtree
-- ("everything under 14.01") is then the index range [code, code || '/'), which a
-- btree answers with bind parameters too (LIKE 'x%' needs a literal to use an index).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE regions (
    code         text COLLATE "C" PRIMARY KEY
                 CHECK (code ~ '^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$'),
    parent_code  text COLLATE "C" REFERENCES regions (code),
    level        text NOT NULL
                 CHECK (level IN ('province', 'district', 'subdistrict', 'village')),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    retired_at   timestamptz,
    replaced_by  text[] COLLATE "C" NOT NULL DEFAULT '{}' CHECK (array_position(replaced_by, NULL) IS NULL),
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((parent_code IS NULL) = (level = 'province')),
    CHECK (parent_code IS NULL OR starts_with(code, parent_code || '.'))
);
CREATE INDEX regions_parent_idx ON regions (parent_code, code);
CREATE INDEX regions_level_idx ON regions (level, code);
CREATE INDEX regions_name_trgm_idx ON regions USING gin (name gin_trgm_ops);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    username       text NOT NULL UNIQUE CHECK (username = lower(username)),
    display_name   text,
    password_hash  text NOT NULL,
    role           text NOT NULL
                   CHECK (role IN ('admin', 'officer', 'cadre', 'analyst', 'integration')),
    -- NULL scope: the whole country.
    scope          text COLLATE "C" REFERENCES regions (code),
    active         boolean NOT NULL DEFAULT true,
    version        integer NOT NULL DEFAULT 1,
    created_by     uuid REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_scope_idx ON users (scope, id);

-- Refresh tokens are stored only as SHA-256 hashes. A family is one login's chain of
-- rotations: presenting a token that was already rotated revokes the whole family.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Failed logins per (lower-cased) username, known or not, for the lockout window.
CREATE TABLE login_failures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username   text NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_idx ON login_failures (username, failed_at);

CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   uuid REFERENCES users (id),
    action     text NOT NULL,
    entity     text NOT NULL,
    entity_id  text NOT NULL,
    changes    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, at);
