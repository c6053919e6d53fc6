-- Interventions: the catalogue of types, the agencies (OPD) responsible, the activities a
-- region runs with their monthly progress, and the services a child receives.

CREATE TABLE intervention_types (
    code                 text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name_id              text NOT NULL CHECK (length(name_id) BETWEEN 1 AND 200),
    name_en              text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    category             text NOT NULL CHECK (category IN ('specific', 'sensitive')),
    target_group         text NOT NULL CHECK (target_group IN ('catin', 'pregnant', 'postpartum', 'under_two',
                             'under_five', 'adolescent_girls', 'family_at_risk', 'community')),
    unit                 text NOT NULL CHECK (unit IN ('persons', 'tablets', 'packages', 'visits', 'households',
                             'sessions', 'villages', 'documents')),
    -- Percent of the target group to reach nationally (Perpres 72/2021), where one is set.
    national_target_pct  double precision CHECK (national_target_pct BETWEEN 0 AND 100),
    national_target_year integer CHECK (national_target_year BETWEEN 2000 AND 2100),
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK ((national_target_pct IS NULL) = (national_target_year IS NULL))
);

INSERT INTO intervention_types (code, name_id, name_en, category, target_group, unit, national_target_pct, national_target_year) VALUES
    ('pmt_pregnant_kek', 'PMT ibu hamil kurang energi kronis (KEK)', 'Supplementary food for pregnant women with chronic energy deficiency', 'specific', 'pregnant', 'persons', 90, 2024),
    ('ttd_pregnant', 'Ibu hamil mengonsumsi minimal 90 tablet tambah darah (TTD)', 'Pregnant women taking at least 90 iron tablets', 'specific', 'pregnant', 'persons', 80, 2024),
    ('ttd_adolescent_girls', 'Remaja putri mengonsumsi tablet tambah darah (TTD)', 'Adolescent girls taking iron tablets', 'specific', 'adolescent_girls', 'persons', 58, 2024),
    ('exclusive_breastfeeding', 'ASI eksklusif bayi di bawah 6 bulan', 'Exclusive breastfeeding under 6 months', 'specific', 'under_two', 'persons', 80, 2024),
    ('complementary_feeding', 'MP-ASI anak usia 6-23 bulan', 'Complementary feeding, 6 to 23 months', 'specific', 'under_two', 'persons', 80, 2024),
    ('growth_monitoring', 'Balita dipantau pertumbuhan dan perkembangannya', 'Under-fives with growth monitored', 'specific', 'under_five', 'persons', 90, 2024),
    ('basic_immunisation', 'Imunisasi dasar lengkap', 'Complete basic immunisation', 'specific', 'under_two', 'persons', 90, 2024),
    ('vitamin_a', 'Suplementasi vitamin A', 'Vitamin A supplementation', 'specific', 'under_five', 'persons', NULL, NULL),
    ('pmt_undernourished_children', 'PMT balita gizi kurang', 'Supplementary food for undernourished under-fives', 'specific', 'under_five', 'packages', NULL, NULL),
    ('puskesmas_referral', 'Rujukan ke puskesmas', 'Referral to the puskesmas', 'specific', 'under_five', 'visits', NULL, NULL),
    ('tpk_home_visit', 'Kunjungan rumah oleh Tim Pendamping Keluarga (TPK)', 'Home visit by the family assistance team', 'specific', 'under_five', 'visits', NULL, NULL),
    ('catin_screening', 'Pemeriksaan kesehatan calon pengantin', 'Health screening of brides- and grooms-to-be', 'specific', 'catin', 'persons', NULL, NULL),
    ('safe_drinking_water', 'Akses air minum layak', 'Access to safe drinking water', 'sensitive', 'family_at_risk', 'households', NULL, NULL),
    ('proper_sanitation', 'Akses sanitasi (jamban) layak', 'Access to proper sanitation', 'sensitive', 'family_at_risk', 'households', NULL, NULL),
    ('family_planning', 'Pelayanan Keluarga Berencana (KB)', 'Family planning services', 'sensitive', 'family_at_risk', 'persons', NULL, NULL),
    ('social_assistance', 'Bantuan sosial keluarga miskin dengan balita (PKH)', 'Social assistance for poor families with children', 'sensitive', 'family_at_risk', 'households', NULL, NULL),
    ('food_assistance', 'Bantuan pangan', 'Food assistance', 'sensitive', 'family_at_risk', 'households', NULL, NULL),
    ('parenting_classes', 'Kelas pengasuhan / Bina Keluarga Balita (BKB)', 'Parenting classes (BKB)', 'sensitive', 'family_at_risk', 'sessions', NULL, NULL),
    ('early_childhood_education', 'Pendidikan Anak Usia Dini (PAUD)', 'Early childhood education', 'sensitive', 'under_five', 'persons', NULL, NULL),
    ('birth_certificates', 'Kepemilikan akta kelahiran', 'Birth certificates', 'sensitive', 'under_five', 'documents', NULL, NULL),
    ('health_insurance', 'Jaminan Kesehatan Nasional (JKN) keluarga berisiko', 'Health insurance for families at risk', 'sensitive', 'family_at_risk', 'persons', NULL, NULL);

-- Government agencies (OPD) of a district, to say who is responsible.
CREATE TABLE agencies (
    id             uuid PRIMARY KEY,
    district_code  text COLLATE "C" NOT NULL REFERENCES regions (code)
                   CHECK (district_code ~ '^[0-9]{2}\.[0-9]{2}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    short_name     text NOT NULL CHECK (length(short_name) BETWEEN 1 AND 40),
    sector         text NOT NULL CHECK (sector IN ('health', 'family_planning', 'planning', 'village_development',
                       'public_works', 'social', 'education', 'food_security', 'civil_registration', 'other')),
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agencies_short_name_idx ON agencies (district_code, lower(short_name));

-- An intervention type delivered in a region over a period, with a target count (sasaran).
-- `reached` is the sum of the current monthly reports, kept in the reporting transaction.
CREATE TABLE interventions (
    id              uuid PRIMARY KEY,
    type_code       text NOT NULL REFERENCES intervention_types (code),
    region_code     text COLLATE "C" NOT NULL REFERENCES regions (code),
    period_start    date NOT NULL,
    period_end      date NOT NULL,
    agency_id       uuid REFERENCES agencies (id),
    target          bigint NOT NULL CHECK (target >= 0),
    reached         bigint NOT NULL DEFAULT 0 CHECK (reached >= 0),
    description     text CHECK (length(description) <= 2000),
    deleted_at      timestamptz,
    deleted_reason  text,
    version         integer NOT NULL DEFAULT 1,
    created_by      uuid REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start),
    CHECK ((deleted_at IS NULL) = (deleted_reason IS NULL))
);
CREATE INDEX interventions_region_idx ON interventions (region_code, period_start) WHERE deleted_at IS NULL;

-- Monthly progress. A correction supersedes the month's report and keeps it as history.
CREATE TABLE intervention_reports (
    id               uuid PRIMARY KEY,
    intervention_id  uuid NOT NULL REFERENCES interventions (id),
    month            date NOT NULL CHECK (extract(day FROM month) = 1),
    reached          bigint NOT NULL CHECK (reached >= 0),
    note             text CHECK (length(note) <= 2000),
    superseded_at    timestamptz,
    reported_by      uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX intervention_reports_current_idx ON intervention_reports (intervention_id, month)
    WHERE superseded_at IS NULL;

-- A service a child received (supplementary food, vitamin A, a referral, a home visit, ...).
CREATE TABLE child_services (
    id               uuid PRIMARY KEY,
    child_id         uuid NOT NULL REFERENCES children (id),
    type_code        text NOT NULL REFERENCES intervention_types (code),
    given_on         date NOT NULL,
    intervention_id  uuid REFERENCES interventions (id),
    given_by         text CHECK (length(given_by) BETWEEN 1 AND 200),
    note             text CHECK (length(note) <= 2000),
    recorded_by      uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX child_services_child_idx ON child_services (child_id, given_on);
