-- 0021: custom variable definitions keep the name as it was defined, for display (`name`
-- stays the lower-case key values are matched by, as XNAT matches field names without
-- case; a row without display_name shows `name`), whether a value is required (for the
-- web forms to ask; the REST API creates objects without it, as XNAT's does) and the
-- values allowed (XNAT's possibleValues; none: any value of the type).
ALTER TABLE arca_field_def
    ADD COLUMN display_name text CHECK (lower(display_name) = name),
    ADD COLUMN required boolean NOT NULL DEFAULT false,
    ADD COLUMN options text[] NOT NULL DEFAULT '{}';
