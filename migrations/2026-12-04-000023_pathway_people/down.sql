DROP TABLE catin_screenings;
DROP TABLE catin_thresholds;
ALTER TABLE children DROP COLUMN mother_id;
DROP TABLE people;
