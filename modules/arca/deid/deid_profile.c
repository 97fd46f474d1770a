/* The DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile, as a built-in
 * program, with three of its options (deid_script.h: ARCA_DEID_KEEP_*): one walk over the dataset (every depth), one action per element from the table
 * below, then the marks (0012,0062) "YES", (0012,0063) and (0012,0064) code 113100.
 *
 * The combined action codes are resolved without knowing the IOD, keeping an element
 * that may be required and blanking what it says:
 *   Z/D, X/D, X/Z/D -> D (a dummy for the VR: dates 19000101, times 000000, names and
 *                         text "ANONYMIZED", numbers 0, age 000Y; other VRs removed)
 *   X/Z             -> Z (emptied)
 *   X/Z/U*          -> kept: the UIDs inside are replaced (U applies at any depth)
 *   any of them on a sequence (SQ) -> X (removed): a sequence has no dummy value
 *   D on Content Sequence (0040,A730) -> X (its content is the report itself)
 * Z and D touch only elements present (nothing is created). Private elements (odd
 * groups, with their creators), curves (50xx,xxxx) and overlay data and comments
 * (60xx,3000), (60xx,4000) are removed. U replaces each UID of the value through the
 * caller's map_uid (arca_deid_hash_uid when none), so the same UID maps the same way in
 * every element and every instance: references (0008,1155) and (0002,0003) follow. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "deid/deid_internal.h"

typedef struct {
    unsigned tag;
    char action;
} profile_entry;

static const profile_entry table[] = {
    /* Z */
    {0x00100010, 'Z'}, {0x00100020, 'Z'}, {0x00100030, 'Z'}, {0x00100040, 'Z'},
    {0x00080050, 'Z'}, {0x00200010, 'Z'}, {0x00080020, 'Z'}, {0x00080030, 'Z'},
    {0x00080090, 'Z'}, {0x00402016, 'Z'}, {0x00402017, 'Z'},
    /* Z/D */
    {0x00080023, 'D'}, {0x00080033, 'D'}, {0x00180010, 'D'},
    /* X/Z */
    {0x00080022, 'Z'}, {0x00080032, 'Z'}, {0x00321060, 'Z'}, {0x00081110, 'Z'},
    {0x00400555, 'Z'},
    /* X/D */
    {0x00080021, 'D'}, {0x00080031, 'D'}, {0x00080012, 'D'}, {0x00181030, 'D'},
    {0x0018700A, 'D'}, {0x00081072, 'D'},
    /* X/Z/D */
    {0x0008002A, 'D'}, {0x00080013, 'D'}, {0x00080080, 'D'}, {0x00080082, 'D'},
    {0x00081070, 'D'}, {0x00081010, 'D'}, {0x00181000, 'D'}, {0x00081111, 'D'},
    /* D */
    {0x0040A123, 'D'},
    /* X */
    {0x00100032, 'X'}, {0x00101010, 'X'}, {0x00101020, 'X'}, {0x00101030, 'X'},
    {0x00101040, 'X'}, {0x00101000, 'X'}, {0x00101002, 'X'}, {0x00101001, 'X'},
    {0x00101005, 'X'}, {0x00101060, 'X'}, {0x00100021, 'X'}, {0x00101090, 'X'},
    {0x00102154, 'X'}, {0x00102160, 'X'}, {0x00102180, 'X'}, {0x001021B0, 'X'},
    {0x001021C0, 'X'}, {0x00104000, 'X'}, {0x00380010, 'X'}, {0x00080201, 'X'},
    {0x00081030, 'X'}, {0x0008103E, 'X'}, {0x00080081, 'X'}, {0x00081040, 'X'},
    {0x00080092, 'X'}, {0x00080094, 'X'}, {0x00081048, 'X'}, {0x00081050, 'X'},
    {0x00081060, 'X'}, {0x00321032, 'X'}, {0x00321033, 'X'}, {0x00401001, 'X'},
    {0x00400275, 'X'}, {0x00324000, 'X'}, {0x00184000, 'X'}, {0x00204000, 'X'},
    {0x00400253, 'X'}, {0x00400254, 'X'}, {0x00400244, 'X'}, {0x00400245, 'X'},
    {0x00080055, 'X'}, {0x00081120, 'X'}, {0x00880200, 'X'}, {0x04000561, 'X'},
    {0xFFFAFFFA, 'X'}, {0x40000010, 'X'}, {0x40004000, 'X'}, {0x0040A730, 'X'},
    /* U */
    {0x00181002, 'U'}, {0x00080018, 'U'}, {0x00020003, 'U'}, {0x0020000D, 'U'},
    {0x0020000E, 'U'}, {0x00200052, 'U'}, {0x00200200, 'U'}, {0x00081155, 'U'},
    {0x00080014, 'U'}, {0x00083010, 'U'},
    /* X/Z/U*: kept, UIDs inside replaced */
    {0x00081140, 'K'}, {0x00082112, 'K'},
};

/* What each option keeps (the entries of the table above it takes out of the run). */
static const struct {
    unsigned tag, option;
} kept[] = {
    {0x00080020, ARCA_DEID_KEEP_DATES}, {0x00080030, ARCA_DEID_KEEP_DATES},
    {0x00080021, ARCA_DEID_KEEP_DATES}, {0x00080031, ARCA_DEID_KEEP_DATES},
    {0x00080022, ARCA_DEID_KEEP_DATES}, {0x00080032, ARCA_DEID_KEEP_DATES},
    {0x0008002A, ARCA_DEID_KEEP_DATES}, {0x00080023, ARCA_DEID_KEEP_DATES},
    {0x00080033, ARCA_DEID_KEEP_DATES}, {0x00080012, ARCA_DEID_KEEP_DATES},
    {0x00080013, ARCA_DEID_KEEP_DATES}, {0x00080201, ARCA_DEID_KEEP_DATES},
    {0x00400244, ARCA_DEID_KEEP_DATES}, {0x00400245, ARCA_DEID_KEEP_DATES},
    {0x00181000, ARCA_DEID_KEEP_DEVICE}, {0x00081010, ARCA_DEID_KEEP_DEVICE},
    {0x0018700A, ARCA_DEID_KEEP_DEVICE}, {0x00181002, ARCA_DEID_KEEP_DEVICE},
    {0x00100040, ARCA_DEID_KEEP_PATIENT}, {0x00101010, ARCA_DEID_KEEP_PATIENT},
    {0x00101020, ARCA_DEID_KEEP_PATIENT}, {0x00101030, ARCA_DEID_KEEP_PATIENT},
    {0x00102160, ARCA_DEID_KEEP_PATIENT}, {0x001021C0, ARCA_DEID_KEEP_PATIENT},
};

unsigned arca_deid_profile_option(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"keepDates", ARCA_DEID_KEEP_DATES}, {"keepDevice", ARCA_DEID_KEEP_DEVICE},
                 {"keepPatientCharacteristics", ARCA_DEID_KEEP_PATIENT}};

    for (size_t k = 0; name && k < sizeof names / sizeof names[0]; k++)
        if (!strcasecmp(name, names[k].name))
            return names[k].bit;
    return 0;
}

static int kept_by(unsigned tag, unsigned options)
{
    for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++)
        if (kept[k].tag == tag && (kept[k].option & options))
            return 1;
    return 0;
}

static int by_tag(const void *a, const void *b)
{
    unsigned x = ((const profile_entry *)a)->tag, y = ((const profile_entry *)b)->tag;

    return x < y ? -1 : x > y;
}

arca_error_t *arca_deid_basic_profile_then(apr_pool_t *p, const char *method,
                                           unsigned options, const char *uid_salt,
                                           const arca_deid_program *then,
                                           arca_deid_program **out)
{
    arca_deid_program *prog = apr_pcalloc(p, sizeof *prog);
    profile_entry *sorted = apr_palloc(p, sizeof table);
    size_t n = 0;
    deid_stmt *st;

    for (size_t k = 0; k < sizeof table / sizeof table[0]; k++)
        if (!kept_by(table[k].tag, options))
            sorted[n++] = table[k];
    qsort(sorted, n, sizeof *sorted, by_tag);
    prog->profile = sorted;
    prog->profile_n = (int)n;
    prog->uid_salt = uid_salt ? apr_pstrdup(p, uid_salt) : NULL;
    prog->method = method ? method : "DICOM PS3.15 Basic Application Confidentiality Profile";
    /* the script's variables keep their slots: the profile's statement uses none */
    prog->vars = then ? then->vars : apr_array_make(p, 1, sizeof(const char *));
    prog->stmts = apr_array_make(p, 1 + (then ? then->stmts->nelts : 0), sizeof(deid_stmt));
    st = apr_array_push(prog->stmts);
    memset(st, 0, sizeof *st);
    st->then.kind = DA_PROFILE;
    if (then)
        apr_array_cat(prog->stmts, then->stmts);
    *out = prog;
    return ARCA_OK;
}

arca_error_t *arca_deid_basic_profile(apr_pool_t *p, const char *method,
                                      arca_deid_program **out)
{
    return arca_deid_basic_profile_then(p, method, 0, NULL, NULL, out);
}

static char action_of(const arca_deid_program *prog, unsigned tag)
{
    unsigned group = tag >> 16;
    profile_entry key = {tag, 0};
    const profile_entry *e;

    if (group & 1)
        return 'X';
    if ((group & 0xFF00) == 0x5000)
        return 'X';
    if ((group & 0xFF00) == 0x6000 && ((tag & 0xFFFF) == 0x3000 || (tag & 0xFFFF) == 0x4000))
        return 'X';
    e = bsearch(&key, prog->profile, (size_t)prog->profile_n, sizeof key, by_tag);
    return e ? e->action : 0;
}

static const char *dummy_for(const char *vr)
{
    static const struct {
        const char *vr, *value;
    } dummies[] = {{"DA", "19000101"}, {"TM", "000000"}, {"DT", "19000101000000"},
                   {"PN", "ANONYMIZED"}, {"LO", "ANONYMIZED"}, {"SH", "ANONYMIZED"},
                   {"ST", "ANONYMIZED"}, {"LT", "ANONYMIZED"}, {"UT", "ANONYMIZED"},
                   {"UC", "ANONYMIZED"}, {"CS", "ANONYMIZED"}, {"AE", "ANONYMIZED"},
                   {"IS", "0"}, {"DS", "0"}, {"AS", "000Y"}};
    size_t k;

    for (k = 0; vr && k < sizeof dummies / sizeof dummies[0]; k++)
        if (!strcmp(vr, dummies[k].vr))
            return dummies[k].value;
    return NULL;
}

typedef struct {
    const char *path;
    char action;
    const char *vr;
} planned;

typedef struct {
    deid_run *r;
    apr_array_header_t *plan;
} plan_ctx;

static int plan_cb(void *baton, const char *path, const deid_concrete *c, const char *vr)
{
    plan_ctx *pc = baton;
    char action = action_of(pc->r->prog, c->tag[c->n - 1]);
    planned *pl;

    if (!action || action == 'K')
        return 0;
    if (vr && !strcmp(vr, "SQ") && action != 'U')
        action = 'X';
    pl = apr_array_push(pc->plan);
    pl->path = apr_pstrdup(pc->r->p, path);
    pl->action = action;
    pl->vr = vr ? apr_pstrdup(pc->r->p, vr) : NULL;
    return 0;
}

static arca_error_t *remap(deid_run *r, const char *value, const char **out)
{
    char *copy = apr_pstrdup(r->p, value), *tok, *state;
    const char *res = NULL;

    for (tok = apr_strtok(copy, "\\", &state); tok; tok = apr_strtok(NULL, "\\", &state)) {
        const char *uid;
        size_t n = strlen(tok);

        while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\0'))
            tok[--n] = '\0';
        if (!*tok)
            continue;
        if (r->env->map_uid) {
            arca_error_t *err = r->env->map_uid(r->env->map_uid_baton, r->p, tok, &uid);

            if (err)
                // cppcheck-suppress returnDanglingLifetime ; false positive: cppcheck
                // takes a callback's result for the address of the local given to it
                return err;
        } else if (r->prog->uid_salt) {
            uid = arca_deid_hash_uid(r->p, apr_pstrcat(r->p, r->prog->uid_salt, ":", tok,
                                                       NULL));
        } else {
            uid = arca_deid_hash_uid(r->p, tok);
        }
        res = res ? apr_pstrcat(r->p, res, "\\", uid, NULL) : uid;
    }
    *out = res ? res : "";
    return ARCA_OK;
}

arca_error_t *deid_profile_run(deid_run *r)
{
    plan_ctx pc = {r, apr_array_make(r->p, 32, sizeof(planned))};
    apr_hash_t *removed = apr_hash_make(r->p);
    const arca_deid_dataset_ops *ops = r->ops;
    arca_error_t *err;
    int k;

    if ((err = deid_walk(r, plan_cb, &pc)))
        return err;
    for (k = 0; k < pc.plan->nelts; k++) {
        planned *pl = &APR_ARRAY_IDX(pc.plan, k, planned);
        const char *v = NULL, *old;
        int in_removed = 0;
        const char *s;

        for (s = strchr(pl->path, '['); s && !in_removed; s = strchr(s + 1, '['))
            in_removed = apr_hash_get(removed, pl->path, s - pl->path) != NULL;
        if (in_removed)
            continue;
        switch (pl->action) {
        case 'Z':
            v = "";
            break;
        case 'D':
            v = dummy_for(pl->vr);
            break;
        case 'U':
            if (!(old = ops->get(r->ds, r->p, pl->path)))
                continue;
            if ((err = remap(r, old, &v)))
                return err;
            break;
        }
        if (v) {
            err = ops->set(r->ds, pl->path, v);
        } else {
            err = ops->remove(r->ds, pl->path);
            apr_hash_set(removed, pl->path, APR_HASH_KEY_STRING, "");
        }
        if (err)
            return err;
    }
    if ((err = ops->set(r->ds, "(0012,0062)", "YES")) ||
        (err = ops->set(r->ds, "(0012,0063)", r->prog->method)) ||
        (err = ops->set(r->ds, "(0012,0064)[0]/(0008,0100)", "113100")) ||
        (err = ops->set(r->ds, "(0012,0064)[0]/(0008,0102)", "DCM")) ||
        (err = ops->set(r->ds, "(0012,0064)[0]/(0008,0104)",
                        "Basic Application Confidentiality Profile")))
        return err;
    return ARCA_OK;
}
