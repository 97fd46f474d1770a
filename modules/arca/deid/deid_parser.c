/* DicomEdit 6 scripts compiled into a program tree. Grammar (one statement per line):
 *
 *   script    := 'version' STRING-or-NUMBER EOL, then statements ("6" or "6.n")
 *   statement := action | value op value '?' action [':' action]
 *              | 'describe' ... | 'echo' ... | 'export' ...       (parsed and ignored)
 *   action    := path ':=' value | path '?=' value | '-' path | name ':=' value
 *              | call | 'removeAllPrivateTags'
 *   op        := '=' | '!=' | '~' | '!~'
 *   value     := STRING | NUMBER | path | name | call
 *   call      := name '[' [value {',' value}] ']'
 *
 * Every function is checked (name, number of arguments, literal regexes and tag paths)
 * here, so a script that compiles fails at run time only on its data. Error messages name
 * the line and never quote a string literal (a script may hold PHI in a condition). */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "deid/deid_internal.h"

typedef struct {
    apr_pool_t *p;
    int line;
    deid_token *t;
    int i;
    arca_deid_program *prog;
    apr_hash_t *slots; /* name -> int * slot */
} parser;

static arca_error_t *perr(parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static arca_error_t *perr(parser *ps, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(ps->p, fmt, ap);
    va_end(ap);
    return arca_error_create(ps->p, 400, "line %d: %s", ps->line, msg);
}

static deid_token *peek(parser *ps)
{
    return &ps->t[ps->i];
}

static deid_token *next(parser *ps)
{
    deid_token *t = &ps->t[ps->i];

    if (t->kind != DT_EOL)
        ps->i++;
    return t;
}

static arca_error_t *expected(parser *ps, const char *what)
{
    deid_token *t = peek(ps);

    return perr(ps, "expected %s but found %s (column %d)", what, deid_tok_name(t->kind),
                t->col);
}

static int slot_of(parser *ps, const char *name)
{
    int *slot = apr_hash_get(ps->slots, name, APR_HASH_KEY_STRING);

    if (!slot) {
        slot = apr_palloc(ps->p, sizeof *slot);
        *slot = ps->prog->vars->nelts;
        *(const char **)apr_array_push(ps->prog->vars) = name;
        apr_hash_set(ps->slots, name, APR_HASH_KEY_STRING, slot);
    }
    return *slot;
}

static arca_error_t *parse_path(parser *ps, deid_token *t, deid_path **out)
{
    const char *why = deid_path_parse(ps->p, t->text, strlen(t->text), out);

    return why ? perr(ps, "%s (column %d)", why, t->col) : ARCA_OK;
}

static arca_error_t *parse_value(parser *ps, deid_expr **out);

static arca_error_t *parse_call(parser *ps, deid_token *name, deid_expr **out)
{
    deid_expr *e = apr_pcalloc(ps->p, sizeof *e);
    apr_array_header_t *args = apr_array_make(ps->p, 4, sizeof(deid_expr *));
    arca_error_t *err;
    const char *why;

    e->kind = DE_CALL;
    if (!(e->fn = deid_func_lookup(name->text)))
        return perr(ps, "unknown function '%s'", name->text);
    if (peek(ps)->kind == DT_LBRACK) {
        next(ps);
        if (peek(ps)->kind != DT_RBRACK) {
            for (;;) {
                if ((err = parse_value(ps, apr_array_push(args))))
                    return err;
                if (peek(ps)->kind != DT_COMMA)
                    break;
                next(ps);
            }
        }
        if (peek(ps)->kind != DT_RBRACK)
            return expected(ps, "',' or ']'");
        next(ps);
    }
    e->argc = args->nelts;
    e->args = (deid_expr **)args->elts;
    if (e->argc < e->fn->min_args || (e->fn->max_args >= 0 && e->argc > e->fn->max_args))
        return perr(ps, "%s takes %d%s argument(s), not %d", e->fn->name, e->fn->min_args,
                    e->fn->max_args < 0 ? " or more"
                    : e->fn->max_args > e->fn->min_args
                        ? apr_psprintf(ps->p, " to %d", e->fn->max_args) : "",
                    e->argc);
    if (e->fn->prepare && (why = e->fn->prepare(ps->p, e)))
        return perr(ps, "%s: %s", e->fn->name, why);
    *out = e;
    return ARCA_OK;
}

static arca_error_t *parse_value(parser *ps, deid_expr **out)
{
    deid_token *t = next(ps);
    deid_expr *e;

    if (t->kind == DT_IDENT && (peek(ps)->kind == DT_LBRACK ||
                                !strcmp(t->text, "removeAllPrivateTags")))
        return parse_call(ps, t, out);
    e = apr_pcalloc(ps->p, sizeof *e);
    switch (t->kind) {
    case DT_STRING:
    case DT_NUMBER:
        e->kind = DE_STR;
        e->str = t->text;
        break;
    case DT_IDENT:
        e->kind = DE_VAR;
        e->var = slot_of(ps, t->text);
        break;
    case DT_PATH: {
        arca_error_t *err;

        e->kind = DE_PATH;
        if ((err = parse_path(ps, t, &e->path)))
            return err;
        break;
    }
    default:
        ps->i--;
        return expected(ps, "a value");
    }
    *out = e;
    return ARCA_OK;
}

static void mark_self(deid_expr *e, const deid_path *target)
{
    int k;

    if (e->kind == DE_PATH && !strcmp(e->path->text, target->text))
        e->self = 1;
    for (k = 0; k < e->argc; k++)
        mark_self(e->args[k], target);
}

static arca_error_t *parse_action(parser *ps, deid_action *a)
{
    deid_token *t = peek(ps);
    arca_error_t *err;

    memset(a, 0, sizeof *a);
    if (t->kind == DT_MINUS) {
        next(ps);
        if (peek(ps)->kind != DT_PATH)
            return expected(ps, "a tag path after '-'");
        a->kind = DA_DELETE;
        return parse_path(ps, next(ps), &a->path);
    }
    if (t->kind == DT_PATH) {
        next(ps);
        if ((err = parse_path(ps, t, &a->path)))
            return err;
        if (peek(ps)->kind != DT_ASSIGN && peek(ps)->kind != DT_ASSIGN_IF)
            return expected(ps, "':=' or '?=' after a tag path");
        a->kind = next(ps)->kind == DT_ASSIGN ? DA_SET : DA_SET_IF;
        if ((err = parse_value(ps, &a->value)))
            return err;
        mark_self(a->value, a->path);
        return ARCA_OK;
    }
    if (t->kind == DT_IDENT && ps->t[ps->i + 1].kind == DT_ASSIGN) {
        next(ps);
        next(ps);
        a->kind = DA_VAR;
        a->var = slot_of(ps, t->text);
        return parse_value(ps, &a->value);
    }
    if (t->kind == DT_IDENT && (ps->t[ps->i + 1].kind == DT_LBRACK ||
                                !strcmp(t->text, "removeAllPrivateTags"))) {
        next(ps);
        a->kind = DA_CALL;
        return parse_call(ps, t, &a->value);
    }
    return expected(ps, "an action (':=', '?=', '-' or a function call)");
}

static int is_action_start(parser *ps)
{
    deid_token *t = peek(ps), *u = &ps->t[ps->i + (t->kind == DT_EOL ? 0 : 1)];

    return t->kind == DT_MINUS || (t->kind == DT_PATH && (u->kind == DT_ASSIGN ||
                                                          u->kind == DT_ASSIGN_IF)) ||
           (t->kind == DT_IDENT && u->kind == DT_ASSIGN);
}

static arca_error_t *parse_statement(parser *ps, deid_stmt *st)
{
    arca_error_t *err;
    deid_token *t;

    memset(st, 0, sizeof *st);
    st->line = ps->line;
    if (is_action_start(ps)) {
        if ((err = parse_action(ps, &st->then)))
            return err;
    } else {
        deid_expr *left;

        if ((err = parse_value(ps, &left)))
            return err;
        t = peek(ps);
        if (t->kind == DT_EOL && left->kind == DE_CALL) {
            st->then.kind = DA_CALL;
            st->then.value = left;
            return ARCA_OK;
        }
        switch (t->kind) {
        case DT_EQ: st->op = DC_EQ; break;
        case DT_NE: st->op = DC_NE; break;
        case DT_MATCH: st->op = DC_MATCH; break;
        case DT_NMATCH: st->op = DC_NMATCH; break;
        default:
            return expected(ps, left->kind == DE_VAR ? "':=' or a comparison"
                                                     : "a comparison (=, !=, ~, !~)");
        }
        next(ps);
        st->cond = 1;
        st->left = left;
        if ((err = parse_value(ps, &st->right)))
            return err;
        if ((st->op == DC_MATCH || st->op == DC_NMATCH) && st->right->kind == DE_STR) {
            const char *why = deid_regex_compile(ps->p, st->right->str, 1, &st->re);

            if (why)
                return perr(ps, "bad regular expression: %s", why);
        }
        if (peek(ps)->kind != DT_QUESTION)
            return expected(ps, "'?' after the condition");
        next(ps);
        if ((err = parse_action(ps, &st->then)))
            return err;
        if (peek(ps)->kind == DT_COLON) {
            next(ps);
            if ((err = parse_action(ps, &st->otherwise)))
                return err;
        }
    }
    if (peek(ps)->kind != DT_EOL)
        return expected(ps, "the end of the line");
    return ARCA_OK;
}

static arca_error_t *check_version(parser *ps)
{
    deid_token *v;
    const char *s;

    if (peek(ps)->kind != DT_IDENT || strcmp(peek(ps)->text, "version"))
        return perr(ps, "the script does not start with a version line such as "
                        "version \"6.1\"; DicomEdit 4 syntax is not supported");
    next(ps);
    v = next(ps);
    if (v->kind != DT_STRING && v->kind != DT_NUMBER)
        return perr(ps, "expected a version string such as \"6.1\"");
    s = v->text;
    if (s[0] == '6' && (s[1] == '\0' || (s[1] == '.' && s[2] >= '0' && s[2] <= '9' &&
                                         strspn(s + 2, "0123456789") == strlen(s + 2)))) {
        if (peek(ps)->kind != DT_EOL)
            return expected(ps, "the end of the line");
        return ARCA_OK;
    }
    if (s[0] == '4' || s[0] == '5')
        return perr(ps, "DicomEdit version %s is not supported (only 6.x; DicomEdit 4 "
                        "syntax is not supported)",
                    strlen(s) < 12 ? s : "given");
    return perr(ps, "unsupported DicomEdit version (only 6.x is supported)");
}

arca_error_t *arca_deid_compile(apr_pool_t *p, const char *text, size_t len,
                                arca_deid_program **out)
{
    parser ps;
    apr_array_header_t *toks = apr_array_make(p, 16, sizeof(deid_token));
    size_t i = 0;
    int seen_version = 0;
    arca_error_t *err = ARCA_OK;

    memset(&ps, 0, sizeof ps);
    ps.p = p;
    ps.prog = apr_pcalloc(p, sizeof *ps.prog);
    ps.prog->stmts = apr_array_make(p, 16, sizeof(deid_stmt));
    ps.prog->vars = apr_array_make(p, 8, sizeof(const char *));
    ps.slots = apr_hash_make(p);
    /* The XNAT variables always have slots, so they read back even if never named. */
    slot_of(&ps, "project");
    slot_of(&ps, "subject");
    slot_of(&ps, "session");
    slot_of(&ps, "modalityLabel");
    while (i < len && !err) {
        size_t end = i;
        deid_token *t;

        while (end < len && text[end] != '\n')
            end++;
        ps.line++;
        toks->nelts = 0;
        if (memchr(text + i, '\0', end - i))
            return perr(&ps, "NUL character in the script");
        if ((err = deid_lex_line(p, ps.line, text + i, end - i, toks)))
            break;
        i = end + 1;
        ps.t = (deid_token *)toks->elts;
        ps.i = 0;
        t = peek(&ps);
        if (t->kind == DT_EOL)
            continue;
        if (!seen_version) {
            err = check_version(&ps);
            seen_version = 1;
            continue;
        }
        if (t->kind == DT_IDENT && !strcmp(t->text, "version")) {
            err = perr(&ps, "a second version line");
        } else if (t->kind == DT_IDENT && (!strcmp(t->text, "describe") ||
                                           !strcmp(t->text, "export"))) {
            if (ps.t[1].kind != DT_IDENT)
                err = perr(&ps, "expected a variable name after %s", t->text);
            else
                slot_of(&ps, ps.t[1].text);
        } else if (t->kind == DT_IDENT && !strcmp(t->text, "echo")) {
            /* parsed and ignored: no output channel is safe for values (PHI) */
        } else {
            err = parse_statement(&ps, apr_array_push(ps.prog->stmts));
        }
    }
    if (!err && !seen_version) {
        ps.line = ps.line ? ps.line : 1;
        err = perr(&ps, "the script has no version line such as version \"6.1\"; "
                        "DicomEdit 4 syntax is not supported");
    }
    if (err)
        return err;
    *out = ps.prog;
    return ARCA_OK;
}

int arca_deid_program_size(const arca_deid_program *prog)
{
    return prog->stmts->nelts;
}
