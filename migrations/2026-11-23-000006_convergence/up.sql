-- The convergence framework: the 8 actions each district does every year and the documents
-- that show them, the province's assessment, lokus villages, TPPS and TPK teams, families at
-- risk of stunting with their verification, and official survey figures and targets.

CREATE TABLE convergence_actions (
    number   smallint PRIMARY KEY CHECK (number BETWEEN 1 AND 8),
    name_id  text NOT NULL,
    name_en  text NOT NULL
);
INSERT INTO convergence_actions (number, name_id, name_en) VALUES
    (1, 'Analisis Situasi', 'Situation analysis'),
    (2, 'Penyusunan Rencana Kegiatan', 'Activity plan'),
    (3, 'Rembuk Stunting', 'Stunting summit'),
    (4, 'Peraturan Bupati/Walikota tentang Peran Desa', 'Regent/mayor regulation on the role of villages'),
    (5, 'Pembinaan Pelaku dan Pemerintahan Desa', 'Coaching of village actors and cadres'),
    (6, 'Sistem Manajemen Data Stunting', 'Stunting data management system'),
    (7, 'Pengukuran dan Publikasi Stunting', 'Measurement and publication of stunting'),
    (8, 'Reviu Kinerja Tahunan', 'Annual performance review');

-- One row once a district has recorded anything about an action in a year; no row reads as
-- "not started".
CREATE TABLE convergence_progress (
    district_code  text COLLATE "C" NOT NULL REFERENCES regions (code) CHECK (district_code ~ '^[0-9]{2}\.[0-9]{2}$'),
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    action         smallint NOT NULL REFERENCES convergence_actions (number),
    status         text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'done')),
    done_on        date,
    notes          text CHECK (length(notes) <= 4000),
    version        integer NOT NULL DEFAULT 1,
    updated_by     uuid REFERENCES users (id),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_code, year, action),
    CHECK ((status = 'done') = (done_on IS NOT NULL))
);
CREATE INDEX convergence_progress_year_idx ON convergence_progress (year, district_code);

-- A supporting document: a link, or a file kept here (small, checksummed) so that only
-- callers in scope can read it back.
CREATE TABLE convergence_documents (
    id             uuid PRIMARY KEY,
    district_code  text COLLATE "C" NOT NULL REFERENCES regions (code),
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    action         smallint NOT NULL REFERENCES convergence_actions (number),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    kind           text NOT NULL CHECK (kind IN ('report', 'regulation', 'minutes', 'plan', 'attendance',
                       'photo', 'data', 'other')),
    document_date  date,
    url            text CHECK (url ~ '^https?://' AND length(url) <= 2000),
    file_name      text CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type   text,
    size_bytes     bigint CHECK (size_bytes > 0),
    sha256         text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content        bytea,
    created_by     uuid REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    version        integer NOT NULL DEFAULT 1,
    -- A live document is a link or a file; a removed one keeps its metadata, not its file.
    CHECK (deleted_at IS NOT NULL OR (url IS NULL) <> (content IS NULL)),
    CHECK ((content IS NULL) = (sha256 IS NULL) AND (content IS NULL) = (size_bytes IS NULL)
           AND (content IS NULL) = (content_type IS NULL) AND (content IS NULL) = (file_name IS NULL))
);
CREATE INDEX convergence_documents_district_idx ON convergence_documents (year, district_code, action)
    WHERE deleted_at IS NULL;

-- The province's performance assessment of a district (penilaian kinerja), 0 to 100.
CREATE TABLE convergence_assessments (
    district_code  text COLLATE "C" NOT NULL REFERENCES regions (code),
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    score          double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
    notes          text CHECK (length(notes) <= 4000),
    assessed_by    uuid REFERENCES users (id),
    version        integer NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_code, year)
);

-- The decision that set a district's lokus (priority) villages for a year, and the villages.
CREATE TABLE lokus_decisions (
    district_code  text COLLATE "C" NOT NULL REFERENCES regions (code) CHECK (district_code ~ '^[0-9]{2}\.[0-9]{2}$'),
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    decision       text NOT NULL CHECK (length(decision) BETWEEN 1 AND 300),
    decided_on     date,
    version        integer NOT NULL DEFAULT 1,
    updated_by     uuid REFERENCES users (id),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_code, year)
);
CREATE TABLE lokus_villages (
    village_code   text COLLATE "C" NOT NULL REFERENCES regions (code) CHECK (length(village_code) = 13),
    year           integer NOT NULL,
    district_code  text COLLATE "C" NOT NULL,
    reason         text CHECK (length(reason) <= 1000),
    PRIMARY KEY (year, village_code),
    FOREIGN KEY (district_code, year) REFERENCES lokus_decisions (district_code, year) ON DELETE CASCADE,
    CHECK (left(village_code, 5) = district_code)
);

-- TPPS coordination teams (any tier) and TPK family assistance teams (a village, three
-- members). Members are kept with the team: they are read and replaced together.
CREATE TABLE teams (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('tpps', 'tpk')),
    region_code  text COLLATE "C" NOT NULL REFERENCES regions (code),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    active       boolean NOT NULL DEFAULT true,
    members      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(members) = 'array'),
    version      integer NOT NULL DEFAULT 1,
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'tpps' OR length(region_code) = 13)
);
CREATE INDEX teams_region_idx ON teams (region_code, kind);

ALTER TABLE cases ADD COLUMN assigned_team_id uuid REFERENCES teams (id);

-- Families at risk of stunting from the BKKBN family data, loaded per year by a province
-- integration and verified village by village.
CREATE TABLE families_at_risk (
    id                  uuid PRIMARY KEY,
    year                integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    family_key          text NOT NULL CHECK (family_key ~ '^[A-Za-z0-9./-]{1,64}$'),
    village_code        text COLLATE "C" NOT NULL REFERENCES regions (code) CHECK (length(village_code) = 13),
    risk_factors        text[] NOT NULL CHECK (risk_factors <@ ARRAY['no_safe_water', 'no_proper_latrine',
                            'mother_under_20', 'mother_over_35', 'births_under_2_years_apart',
                            'more_than_3_children']::text[]),
    has_pregnant_woman  boolean NOT NULL,
    has_under_two       boolean NOT NULL,
    has_under_five      boolean NOT NULL,
    verification        text NOT NULL DEFAULT 'pending' CHECK (verification IN ('pending', 'verified',
                            'not_found', 'not_at_risk')),
    verification_note   text CHECK (length(verification_note) <= 2000),
    verified_by         uuid REFERENCES users (id),
    verified_at         timestamptz,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (year, family_key),
    CHECK ((verification = 'pending') = (verified_at IS NULL))
);
CREATE INDEX families_at_risk_village_idx ON families_at_risk (year, village_code, verification);

-- Official prevalence figures (surveys) and targets; a NULL region is all of Indonesia.
CREATE TABLE survey_figures (
    id              uuid PRIMARY KEY,
    region_code     text COLLATE "C" REFERENCES regions (code),
    year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    source          text NOT NULL CHECK (source IN ('ssgi', 'ski', 'e_ppgbm', 'other')),
    stunting_pct    double precision NOT NULL CHECK (stunting_pct BETWEEN 0 AND 100),
    ci_low_pct      double precision CHECK (ci_low_pct BETWEEN 0 AND 100),
    ci_high_pct     double precision CHECK (ci_high_pct BETWEEN 0 AND 100),
    note            text CHECK (length(note) <= 1000),
    version         integer NOT NULL DEFAULT 1,
    updated_by      uuid REFERENCES users (id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (region_code, year, source),
    CHECK ((ci_low_pct IS NULL) = (ci_high_pct IS NULL)),
    CHECK (ci_low_pct <= stunting_pct AND stunting_pct <= ci_high_pct)
);
CREATE TABLE prevalence_targets (
    id              uuid PRIMARY KEY,
    region_code     text COLLATE "C" REFERENCES regions (code),
    year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    stunting_pct    double precision NOT NULL CHECK (stunting_pct BETWEEN 0 AND 100),
    basis           text CHECK (length(basis) <= 300),
    version         integer NOT NULL DEFAULT 1,
    updated_by      uuid REFERENCES users (id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (region_code, year)
);

-- National figures and targets from DOMAIN sources: SSGI 2021, 2022, 2024; SKI 2023;
-- Perpres 72/2021 (2024) and RPJMN 2025-2029.
INSERT INTO survey_figures (id, region_code, year, source, stunting_pct, note) VALUES
    ('00000000-0000-7000-8000-000000002021', NULL, 2021, 'ssgi', 24.4, 'Studi Status Gizi Indonesia 2021'),
    ('00000000-0000-7000-8000-000000002022', NULL, 2022, 'ssgi', 21.6, 'Studi Status Gizi Indonesia 2022'),
    ('00000000-0000-7000-8000-000000002023', NULL, 2023, 'ski', 21.5, 'Survei Kesehatan Indonesia 2023'),
    ('00000000-0000-7000-8000-000000002024', NULL, 2024, 'ssgi', 19.8, 'Survei Status Gizi Indonesia 2024');
INSERT INTO prevalence_targets (id, region_code, year, stunting_pct, basis) VALUES
    ('00000000-0000-7000-8000-000000012024', NULL, 2024, 14.0, 'Perpres 72/2021'),
    ('00000000-0000-7000-8000-000000012025', NULL, 2025, 18.8, 'RPJMN 2025-2029'),
    ('00000000-0000-7000-8000-000000012029', NULL, 2029, 14.2, 'RPJMN 2025-2029');
