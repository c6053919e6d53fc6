-- Children under five, every time they are measured, and the stunting cases that follow.

-- Keys the service generates for itself when none is configured (development).
CREATE TABLE app_secrets (
    name        text PRIMARY KEY,
    value       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE children (
    id              uuid PRIMARY KEY,
    village_code    text COLLATE "C" NOT NULL REFERENCES regions (code)
                    CHECK (village_code ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$'),
    sex             text NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date      date NOT NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    mother_name     text CHECK (length(mother_name) BETWEEN 1 AND 200),
    -- HMAC-SHA256 of the NIK: finds duplicates without ever storing the NIK.
    nik_hash        bytea,
    deleted_at      timestamptz,
    deleted_by      uuid REFERENCES users (id),
    deleted_reason  text,
    version         integer NOT NULL DEFAULT 1,
    created_by      uuid REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((deleted_at IS NULL) = (deleted_reason IS NULL))
);
CREATE UNIQUE INDEX children_nik_hash_idx ON children (nik_hash)
    WHERE nik_hash IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX children_village_idx ON children (village_code, id) WHERE deleted_at IS NULL;
CREATE INDEX children_name_trgm_idx ON children USING gin (name gin_trgm_ops) WHERE deleted_at IS NULL;

-- A measurement is never edited: a wrong one is voided and entered again.
CREATE TABLE measurements (
    id               uuid PRIMARY KEY,
    child_id         uuid NOT NULL REFERENCES children (id),
    measured_on      date NOT NULL,
    age_days         integer NOT NULL CHECK (age_days BETWEEN 0 AND 1826),
    length_cm        double precision NOT NULL CHECK (length_cm BETWEEN 38 AND 130),
    position         text NOT NULL CHECK (position IN ('lying', 'standing')),
    weight_kg        double precision CHECK (weight_kg BETWEEN 0.9 AND 58),
    oedema           boolean NOT NULL DEFAULT false,
    place            text NOT NULL CHECK (place IN ('posyandu', 'puskesmas', 'home_visit', 'import')),
    measured_by      text CHECK (length(measured_by) BETWEEN 1 AND 200),
    haz              double precision,
    waz              double precision,
    whz              double precision,
    haz_implausible  boolean NOT NULL DEFAULT false,
    waz_implausible  boolean NOT NULL DEFAULT false,
    whz_implausible  boolean NOT NULL DEFAULT false,
    voided_at        timestamptz,
    voided_by        uuid REFERENCES users (id),
    voided_reason    text,
    recorded_by      uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((voided_at IS NULL) = (voided_reason IS NULL))
);
CREATE INDEX measurements_child_idx ON measurements (child_id, measured_on, created_at);

-- Derived from the measurements (opened, kept current, resolved) and followed up by officers.
-- `void`: the measurements that opened it were voided and nothing else shows stunting.
CREATE TABLE cases (
    id                       uuid PRIMARY KEY,
    child_id                 uuid NOT NULL REFERENCES children (id),
    -- The child's village, copied so region filters read one table; kept in step on moves.
    village_code             text COLLATE "C" NOT NULL REFERENCES regions (code),
    status                   text NOT NULL CHECK (status IN ('open', 'resolved', 'closed', 'void')),
    severity                 text NOT NULL CHECK (severity IN ('stunted', 'severely_stunted')),
    opened_on                date NOT NULL,
    opening_measurement_id   uuid NOT NULL REFERENCES measurements (id),
    latest_measurement_id    uuid NOT NULL REFERENCES measurements (id),
    latest_measured_on       date NOT NULL,
    latest_haz               double precision NOT NULL,
    resolved_on              date,
    resolving_measurement_id uuid REFERENCES measurements (id),
    closed_on                date,
    close_reason             text CHECK (close_reason IN ('moved_away', 'died', 'reached_60_months', 'other')),
    close_note               text,
    assigned_team            text,
    notes                    text,
    audited_on               date,
    audit_findings           text,
    audit_causes             text[] NOT NULL DEFAULT '{}' CHECK (array_position(audit_causes, NULL) IS NULL),
    audit_recommendation     text,
    version                  integer NOT NULL DEFAULT 1,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CHECK ((closed_on IS NULL) = (close_reason IS NULL))
);
CREATE UNIQUE INDEX cases_one_open_per_child_idx ON cases (child_id) WHERE status = 'open';
CREATE INDEX cases_child_idx ON cases (child_id, opened_on);
CREATE INDEX cases_village_idx ON cases (village_code, id);
