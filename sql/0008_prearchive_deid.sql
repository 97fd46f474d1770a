-- 0008: whose de-identification a prearchived session has had. Data that arrived without
-- a project (Unassigned) had only the site's script; archiving it into a project, or a
-- session moved between projects, must then run the target project's Basic Profile and
-- script. NULL: only the site's.
ALTER TABLE arca_prearchive ADD COLUMN deidentified_for text;
-- Sessions received before this column were de-identified for the project they wait in.
UPDATE arca_prearchive SET deidentified_for = project WHERE project <> 'Unassigned';
