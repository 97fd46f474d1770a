-- 0021: custom variable definitions keep the name as it was defined, for display (`name`
-- stays the lower-case key values are matched by, as XNAT matches field names without
-- case), whether a value is required (asked by the web forms; the REST API creates objects
-- without it, as XNAT's does) and the values allowed (XNAT's possibleValues; none: any
-- value of the type).
ALTER TABLE arca_field_def
    ADD COLUMN display_name text,
    ADD COLUMN required boolean NOT NULL DEFAULT false,
    ADD COLUMN options text[] NOT NULL DEFAULT '{}';

UPDATE arca_field_def SET display_name = name;

ALTER TABLE arca_field_def
    ALTER COLUMN display_name SET NOT NULL,
    ADD CONSTRAINT arca_field_def_display_name CHECK (lower(display_name) = name);
