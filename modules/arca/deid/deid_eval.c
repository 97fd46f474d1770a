/* Running a compiled DicomEdit program against one dataset. Semantics chosen where
 * DicomEdit's reference leaves them open:
 *
 *  - Statements run top to bottom; a failing one stops the run with "line N: reason" and
 *    the caller rejects the object.
 *  - A value is a string or absent (NULL): an absent element, a variable with no value,
 *    match[] without a match. Absent compares unequal to everything ('=' false, '!='
 *    true, '~' false, '!~' true). Functions given an absent value return absent, except
 *    format and concatenate, which treat it as "".
 *  - Assigning an absent value to an element removes the element: de-identification
 *    errs towards losing data, never towards keeping it ((0010,0010) := subject with no
 *    subject drops the name).
 *  - A single element path reads, sets (creating it) or removes that element. A path with
 *    wildcards, "[%]", a level without "[n]" or a star-slash/plus-slash level names every
 *    matching element: ':=' and '?=' set each existing match (they never create), '-'
 *    removes each, and as a value it reads the first match in dataset order. In an
 *    assignment, the target's own path in the value reads the element being assigned:
 *    with P = star-slash (0008,1155), "P := hashUID[P]" hashes each reference on its own.
 *  - '~' and '!~' are a FULL match (the whole value must match, like Java's
 *    String.matches), POSIX extended syntax (regcomp REG_EXTENDED), not Java's: no lazy
 *    quantifiers, lookaround, non-capturing groups or inline flags; alternation takes the
 *    longest match; \d and \D are translated to [0-9] and [^0-9] outside brackets (\w \s
 *    work through glibc's extensions). match[] searches (finds) and ismatch[] is full.
 *  - Variables start with what the caller passed; the script may reassign any of them
 *    (project, subject, session, modalityLabel decide routing) and they are handed back.
 *  - echo, describe and export are parsed and ignored (nothing of a value is printed). */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "deid/deid_internal.h"

arca_error_t *deid_run_error(deid_run *r, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(r->p, fmt, ap);
    va_end(ap);
    if (!r->line)
        return arca_error_create(r->p, 400, "%s", msg);
    return arca_error_create(r->p, 400, "line %d: %s", r->line, msg);
}

arca_error_t *deid_run_wrap(deid_run *r, arca_error_t *err)
{
    if (!err || !r->line)
        return err;
    return arca_error_create(r->p, err->status, "line %d: %s", r->line, err->message);
}

/* ---- walking ---------------------------------------------------------------------- */
typedef struct {
    deid_run *r;
    deid_walk_fn fn;
    void *baton;
    apr_hash_t *creators; /* path of a private sequence -> its creator */
} walk_ctx;

static int walk_cb(void *baton, const char *path, unsigned tag, const char *vr,
                   const char *creator)
{
    walk_ctx *w = baton;
    deid_concrete c;
    int k;

    if (!deid_concrete_parse(path, &c))
        return 0;
    c.tag[c.n - 1] = tag;
    c.creator[c.n - 1] = creator;
    for (k = 0; k < c.n - 1; k++)
        if ((c.tag[k] >> 16) & 1)
            c.creator[k] = w->creators
                               ? apr_hash_get(w->creators, path, (apr_ssize_t)c.end[k])
                               : NULL;
    if (creator && vr && !strcmp(vr, "SQ")) {
        if (!w->creators)
            w->creators = apr_hash_make(w->r->p);
        apr_hash_set(w->creators, apr_pstrdup(w->r->p, path), APR_HASH_KEY_STRING,
                     apr_pstrdup(w->r->p, creator));
    }
    return w->fn(w->baton, path, &c, vr);
}

arca_error_t *deid_walk(deid_run *r, deid_walk_fn fn, void *baton)
{
    walk_ctx w = {r, fn, baton, NULL};

    return deid_run_wrap(r, r->ops->each(r->ds, r->p, walk_cb, &w));
}

typedef struct {
    const deid_path *path;
    apr_array_header_t *hits;
    int first_only;
    apr_pool_t *p;
} collect_ctx;

static int collect_cb(void *baton, const char *path, const deid_concrete *c, const char *vr)
{
    collect_ctx *cc = baton;
    const deid_level *last = &cc->path->lv[cc->path->n - 1];

    if (!deid_level_match(last, c->tag[c->n - 1], c->creator[c->n - 1]) ||
        !deid_path_match(cc->path, c))
        return 0;
    *(const char **)apr_array_push(cc->hits) = apr_pstrdup(cc->p, path);
    return cc->first_only;
}

static arca_error_t *collect(deid_run *r, const deid_path *path, int first_only,
                             apr_array_header_t **hits)
{
    collect_ctx cc = {path, apr_array_make(r->p, 4, sizeof(const char *)), first_only, r->p};

    *hits = cc.hits;
    return deid_walk(r, collect_cb, &cc);
}

/* Is some sequence holding `path` in `set`? */
static int inside(apr_hash_t *set, const char *path)
{
    const char *s;

    for (s = strchr(path, '['); s; s = strchr(s + 1, '['))
        if (apr_hash_get(set, path, s - path))
            return 1;
    return 0;
}

arca_error_t *deid_remove_all(deid_run *r, apr_array_header_t *paths)
{
    apr_hash_t *removed = apr_hash_make(r->p);
    int k;

    for (k = 0; k < paths->nelts; k++) {
        const char *path = APR_ARRAY_IDX(paths, k, const char *);
        arca_error_t *err;

        if (inside(removed, path))
            continue;
        if ((err = r->ops->remove(r->ds, path)))
            return deid_run_wrap(r, err);
        apr_hash_set(removed, path, APR_HASH_KEY_STRING, "");
    }
    return ARCA_OK;
}

/* ---- private tags ----------------------------------------------------------------- */
typedef struct {
    deid_run *r;
    apr_array_header_t *keep_paths; /* deid_path * */
    apr_array_header_t *priv;       /* const char * paths of private elements */
    apr_hash_t *retained;           /* matched a kept path */
    apr_hash_t *needed;             /* holds a retained element or is its creator */
} private_ctx;

static int private_cb(void *baton, const char *path, const deid_concrete *c, const char *vr)
{
    private_ctx *pc = baton;
    unsigned tag = c->tag[c->n - 1];
    const char *copy;
    int k;

    if (!((tag >> 16) & 1))
        return 0;
    copy = apr_pstrdup(pc->r->p, path);
    *(const char **)apr_array_push(pc->priv) = copy;
    for (k = 0; k < pc->keep_paths->nelts; k++) {
        const deid_path *kp = APR_ARRAY_IDX(pc->keep_paths, k, const deid_path *);

        if (deid_path_match(kp, c)) {
            size_t parent = c->n > 1 ? c->end[c->n - 2] : 0;
            int lvl;

            apr_hash_set(pc->retained, copy, APR_HASH_KEY_STRING, "");
            for (lvl = 0; lvl < c->n - 1; lvl++)
                apr_hash_set(pc->needed, apr_pstrmemdup(pc->r->p, path, c->end[lvl]),
                             APR_HASH_KEY_STRING, "");
            if ((tag & 0xFFFF) >= 0x1000) {
                /* the creator element of its block, at the same level */
                if (parent)
                    parent = (size_t)(strchr(path + parent, '/') - path) + 1;
                apr_hash_set(pc->needed,
                             apr_psprintf(pc->r->p, "%.*s(%04X,%04X)", (int)parent, path,
                                          tag >> 16, (tag & 0xFF00) >> 8),
                             APR_HASH_KEY_STRING, "");
            }
            break;
        }
    }
    return 0;
}

arca_error_t *deid_remove_private(deid_run *r, apr_array_header_t *keep)
{
    private_ctx pc = {r, keep, apr_array_make(r->p, 16, sizeof(const char *)),
                      apr_hash_make(r->p), apr_hash_make(r->p)};
    apr_array_header_t *gone = apr_array_make(r->p, 16, sizeof(const char *));
    arca_error_t *err;
    int k;

    if ((err = deid_walk(r, private_cb, &pc)))
        return err;
    for (k = 0; k < pc.priv->nelts; k++) {
        const char *path = APR_ARRAY_IDX(pc.priv, k, const char *);

        if (apr_hash_get(pc.retained, path, APR_HASH_KEY_STRING) ||
            apr_hash_get(pc.needed, path, APR_HASH_KEY_STRING) || inside(pc.retained, path))
            continue;
        *(const char **)apr_array_push(gone) = path;
    }
    return deid_remove_all(r, gone);
}

/* ---- values and statements ---------------------------------------------------------- */
static arca_error_t *eval(deid_run *r, const deid_expr *e, const char **out)
{
    switch (e->kind) {
    case DE_STR:
        *out = e->str;
        return ARCA_OK;
    case DE_VAR:
        *out = r->vals[e->var];
        return ARCA_OK;
    case DE_PATH:
        if (e->self && r->self_path) {
            *out = r->ops->get(r->ds, r->p, r->self_path);
        } else if (!e->path->pattern) {
            *out = r->ops->get(r->ds, r->p, e->path->text);
        } else {
            apr_array_header_t *hits;
            arca_error_t *err = collect(r, e->path, 1, &hits);

            if (err)
                return err;
            *out = hits->nelts ? r->ops->get(r->ds, r->p, APR_ARRAY_IDX(hits, 0, const char *))
                               : NULL;
        }
        return ARCA_OK;
    case DE_CALL: {
        const char *argv[16], **args = argv;
        int k;

        if (e->argc > 16)
            args = apr_palloc(r->p, sizeof(const char *) * (size_t)e->argc);
        for (k = 0; k < e->argc; k++) {
            arca_error_t *err = eval(r, e->args[k], &args[k]);

            if (err)
                return err;
        }
        *out = NULL;
        return e->fn->run(r, e, args, out);
    }
    }
    return deid_run_error(r, "internal error: bad expression");
}

static arca_error_t *assign(deid_run *r, const deid_action *a, const char *path)
{
    const char *v;
    arca_error_t *err;

    r->self_path = path;
    err = eval(r, a->value, &v);
    r->self_path = NULL;
    if (err)
        return err;
    return deid_run_wrap(r, v ? r->ops->set(r->ds, path, v) : r->ops->remove(r->ds, path));
}

static arca_error_t *exec_action(deid_run *r, const deid_action *a)
{
    const char *v;
    arca_error_t *err;
    apr_array_header_t *hits;
    int k;

    switch (a->kind) {
    case DA_NONE:
        return ARCA_OK;
    case DA_VAR:
        if ((err = eval(r, a->value, &v)))
            return err;
        r->vals[a->var] = v;
        r->assigned[a->var] = 1;
        return ARCA_OK;
    case DA_CALL:
        return eval(r, a->value, &v);
    case DA_PROFILE:
        return deid_profile_run(r);
    case DA_DELETE:
        if (!a->path->pattern)
            return deid_run_wrap(r, r->ops->remove(r->ds, a->path->text));
        if ((err = collect(r, a->path, 0, &hits)))
            return err;
        return deid_remove_all(r, hits);
    case DA_SET:
    case DA_SET_IF:
        if (!a->path->pattern) {
            if (a->kind == DA_SET_IF && !r->ops->get(r->ds, r->p, a->path->text))
                return ARCA_OK;
            return assign(r, a, a->path->text);
        }
        if ((err = collect(r, a->path, 0, &hits)))
            return err;
        for (k = 0; k < hits->nelts; k++)
            if ((err = assign(r, a, APR_ARRAY_IDX(hits, k, const char *))))
                return err;
        return ARCA_OK;
    }
    return deid_run_error(r, "internal error: bad action");
}

static arca_error_t *test(deid_run *r, const deid_stmt *st, int *yes)
{
    const char *l, *rv;
    arca_error_t *err;

    if ((err = eval(r, st->left, &l)) || (err = eval(r, st->right, &rv)))
        return err;
    switch (st->op) {
    case DC_EQ:
        *yes = l && rv && !strcmp(l, rv);
        return ARCA_OK;
    case DC_NE:
        *yes = !(l && rv && !strcmp(l, rv));
        return ARCA_OK;
    case DC_MATCH:
    case DC_NMATCH: {
        regex_t *re = st->re;

        if (!re && rv) {
            const char *why = deid_regex_compile(r->p, rv, 1, &re);

            if (why)
                return deid_run_error(r, "bad regular expression: %s", why);
        }
        *yes = l && re && deid_regex_full_match(re, l);
        if (st->op == DC_NMATCH)
            *yes = !*yes;
        return ARCA_OK;
    }
    }
    return deid_run_error(r, "internal error: bad comparison");
}

arca_error_t *arca_deid_run(const arca_deid_program *prog, const arca_deid_dataset_ops *ops,
                            void *ds, arca_deid_env *env, apr_pool_t *p)
{
    deid_run r;
    arca_deid_env none = {NULL, NULL, NULL};
    int nvars = prog->vars->nelts, k;

    memset(&r, 0, sizeof r);
    r.p = p;
    r.prog = prog;
    r.ops = ops;
    r.ds = ds;
    r.env = env ? env : &none;
    r.vals = apr_pcalloc(p, sizeof(const char *) * (size_t)(nvars + 1));
    r.assigned = apr_pcalloc(p, (size_t)nvars + 1);
    if (r.env->vars)
        for (k = 0; k < nvars; k++)
            r.vals[k] = apr_hash_get(r.env->vars, APR_ARRAY_IDX(prog->vars, k, const char *),
                                     APR_HASH_KEY_STRING);
    for (k = 0; k < prog->stmts->nelts; k++) {
        const deid_stmt *st = &APR_ARRAY_IDX(prog->stmts, k, deid_stmt);
        arca_error_t *err;
        int yes = 1;

        r.line = st->line;
        if (st->cond && (err = test(&r, st, &yes)))
            return err;
        if ((err = exec_action(&r, yes ? &st->then : &st->otherwise)))
            return err;
    }
    if (r.env->vars)
        for (k = 0; k < nvars; k++)
            if (r.assigned[k])
                apr_hash_set(r.env->vars, apr_pstrdup(p, APR_ARRAY_IDX(prog->vars, k,
                                                                      const char *)),
                             APR_HASH_KEY_STRING, r.vals[k]);
    return ARCA_OK;
}
