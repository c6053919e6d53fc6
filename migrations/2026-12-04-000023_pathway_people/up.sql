-- The first 1,000 days, part one: the people of the pathway who are not children under five
-- (women, and men screened as catin), a child's link to its mother, and the catin screening
-- (BKKBN Elsimil) with the thresholds it was judged by.

-- A person is identified like a child: the NIK only as its keyed hash, one living record per
-- NIK across the country. The same woman is catin, then pregnant, then a mother.
CREATE TABLE people (
    id              uuid PRIMARY KEY,
    village_code    text COLLATE "C" NOT NULL REFERENCES regions (code)
                    CHECK (village_code ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$'),
    sex             text NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date      date NOT NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
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
CREATE UNIQUE INDEX people_nik_hash_idx ON people (nik_hash) WHERE nik_hash IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX people_village_idx ON people (village_code, id) WHERE deleted_at IS NULL;
CREATE INDEX people_name_trgm_idx ON people USING gin (name gin_trgm_ops) WHERE deleted_at IS NULL;

ALTER TABLE children ADD COLUMN mother_id uuid REFERENCES people (id);
CREATE INDEX children_mother_idx ON children (mother_id) WHERE mother_id IS NOT NULL;

-- The thresholds a screening is judged by. Sources disagree (on haemoglobin above all), so
-- they are settings, never constants: each change is a new version, and a screening keeps the
-- version it was judged under, so a new threshold never rewrites an old verdict.
CREATE TABLE catin_thresholds (
    version         integer PRIMARY KEY CHECK (version >= 1),
    -- A woman younger than this, or older than `max_age_women`, is at risk.
    min_age_women   smallint NOT NULL CHECK (min_age_women BETWEEN 10 AND 30),
    max_age_women   smallint NOT NULL CHECK (max_age_women BETWEEN 30 AND 60),
    min_bmi         double precision NOT NULL CHECK (min_bmi BETWEEN 10 AND 30),
    min_muac_cm     double precision NOT NULL CHECK (min_muac_cm BETWEEN 15 AND 35),
    min_hb_women    double precision NOT NULL CHECK (min_hb_women BETWEEN 7 AND 16),
    min_hb_men      double precision NOT NULL CHECK (min_hb_men BETWEEN 7 AND 18),
    source          text NOT NULL CHECK (length(source) BETWEEN 3 AND 2000),
    created_by      uuid REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO catin_thresholds
    (version, min_age_women, max_age_women, min_bmi, min_muac_cm, min_hb_women, min_hb_men, source)
VALUES (1, 20, 35, 18.5, 23.5, 12.0, 13.0,
        'Age 20-35: BKKBN Elsimil (usia ideal perempuan menikah dan hamil). BMI < 18.5: WHO adult '
        'underweight (Kemenkes IMT kurus). LiLA < 23.5 cm: Kemenkes KEK. Hb < 12 g/dL (women) and '
        '< 13 g/dL (men): WHO 2011, Haemoglobin concentrations for the diagnosis of anaemia '
        '(Elsimil material also quotes 11 and 11.5 for women).');

-- A screening is never edited: a wrong one is voided (with a reason) and entered again. The
-- server derives every risk factor and the verdict, and keeps them with the thresholds' version.
CREATE TABLE catin_screenings (
    id                  uuid PRIMARY KEY,
    person_id           uuid NOT NULL REFERENCES people (id),
    -- The person's village, moved with her: where the screening is counted and synced.
    village_code        text COLLATE "C" NOT NULL REFERENCES regions (code),
    screened_on         date NOT NULL,
    wedding_planned_on  date,
    age_years           smallint NOT NULL CHECK (age_years BETWEEN 10 AND 80),
    height_cm           double precision CHECK (height_cm BETWEEN 100 AND 220),
    weight_kg           double precision CHECK (weight_kg BETWEEN 25 AND 250),
    bmi                 double precision,
    muac_cm             double precision CHECK (muac_cm BETWEEN 10 AND 60),
    hb_g_dl             double precision CHECK (hb_g_dl BETWEEN 3 AND 25),
    smokes              boolean NOT NULL DEFAULT false,
    smoke_exposed       boolean NOT NULL DEFAULT false,
    thresholds_version  integer NOT NULL REFERENCES catin_thresholds (version),
    risk_factors        text[] NOT NULL,
    at_risk             boolean NOT NULL,
    voided_at           timestamptz,
    voided_by           uuid REFERENCES users (id),
    voided_reason       text,
    recorded_by         uuid REFERENCES users (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((voided_at IS NULL) = (voided_reason IS NULL)),
    CHECK ((height_cm IS NULL OR weight_kg IS NULL) = (bmi IS NULL)),
    CHECK (at_risk = (cardinality(risk_factors) > 0))
);
CREATE INDEX catin_screenings_person_idx ON catin_screenings (person_id, screened_on, created_at);
CREATE INDEX catin_screenings_village_idx ON catin_screenings (village_code, screened_on) WHERE voided_at IS NULL;

-- Both in the change feed (migration 000017), so an offline app keeps them.
CREATE TRIGGER changes_person_inserted AFTER INSERT ON people REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION changes_logged('person', 'r.village_code', 'r.deleted_at IS NOT NULL');
CREATE TRIGGER changes_person_updated AFTER UPDATE ON people REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION changes_logged('person', 'r.village_code', 'r.deleted_at IS NOT NULL');
CREATE TRIGGER changes_person_deleted AFTER DELETE ON people REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION changes_logged('person', 'r.village_code', 'r.deleted_at IS NOT NULL');
CREATE TRIGGER changes_catin_screening_inserted AFTER INSERT ON catin_screenings REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION changes_logged('catin_screening', 'r.village_code', 'r.voided_at IS NOT NULL');
CREATE TRIGGER changes_catin_screening_updated AFTER UPDATE ON catin_screenings REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION changes_logged('catin_screening', 'r.village_code', 'r.voided_at IS NOT NULL');
CREATE TRIGGER changes_catin_screening_deleted AFTER DELETE ON catin_screenings REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION changes_logged('catin_screening', 'r.village_code', 'r.voided_at IS NOT NULL');
