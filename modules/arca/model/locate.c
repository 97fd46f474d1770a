/* Path resolution, one lookup per level. Labels are scoped to the path's project (primary
 * or shared label); accession IDs work anywhere. */
#include <string.h>

#include <apr_strings.h>

#include "model/locate.h"
#include "model/lookup.h"
#include "model/project_alias.h"

typedef struct {
    arca_db_t *db;
    apr_pool_t *p;
    arca_location_t *loc;
    const char *const *seg;
    int n, i;
} walk_t;

static const char *next(walk_t *w)
{
    return w->i < w->n ? w->seg[w->i++] : NULL;
}

static arca_error_t *not_found(walk_t *w, const char *what, const char *name)
{
    if (w->loc->project)
        return arca_error_create(w->p, 404, "no %s '%s' in project '%s'", what, name,
                                 w->loc->project);
    return arca_error_create(w->p, 404, "no %s '%s'", what, name);
}

static arca_error_t *query1(walk_t *w, PGresult **res, const char *sql, int n,
                            const char *const *params)
{
    return arca_db_query(w->db, w->p, res, sql, n, params);
}

/* A project by ID or alias; *id becomes its ID when found. */
static arca_error_t *find_project(walk_t *w, const char **id, int *found)
{
    const char *real;
    arca_error_t *err = arca_project_resolve(w->db, w->p, *id, &real);

    *found = real != NULL;
    if (real)
        *id = real;
    return err;
}

/* A subject by label in the path's project, or by accession ID (anywhere, or in the
 * project when there is one). */
static arca_error_t *find_subject(walk_t *w, const char *name, int *found)
{
    arca_location_t *loc = w->loc;
    PGresult *res;
    arca_error_t *err;

    if (loc->project) {
        err = arca_subject_in_project(w->db, w->p, loc->project, name, &loc->subject_id,
                                      &loc->subject_label, &loc->subject_project);
        *found = err == NULL;
        return err && err->status == 404 ? ARCA_OK : err;
    }
    err = query1(w, &res, "SELECT l.subject_id, l.label, l.project FROM arca_subject_label l "
                 "WHERE l.subject_id = $1 AND l.is_primary", 1, &name);
    *found = !err && PQntuples(res) == 1;
    if (*found) {
        loc->subject_id = PQgetvalue(res, 0, 0);
        loc->subject_label = PQgetvalue(res, 0, 1);
        loc->subject_project = PQgetvalue(res, 0, 2);
    }
    return err;
}

/* find_subject, except that a subject missing from the path's project lets the walk go
 * on when all that follows is experiments/E (a PUT there creates both, as in XNAT). */
static arca_error_t *missing_subject_ok(walk_t *w, const char *name, int *found)
{
    arca_error_t *err = find_subject(w, name, found);

    if (err || *found || w->loc->project == NULL || w->n - w->i != 2
        || strcmp(w->seg[w->i], "experiments") != 0)
        return err;
    w->loc->subject_missing = *found = 1;
    w->loc->subject_label = name;
    return ARCA_OK;
}

static arca_error_t *find_experiment(walk_t *w, const char *name, int *found)
{
    arca_location_t *loc = w->loc;
    PGresult *res;
    arca_error_t *err;
    static const char cols[] = "SELECT e.id, l.label, e.project, e.subject_id ";

    if (loc->project)
        err = query1(w, &res, apr_pstrcat(w->p, cols,
                     "FROM arca_experiment_label l JOIN arca_experiment e "
                     "ON e.id = l.experiment_id WHERE l.project = $1 "
                     "AND (l.label = $2 OR l.experiment_id = $2) "
                     "AND ($3::text IS NULL OR e.subject_id = $3) "
                     "AND e.session_id IS NOT DISTINCT FROM $4 "
                     "ORDER BY (l.label = $2) DESC LIMIT 1", NULL), 4,
                     (const char *const[]){loc->project, name, loc->subject_id,
                                           loc->session_id});
    else
        err = query1(w, &res, apr_pstrcat(w->p, cols,
                     "FROM arca_experiment e JOIN arca_experiment_label l "
                     "ON l.experiment_id = e.id AND l.is_primary "
                     /* by ID; an assessor also by its label under its session */
                     "WHERE (e.id = $1 OR ($3::text IS NOT NULL AND l.label = $1)) "
                     "AND ($2::text IS NULL OR e.subject_id = $2) "
                     "AND ($3::text IS NULL OR e.session_id = $3) "
                     "ORDER BY (e.id = $1) DESC LIMIT 1", NULL), 3,
                     (const char *const[]){name, loc->subject_id, loc->session_id});
    *found = !err && PQntuples(res) == 1;
    if (*found) {
        loc->experiment_id = PQgetvalue(res, 0, 0);
        loc->experiment_label = PQgetvalue(res, 0, 1);
        loc->experiment_project = PQgetvalue(res, 0, 2);
        if (loc->subject_id == NULL) {
            loc->subject_id = PQgetvalue(res, 0, 3);
        }
    }
    return err;
}

/* A scan or reconstruction of the current experiment, by its ID: *pk is its row's key. */
static arca_error_t *find_in_experiment(walk_t *w, const char *table, const char *id,
                                        const char **pk, int *found)
{
    PGresult *res;
    arca_error_t *err = query1(w, &res, apr_pstrcat(w->p, "SELECT pk FROM ", table,
                                                    " WHERE experiment_id = $1 AND id = $2",
                                                    NULL), 2,
                               (const char *const[]){w->loc->experiment_id, id});

    *found = !err && PQntuples(res) == 1;
    if (*found)
        *pk = PQgetvalue(res, 0, 0);
    return err;
}

static arca_error_t *find_scan(walk_t *w, const char *id, int *found)
{
    arca_error_t *err = find_in_experiment(w, "arca_scan", id, &w->loc->scan_pk, found);

    if (*found)
        w->loc->scan_id = id;
    return err;
}

static arca_error_t *find_recon(walk_t *w, const char *id, int *found)
{
    arca_error_t *err = find_in_experiment(w, "arca_reconstruction", id, &w->loc->recon_pk,
                                           found);

    if (*found)
        w->loc->recon_id = id;
    return err;
}

/* A resource of the current owner, by label or by its numeric ID (pyxnat uses both). The
 * owner column is named outright so that its index serves the lookup. */
static arca_error_t *find_resource(walk_t *w, const char *name, int *found)
{
    arca_location_t *loc = w->loc;
    const char *owner, *key;
    PGresult *res;
    arca_error_t *err;

    switch (loc->owner) {
    case ARCA_KIND_PROJECT: owner = "project = $2"; key = loc->project; break;
    case ARCA_KIND_SUBJECT: owner = "subject_id = $2"; key = loc->subject_id; break;
    case ARCA_KIND_EXPERIMENT: owner = "experiment_id = $2"; key = loc->experiment_id; break;
    case ARCA_KIND_RECONSTRUCTION: owner = "recon_pk = $2::bigint"; key = loc->recon_pk; break;
    default: owner = "scan_pk = $2::bigint"; key = loc->scan_pk; break;
    }
    err = query1(w, &res, apr_pstrcat(w->p,
                 "SELECT pk, label, dir FROM arca_resource WHERE ", owner,
                 " AND (label = $1 OR ($1 ~ '^[0-9]{1,18}$' AND pk = $1::bigint)) "
                 "ORDER BY (label = $1) DESC LIMIT 1", NULL), 2,
                 (const char *const[]){name, key});
    *found = !err && PQntuples(res) == 1;
    if (*found) {
        loc->resource_pk = PQgetvalue(res, 0, 0);
        loc->resource_label = PQgetvalue(res, 0, 1);
        loc->resource_dir = PQgetvalue(res, 0, 2);
    }
    return err;
}

typedef arca_error_t *(*finder)(walk_t *w, const char *name, int *found);

/* `collection` [ / name [ ... ] ]: lists, or finds the item. Returns 1 when the walk goes
 * on below the item. */
static arca_error_t *step(walk_t *w, arca_kind_t kind, const char *what, finder find,
                          int *go_on)
{
    const char *name = next(w);
    int found;
    arca_error_t *err;

    *go_on = 0;
    w->loc->kind = kind;
    if (name == NULL) {
        w->loc->is_list = 1;
        w->loc->exists = 1;
        return ARCA_OK;
    }
    w->loc->is_list = 0;
    w->loc->name = name;
    if ((err = find(w, name, &found)))
        return err;
    w->loc->exists = found;
    if (w->i < w->n) {
        if (!found)
            return not_found(w, what, name);
        *go_on = 1;
    }
    return ARCA_OK;
}

static arca_error_t *bad_path(walk_t *w)
{
    return arca_error_create(w->p, 404, "Not Found: no such resource path");
}

static arca_error_t *walk_files(walk_t *w)
{
    arca_location_t *loc = w->loc;
    const char *s = next(w);

    if (s == NULL)
        return ARCA_OK;
    if (strcmp(s, "files") != 0)
        return bad_path(w);
    loc->kind = ARCA_KIND_FILE;
    loc->is_list = w->i == w->n;
    loc->exists = loc->is_list;
    if (!loc->is_list) {
        /* the rest of the path is the file's path inside the resource */
        const char *path = w->seg[w->i];
        while (++w->i < w->n)
            path = apr_pstrcat(w->p, path, "/", w->seg[w->i], NULL);
        loc->file_path = loc->name = path;
    }
    return ARCA_OK;
}

/* ".../files" right under a project, subject, experiment or scan: all files of all its
 * resources (listed, or downloaded as one zip). */
static arca_error_t *walk_owner_files(walk_t *w, arca_kind_t owner)
{
    if (w->i != w->n)
        return bad_path(w);
    w->loc->kind = ARCA_KIND_FILE;
    w->loc->owner = owner;
    w->loc->is_list = w->loc->exists = 1;
    return ARCA_OK;
}

/* A set of scans or resources names only the list of their files. */
static arca_error_t *set_files(walk_t *w)
{
    if (w->i + 1 != w->n || strcmp(w->seg[w->i], "files") != 0)
        return arca_error_create(w->p, 400, "a set of scans or resources ('ALL', '1,2') is "
                                 "read only as its files: .../files[?format=zip]");
    w->i++;
    w->loc->kind = ARCA_KIND_FILE;
    w->loc->is_list = w->loc->exists = 1;
    return ARCA_OK;
}

static arca_error_t *walk_resources(walk_t *w, arca_kind_t owner)
{
    const char *name;
    int found;
    arca_error_t *err;

    w->loc->owner = owner;
    w->loc->kind = ARCA_KIND_RESOURCE;
    if ((name = next(w)) == NULL) {
        if (w->loc->scan_set)
            return set_files(w);
        w->loc->is_list = w->loc->exists = 1;
        return ARCA_OK;
    }
    w->loc->name = name;
    if (w->loc->scan_set || strchr(name, ',')) {
        w->loc->resource_set = name;
        return set_files(w);
    }
    if ((err = find_resource(w, name, &found)))
        return err;
    w->loc->exists = found;
    if (w->i == w->n)
        return ARCA_OK;
    /* A file uploaded into a resource that does not exist yet creates it, as in XNAT;
     * anything else below a missing resource is a 404. */
    if (!found) {
        if (strcmp(w->seg[w->i], "files") != 0)
            return not_found(w, "resource", name);
        w->loc->resource_label = name;
    }
    return walk_files(w);
}

/* ".../scans/ALL/..." or ".../scans/1,2,5/...": every scan named must exist. */
static arca_error_t *walk_scan_set(walk_t *w)
{
    const char *set = next(w), *s;
    PGresult *res;
    arca_error_t *err;

    w->loc->kind = ARCA_KIND_SCAN;
    w->loc->owner = ARCA_KIND_SCAN;
    w->loc->scan_set = w->loc->name = set;
    if (strcmp(set, "ALL") != 0) {
        if ((err = query1(w, &res, "SELECT x FROM unnest(string_to_array($2, ',')) x "
                          "WHERE NOT EXISTS (SELECT 1 FROM arca_scan WHERE experiment_id = $1 "
                          "AND id = x) LIMIT 1", 2,
                          (const char *const[]){w->loc->experiment_id, set})))
            return err;
        if (PQntuples(res) == 1)
            return not_found(w, "scan", PQgetvalue(res, 0, 0));
    }
    s = next(w);
    if (strcmp(s, "resources") == 0)
        return walk_resources(w, ARCA_KIND_SCAN);
    w->i--;
    return set_files(w);
}

/* What stands below every level that owns files: "resources" and "files". */
static arca_error_t *walk_owned(walk_t *w, arca_kind_t owner, const char *s)
{
    if (strcmp(s, "resources") == 0)
        return walk_resources(w, owner);
    if (strcmp(s, "files") == 0)
        return walk_owner_files(w, owner);
    return bad_path(w);
}

/* One walker per level: its step, the children only that level has, then walk_owned. The
 * walkers open alike by design; what they tell apart differs. */
static arca_error_t *walk_scans(walk_t *w)
{
    int go_on;
    arca_error_t *err;

    /* a set: ALL, or IDs with commas (no scan ID holds one), with something below it */
    if (w->i + 1 < w->n && (strcmp(w->seg[w->i], "ALL") == 0 || strchr(w->seg[w->i], ',')))
        return walk_scan_set(w);
    if ((err = step(w, ARCA_KIND_SCAN, "scan", find_scan, &go_on)) || !go_on)
        return err;
    return walk_owned(w, ARCA_KIND_SCAN, next(w));
}

/* A reconstruction's output resources, as XNAT lays them out (.../out/resources/R), or
 * as .../resources/R; its files (.../files). Input resources are not kept. */
static arca_error_t *walk_recons(walk_t *w)
{
    int go_on;
    arca_error_t *err;
    const char *s;

    if ((err = step(w, ARCA_KIND_RECONSTRUCTION, "reconstruction", find_recon, &go_on))
        || !go_on)
        return err;
    s = next(w);
    if (strcmp(s, "out") == 0 && w->i < w->n && strcmp(w->seg[w->i], "resources") == 0) {
        w->i++;
        return walk_resources(w, ARCA_KIND_RECONSTRUCTION);
    }
    if (strcmp(s, "resources") == 0)
        return walk_resources(w, ARCA_KIND_RECONSTRUCTION);
    if (strcmp(s, "files") == 0)
        return walk_owner_files(w, ARCA_KIND_RECONSTRUCTION);
    return bad_path(w);
}

/* ".../projects/OTHER": a share of the subject or experiment just found; ".../projects":
 * the projects it is in. */
static arca_error_t *walk_share(walk_t *w)
{
    const char *other = next(w);
    int found;
    arca_error_t *err;

    if (other == NULL) {
        w->loc->projects_kind = w->loc->kind;
        w->loc->projects_of = 1;
        w->loc->kind = ARCA_KIND_PROJECT;
        w->loc->is_list = w->loc->exists = 1;
        return ARCA_OK;
    }
    if (w->i < w->n)
        return bad_path(w);
    if ((err = find_project(w, &other, &found)))
        return err;
    if (!found)
        return arca_error_create(w->p, 404, "no project '%s'", other);
    w->loc->share_project = other;
    return ARCA_OK;
}

static arca_error_t *walk_experiment(walk_t *w)
{
    int go_on;
    arca_error_t *err;
    const char *s;

    if ((err = step(w, ARCA_KIND_EXPERIMENT, "experiment", find_experiment, &go_on))
        || !go_on)
        return err;
    s = next(w);
    if (strcmp(s, "scans") == 0)
        return walk_scans(w);
    if (strcmp(s, "reconstructions") == 0 && w->loc->session_id == NULL)
        return walk_recons(w);
    if (strcmp(s, "projects") == 0)
        return walk_share(w);
    if (strcmp(s, "assessors") == 0 && w->loc->session_id == NULL) {
        /* the assessors of this session: experiments whose session is it */
        w->loc->session_id = w->loc->experiment_id;
        return walk_experiment(w);
    }
    if (strcmp(s, "out") == 0 && w->loc->session_id && w->i < w->n
        && strcmp(w->seg[w->i], "resources") == 0) {
        w->i++; /* an assessor's output resources are its resources */
        return walk_resources(w, ARCA_KIND_EXPERIMENT);
    }
    return walk_owned(w, ARCA_KIND_EXPERIMENT, s);
}

static arca_error_t *walk_subject(walk_t *w)
{
    int go_on;
    arca_error_t *err;
    const char *s;

    if ((err = step(w, ARCA_KIND_SUBJECT, "subject", missing_subject_ok, &go_on))
        || !go_on)
        return err;
    s = next(w);
    if (w->loc->subject_missing) {
        /* only the experiment itself, which a PUT creates with its subject */
        w->loc->kind = ARCA_KIND_EXPERIMENT;
        w->loc->is_list = w->loc->exists = 0;
        w->loc->name = w->seg[w->i++];
        return ARCA_OK;
    }
    if (strcmp(s, "experiments") == 0)
        return walk_experiment(w);
    if (strcmp(s, "projects") == 0)
        return walk_share(w);
    return walk_owned(w, ARCA_KIND_SUBJECT, s);
}

/* Not through step(): a project may be named by an alias, which find_project turns into
 * its ID. */
static arca_error_t *walk_project(walk_t *w)
{
    const char *id = next(w), *s;
    int found;
    arca_error_t *err;

    w->loc->kind = ARCA_KIND_PROJECT;
    if (id == NULL) {
        w->loc->is_list = w->loc->exists = 1;
        return ARCA_OK;
    }
    if ((err = find_project(w, &id, &found)))
        return err;
    w->loc->name = id;
    w->loc->exists = found;
    if (w->i == w->n)
        return ARCA_OK;
    if (!found)
        return arca_error_create(w->p, 404, "no project '%s'", id);
    w->loc->project = id;
    s = next(w);
    if (strcmp(s, "subjects") == 0)
        return walk_subject(w);
    if (strcmp(s, "experiments") == 0)
        return walk_experiment(w);
    return walk_owned(w, ARCA_KIND_PROJECT, s);
}

arca_error_t *arca_locate(arca_db_t *db, apr_pool_t *p, const char *const *seg, int n,
                          arca_location_t *loc)
{
    walk_t w = {db, p, loc, seg, n, 0};
    const char *top;

    memset(loc, 0, sizeof *loc);
    top = next(&w);
    if (top == NULL)
        return bad_path(&w);
    loc->top_name = n > 1 ? seg[1] : NULL;
    if (strcmp(top, "projects") == 0) {
        loc->top_kind = ARCA_KIND_PROJECT;
        return walk_project(&w);
    }
    if (strcmp(top, "subjects") == 0) {
        loc->top_kind = ARCA_KIND_SUBJECT;
        return walk_subject(&w);
    }
    if (strcmp(top, "experiments") == 0) {
        loc->top_kind = ARCA_KIND_EXPERIMENT;
        return walk_experiment(&w);
    }
    return bad_path(&w);
}
