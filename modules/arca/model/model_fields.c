/* The field tables of XNAT's kinds, and name resolution. The read_sql expressions are
 * fixed strings over the aliases each listing query defines (o: the object, l: its label
 * row in the listing's project, s/sl: the subject and its label, e: the experiment, r: the
 * resource); client text never reaches SQL except as a parameter. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "model/model.h"

#define T ARCA_TYPE_TEXT
#define I ARCA_TYPE_INTEGER
#define D ARCA_TYPE_DATE
#define F ARCA_TYPE_FLOAT
/* a double as XNAT writes it: 42 is "42.0" */
#define DOUBLE_SQL(c) "(" c "::text || CASE WHEN " c " = trunc(" c ") AND abs(" c ") < 1e15 " \
    "THEN '.0' ELSE '' END)"

/* one aggregate over the project's experiment labels, by type */
#define PROJ_COUNT_SQL(xsi) "coalesce((SELECT nullif(count(*), 0) FROM arca_experiment_label x " \
    "JOIN arca_experiment e ON e.id = x.experiment_id WHERE x.project = o.id " \
    "AND e.xsi_type = '" xsi "')::text, '')"

/* One table per kind, one row per field (alias, column, read_sql, XPaths, type): the shape
 * repeats by design. */
static const arca_field_t project_fields[] = {
    {"ID", NULL, "o.id", "ID", T},
    {"secondary_ID", "secondary_id", "o.secondary_id", "secondary_ID", T},
    {"name", "name", "o.name", "name", T},
    {"description", "description", "o.description", "description", T},
    {"keywords", "keywords", "o.keywords", "keywords", T},
    {"pi_firstname", "pi_firstname", "o.pi_firstname", "PI/firstname", T},
    {"pi_lastname", "pi_lastname", "o.pi_lastname", "PI/lastname", T},
    {"accessibility", NULL, "o.accessibility", "accessibility", T},
    /* the same, as XNAT's project search lists it (pyxnat's project repr reads it) */
    {"project_access", NULL, "o.accessibility", NULL, T},
    /* aliases, comma-separated; written by PUT (model_write.c: arca_project_aliases_add) */
    {"alias", NULL, "coalesce((SELECT string_agg(a.alias, ',' ORDER BY a.alias) FROM "
     "arca_project_alias a WHERE a.project = o.id), '')", "aliases/alias/alias|aliases/alias",
     T},
    {"insert_date", NULL, "to_char(o.created_at, 'YYYY-MM-DD HH24:MI:SS.MS')", "insert_date", T},
    {"insert_user", NULL, "o.insert_user", "insert_user", T},
    /* XNAT's counts of the project's sessions by type (its own and those shared into it),
     * empty when there are none; UT is ultrasound */
    {"proj_mr_count", NULL, PROJ_COUNT_SQL("xnat:mrSessionData"), NULL, I},
    {"proj_ct_count", NULL, PROJ_COUNT_SQL("xnat:ctSessionData"), NULL, I},
    {"proj_pet_count", NULL, PROJ_COUNT_SQL("xnat:petSessionData"), NULL, I},
    {"proj_ut_count", NULL, PROJ_COUNT_SQL("xnat:usSessionData"), NULL, I},
    /* the project's subjects and experiments, its own and those shared into it (the
     * projects page shows them; not XNAT's columns, which it computes in its UI) */
    {"subject_count", NULL, "(SELECT count(*) FROM arca_subject_label x "
     "WHERE x.project = o.id)", NULL, I},
    {"experiment_count", NULL, "(SELECT count(*) FROM arca_experiment_label x "
     "WHERE x.project = o.id)", NULL, I},
    /* the Owners group, as XNAT shows it: "Lastname, Firstname<br/>" each */
    {"project_owners", NULL, "coalesce((SELECT string_agg(a.lastname || ', ' || a.firstname "
     "|| '<br/>', '' ORDER BY a.lastname, a.firstname, a.login) FROM arca_project_member m "
     "JOIN arca_account a ON a.id = m.account_id WHERE m.project = o.id "
     "AND m.role = 'owner'), '')", NULL, T},
    {"URI", NULL, "'/data/projects/' || o.id", NULL, T},
    {NULL}
};

#define DEMO "demographics[@xsi:type=xnat:demographicData]/"
static const arca_field_t subject_fields[] = {
    {"ID", NULL, "o.id", "ID|SUBJECT_ID", T},
    {"project", NULL, "o.project", "project", T},
    {"label", NULL, "l.label", "label", T},
    {"gender", "gender", "o.gender", DEMO "gender|demographics/gender", T},
    {"handedness", "handedness", "o.handedness", DEMO "handedness|demographics/handedness", T},
    {"yob", "yob", "o.yob::text", DEMO "yob|demographics/yob", I, 1800, 2200},
    {"dob", "dob", "o.dob::text", DEMO "dob|demographics/dob", D},
    {"education", "education", "o.education", DEMO "education|demographics/education", T},
    {"race", "race", "o.race", DEMO "race|demographics/race", T},
    {"ethnicity", "ethnicity", "o.ethnicity", DEMO "ethnicity|demographics/ethnicity", T},
    {"height", "height", "o.height", DEMO "height|demographics/height", T, 0, 0, 1},
    {"weight", "weight", "o.weight", DEMO "weight|demographics/weight", T, 0, 0, 1},
    {"age", "age", "o.age::text", DEMO "age|demographics/age", I, 0, 200},
    {"src", "src", "o.src", "src", T},
    {"group", "grp", "o.grp", "group", T},
    {"note", "note", "o.note", "note", T},
    /* xnat:investigatorData, a child element of its own in XML and JSON (item.c) */
    {"investigator/firstname", "investigator_firstname", "o.investigator_firstname",
     "investigator/firstname|investigator/firstName", T},
    {"investigator/lastname", "investigator_lastname", "o.investigator_lastname",
     "investigator/lastname|investigator/lastName", T},
    {"insert_date", NULL, "to_char(o.insert_date, 'YYYY-MM-DD HH24:MI:SS.MS')", "insert_date", T},
    {"insert_user", NULL, "o.insert_user", "insert_user", T},
    /* XNAT's socio-economic status: Arca keeps none, so the column is always empty */
    {"ses", NULL, "''", NULL, I},
    /* the subject's labels in every project it is in */
    {"add_ids", NULL, "coalesce((SELECT string_agg(x.label, ', ' ORDER BY x.project) FROM "
     "arca_subject_label x WHERE x.subject_id = o.id), '')", NULL, T},
    {"last_modified", NULL, "to_char(o.last_modified, 'YYYY-MM-DD HH24:MI:SS.MS')",
     "last_modified", T},
    {"URI", NULL, "'/data/subjects/' || o.id", NULL, T},
    {NULL}
};

static const arca_field_t experiment_fields[] = {
    {"ID", NULL, "o.id", "ID|SESSION_ID|EXPT_ID", T},
    {"project", NULL, "o.project", "project", T},
    {"label", NULL, "l.label", "label", T},
    {"xsiType", NULL, "o.xsi_type", "xsiType", T},
    {"date", "date", "coalesce(o.date::text, '')", "date", D},
    {"time", "time", "coalesce(o.time::text, '')", "time", ARCA_TYPE_TIME},
    {"visit_id", "visit_id", "o.visit_id", "visit_id", T},
    {"note", "note", "o.note", "note", T},
    {"modality", "modality", "o.modality", "modality", T},
    {"scanner", "scanner", "o.scanner", "scanner", T},
    {"operator", "operator", "o.operator", "operator", T},
    {"acquisition_site", "acquisition_site", "o.acquisition_site", "acquisition_site", T},
    {"session_type", "session_type", "o.session_type", "session_type", T},
    {"UID", "uid", "o.uid", "UID", T},
    {"subject_ID", NULL, "o.subject_id", "subject_ID", T},
    {"subject_label", NULL, "sl.label", "subject_label", T},
    {"session_ID", NULL, "coalesce(o.session_id, '')", "imageSession_ID|session_ID", T},
    {"age", "age", DOUBLE_SQL("o.age"), "age", F},
    {"insert_date", NULL, "to_char(o.insert_date, 'YYYY-MM-DD HH24:MI:SS.MS')", "insert_date", T},
    {"insert_user", NULL, "o.insert_user", "insert_user", T},
    {"URI", NULL, "'/data/experiments/' || o.id", NULL, T},
    {NULL}
};

static const arca_field_t scan_fields[] = {
    {"xnat_imagescandata_id", NULL, "o.pk::text", NULL, T},
    {"ID", NULL, "o.id", "ID", T},
    {"type", "type", "o.type", "type", T},
    {"quality", "quality", "o.quality", "quality", T},
    {"condition", "condition", "o.condition", "condition", T},
    {"xsiType", NULL, "o.xsi_type", "xsiType", T},
    {"note", "note", "o.note", "note", T},
    {"series_description", "series_description", "o.series_description",
     "series_description", T},
    {"modality", "modality", "o.modality", "modality", T},
    {"frames", "frames", "coalesce(o.frames::text, '')", "frames", I},
    {"UID", "uid", "o.uid", "UID", T},
    {"scanner", "scanner", "o.scanner", "scanner", T},
    {"image_session_ID", NULL, "o.experiment_id", "image_session_ID", T},
    /* parameters (xnat:mrScanData and its kin); parameters/addParam is in add_params */
    {"parameters/voxelRes/x", "param_voxel_x", DOUBLE_SQL("o.param_voxel_x"),
     "parameters/voxelRes/x", F},
    {"parameters/voxelRes/y", "param_voxel_y", DOUBLE_SQL("o.param_voxel_y"),
     "parameters/voxelRes/y", F},
    {"parameters/voxelRes/z", "param_voxel_z", DOUBLE_SQL("o.param_voxel_z"),
     "parameters/voxelRes/z", F},
    {"parameters/orientation", "param_orientation", "o.param_orientation",
     "parameters/orientation", T},
    {"parameters/fov/x", "param_fov_x", "o.param_fov_x::text", "parameters/fov/x", I},
    {"parameters/fov/y", "param_fov_y", "o.param_fov_y::text", "parameters/fov/y", I},
    {"parameters/matrix/x", "param_matrix_x", "o.param_matrix_x::text", "parameters/matrix/x",
     I},
    {"parameters/matrix/y", "param_matrix_y", "o.param_matrix_y::text", "parameters/matrix/y",
     I},
    {"parameters/partitions", "param_partitions", "o.param_partitions::text",
     "parameters/partitions", I},
    {"parameters/tr", "param_tr", DOUBLE_SQL("o.param_tr"), "parameters/tr", F},
    {"parameters/te", "param_te", DOUBLE_SQL("o.param_te"), "parameters/te", F},
    {"parameters/ti", "param_ti", DOUBLE_SQL("o.param_ti"), "parameters/ti", F},
    {"parameters/flip", "param_flip", "o.param_flip::text", "parameters/flip", I},
    {"parameters/sequence", "param_sequence", "o.param_sequence", "parameters/sequence", T},
    {"parameters/imageType", "param_image_type", "o.param_image_type",
     "parameters/imageType", T},
    {"parameters/scanSequence", "param_scan_sequence", "o.param_scan_sequence",
     "parameters/scanSequence", T},
    {"parameters/seqVariant", "param_seq_variant", "o.param_seq_variant",
     "parameters/seqVariant", T},
    {"parameters/scanOptions", "param_scan_options", "o.param_scan_options",
     "parameters/scanOptions", T},
    {"parameters/acqType", "param_acq_type", "o.param_acq_type", "parameters/acqType", T},
    {"URI", NULL, "'/data/experiments/' || o.experiment_id || '/scans/' || o.id", NULL, T},
    {NULL}
};

static const arca_field_t recon_fields[] = {
    {"xnat_reconstructedimagedata_id", NULL, "o.pk::text", NULL, T},
    {"ID", NULL, "o.id", "ID", T},
    {"type", "type", "o.type", "type", T},
    {"baseScanType", "base_scan_type", "o.base_scan_type", "baseScanType", T},
    {"xsiType", NULL, "'xnat:reconstructedImageData'", NULL, T},
    {"image_session_ID", NULL, "o.experiment_id", "image_session_ID", T},
    {"URI", NULL, "'/data/experiments/' || o.experiment_id || '/reconstructions/' || o.id",
     NULL, T},
    {NULL}
};

/* A resource's owner as a path: project, subject, experiment, scan or reconstruction;
 * over the resource `r` and its scan `s` and reconstruction `x` (left-joined). */
#define OWNER_URI(r, s, x) \
    "CASE WHEN " r ".project IS NOT NULL THEN '/data/projects/' || " r ".project " \
    "WHEN " r ".subject_id IS NOT NULL THEN '/data/subjects/' || " r ".subject_id " \
    "WHEN " r ".experiment_id IS NOT NULL THEN '/data/experiments/' || " r ".experiment_id " \
    "WHEN " r ".recon_pk IS NOT NULL THEN '/data/experiments/' || " x ".experiment_id || " \
    "'/reconstructions/' || " x ".id || '/out' " \
    "ELSE '/data/experiments/' || " s ".experiment_id || '/scans/' || " s ".id END "

static const arca_field_t resource_fields[] = {
    {"xnat_abstractresource_id", NULL, "o.pk::text", NULL, T},
    /* xnatpy asks for ID and xsiType (rows without them it drops) */
    {"ID", NULL, "o.pk::text", NULL, T},
    {"xsiType", NULL, "'xnat:resourceCatalog'", NULL, T},
    {"label", NULL, "o.label", "label", T},
    {"element_name", NULL, "'xnat:resourceCatalog'", NULL, T},
    {"category", NULL, "CASE WHEN o.scan_pk IS NOT NULL THEN 'scans' WHEN o.recon_pk IS NOT NULL "
     "THEN 'reconstructions' ELSE 'resources' END",
     NULL, T},
    {"cat_id", NULL, "coalesce(sc.id, '')", NULL, T},
    {"cat_desc", NULL, "coalesce(sc.series_description, '')", NULL, T},
    {"file_count", NULL, "(SELECT count(*) FROM arca_file f WHERE f.resource_pk = o.pk)::text",
     NULL, T},
    {"file_size", NULL, "(SELECT coalesce(sum(f.size), 0) FROM arca_file f "
     "WHERE f.resource_pk = o.pk)::text", NULL, T},
    {"tags", "tags", "o.tags", "tags", T},
    {"content", "content", "o.content", "content", T},
    {"format", "format", "o.format", "format", T},
    {"description", "description", "o.description", "description", T},
    {"URI", NULL, OWNER_URI("o", "sc", "rc") "|| '/resources/' || o.pk", NULL, T},
    {NULL}
};

static const arca_field_t file_fields[] = {
    {"Name", NULL, "o.path", NULL, T},
    {"path", NULL, "o.path", NULL, T}, /* what pyxnat and xnatpy key files on */
    {"Size", NULL, "o.size::text", NULL, T},
    /* canonical, DELETE-able: /data/experiments/E/scans/1/resources/7/files/a/b.dcm */
    {"URI", NULL, OWNER_URI("r", "rs", "rx") "|| '/resources/' || r.pk || '/files/' || o.path",
     NULL, T},
    {"collection", NULL, "r.label", NULL, T},
    {"file_tags", "tags", "o.tags", NULL, T},
    {"file_format", "format", "o.format", NULL, T},
    {"file_content", "content", "o.content", NULL, T},
    {"cat_ID", NULL, "r.pk::text", NULL, T},
    {"digest", NULL, "o.digest", NULL, T},
    {NULL}
};

static const struct {
    const char *name;
    const char *root;
    const arca_field_t *fields;
} kinds[ARCA_KIND_COUNT] = {
    [ARCA_KIND_PROJECT] = {"project", "xnat:projectData", project_fields},
    [ARCA_KIND_SUBJECT] = {"subject", "xnat:subjectData", subject_fields},
    [ARCA_KIND_EXPERIMENT] = {"experiment", "xnat:experimentData", experiment_fields},
    [ARCA_KIND_SCAN] = {"scan", "xnat:imageScanData", scan_fields},
    [ARCA_KIND_RESOURCE] = {"resource", "xnat:abstractResource", resource_fields},
    [ARCA_KIND_FILE] = {"file", "cat:entry", file_fields},
    [ARCA_KIND_RECONSTRUCTION] = {"reconstruction", "xnat:reconstructedImageData",
                                  recon_fields},
};

const arca_field_t *arca_kind_fields(arca_kind_t kind)
{
    return kinds[kind].fields;
}

const char *arca_kind_root_type(arca_kind_t kind)
{
    return kinds[kind].root;
}

const char *arca_kind_name(arca_kind_t kind)
{
    return kinds[kind].name;
}

const char *arca_resources_under_sql(apr_pool_t *p, arca_kind_t kind, const char *ph)
{
    /* the experiments (sessions and their assessors) and scans below the object */
    const char *exps, *scans;

    switch (kind) {
    case ARCA_KIND_PROJECT:
        exps = apr_pstrcat(p, "SELECT id FROM arca_experiment WHERE project = ", ph,
                           " OR subject_id IN (SELECT id FROM arca_subject WHERE project = ",
                           ph, ")", NULL);
        return apr_pstrcat(p, "SELECT pk FROM arca_resource WHERE project = ", ph,
                           " OR subject_id IN (SELECT id FROM arca_subject WHERE project = ",
                           ph, ") OR experiment_id IN (", exps, ") OR scan_pk IN (SELECT pk "
                           "FROM arca_scan WHERE experiment_id IN (", exps, ")) OR recon_pk IN "
                           "(SELECT pk FROM arca_reconstruction WHERE experiment_id IN (", exps,
                           "))", NULL);
    case ARCA_KIND_SUBJECT:
        exps = apr_pstrcat(p, "SELECT id FROM arca_experiment WHERE subject_id = ", ph, NULL);
        return apr_pstrcat(p, "SELECT pk FROM arca_resource WHERE subject_id = ", ph,
                           " OR experiment_id IN (", exps, ") OR scan_pk IN (SELECT pk "
                           "FROM arca_scan WHERE experiment_id IN (", exps, ")) OR recon_pk IN "
                           "(SELECT pk FROM arca_reconstruction WHERE experiment_id IN (", exps,
                           "))", NULL);
    case ARCA_KIND_EXPERIMENT:
        exps = apr_pstrcat(p, "SELECT id FROM arca_experiment WHERE id = ", ph,
                           " OR session_id = ", ph, NULL);
        scans = apr_pstrcat(p, "SELECT pk FROM arca_scan WHERE experiment_id = ", ph, NULL);
        return apr_pstrcat(p, "SELECT pk FROM arca_resource WHERE experiment_id IN (", exps,
                           ") OR scan_pk IN (", scans, ") OR recon_pk IN (SELECT pk FROM "
                           "arca_reconstruction WHERE experiment_id = ", ph, ")", NULL);
    case ARCA_KIND_RECONSTRUCTION:
        return apr_pstrcat(p, "SELECT pk FROM arca_resource WHERE recon_pk = ", ph,
                           "::bigint", NULL);
    case ARCA_KIND_SCAN:
        return apr_pstrcat(p, "SELECT pk FROM arca_resource WHERE scan_pk = ", ph,
                           "::bigint", NULL);
    default:
        return apr_pstrcat(p, "SELECT pk FROM arca_resource WHERE pk = ", ph, "::bigint",
                           NULL);
    }
}

static const struct { const char *xsi, *element; } element_names[] = {
    {"xnat:projectData", "xnat:Project"}, {"xnat:subjectData", "xnat:Subject"},
    {"xnat:mrSessionData", "xnat:MRSession"}, {"xnat:ctSessionData", "xnat:CTSession"},
    {"xnat:petSessionData", "xnat:PETSession"}, {"xnat:crSessionData", "xnat:CRSession"},
    {"xnat:mrScanData", "xnat:MRScan"}, {"xnat:ctScanData", "xnat:CTScan"},
    {"xnat:petScanData", "xnat:PETScan"}, {"xnat:crScanData", "xnat:CRScan"},
    {"xnat:dxSessionData", "xnat:DXSession"}, {"xnat:usSessionData", "xnat:USSession"},
    {"xnat:otherDicomSessionData", "xnat:OtherDicomSession"},
    {"xnat:dxScanData", "xnat:DXScan"}, {"xnat:usScanData", "xnat:USScan"},
    {"xnat:otherDicomScanData", "xnat:OtherDicomScan"},
    {"xnat:imageAssessorData", "xnat:ImageAssessor"},
    {"xnat:qcAssessmentData", "xnat:QCAssessment"},
    {"xnat:reconstructedImageData", "xnat:ReconstructedImage"},
    {"xnat:resourceCatalog", "xnat:resource"}, {"xnat:projectShare", "xnat:share"},
};

const char *arca_element_of_xsi(const char *xsi)
{
    for (size_t i = 0; i < sizeof element_names / sizeof element_names[0]; i++)
        if (strcmp(element_names[i].xsi, xsi) == 0)
            return element_names[i].element;
    return xsi;
}

const char *arca_session_xsi(const char *modality)
{
    static const struct { const char *modality, *xsi; } types[] = {
        {"CT", "xnat:ctSessionData"}, {"MR", "xnat:mrSessionData"},
        {"PT", "xnat:petSessionData"}, {"CR", "xnat:crSessionData"},
        {"DX", "xnat:dxSessionData"}, {"US", "xnat:usSessionData"},
    };
    for (size_t i = 0; modality && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].modality, modality) == 0)
            return types[i].xsi;
    return "xnat:otherDicomSessionData";
}

const char *arca_scan_xsi(apr_pool_t *p, const char *session_xsi)
{
    const char *s = strstr(session_xsi, "SessionData");

    return s ? apr_pstrcat(p, apr_pstrmemdup(p, session_xsi, (apr_size_t)(s - session_xsi)),
                           "ScanData", NULL)
             : "xnat:otherDicomScanData";
}

const char *arca_xsi_of_element(apr_pool_t *p, const char *element)
{
    for (size_t i = 0; i < sizeof element_names / sizeof element_names[0]; i++)
        if (strcmp(element_names[i].element, element) == 0)
            return element_names[i].xsi;
    return apr_pstrdup(p, element);
}

int arca_valid_xsi_type(const char *xsi)
{
    const char *colon = xsi ? strchr(xsi, ':') : NULL;

    if (colon == NULL || colon == xsi || colon[1] == '\0' || strlen(xsi) > 128)
        return 0;
    for (const char *c = xsi; *c; c++)
        if (c != colon && !isalnum((unsigned char)*c) && *c != '_')
            return 0;
    return isalpha((unsigned char)xsi[0]) && isalpha((unsigned char)colon[1]);
}

int arca_field_name_is_xpath(const char *name)
{
    const char *slash = strchr(name, '/');

    return slash && memchr(name, ':', (size_t)(slash - name)) != NULL;
}

/* "a|b|c" holds `path`? */
static int in_paths(const char *paths, const char *path, int nocase)
{
    size_t n = strlen(path);

    while (paths && *paths) {
        const char *bar = strchr(paths, '|');
        size_t len = bar ? (size_t)(bar - paths) : strlen(paths);
        if (len == n && (nocase ? strncasecmp(paths, path, n) : strncmp(paths, path, n)) == 0)
            return 1;
        paths = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* "{prefix}NAME]{suffix}", or without the suffix, NAME possibly quoted ('NAME' or "NAME"),
 * as XNAT writes the names of custom fields and scan parameters: NAME (at most `max`
 * bytes), else NULL. */
static const char *bracketed_name(apr_pool_t *p, const char *path, const char *prefix,
                                  const char *suffix, size_t max)
{
    size_t n = strlen(prefix);
    const char *start, *end;

    if (strncmp(path, prefix, n) != 0)
        return NULL;
    start = path + n;
    end = strrchr(start, ']');
    if (end == NULL || (strcmp(end + 1, suffix) != 0 && end[1] != '\0'))
        return NULL;
    if (end - start >= 2 && (*start == '\'' || *start == '"') && end[-1] == *start) {
        start++;
        end--;
    }
    if (end == start || (size_t)(end - start) > max)
        return NULL;
    return apr_pstrmemdup(p, start, (apr_size_t)(end - start));
}

/* "fields/field[name=kvp]/field" -> "kvp" (lower-cased), else NULL. */
static const char *custom_field_name(apr_pool_t *p, const char *path)
{
    char *name = (char *)bracketed_name(p, path, "fields/field[name=", "/field", 64);

    if (name == NULL)
        return NULL;
    for (char *c = name; *c; c++) {
        if (!isalnum((unsigned char)*c) && *c != '_')
            return NULL;
        *c = (char)tolower((unsigned char)*c);
    }
    return isalpha((unsigned char)name[0]) ? name : NULL;
}

/* "parameters/addParam[name=foo]/addField" -> "foo" (kept as given: XNAT's names are
 * scanner parameter names, case and all), else NULL. */
static const char *add_param_name(apr_pool_t *p, const char *path)
{
    return bracketed_name(p, path, "parameters/addParam[name=", "/addField", 255);
}

int arca_field_resolve(apr_pool_t *p, arca_kind_t kind, const char *name,
                       arca_field_ref_t *ref)
{
    const char *path = name;

    ref->field = NULL;
    ref->custom = NULL;
    ref->add_param = NULL;
    /* "ns:someData/rest" -> "rest": any type prefix, since an experiment's fields are
     * named under its own type (xnat:ctSessionData/date) as well as the root type. */
    if (arca_field_name_is_xpath(name))
        path = strchr(name, '/') + 1;
    /* exact names first; then, for XPaths, the same without case, since clients write
     * "xnat:subjectAssessorData/subject_id" for XNAT's subject_ID */
    for (int nocase = 0, passes = path != name ? 2 : 1; nocase < passes; nocase++) {
        for (const arca_field_t *f = kinds[kind].fields; f->alias; f++) {
            if ((!nocase && path == name && strcmp(f->alias, name) == 0)
                || in_paths(f->paths, path, nocase)) {
                ref->field = f;
                return 1;
            }
        }
    }
    if (kind <= ARCA_KIND_SCAN && (ref->custom = custom_field_name(p, path)) != NULL)
        return 1;
    if (kind == ARCA_KIND_SCAN && (ref->add_param = add_param_name(p, path)) != NULL)
        return 1;
    return 0;
}

/* XNAT's display field IDs (what /data/search/elements/{type} lists and searches name in
 * search_field), as aliases of the fields above. The first of each field is its own. */
static const arca_display_field_t project_display[] = {
    {"ID", "ID"}, {"SECONDARY_ID", "secondary_ID"}, {"NAME", "name"},
    {"DESCRIPTION", "description"}, {"KEYWORDS", "keywords"}, {"PI", "pi_lastname"},
    {"PI_FIRSTNAME", "pi_firstname"}, {"PI_LASTNAME", "pi_lastname"},
    {"ACCESSIBILITY", "accessibility"}, {"INSERT_DATE", "insert_date"},
    {"PROJECT_ACCESS", "project_access"},
    {"INSERT_USER", "insert_user"}, {"PROJECT_ID", "ID"},
    {"PROJECT_OWNERS", "project_owners"}, {"PROJ_MR_COUNT", "proj_mr_count"},
    {"PROJ_CT_COUNT", "proj_ct_count"}, {"PROJ_PET_COUNT", "proj_pet_count"},
    {"PROJ_UT_COUNT", "proj_ut_count"}, {NULL, NULL}
};
static const arca_display_field_t subject_display[] = {
    {"SUBJECT_ID", "ID"}, {"SUBJECT_LABEL", "label"}, {"PROJECT", "project"},
    {"SUBJECTID", "ID"}, /* the subject column of XNAT's default subject search */
    {"GENDER_TEXT", "gender"}, {"HANDEDNESS_TEXT", "handedness"}, {"YOB", "yob"},
    {"DOB", "dob"}, {"EDUC", "education"}, {"RACE", "race"}, {"ETHNICITY", "ethnicity"},
    {"HEIGHT", "height"}, {"WEIGHT", "weight"}, {"SRC", "src"}, {"SUB_GROUP", "group"},
    {"NOTE", "note"}, {"INSERT_DATE", "insert_date"}, {"INSERT_USER", "insert_user"},
    {"ID", "ID"}, {"LABEL", "label"}, {"GENDER", "gender"}, {"HANDEDNESS", "handedness"},
    {"EDUCATION", "education"}, {"GROUP", "group"}, {"AGE", "age"},
    {"INVESTIGATOR_FIRSTNAME", "investigator/firstname"},
    {"INVESTIGATOR_LASTNAME", "investigator/lastname"}, {"SES", "ses"},
    {"ADD_IDS", "add_ids"}, {NULL, NULL}
};
static const arca_display_field_t experiment_display[] = {
    {"SESSION_ID", "ID"}, {"LABEL", "label"}, {"PROJECT", "project"}, {"DATE", "date"},
    {"TIME", "time"}, {"SUBJECT_ID", "subject_ID"}, {"SUBJECT_LABEL", "subject_label"},
    {"SCANNER", "scanner"}, {"MODALITY", "modality"}, {"OPERATOR", "operator"},
    {"ACQ_SITE", "acquisition_site"}, {"VISIT_ID", "visit_id"},
    {"SESSION_TYPE", "session_type"}, {"UID", "UID"}, {"NOTE", "note"},
    {"XSI_TYPE", "xsiType"}, {"INSERT_DATE", "insert_date"}, {"INSERT_USER", "insert_user"},
    {"ID", "ID"}, {"EXPT_ID", "ID"}, {"ACQUISITION_SITE", "acquisition_site"},
    {"AGE", "age"}, {NULL, NULL}
};
static const arca_display_field_t scan_display[] = {
    {"ID", "ID"}, {"TYPE", "type"}, {"SERIES_DESCRIPTION", "series_description"},
    {"QUALITY", "quality"}, {"CONDITION", "condition"}, {"MODALITY", "modality"},
    {"FRAMES", "frames"}, {"UID", "UID"}, {"SCANNER", "scanner"}, {"NOTE", "note"},
    {"IMAGE_SESSION_ID", "image_session_ID"}, {"XSI_TYPE", "xsiType"},
    {"SERIES_DESC", "series_description"}, {NULL, NULL}
};
static const arca_display_field_t no_display[] = {{NULL, NULL}};

const arca_display_field_t *arca_kind_display_fields(arca_kind_t kind)
{
    switch (kind) {
    case ARCA_KIND_PROJECT: return project_display;
    case ARCA_KIND_SUBJECT: return subject_display;
    case ARCA_KIND_EXPERIMENT: return experiment_display;
    case ARCA_KIND_SCAN: return scan_display;
    default: return no_display;
    }
}

static const arca_field_t *field_by_alias(arca_kind_t kind, const char *alias, int nocase)
{
    for (const arca_field_t *f = kinds[kind].fields; f->alias; f++)
        if ((nocase ? strcasecmp(f->alias, alias) : strcmp(f->alias, alias)) == 0)
            return f;
    return NULL;
}

int arca_field_resolve_search(apr_pool_t *p, arca_kind_t kind, const char *element,
                              const char *field, arca_field_ref_t *ref)
{
    const char *map = strstr(field, "_FIELD_MAP=");

    if (map == NULL)
        map = strstr(field, "_field_map=");
    ref->field = NULL;
    ref->custom = NULL;
    ref->add_param = NULL;
    /* XNAT's custom variable columns: XNAT_SUBJECTDATA_FIELD_MAP=kvp */
    if (map && kind <= ARCA_KIND_SCAN) {
        const char *name = map + strlen("_FIELD_MAP=");
        ref->custom = custom_field_name(p, apr_pstrcat(p, "fields/field[name=", name, "]",
                                                       NULL));
        return ref->custom != NULL;
    }
    if (arca_field_resolve(p, kind, apr_pstrcat(p, element, "/", field, NULL), ref))
        return 1;
    for (const arca_display_field_t *d = arca_kind_display_fields(kind); d->id; d++)
        if (strcasecmp(d->id, field) == 0 && (ref->field = field_by_alias(kind, d->alias, 0)))
            return 1;
    return (ref->field = field_by_alias(kind, field, 1)) != NULL;
}

static const char *const type_names[] = {
    [ARCA_TYPE_TEXT] = "string", [ARCA_TYPE_INTEGER] = "integer",
    [ARCA_TYPE_FLOAT] = "float", [ARCA_TYPE_BOOLEAN] = "boolean",
    [ARCA_TYPE_DATE] = "date", [ARCA_TYPE_TIME] = "time",
};

const char *arca_type_name(arca_type_t type)
{
    return type_names[type];
}

arca_error_t *arca_field_check(apr_pool_t *p, const arca_field_t *f, const char *value)
{
    arca_error_t *err = arca_value_check(p, f->alias, f->decimal_text ? ARCA_TYPE_FLOAT
                                                                      : f->type, value);

    if (err || f->max <= f->min || *value == '\0' || strcmp(value, "NULL") == 0)
        return err;
    if (strtol(value, NULL, 10) < f->min || strtol(value, NULL, 10) > f->max)
        return arca_error_create(p, 400, "%s: '%s' is out of range (%ld to %ld)", f->alias,
                                 value, f->min, f->max);
    return ARCA_OK;
}

arca_type_t arca_type_from_name(const char *name, int *ok)
{
    for (int t = ARCA_TYPE_TEXT; t <= ARCA_TYPE_DATE; t++) {
        if (strcmp(name, type_names[t]) == 0) {
            *ok = 1;
            return (arca_type_t)t;
        }
    }
    *ok = 0;
    return ARCA_TYPE_TEXT;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return n > 0;
}

static int valid_date(const char *v)
{
    int y, m, d;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-' || !all_digits(v, 4)
        || !all_digits(v + 5, 2) || !all_digits(v + 8, 2))
        return 0;
    y = atoi(v);
    m = atoi(v + 5);
    d = atoi(v + 8);
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return 0;
    return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

static int valid_time(const char *v)
{
    size_t n = strlen(v);

    return (n == 5 || n == 8) && all_digits(v, 2) && v[2] == ':' && all_digits(v + 3, 2)
           && atoi(v) < 24 && atoi(v + 3) < 60
           && (n == 5 || (v[5] == ':' && all_digits(v + 6, 2) && atoi(v + 6) < 60));
}

/* Integers as PostgreSQL's integer holds them: an optional sign and decimal digits, within
 * 32 bits (strtoll alone would take " 12", clamp 99999999999 and let the column fail). */
static int valid_integer(const char *v)
{
    const char *d = v + (*v == '-' || *v == '+');
    long long n;

    if (!all_digits(d, strlen(d)))
        return 0;
    errno = 0;
    n = strtoll(v, NULL, 10);
    return errno == 0 && n >= INT32_MIN && n <= INT32_MAX;
}

static const char *skip_digits(const char *s, size_t *count)
{
    for (; isdigit((unsigned char)*s); s++)
        ++*count;
    return s;
}

/* Floats in decimal ("-1.5", ".5", "2e-3") that a double holds: strtod alone would also take
 * NaN, Infinity, hex and numbers past the double's range, none of which is a measurement. */
static int valid_float(const char *v)
{
    const char *s = v + (*v == '-' || *v == '+');
    size_t digits = 0, exponent = 0;
    double d;

    s = skip_digits(s, &digits);
    if (*s == '.')
        s = skip_digits(s + 1, &digits);
    if (digits == 0)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s += 1 + (s[1] == '-' || s[1] == '+');
        s = skip_digits(s, &exponent);
        if (exponent == 0)
            return 0;
    }
    if (*s != '\0')
        return 0;
    errno = 0;
    d = strtod(v, NULL);
    return errno == 0 && isfinite(d);
}

arca_error_t *arca_value_check(apr_pool_t *p, const char *field, arca_type_t type,
                               const char *value)
{
    int ok = 1;

    if (*value == '\0' || strcmp(value, "NULL") == 0)
        return ARCA_OK;
    switch (type) {
    case ARCA_TYPE_INTEGER: ok = valid_integer(value); break;
    case ARCA_TYPE_FLOAT: ok = valid_float(value); break;
    case ARCA_TYPE_BOOLEAN:
        ok = !strcasecmp(value, "true") || !strcasecmp(value, "false") || !strcmp(value, "1")
             || !strcmp(value, "0");
        break;
    case ARCA_TYPE_DATE: ok = valid_date(value); break;
    case ARCA_TYPE_TIME: ok = valid_time(value); break;
    default: break;
    }
    if (!ok)
        return arca_error_create(p, 400, "%s: '%s' is not a valid %s%s", field, value,
                                 arca_type_name(type),
                                 type == ARCA_TYPE_DATE ? " (use YYYY-MM-DD)"
                                 : type == ARCA_TYPE_TIME ? " (use HH:MM[:SS])" : "");
    return ARCA_OK;
}
