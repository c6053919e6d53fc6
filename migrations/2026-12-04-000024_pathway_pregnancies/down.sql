DROP TABLE tpk_visits;
DROP TABLE postpartum_visits;
DROP TABLE births;
DROP TABLE anc_visits;
DROP TABLE pregnancies;
