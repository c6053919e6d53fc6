DROP INDEX measurements_posyandu_idx;
ALTER TABLE measurements DROP COLUMN posyandu_id;
DROP INDEX children_posyandu_idx;
ALTER TABLE children DROP CONSTRAINT children_posyandu_fkey, DROP COLUMN posyandu_id, DROP COLUMN kia_book;
DROP TABLE posyandu;
