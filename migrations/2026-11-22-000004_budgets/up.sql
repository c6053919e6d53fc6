-- Budgets in whole rupiah (bigint: 9.2 quintillion per value; sums are computed as numeric).

CREATE TABLE budgets (
    id               uuid PRIMARY KEY,
    region_code      text COLLATE "C" NOT NULL REFERENCES regions (code),
    fiscal_year      integer NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
    funding_source   text NOT NULL CHECK (funding_source IN ('dak_non_fisik_bkkbn', 'apbn', 'apbd_province',
                         'apbd_district', 'dana_desa', 'csr', 'other')),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'revised')),
    -- The total the source document reports, which may disagree with its lines.
    reported_total   bigint CHECK (reported_total >= 0),
    document_ref     text CHECK (length(document_ref) <= 300),
    -- Sums of the lines' ceilings and spending, kept in the writing transaction.
    lines_total      bigint NOT NULL DEFAULT 0,
    realised_total   bigint NOT NULL DEFAULT 0,
    revision         integer NOT NULL DEFAULT 0,
    approved_at      timestamptz,
    approved_by      uuid REFERENCES users (id),
    deleted_at       timestamptz,
    deleted_reason   text,
    version          integer NOT NULL DEFAULT 1,
    created_by       uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((deleted_at IS NULL) = (deleted_reason IS NULL))
);
CREATE INDEX budgets_region_idx ON budgets (region_code, fiscal_year) WHERE deleted_at IS NULL;

CREATE TABLE budget_lines (
    id              uuid PRIMARY KEY,
    budget_id       uuid NOT NULL REFERENCES budgets (id),
    activity        text NOT NULL CHECK (length(activity) BETWEEN 1 AND 300),
    type_code       text REFERENCES intervention_types (code),
    agency_id       uuid REFERENCES agencies (id),
    ceiling         bigint NOT NULL CHECK (ceiling >= 0),
    output_value    bigint CHECK (output_value >= 0),
    output_unit     text CHECK (length(output_unit) BETWEEN 1 AND 100),
    village_codes   text[] COLLATE "C" NOT NULL DEFAULT '{}' CHECK (array_position(village_codes, NULL) IS NULL),
    realised        bigint NOT NULL DEFAULT 0,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX budget_lines_budget_idx ON budget_lines (budget_id);

-- Realised spending (realisasi): each entry kept.
CREATE TABLE budget_spending (
    id                uuid PRIMARY KEY,
    line_id           uuid NOT NULL REFERENCES budget_lines (id),
    amount            bigint NOT NULL CHECK (amount >= 0),
    spent_on          date NOT NULL,
    note              text CHECK (length(note) <= 2000),
    approved_overrun  boolean NOT NULL DEFAULT false,
    recorded_by       uuid REFERENCES users (id),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX budget_spending_line_idx ON budget_spending (line_id, spent_on);

-- An approved version kept readable when a revision starts.
CREATE TABLE budget_revisions (
    id          uuid PRIMARY KEY,
    budget_id   uuid NOT NULL REFERENCES budgets (id),
    revision    integer NOT NULL,
    snapshot    jsonb NOT NULL,
    created_by  uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (budget_id, revision)
);
