-- 0019: a scan's parameters/addParam keep the order they were first set in, as XNAT lists
-- them (pyxnat's scan.params() reads them in that order); add_params, a jsonb object,
-- keeps no order of its own. Existing scans keep the by-name order they were shown in.
ALTER TABLE arca_scan
    ADD COLUMN add_param_order text[] NOT NULL DEFAULT '{}';

UPDATE arca_scan SET add_param_order = ARRAY(SELECT jsonb_object_keys(add_params) ORDER BY 1)
    WHERE add_params <> '{}';
