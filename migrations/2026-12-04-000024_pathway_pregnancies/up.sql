-- The first 1,000 days, part two: pregnancies (the KIA book) with their antenatal (K1-K6) and
-- postpartum (KF1-KF4) visits, the babies they bore, and the TPK's assistance visits to every
-- person of the pathway. Each row carries the village of the person it is about, moved with
-- her, so it is counted and synced where she lives.

-- One open pregnancy per woman; an outcome closes it. What its living visits and its outcome
-- add up to is kept here in the writing transaction (recounted from the visits on every write),
-- so the statistics and a cadre's list read one row per pregnancy.
CREATE TABLE pregnancies (
    id                      uuid PRIMARY KEY,
    person_id               uuid NOT NULL REFERENCES people (id),
    village_code            text COLLATE "C" NOT NULL REFERENCES regions (code),
    -- First day of the last menstrual period (HPHT) and the due date (HPL) derived from it.
    lmp_on                  date NOT NULL,
    due_on                  date NOT NULL CHECK (due_on = lmp_on + 280),
    outcome                 text CHECK (outcome IN ('live_birth', 'stillbirth', 'miscarriage', 'maternal_death')),
    ended_on                date CHECK (ended_on BETWEEN lmp_on AND lmp_on + 308),
    anc_contacts            smallint NOT NULL DEFAULT 0,
    anc_first_trimester     smallint NOT NULL DEFAULT 0,
    anc_second_trimester    smallint NOT NULL DEFAULT 0,
    anc_third_trimester     smallint NOT NULL DEFAULT 0,
    anc_by_doctor           smallint NOT NULL DEFAULT 0,
    iron_tablets            integer NOT NULL DEFAULT 0,
    kek                     boolean NOT NULL DEFAULT false,
    anaemia                 boolean NOT NULL DEFAULT false,
    last_visit_on           date,
    -- The standards as the service judges them (domain::pregnancy), kept with the counts.
    anc_k4                  boolean NOT NULL DEFAULT false,
    anc_k6                  boolean NOT NULL DEFAULT false,
    iron_complete           boolean NOT NULL DEFAULT false,
    -- Kept from the outcome: babies born alive, of them low birth weight and short.
    babies                  smallint NOT NULL DEFAULT 0,
    low_birth_weight_babies smallint NOT NULL DEFAULT 0,
    short_babies            smallint NOT NULL DEFAULT 0,
    -- Kept from the living postpartum visits: KF1-KF4 done (bit k-1 for KFk), the latest
    -- contraception recorded, and whether every breastfeeding answer was exclusive (NULL: the
    -- question was never answered).
    kf_done                 smallint NOT NULL DEFAULT 0 CHECK (kf_done BETWEEN 0 AND 15),
    contraception           text,
    breastfeeding_exclusive boolean,
    deleted_at              timestamptz,
    deleted_by              uuid REFERENCES users (id),
    deleted_reason          text,
    version                 integer NOT NULL DEFAULT 1,
    created_by              uuid REFERENCES users (id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome IS NULL) = (ended_on IS NULL)),
    CHECK ((deleted_at IS NULL) = (deleted_reason IS NULL)),
    CHECK (anc_contacts = anc_first_trimester + anc_second_trimester + anc_third_trimester)
);
CREATE UNIQUE INDEX pregnancies_one_open_idx ON pregnancies (person_id) WHERE outcome IS NULL AND deleted_at IS NULL;
CREATE INDEX pregnancies_person_idx ON pregnancies (person_id, lmp_on);
CREATE INDEX pregnancies_village_idx ON pregnancies (village_code, ended_on) WHERE deleted_at IS NULL;

-- An antenatal visit (K1-K6 and beyond), appended in date order; never edited, voided instead.
-- KEK and anaemia are judged by the server when LiLA and Hb were measured.
CREATE TABLE anc_visits (
    id                  uuid PRIMARY KEY,
    pregnancy_id        uuid NOT NULL REFERENCES pregnancies (id),
    village_code        text COLLATE "C" NOT NULL REFERENCES regions (code),
    visited_on          date NOT NULL,
    examiner            text NOT NULL CHECK (examiner IN ('doctor', 'midwife', 'nurse')),
    weight_kg           double precision CHECK (weight_kg BETWEEN 25 AND 250),
    muac_cm             double precision CHECK (muac_cm BETWEEN 10 AND 60),
    hb_g_dl             double precision CHECK (hb_g_dl BETWEEN 3 AND 25),
    kek                 boolean,
    anaemia             boolean,
    iron_tablets        smallint NOT NULL DEFAULT 0 CHECK (iron_tablets BETWEEN 0 AND 120),
    supplementary_food  boolean NOT NULL DEFAULT false,
    voided_at           timestamptz,
    voided_by           uuid REFERENCES users (id),
    voided_reason       text,
    recorded_by         uuid REFERENCES users (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((voided_at IS NULL) = (voided_reason IS NULL)),
    CHECK ((muac_cm IS NULL) = (kek IS NULL)),
    CHECK ((hb_g_dl IS NULL) = (anaemia IS NULL))
);
CREATE INDEX anc_visits_pregnancy_idx ON anc_visits (pregnancy_id, visited_on);

-- A baby born alive of a pregnancy: the child record it became, with its birth weight and length.
CREATE TABLE births (
    child_id            uuid PRIMARY KEY REFERENCES children (id),
    pregnancy_id        uuid NOT NULL REFERENCES pregnancies (id),
    birth_weight_g      integer NOT NULL CHECK (birth_weight_g BETWEEN 300 AND 7000),
    birth_length_cm     double precision NOT NULL CHECK (birth_length_cm BETWEEN 20 AND 65),
    low_birth_weight    boolean NOT NULL,
    short_at_birth      boolean NOT NULL
);
CREATE INDEX births_pregnancy_idx ON births (pregnancy_id);

-- A postpartum visit (KF1-KF4), its number derived from the days since delivery.
CREATE TABLE postpartum_visits (
    id                      uuid PRIMARY KEY,
    pregnancy_id            uuid NOT NULL REFERENCES pregnancies (id),
    village_code            text COLLATE "C" NOT NULL REFERENCES regions (code),
    visited_on              date NOT NULL,
    kf                      smallint NOT NULL CHECK (kf BETWEEN 1 AND 4),
    examiner                text NOT NULL CHECK (examiner IN ('doctor', 'midwife', 'nurse')),
    contraception           text CHECK (contraception IN ('none', 'iud', 'implant', 'injectable', 'pill',
                                'condom', 'lactational_amenorrhoea', 'tubectomy', 'vasectomy')),
    exclusive_breastfeeding boolean,
    voided_at               timestamptz,
    voided_by               uuid REFERENCES users (id),
    voided_reason           text,
    recorded_by             uuid REFERENCES users (id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((voided_at IS NULL) = (voided_reason IS NULL))
);
CREATE INDEX postpartum_visits_pregnancy_idx ON postpartum_visits (pregnancy_id, visited_on);

-- A family assistance team's visit (pendampingan) to one person of the pathway or one child
-- under two. The stage is derived by the server from her records on the day.
CREATE TABLE tpk_visits (
    id                      uuid PRIMARY KEY,
    team_id                 uuid NOT NULL REFERENCES teams (id),
    person_id               uuid REFERENCES people (id),
    child_id                uuid REFERENCES children (id),
    village_code            text COLLATE "C" NOT NULL REFERENCES regions (code),
    visited_on              date NOT NULL,
    stage                   text NOT NULL CHECK (stage IN ('catin', 'pregnant', 'postpartum', 'child_under_two')),
    counselling             boolean NOT NULL,
    referral                boolean NOT NULL,
    social_assistance       boolean NOT NULL,
    exclusive_breastfeeding boolean,
    findings                text CHECK (length(findings) <= 2000),
    next_visit_on           date CHECK (next_visit_on > visited_on),
    voided_at               timestamptz,
    voided_by               uuid REFERENCES users (id),
    voided_reason           text,
    recorded_by             uuid REFERENCES users (id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((person_id IS NULL) <> (child_id IS NULL)),
    CHECK ((child_id IS NULL) = (stage <> 'child_under_two')),
    CHECK ((voided_at IS NULL) = (voided_reason IS NULL))
);
CREATE INDEX tpk_visits_village_idx ON tpk_visits (village_code, visited_on) WHERE voided_at IS NULL;
CREATE INDEX tpk_visits_person_idx ON tpk_visits (person_id, visited_on) WHERE person_id IS NOT NULL;
CREATE INDEX tpk_visits_child_idx ON tpk_visits (child_id, visited_on) WHERE child_id IS NOT NULL;
CREATE INDEX tpk_visits_team_idx ON tpk_visits (team_id, visited_on);

-- Every new kind in the change feed (migration 000017), with its tombstone.
CREATE PROCEDURE changes_logged_on(tab regclass, entity text, region text, removed text)
LANGUAGE plpgsql AS $$
DECLARE
    args text := format('%L, %L, %L', entity, region, removed);
    name text := 'changes_' || entity;
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS came '
                   'FOR EACH STATEMENT EXECUTE FUNCTION changes_logged(%s)', name || '_inserted', tab, args);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING NEW TABLE AS came '
                   'FOR EACH STATEMENT EXECUTE FUNCTION changes_logged(%s)', name || '_updated', tab, args);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS gone '
                   'FOR EACH STATEMENT EXECUTE FUNCTION changes_logged(%s)', name || '_deleted', tab, args);
END;
$$;
CALL changes_logged_on('pregnancies', 'pregnancy', 'r.village_code', 'r.deleted_at IS NOT NULL');
CALL changes_logged_on('anc_visits', 'anc_visit', 'r.village_code', 'r.voided_at IS NOT NULL');
CALL changes_logged_on('postpartum_visits', 'postpartum_visit', 'r.village_code', 'r.voided_at IS NOT NULL');
CALL changes_logged_on('tpk_visits', 'tpk_visit', 'r.village_code', 'r.voided_at IS NOT NULL');
DROP PROCEDURE changes_logged_on;
