/* The DicomEdit 6 engine end to end over an in-memory dataset (deid_memds.h): compiling
 * (errors with line numbers), example scripts A-C (XNAT's default script and two in the
 * shape of DicomEdit's documented examples), paths, conditions, variables, functions,
 * runtime errors and the built-in Basic Profile. */
#include "test_util.h"

#include <apr_hash.h>

#include "deid_memds.h"
#include "deid_examples.h"
#include "deid/deid_script.h"

static arca_deid_program *compile(apr_pool_t *p, const char *text)
{
    arca_deid_program *prog = NULL;
    arca_error_t *err = arca_deid_compile(p, text, strlen(text), &prog);

    if (err)
        fail_msg("compile: %s", err->message);
    return prog;
}

static arca_error_t *compile_error(apr_pool_t *p, const char *text)
{
    arca_deid_program *prog = NULL;
    arca_error_t *err = arca_deid_compile(p, text, strlen(text), &prog);

    assert_non_null(err);
    assert_int_equal(err->status, 400);
    return err;
}

static apr_hash_t *xnat_vars(apr_pool_t *p)
{
    apr_hash_t *vars = apr_hash_make(p);

    apr_hash_set(vars, "project", APR_HASH_KEY_STRING, "P1");
    apr_hash_set(vars, "subject", APR_HASH_KEY_STRING, "SUBJ001");
    apr_hash_set(vars, "session", APR_HASH_KEY_STRING, "SUBJ001_MR1");
    apr_hash_set(vars, "modalityLabel", APR_HASH_KEY_STRING, "MR");
    return vars;
}

/* Runs `text` over the sample dataset with the XNAT variables; returns the dataset. */
static memds *run_ok(apr_pool_t *p, const char *text, apr_hash_t *vars)
{
    memds *ds = memds_sample(p);
    arca_deid_env env = {vars ? vars : xnat_vars(p), NULL, NULL};
    arca_error_t *err = arca_deid_run(compile(p, text), &memds_ops, ds, &env, p);

    if (err)
        fail_msg("run: %s", err->message);
    return ds;
}

static arca_error_t *run_error(apr_pool_t *p, const char *text)
{
    memds *ds = memds_sample(p);
    arca_deid_env env = {xnat_vars(p), NULL, NULL};
    arca_error_t *err = arca_deid_run(compile(p, text), &memds_ops, ds, &env, p);

    assert_non_null(err);
    assert_int_equal(err->status, 400);
    return err;
}

static const char *val(memds *ds, const char *path)
{
    return memds_get(ds, ds->p, path);
}

#define assert_absent(ds, path) assert_null(val(ds, path))
#define assert_val(ds, path, v) assert_string_equal(val(ds, path), v)

/* ---- compiling ---------------------------------------------------------------------- */
static void version_line_is_required(void **state)
{
    apr_pool_t *p = *state;
    arca_error_t *err;

    err = compile_error(p, "// DicomEdit 4\n(0008,0060) = \"MR\" : (0010,0010) := \"x\"\n");
    assert_non_null(strstr(err->message, "line 2:"));
    assert_non_null(strstr(err->message, "DicomEdit 4 syntax is not supported"));
    err = compile_error(p, "// nothing but comments\n\n");
    assert_non_null(strstr(err->message, "DicomEdit 4 syntax is not supported"));
    err = compile_error(p, "version \"4.2\"\n");
    assert_non_null(strstr(err->message, "line 1:"));
    assert_non_null(strstr(err->message, "not supported"));
    err = compile_error(p, "version \"7.0\"\n");
    assert_non_null(strstr(err->message, "only 6.x"));
    compile_error(p, "version \"6.1\"\nversion \"6.1\"\n");
    assert_int_equal(arca_deid_program_size(compile(p, "// header\n\nversion \"6.6\"\n")), 0);
    assert_non_null(compile(p, "version 6.3 // a number works too\n"));
}

static void syntax_errors_name_the_line_not_the_literals(void **state)
{
    apr_pool_t *p = *state;
    static const struct {
        const char *script, *expect;
    } cases[] = {
        {"version \"6.1\"\n\n(0010,0010) := fooBar[\"Doe^John\"]\n", "line 3: unknown function 'fooBar'"},
        {"version \"6.1\"\n(0010,0010) = \"Doe^John\" (0010,0010) := \"x\"\n", "line 2: expected '?'"},
        {"version \"6.1\"\n(0010,0010) := \"Doe^John\n", "line 2: unterminated string"},
        {"version \"6.1\"\n(0010,001G) := \"x\"\n", "line 2: malformed tag"},
        {"version \"6.1\"\n(0010,0010 := \"x\"\n", "line 2: malformed tag"},
        {"version \"6.1\"\n(0011,{}10) := \"x\"\n", "line 2: malformed private tag"},
        {"version \"6.1\"\n(0010,{X}10) := \"x\"\n", "line 2: malformed private tag"},
        {"version \"6.1\"\n(0010,0010) := substring[\"Doe^John\"]\n", "line 2: substring takes 2 to 3"},
        {"version \"6.1\"\n(0010,0010) ~ \"(Doe\" ? -(0010,0010)\n", "line 2: bad regular expression"},
        {"version \"6.1\"\n(0010,0010) := hashUID[(0010,0010), \"MD5\"]\n", "line 2: hashUID: only"},
        {"version \"6.1\"\n(0010,0010) := format[\"{0,number}\", \"Doe\"]\n", "line 2: format: only {n}"},
        {"version \"6.1\"\nretainPrivateTags[\"(0029,{SIEMENS CSA HEADER}XX\"]\n", "line 2: retainPrivateTags: argument 1"},
        {"version \"6.1\"\n(0010,0010) := \"x\" extra\n", "line 2: expected the end of the line"},
        {"version \"6.1\"\nfoo\n", "line 2: expected ':=' or a comparison"},
        {"version \"6.1\"\n(0008,1140)[0] := \"x\"\n", "line 2: an item index needs"},
        {"version \"6.1\"\n(0010,0010) := \"a\" ; \n", "line 2: unexpected character ';'"},
    };
    size_t k;

    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        arca_error_t *err = compile_error(p, cases[k].script);

        if (!strstr(err->message, cases[k].expect))
            fail_msg("case %zu: '%s' lacks '%s'", k, err->message, cases[k].expect);
        assert_null(strstr(err->message, "Doe"));
    }
}

static void ignored_statements_parse(void **state)
{
    apr_pool_t *p = *state;
    memds *ds = run_ok(p,
                       "version \"6.1\"\n"
                       "describe reason \"Reason for upload\"\n"
                       "describe extra hidden\n"
                       "export reason \"reason\"\n"
                       "echo (0010,0010)\n"
                       "   // indented comment\n"
                       "(0010,0010) := \"A\" // trailing comment with \"quotes\"\n",
                       NULL);

    assert_val(ds, "(0010,0010)", "A");
}

/* ---- example scripts ------------------------------------------------------------------ */
static void example_a_xnat_default(void **state)
{
    apr_pool_t *p = *state;
    const char *script = "//\n// Default XNAT anonymization script\n//\nversion \"6.1\"\n"
                         "project != \"Unassigned\" ? (0008,1030) := project\n"
                         "(0010,0010) := subject\n(0010,0020) := session\n";
    memds *ds = run_ok(p, script, NULL);
    apr_hash_t *vars = xnat_vars(p);

    assert_val(ds, "(0008,1030)", "P1");
    assert_val(ds, "(0010,0010)", "SUBJ001");
    assert_val(ds, "(0010,0020)", "SUBJ001_MR1");
    apr_hash_set(vars, "project", APR_HASH_KEY_STRING, "Unassigned");
    ds = run_ok(p, script, vars);
    assert_val(ds, "(0008,1030)", "Brain^Routine");
}


static void example_b_site_profile(void **state)
{
    apr_pool_t *p = *state;
    memds *ds = run_ok(p, example_b, NULL);
    int k;

    assert_val(ds, "(0010,0010)", "SUBJ001");
    assert_val(ds, "(0010,0020)", "SUBJ001_MR1");
    assert_val(ds, "(0010,0030)", "");
    assert_absent(ds, "(0010,1040)");
    assert_val(ds, "(0008,0050)", "");
    assert_absent(ds, "(0008,0080)");
    assert_absent(ds, "(0018,1000)");
    assert_absent(ds, "(0010,1002)");
    assert_absent(ds, "(0010,1002)[0]/(0010,0020)");
    assert_absent(ds, "(0040,0275)[0]/(0010,1002)");
    assert_absent(ds, "(0040,0275)[0]/(0010,1002)[0]/(0010,0020)");
    assert_val(ds, "(0040,0275)[0]/(0040,1001)", "RP-1");
    /* python3: "2.25." + str(uuid.uuid5(uuid.NAMESPACE_OID, "1.2.840.113619.2.55.3.1").int) */
    assert_string_equal(val(ds, "(0020,000D)"), arca_deid_hash_uid(p, "1.2.840.113619.2.55.3.1"));
    assert_string_equal(val(ds, "(0008,0018)"),
                        arca_deid_hash_uid(p, "1.3.12.2.1107.5.2.32.35162.2012021516183798316504321"));
    assert_int_equal(strncmp(val(ds, "(0020,0052)"), "2.25.", 5), 0);
    for (k = 0; k < ds->els->nelts; k++) {
        memel *el = &((memel *)ds->els->elts)[k];

        if ((el->tag >> 16) & 1)
            fail_msg("private element left: %s", el->path);
    }
    assert_val(ds, "(0012,0062)", "YES");
    assert_val(ds, "(0012,0063)", "Site DicomEdit profile v1");
    assert_val(ds, "(0008,1140)[0]/(0008,1155)", "1.3.12.2.1107.5.2.32.35162.1");
}

static void example_c_project_script(void **state)
{
    apr_pool_t *p = *state;
    memds *ds = run_ok(p, example_c, NULL);

    assert_val(ds, "(0008,0020)", "20120116");
    assert_val(ds, "(0008,002A)", "20120116161837.123000+0100");
    /* the CSA block and its creator stay, other private blocks go */
    assert_val(ds, "(0029,0010)", "SIEMENS CSA HEADER");
    assert_val(ds, "(0029,1008)", "IMAGE NUM 4");
    assert_val(ds, "(0029,1010)", "SV10csa-image-header");
    assert_val(ds, "(0029,{SIEMENS CSA HEADER}10)", "SV10csa-image-header");
    assert_absent(ds, "(0029,0011)");
    assert_absent(ds, "(0029,1160)");
    assert_absent(ds, "(0009,0010)");
    assert_absent(ds, "(0009,1001)");
    assert_absent(ds, "(0009,1010)");
    assert_absent(ds, "(0019,100C)");
    /* the path is top level only: the CSA block inside an item goes */
    assert_absent(ds, "(0008,1140)[0]/(0029,1010)");
    assert_absent(ds, "(0008,1140)[0]/(0029,0010)");
    assert_val(ds, "(0008,103E)", "P1_mr");
    assert_val(ds, "(0010,0010)", "SUBJ001");
}

static void example_c_keeps_a_subject_label_and_skips_absent(void **state)
{
    apr_pool_t *p = *state;
    memds *ds = memds_sample(p);
    arca_deid_env env = {xnat_vars(p), NULL, NULL};

    memds_put(ds, "(0010,0010)", NULL, "SUBJ42");
    memds_remove(ds, "(0008,002A)");
    assert_null(arca_deid_run(compile(p, example_c), &memds_ops, ds, &env, p));
    assert_val(ds, "(0010,0010)", "SUBJ42");
    assert_absent(ds, "(0008,002A)"); /* ?= does not create */
}

/* ---- paths --------------------------------------------------------------------------- */
static void sequence_paths(void **state)
{
    apr_pool_t *p = *state;
    memds *ds;

    ds = run_ok(p, "version \"6.1\"\n(0008,1140)[1]/(0008,1155) := \"1.2.3\"\n", NULL);
    assert_val(ds, "(0008,1140)[0]/(0008,1155)", "1.3.12.2.1107.5.2.32.35162.1");
    assert_val(ds, "(0008,1140)[1]/(0008,1155)", "1.2.3");

    /* [%] reads each item on its own when the value names the target */
    ds = run_ok(p, "version \"6.1\"\n"
                   "(0008,1140)[%]/(0008,1155) := hashUID[(0008,1140)[%]/(0008,1155)]\n",
                NULL);
    assert_string_equal(val(ds, "(0008,1140)[0]/(0008,1155)"),
                        arca_deid_hash_uid(p, "1.3.12.2.1107.5.2.32.35162.1"));
    assert_string_equal(val(ds, "(0008,1140)[1]/(0008,1155)"),
                        arca_deid_hash_uid(p, "1.3.12.2.1107.5.2.32.35162.2"));

    /* star-slash: any depth including the top; plus-slash: nested only */
    ds = run_ok(p, "version \"6.1\"\n*/(0008,1155) := hashUID[*/(0008,1155)]\n"
                   "+/(0010,0020) := \"NESTED\"\n",
                NULL);
    assert_string_equal(val(ds, "(0008,1110)[0]/(0008,1155)"),
                        arca_deid_hash_uid(p, "1.2.840.113619.2.55.3.1"));
    assert_string_equal(val(ds, "(0009,1010)[0]/(0008,1155)"),
                        arca_deid_hash_uid(p, "1.2.840.113619.2.55.3.9"));
    assert_val(ds, "(0010,0020)", "MRN12345");
    assert_val(ds, "(0010,1002)[0]/(0010,0020)", "NESTED");
    assert_val(ds, "(0040,0275)[0]/(0010,1002)[0]/(0010,0020)", "NESTED");

    /* a level without [n] means any item; a pattern as a value reads the first match */
    ds = run_ok(p, "version \"6.1\"\n(0008,1030) := (0008,1140)/(0008,1155)\n"
                   "-(0040,0275)/(0010,1002)\n",
                NULL);
    assert_val(ds, "(0008,1030)", "1.3.12.2.1107.5.2.32.35162.1");
    assert_absent(ds, "(0040,0275)[0]/(0010,1002)");
    assert_val(ds, "(0010,1002)[0]/(0010,0020)", "OTHER-ID-1");
}

static void wildcards_and_private_paths(void **state)
{
    apr_pool_t *p = *state;
    memds *ds;

    ds = run_ok(p, "version \"6.1\"\n-(50X@,XXXX)\n-(0009,{GEMS_IDEN_01}0X)\n"
                   "(0029,{SIEMENS CSA HEADER}08) := \"changed\"\n"
                   "(0019,{ARCA TEST}01) := \"new\"\n",
                NULL);
    assert_absent(ds, "(5000,3000)");
    assert_absent(ds, "(0009,1001)");
    assert_absent(ds, "(0009,1002)");
    assert_val(ds, "(0009,1010)[0]/(0008,1155)", "1.2.840.113619.2.55.3.9");
    assert_val(ds, "(0029,1008)", "changed");
    assert_val(ds, "(0019,0011)", "ARCA TEST");
    assert_val(ds, "(0019,1101)", "new");

    /* # odd, @ even hex digits */
    ds = run_ok(p, "version \"6.1\"\n-(XXX#,XXXX)\n-(0010,002@)\n", NULL);
    assert_absent(ds, "(0029,0010)");
    assert_absent(ds, "(0009,1010)");
    assert_absent(ds, "(0010,0020)");
    assert_val(ds, "(0010,0010)", "Doe^John");
    assert_val(ds, "(0008,1140)[0]/(0029,1010)", "nested-csa"); /* top level only */

    /* a creator inside a private sequence level */
    ds = run_ok(p, "version \"6.1\"\n"
                   "(0009,{GEMS_IDEN_01}10)[0]/(0008,1155) := \"9.9\"\n"
                   "*/(0029,{SIEMENS CSA HEADER}10) := \"x\"\n",
                NULL);
    assert_val(ds, "(0009,1010)[0]/(0008,1155)", "9.9");
    assert_val(ds, "(0029,1010)", "x");
    assert_val(ds, "(0008,1140)[0]/(0029,1010)", "x");
}

/* ---- conditions, variables ----------------------------------------------------------- */
static void conditions(void **state)
{
    apr_pool_t *p = *state;
    memds *ds = run_ok(p,
                       "version \"6.1\"\n"
                       "(0008,103E) ~ \"mprage\" ? (0020,4000) := \"find\" : (0020,4000) := \"full\"\n"
                       "(0008,103E) ~ \".*mprage.*\" ? (0018,1030) := \"yes\"\n"
                       "(0008,0060) != \"CT\" ? -(0010,1010)\n"
                       "(0010,9999) = \"\" ? (0010,2000) := \"absent is not empty\" : (0010,2000) := \"ok\"\n"
                       "(0010,9999) !~ \"x\" ? (0010,2001) := \"ok\"\n"
                       "modalityLabel = (0008,0060) ? (0010,2002) := \"same\"\n"
                       "(0010,0010) ~ \"Doe\\\\^J.*|Smith\" ? (0010,2003) := \"alt\"\n"
                       "(0010,0020) ~ \"MRN\\d+\" ? (0010,2004) := \"digits\"\n"
                       "(0010,0040) = \"F\" ? (0010,2005) := \"F\" : removeAllPrivateTags\n",
                       NULL);

    assert_val(ds, "(0020,4000)", "full");
    assert_val(ds, "(0018,1030)", "yes");
    assert_absent(ds, "(0010,1010)");
    assert_val(ds, "(0010,2000)", "ok");
    assert_val(ds, "(0010,2001)", "ok");
    assert_val(ds, "(0010,2002)", "same");
    assert_val(ds, "(0010,2003)", "alt");
    assert_val(ds, "(0010,2004)", "digits");
    assert_absent(ds, "(0010,2005)");
    assert_absent(ds, "(0029,1010)");
}

static void variables_are_read_back(void **state)
{
    apr_pool_t *p = *state;
    apr_hash_t *vars = xnat_vars(p);
    memds *ds = run_ok(p,
                       "version \"6.1\"\n"
                       "describe visit \"Visit\"\n"
                       "tmp := uppercase[(0008,0060)]\n"
                       "session := format[\"{0}_{1}_{2}\", subject, tmp, visit]\n"
                       "(0008,0060) = \"MR\" ? project := \"P2\"\n"
                       "(0010,0010) := subject\n"
                       "(0010,0020) := visit\n",
                       vars);

    assert_string_equal(apr_hash_get(vars, "session", APR_HASH_KEY_STRING), "SUBJ001_MR_");
    assert_string_equal(apr_hash_get(vars, "project", APR_HASH_KEY_STRING), "P2");
    assert_string_equal(apr_hash_get(vars, "tmp", APR_HASH_KEY_STRING), "MR");
    assert_string_equal(apr_hash_get(vars, "subject", APR_HASH_KEY_STRING), "SUBJ001");
    assert_val(ds, "(0010,0010)", "SUBJ001");
    /* an absent value removes the element: nothing identifying is kept by mistake */
    assert_absent(ds, "(0010,0020)");
}

/* ---- functions ----------------------------------------------------------------------- */
static void string_functions(void **state)
{
    apr_pool_t *p = *state;
    memds *ds = run_ok(
        p,
        "version \"6.1\"\n"
        "(0010,2000) := substring[(0010,0010), 0, 3]\n"
        "(0010,2001) := substring[\"h\\u00e9llo\", 1, 3]\n"
        "(0010,2002) := substring[(0010,0010), 4]\n"
        "(0010,2003) := replace[(0010,0010), \"o\", \"0\"]\n"
        "(0010,2004) := match[(0008,103E), \"_([a-z]+)_\", 1]\n"
        "(0010,2005) := match[(0008,103E), \"^x\", 0]\n"
        "(0010,2006) := ismatch[(0008,103E), \"t1.*\"]\n"
        "(0010,2007) := ismatch[(0008,103E), \"t1\"]\n"
        "(0010,2008) := concatenate[subject, \"-\", (0010,9999), 7]\n"
        "(0010,2009) := format[\"'{0}' is {0}, it''s {1}, {2}\", \"x\", (0010,9999)]\n"
        "(0010,200A) := lowercase[\"ABC def\"]\n"
        "(0010,200B) := hashUID[\"1.2.840.113619.2.55.3\", \"SHA-1\"]\n"
        "(0010,200C) := shiftDateTimeByIncrement[\"20120101\", \"-1\"]\n"
        "(0010,200D) := shiftDateTimeByIncrement[\"2012022823\", \"2\", \"hours\"]\n"
        "(0010,200E) := shiftDateTimeByIncrement[\"20121231235959.5\", 1]\n"
        "(0010,200F) := shiftDateByIncrement[\"20120301\\\\20000101\", 1]\n"
        "(0010,2010) := shiftDateByIncrement[\"20240229\", 365]\n"
        "(0010,2011) := newUID[]\n"
        "(0010,2012) := newUID[]\n"
        "(0010,2013) := shiftDateByIncrement[(0010,9999), 1]\n"
        "(0010,2014) := shiftDateByIncrement[\"\", 1]\n",
        NULL);

    assert_val(ds, "(0010,2000)", "Doe");
    assert_val(ds, "(0010,2001)", "\xc3\xa9l");
    assert_val(ds, "(0010,2002)", "John");
    assert_val(ds, "(0010,2003)", "D0e^J0hn");
    assert_val(ds, "(0010,2004)", "mprage");
    assert_absent(ds, "(0010,2005)");
    assert_val(ds, "(0010,2006)", "true");
    assert_val(ds, "(0010,2007)", "false");
    assert_val(ds, "(0010,2008)", "SUBJ001-7");
    assert_val(ds, "(0010,2009)", "{0} is x, it's , {2}");
    assert_val(ds, "(0010,200A)", "abc def");
    /* python3: "2.25." + str(uuid.uuid5(uuid.NAMESPACE_OID, "1.2.840.113619.2.55.3").int) */
    assert_val(ds, "(0010,200B)", "2.25.190581070304901864173417036863213814310");
    assert_val(ds, "(0010,200C)", "20111231");
    assert_val(ds, "(0010,200D)", "2012022901");
    assert_val(ds, "(0010,200E)", "20130101000000.5");
    assert_val(ds, "(0010,200F)", "20120302\\20000102");
    assert_val(ds, "(0010,2010)", "20250228");
    assert_int_equal(strncmp(val(ds, "(0010,2011)"), "2.25.", 5), 0);
    assert_true(strlen(val(ds, "(0010,2011)")) <= 64);
    assert_string_not_equal(val(ds, "(0010,2011)"), val(ds, "(0010,2012)"));
    assert_absent(ds, "(0010,2013)");
    assert_val(ds, "(0010,2014)", "");
}

static void runtime_errors_reject_with_the_line(void **state)
{
    apr_pool_t *p = *state;
    arca_error_t *err;

    err = run_error(p, "version \"6.1\"\n\n(0010,0030) := shiftDateByIncrement[(0010,0010), \"1\"]\n");
    assert_string_equal(err->message,
                        "line 3: shiftDateByIncrement: (0010,0010) is not a date (YYYYMMDD)");
    err = run_error(p, "version \"6.1\"\n(0008,002A) := shiftDateTimeByIncrement[(0010,0010), 5]\n");
    assert_non_null(strstr(err->message, "line 2: "));
    assert_null(strstr(err->message, "Doe"));
    err = run_error(p, "version \"6.1\"\n(0008,0020) := shiftDateByIncrement[(0008,0020), \"x\"]\n");
    assert_non_null(strstr(err->message, "line 2: "));
    err = run_error(p, "version \"6.1\"\n(0008,0020) := shiftDateByIncrement[\"20120230\", 1]\n");
    assert_non_null(strstr(err->message, "argument 1 is not a date"));
    err = run_error(p, "version \"6.1\"\nx := substring[(0010,0010), 2, 99]\n");
    assert_string_equal(err->message, "line 2: substring: end index out of range");
    err = run_error(p, "version \"6.1\"\nr := \"(\"\n(0010,0010) ~ r ? -(0010,0010)\n");
    assert_non_null(strstr(err->message, "line 3: bad regular expression"));
}

/* Stacked and nested repetitions are refused before regcomp, which unrolls them into a
 * program exponential in size (found by tests/fuzz: "^SUBJ\\\\+++...+" took over 2 GB). */
static void regex_repetitions_are_capped(void **state)
{
    apr_pool_t *p = *state;
    static const char *const refused[] = {
        "^SUBJ\\\\++++++++++++++++++++++$", "a**************************",
        "(x{100}){200}", "((a+)+)+b{5000}{3}", "x{99999}",
    };
    static const char *const accepted[] = {
        "^SUBJ[0-9]+$", "[[:alpha:]]{2,8}_(a|b)*c{3}", "\\d{4}-[]a-z]+", "x{500}", "a{2,}",
        "[+*]+",
    };
    arca_error_t *err;
    size_t k;

    for (k = 0; k < sizeof refused / sizeof refused[0]; k++) {
        err = compile_error(p, apr_psprintf(p, "version \"6.1\"\n(0010,0010) ~ \"%s\" ? -(0010,0010)\n",
                                            refused[k]));
        if (!strstr(err->message, "line 2: bad regular expression: too many repetitions"))
            fail_msg("'%s': %s", refused[k], err->message);
    }
    for (k = 0; k < sizeof accepted / sizeof accepted[0]; k++)
        assert_non_null(compile(p, apr_psprintf(p, "version \"6.1\"\nx := ismatch[(0010,0010), "
                                                "\"%s\"]\n", accepted[k])));
    /* a pattern computed at run time is held to the same cap */
    err = run_error(p, "version \"6.1\"\nr := concatenate[\"a+++++++++++\", \"++++++++++++\"]\n"
                       "(0010,0010) ~ r ? -(0010,0010)\n");
    assert_non_null(strstr(err->message, "line 3: bad regular expression: too many repetitions"));
}

/* ---- Basic Profile ------------------------------------------------------------------- */
typedef struct {
    apr_pool_t *p;
    apr_hash_t *map;
    int calls;
} uid_table;

static arca_error_t *map_uid(void *baton, apr_pool_t *p, const char *uid, const char **out)
{
    uid_table *t = baton;
    const char *have = apr_hash_get(t->map, uid, APR_HASH_KEY_STRING);

    t->calls++;
    if (!have) {
        have = apr_psprintf(t->p, "2.25.%u", apr_hash_count(t->map) + 1000);
        apr_hash_set(t->map, apr_pstrdup(t->p, uid), APR_HASH_KEY_STRING, have);
    }
    *out = have;
    return ARCA_OK;
}

static void basic_profile(void **state)
{
    apr_pool_t *p = *state;
    arca_deid_program *prog;
    uid_table t = {p, apr_hash_make(p), 0};
    arca_deid_env env = {NULL, map_uid, &t};
    memds *ds = memds_sample(p), *ds2 = memds_sample(p);
    int k;

    assert_null(arca_deid_basic_profile(p, NULL, &prog));
    memds_put(ds, "(0002,0003)", NULL, val(ds, "(0008,0018)"));
    assert_null(arca_deid_run(prog, &memds_ops, ds, &env, p));
    /* Z */
    assert_val(ds, "(0010,0010)", "");
    assert_val(ds, "(0010,0020)", "");
    assert_val(ds, "(0008,0020)", "");
    assert_val(ds, "(0008,0050)", "");
    assert_val(ds, "(0008,0090)", "");
    /* D */
    assert_val(ds, "(0008,0021)", "19000101");
    assert_val(ds, "(0008,002A)", "19000101000000");
    assert_val(ds, "(0008,0080)", "ANONYMIZED");
    assert_val(ds, "(0008,1010)", "ANONYMIZED");
    assert_val(ds, "(0018,1030)", "ANONYMIZED");
    /* X, at any depth, and sequences */
    assert_absent(ds, "(0010,1010)");
    assert_absent(ds, "(0010,1040)");
    assert_absent(ds, "(0010,1002)");
    assert_absent(ds, "(0040,0275)");
    assert_absent(ds, "(0008,1030)");
    assert_absent(ds, "(0008,103E)");
    assert_absent(ds, "(0008,1110)");
    assert_absent(ds, "(5000,3000)");
    for (k = 0; k < ds->els->nelts; k++)
        if ((((memel *)ds->els->elts)[k].tag >> 16) & 1)
            fail_msg("private element left: %s", ((memel *)ds->els->elts)[k].path);
    /* K */
    assert_val(ds, "(0008,0060)", "MR");
    assert_val(ds, "(0008,0016)", "1.2.840.10008.5.1.4.1.1.4");
    assert_val(ds, "(0008,1140)[0]/(0008,1150)", "1.2.840.10008.5.1.4.1.1.4");
    /* U through the caller's table, consistent across elements */
    assert_string_equal(val(ds, "(0002,0003)"), val(ds, "(0008,0018)"));
    assert_string_equal(val(ds, "(0008,0018)"),
                        apr_hash_get(t.map, "1.3.12.2.1107.5.2.32.35162.2012021516183798316504321",
                                     APR_HASH_KEY_STRING));
    assert_string_equal(val(ds, "(0008,1140)[1]/(0008,1155)"),
                        apr_hash_get(t.map, "1.3.12.2.1107.5.2.32.35162.2", APR_HASH_KEY_STRING));
    assert_int_equal(strncmp(val(ds, "(0020,000D)"), "2.25.", 5), 0);
    /* marks */
    assert_val(ds, "(0012,0062)", "YES");
    assert_non_null(val(ds, "(0012,0063)"));
    assert_val(ds, "(0012,0064)[0]/(0008,0100)", "113100");
    assert_val(ds, "(0012,0064)[0]/(0008,0102)", "DCM");
    /* a second instance of the series maps to the same UIDs */
    assert_null(arca_deid_run(prog, &memds_ops, ds2, &env, p));
    assert_string_equal(val(ds2, "(0020,000E)"), val(ds, "(0020,000E)"));
    assert_string_equal(val(ds2, "(0020,000D)"), val(ds, "(0020,000D)"));

    /* without a table: hashUID */
    ds = memds_sample(p);
    assert_null(arca_deid_basic_profile(p, "Arca test profile", &prog));
    assert_null(arca_deid_run(prog, &memds_ops, ds, NULL, p));
    assert_string_equal(val(ds, "(0020,000D)"), arca_deid_hash_uid(p, "1.2.840.113619.2.55.3.1"));
    assert_val(ds, "(0012,0063)", "Arca test profile");
}

/* ---- throughput (a figure for the report; asserts only that it runs) --------------- */
static void throughput_of_examples(void **state)
{
    apr_pool_t *p = *state;
    const char *scripts[] = {example_b, example_c};
    const char *names[] = {"B", "C"};
    int s;

    for (s = 0; s < 2; s++) {
        arca_deid_program *prog = compile(p, scripts[s]);
        apr_pool_t *it;
        apr_time_t start = apr_time_now(), took;
        int n = 2000, k;

        apr_pool_create(&it, p);
        for (k = 0; k < n; k++) {
            memds *ds = memds_sample(it);
            arca_deid_env env = {xnat_vars(it), NULL, NULL};

            assert_null(arca_deid_run(prog, &memds_ops, ds, &env, it));
            apr_pool_clear(it);
        }
        took = apr_time_now() - start;
        print_message("example %s: %d datasets in %.1f ms (%.0f/s, incl. building each)\n",
                      names[s], n, took / 1000.0, n / (took / 1e6));
        apr_pool_destroy(it);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_line_is_required),
        cmocka_unit_test(syntax_errors_name_the_line_not_the_literals),
        cmocka_unit_test(ignored_statements_parse),
        cmocka_unit_test(example_a_xnat_default),
        cmocka_unit_test(example_b_site_profile),
        cmocka_unit_test(example_c_project_script),
        cmocka_unit_test(example_c_keeps_a_subject_label_and_skips_absent),
        cmocka_unit_test(sequence_paths),
        cmocka_unit_test(wildcards_and_private_paths),
        cmocka_unit_test(conditions),
        cmocka_unit_test(variables_are_read_back),
        cmocka_unit_test(string_functions),
        cmocka_unit_test(runtime_errors_reject_with_the_line),
        cmocka_unit_test(regex_repetitions_are_capped),
        cmocka_unit_test(basic_profile),
        cmocka_unit_test(throughput_of_examples),
    };
    return RUN(tests);
}
