-- The village health posts (posyandu) where under-fives are weighed every month: a register per
-- village. A child is registered to one posyandu of her own village (the composite key keeps
-- the two together, so a posyandu's counts are always part of its village's); a measurement
-- may name the posyandu where it was taken, any village's.
CREATE TABLE posyandu (
    id            uuid PRIMARY KEY,
    village_code  text COLLATE "C" NOT NULL REFERENCES regions (code)
                  CHECK (village_code ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    active        boolean NOT NULL DEFAULT true,
    version       integer NOT NULL DEFAULT 1,
    created_by    uuid REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, village_code)
);
-- A village's posyandu in id order: the list's filter and order.
CREATE INDEX posyandu_village_idx ON posyandu (village_code, id);

-- Whether the child has a KMS or KIA book (`null`: not known); K of SKDN counts `true`.
ALTER TABLE children
    ADD COLUMN posyandu_id uuid,
    ADD COLUMN kia_book boolean,
    ADD CONSTRAINT children_posyandu_fkey FOREIGN KEY (posyandu_id, village_code) REFERENCES posyandu (id, village_code);
CREATE INDEX children_posyandu_idx ON children (posyandu_id) WHERE posyandu_id IS NOT NULL;

ALTER TABLE measurements ADD COLUMN posyandu_id uuid REFERENCES posyandu (id);
CREATE INDEX measurements_posyandu_idx ON measurements (posyandu_id, measured_on) WHERE posyandu_id IS NOT NULL;

CREATE TRIGGER changes_posyandu_inserted AFTER INSERT ON posyandu REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION changes_logged('posyandu', 'r.village_code', 'false');
CREATE TRIGGER changes_posyandu_updated AFTER UPDATE ON posyandu REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION changes_logged('posyandu', 'r.village_code', 'false');
CREATE TRIGGER changes_posyandu_deleted AFTER DELETE ON posyandu REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION changes_logged('posyandu', 'r.village_code', 'false');
