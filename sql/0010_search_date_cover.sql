-- 0010: the sessions of a date range, index only. A search by month (or week) and by
-- something of the sessions' subjects needs of each session only its type, subject and
-- key: with them in the date index, it never visits the sessions' rows (a month of 2M
-- sessions spans thousands of pages). It replaces the plain date index.
DROP INDEX arca_experiment_date;
CREATE INDEX arca_experiment_date ON arca_experiment (date) INCLUDE (xsi_type, subject_id, id);
