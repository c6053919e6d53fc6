DROP INDEX catin_screenings_export_idx;
DROP INDEX pregnancies_export_idx;
DROP INDEX tpk_visits_export_idx;
