/* Internals of the DicomEdit engine shared by its files: tokens (deid_lexer.c), tag paths
 * (deid_path.c), the program tree (deid_parser.c), the run (deid_eval.c) and the function
 * library (deid_functions.c). Not for use outside libarca's deid_*.c. */
#ifndef ARCA_DEID_INTERNAL_H
#define ARCA_DEID_INTERNAL_H

#include <regex.h>
#include <stddef.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "deid/deid_script.h"

/* ---- tokens ------------------------------------------------------------------------- */
typedef enum {
    DT_EOL, DT_STRING, DT_NUMBER, DT_IDENT, DT_PATH,
    DT_ASSIGN,     /* := */
    DT_ASSIGN_IF,  /* ?= */
    DT_EQ, DT_NE, DT_MATCH, DT_NMATCH, /* = != ~ !~ */
    DT_QUESTION, DT_COLON, DT_MINUS, DT_LBRACK, DT_RBRACK, DT_COMMA
} deid_tok_kind;

typedef struct {
    deid_tok_kind kind;
    const char *text; /* DT_STRING: decoded; DT_NUMBER/IDENT/PATH: as written */
    int col;          /* 1-based */
} deid_token;

/* Tokens of one line (comments dropped), ending with DT_EOL. */
arca_error_t *deid_lex_line(apr_pool_t *p, int line, const char *s, size_t n,
                            apr_array_header_t *toks);
const char *deid_tok_name(deid_tok_kind k);

/* ---- tag paths ---------------------------------------------------------------------- */
typedef enum { DL_CHILD, DL_ANY_DEPTH /* star-slash: zero or more levels */,
               DL_SOME_DEPTH /* plus-slash: one or more levels */ } deid_level_kind;

typedef struct {
    deid_level_kind kind; /* how this level hangs under the previous one */
    unsigned mask, value; /* public: (tag & mask) == value; private: group in high half,
                             low byte of the element in the low half */
    const char *creator;  /* private creator, NULL for a public tag */
    int item;             /* item of this level's sequence: -1 any, else the index */
} deid_level;

typedef struct deid_path {
    int n;
    deid_level *lv;
    int pattern;      /* wildcards, any-item or depth levels: resolved by walking */
    const char *text; /* canonical text, given to get/set/remove when !pattern */
} deid_path;

/* NULL and *out on success; otherwise the reason (no "line N"). */
const char *deid_path_parse(apr_pool_t *p, const char *s, size_t n, deid_path **out);

/* A concrete element met while walking a dataset. */
typedef struct {
    int n;            /* levels */
    unsigned tag[16];
    int item[16];     /* item index below level i (i < n-1) */
    size_t end[16];   /* length of the path text of the element at level i */
    const char *creator[16];
} deid_concrete;

/* Parses what `each` gave; 0 if the path is malformed or deeper than 16 levels. */
int deid_concrete_parse(const char *path, deid_concrete *c);
/* Does `c` match `path`? Creators of private ancestor sequences must be filled in. */
int deid_path_match(const deid_path *path, const deid_concrete *c);
/* Quick test of the last level alone (tag and creator of the element itself). */
int deid_level_match(const deid_level *lv, unsigned tag, const char *creator);

/* ---- program tree ------------------------------------------------------------------- */
typedef struct deid_func deid_func;
typedef struct deid_expr deid_expr;

typedef enum { DE_STR, DE_VAR, DE_PATH, DE_CALL } deid_expr_kind;

struct deid_expr {
    deid_expr_kind kind;
    const char *str;       /* DE_STR */
    int var;               /* DE_VAR: slot */
    deid_path *path;       /* DE_PATH */
    int self;              /* DE_PATH: same path as the target of the statement */
    const deid_func *fn;   /* DE_CALL */
    int argc;
    deid_expr **args;
    void *prep;            /* DE_CALL: what the function prepared at compile time */
};

typedef enum { DA_NONE, DA_SET, DA_SET_IF, DA_DELETE, DA_VAR, DA_CALL, DA_PROFILE } deid_action_kind;

typedef struct {
    deid_action_kind kind;
    deid_path *path; /* DA_SET, DA_SET_IF, DA_DELETE */
    int var;         /* DA_VAR */
    deid_expr *value;
} deid_action;

typedef enum { DC_EQ, DC_NE, DC_MATCH, DC_NMATCH } deid_cmp;

typedef struct {
    int line;
    int cond;              /* conditional statement */
    deid_expr *left, *right;
    deid_cmp op;
    regex_t *re;           /* ~ / !~ with a literal: compiled full-match */
    deid_action then, otherwise;
} deid_stmt;

struct arca_deid_program {
    apr_array_header_t *stmts; /* deid_stmt */
    apr_array_header_t *vars;  /* const char * names; slot = index */
    const char *method;        /* Basic Profile: (0012,0063) */
    const void *profile;       /* Basic Profile: its table, sorted by tag */
    int profile_n;
    const char *uid_salt;      /* Basic Profile without a caller's map_uid: UIDs are
                                * hashed salted with it ("salt:uid"); NULL: unsalted */
};

/* ---- run ---------------------------------------------------------------------------- */
typedef struct {
    apr_pool_t *p;
    const arca_deid_program *prog;
    const arca_deid_dataset_ops *ops;
    void *ds;
    arca_deid_env *env;
    int line;
    const char **vals; /* variable slots */
    char *assigned;    /* slot assigned by the script */
    const char *self_path; /* concrete path of the element being assigned, or NULL */
} deid_run;

arca_error_t *deid_run_error(deid_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Runs an error of the dataset bridge through with the line number in front. */
arca_error_t *deid_run_wrap(deid_run *r, arca_error_t *err);

/* Walks the dataset, calling fn with the parsed concrete element (private ancestor
 * creators filled in); fn returns non-zero to stop. */
typedef int (*deid_walk_fn)(void *baton, const char *path, const deid_concrete *c,
                            const char *vr);
arca_error_t *deid_walk(deid_run *r, deid_walk_fn fn, void *baton);
/* Removes the paths (const char *) in order, skipping those inside one already removed. */
arca_error_t *deid_remove_all(deid_run *r, apr_array_header_t *paths);
/* Removes every private element except those matching `keep` (deid_path *), their
 * contents, the sequences holding them and the creator elements of their blocks. */
arca_error_t *deid_remove_private(deid_run *r, apr_array_header_t *keep);
/* Runs the Basic Profile over the dataset. */
arca_error_t *deid_profile_run(deid_run *r);

/* ---- functions ---------------------------------------------------------------------- */
typedef arca_error_t *(*deid_fn_run)(deid_run *r, const deid_expr *call, const char **argv,
                                     const char **out);
/* Compile-time check/preparation; returns NULL or the reason. */
typedef const char *(*deid_fn_prepare)(apr_pool_t *p, deid_expr *call);

struct deid_func {
    const char *name;
    int min_args, max_args; /* max -1: any */
    deid_fn_run run;
    deid_fn_prepare prepare;
};

const deid_func *deid_func_lookup(const char *name);

/* Regular expressions: POSIX extended, with \d \D translated; full: anchored at both
 * ends (a full match). NULL or the reason. The regex is freed with the pool. */
const char *deid_regex_compile(apr_pool_t *p, const char *pattern, int full, regex_t **out);
int deid_regex_full_match(const regex_t *re, const char *s);

#endif
