/* The search parsers (XML, JSON) and compiler: the SQL text and parameters for a set of
 * searches, and every refusal. */
#include <stdint.h>

#include "test_util.h"

#include "format/xml_read.h"
#include "search/search.h"

#define XDAT "xmlns:xdat=\"http://nrg.wustl.edu/security\""

static const char *crit(apr_pool_t *p, const char *field, const char *op, const char *value)
{
    return apr_psprintf(p, "<xdat:criteria><xdat:schema_field>%s</xdat:schema_field>"
                        "<xdat:comparison_type>%s</xdat:comparison_type><xdat:value>%s"
                        "</xdat:value></xdat:criteria>", field, op, value);
}

static const char *doc(apr_pool_t *p, const char *root, const char *fields, const char *method,
                       const char *where)
{
    return apr_psprintf(p, "<xdat:bundle " XDAT " ID=\"@%s\"><xdat:root_element_name>%s"
                        "</xdat:root_element_name>%s<xdat:search_where method=\"%s\">%s"
                        "</xdat:search_where></xdat:bundle>", root, root, fields, method,
                        where);
}

static const char *field(apr_pool_t *p, const char *element, const char *id)
{
    return apr_psprintf(p, "<xdat:search_field><xdat:element_name>%s</xdat:element_name>"
                        "<xdat:field_ID>%s</xdat:field_ID><xdat:sequence>0</xdat:sequence>"
                        "</xdat:search_field>", element, id);
}

static arca_search_t *parse(apr_pool_t *p, const char *xml)
{
    arca_search_t *s = NULL;
    arca_error_t *err = arca_search_parse_xml(p, xml, strlen(xml), &s);

    if (err)
        fail_msg("parse: %s", err->message);
    return s;
}

static arca_search_sql_t *compile(apr_pool_t *p, const arca_search_t *s, int admin,
                                  apr_hash_t *types)
{
    arca_search_ctx_t ctx = {admin ? "1" : "42", admin, types};
    arca_search_sql_t *q = NULL;
    arca_error_t *err = arca_search_compile(p, s, &ctx, &q);

    if (err)
        fail_msg("compile: %s", err->message);
    return q;
}

static arca_error_t *refusal_xml(apr_pool_t *p, const char *xml)
{
    arca_search_t *s;
    arca_search_sql_t *q;
    arca_search_ctx_t ctx = {"1", 1, NULL};
    arca_error_t *err = arca_search_parse_xml(p, xml, strlen(xml), &s);

    return err ? err : arca_search_compile(p, s, &ctx, &q);
}

static void assert_refused(apr_pool_t *p, arca_error_t *err, int status, const char *says)
{
    assert_non_null(err);
    if (err->status != status || strstr(err->message, says) == NULL)
        fail_msg("expected %d '%s', got %d '%s'", status, says, err->status, err->message);
    assert_true(strlen(err->message) < 400);
}

#define assert_contains(hay, needle)                                                    \
    do {                                                                                \
        if (strstr((hay), (needle)) == NULL)                                            \
            fail_msg("'%s'\n  does not contain\n'%s'", (hay), (needle));              \
    } while (0)

#define PARAM(q, i) APR_ARRAY_IDX((q)->params, i, const char *)
#define HEADER(q, i) APR_ARRAY_IDX((q)->headers, i, const char *)

static void subjects_of_a_project(void **state)
{
    apr_pool_t *p = *state;
    arca_search_t *s = parse(p, doc(p, "xnat:subjectData",
                                    apr_pstrcat(p, field(p, "xnat:subjectData", "SUBJECT_LABEL"),
                                                field(p, "xnat:subjectData", "PROJECT"), NULL),
                                    "AND", crit(p, "xnat:subjectData/PROJECT", "=", "P1")));
    arca_search_sql_t *q = compile(p, s, 1, NULL);

    assert_string_equal(q->sql,
        "SELECT (l.label)::text, (o.project)::text FROM arca_subject o JOIN "
        "arca_subject_label l ON l.subject_id = o.id AND l.is_primary WHERE "
        "((o.project = $1)) ORDER BY l.label, o.id");
    assert_int_equal(q->params->nelts, 1);
    assert_string_equal(PARAM(q, 0), "P1");
    assert_string_equal(HEADER(q, 0), "subject_label");
    assert_string_equal(HEADER(q, 1), "project");
}

static void access_goes_into_the_sql(void **state)
{
    apr_pool_t *p = *state;
    arca_search_t *s = parse(p, doc(p, "xnat:ctSessionData",
                                    field(p, "xnat:ctSessionData", "LABEL"), "AND", ""));
    arca_search_sql_t *q = compile(p, s, 0, NULL);

    assert_string_equal(q->sql,
        "SELECT (l.label)::text FROM arca_experiment o JOIN arca_experiment_label l ON "
        "l.experiment_id = o.id AND l.is_primary WHERE o.xsi_type = $1 AND EXISTS "
        "(SELECT 1 FROM arca_experiment_label x WHERE x.experiment_id = o.id AND x.project IN "
        "(SELECT id FROM arca_project WHERE accessibility = 'public' UNION SELECT project FROM "
        "arca_project_member WHERE account_id = $2::bigint)) AND true ORDER BY l.label, o.id");
    assert_string_equal(PARAM(q, 0), "xnat:ctSessionData");
    assert_string_equal(PARAM(q, 1), "42");
}

static void typed_fields_and_operators(void **state)
{
    apr_pool_t *p = *state;
    const char *where = apr_pstrcat(p,
        crit(p, "xnat:subjectData/YOB", "&lt;", "1980"),
        crit(p, "xnat:subjectData/DOB", "&gt;=", "1950-01-01"),
        crit(p, "xnat:subjectData/SUBJECT_LABEL", "LIKE", "ph%"),
        crit(p, "xnat:subjectData/GENDER_TEXT", "IN", "male, 'female'"),
        crit(p, "xnat:subjectData/HANDEDNESS_TEXT", "IS NULL", ""),
        crit(p, "xnat:subjectData/RACE", "!=", "x"), NULL);
    arca_search_sql_t *q = compile(p, parse(p, doc(p, "xnat:subjectData", "", "OR", where)),
                                   1, NULL);

    assert_contains(q->sql, "WHERE ((o.yob < $1::bigint) OR (o.dob >= $2::date) OR "
                           "((l.label)::text ILIKE $3)");
    assert_contains(q->sql, "(l.label)::text ILIKE $3) OR (o.gender = ANY($4::text[])) "
                           "OR (coalesce((o.handedness)::text, '') = '') OR (o.race <> $5)) ORDER BY");
    assert_string_equal(PARAM(q, 3), "{\"male\",\"female\"}");
    /* no columns asked: XNAT's default display fields of subjects */
    assert_string_equal(HEADER(q, 0), "subjectid");
    assert_string_equal(HEADER(q, 1), "project");
    assert_string_equal(HEADER(q, 2), "subject_label");
}

/* What xnatpy sends: search fields named by schema paths under their type, element names
 * in any case, ' LIKE ' with '*', dates as MM/DD/YYYY. */
static void xnatpy_searches(void **state)
{
    apr_pool_t *p = *state;
    const char *fields = apr_pstrcat(p, field(p, "xnat:mrSessionData", "xnat:mrSessionData/ID"),
                                     field(p, "xnat:mrSessionData", "xnat:MRSESSIONDATA/project"),
                                     field(p, "xnat:mrSessionData",
                                           "xnat:mrSessionData/subject_ID"),
                                     field(p, "xnat:mrSessionData", "LABEL"), NULL);
    const char *where = apr_pstrcat(p, crit(p, "xnat:mrSessionData/label", " LIKE ", "MR\\**_%"),
                                    crit(p, "XNAT:mrsessiondata/date", "&gt;=", "01/31/2024"),
                                    crit(p, "xnat:mrSessionData/DATE", "IN",
                                         "02/29/2024,2024-03-01"), NULL);
    arca_search_t *s = parse(p, doc(p, "xnat:MRSessionData", fields, "AND", where));
    arca_search_sql_t *q = compile(p, s, 1, NULL);
    const char *xml;

    assert_string_equal(s->root, "xnat:mrSessionData");
    assert_string_equal(HEADER(q, 0), "session_id");
    assert_string_equal(HEADER(q, 1), "project");
    assert_string_equal(HEADER(q, 2), "subject_id");
    assert_string_equal(HEADER(q, 3), "label");
    assert_contains(q->sql, "ILIKE $1");
    assert_string_equal(PARAM(q, 0), "MR\\*%_%");
    assert_string_equal(PARAM(q, 1), "2024-01-31");
    assert_string_equal(PARAM(q, 2), "{\"2024-02-29\",\"2024-03-01\"}");
    /* stored as sent: qualified fields stay qualified, so they head their columns alike */
    assert_null(arca_search_to_xml(p, s, &xml));
    assert_contains(xml, "<xdat:field_ID>xnat:mrSessionData/ID</xdat:field_ID>");
    assert_contains(xml, "<xdat:field_ID>LABEL</xdat:field_ID>");
    q = compile(p, parse(p, xml), 1, NULL);
    assert_string_equal(HEADER(q, 0), "session_id");
    /* no search field: XNAT's display fields of sessions */
    q = compile(p, parse(p, doc(p, "xnat:mrSessionData", "", "AND", "")), 1, NULL);
    assert_string_equal(HEADER(q, 0), "session_id");
    assert_string_equal(HEADER(q, 2), "subject_id");
    assert_string_equal(HEADER(q, 4), "project");
    q = compile(p, parse(p, doc(p, "xnat:projectData", "", "AND", "")), 1, NULL);
    assert_string_equal(HEADER(q, 0), "id");
    assert_string_equal(HEADER(q, 4), "pi");
}

static void custom_variables_are_typed(void **state)
{
    apr_pool_t *p = *state;
    apr_hash_t *types = apr_hash_make(p);
    const char *kvp = "xnat:subjectData/fields/field[name=kVp]/field";
    const char *where = apr_pstrcat(p, crit(p, kvp, "&gt;=", "100"), crit(p, kvp, "&lt;", "130"),
                                    crit(p, "xnat:subjectData/fields/field[name=scanner]/field",
                                         "=", "GE"), NULL);
    arca_search_t *s = parse(p, doc(p, "xnat:subjectData",
                                    field(p, "xnat:subjectData",
                                          "fields/field[name=kvp]/field"), "AND", where));
    arca_search_sql_t *q;

    apr_hash_set(types, "subject/kvp", APR_HASH_KEY_STRING,
                 (void *)(intptr_t)(ARCA_TYPE_INTEGER + 1));
    q = compile(p, s, 1, types);
    /* the two conditions on kvp are one index range; the text one compares as text */
    assert_string_equal(q->sql,
        "SELECT (coalesce(o.fields ->> $1, ''))::text FROM arca_subject o JOIN "
        "arca_subject_label l ON l.subject_id = o.id AND l.is_primary WHERE "
        "((o.id IN (SELECT v.subject_id FROM arca_subject_value v WHERE v.name = $2 AND "
        "((v.name = $2 AND v.num >= $3::float8) AND (v.name = $4 AND v.num < $5::float8)))) "
        "AND (o.id IN (SELECT v.subject_id FROM arca_subject_value v WHERE v.name = $6 AND "
        "((v.name = $6 AND v.txt = $7))))) ORDER BY l.label, o.id");
    assert_string_equal(PARAM(q, 1), "kvp");
    assert_string_equal(PARAM(q, 2), "100");
    assert_string_equal(HEADER(q, 0), "fields/field[name=kvp]/field");
    /* untyped: the same search compares kvp as text */
    q = compile(p, s, 1, NULL);
    assert_contains(q->sql, "v.txt >= $3");
}

static void other_types_are_semi_joins(void **state)
{
    apr_pool_t *p = *state;
    const char *where = apr_pstrcat(p,
        crit(p, "xnat:ctSessionData/SCANNER", "=", "A"),
        crit(p, "xnat:ctSessionData/DATE", "&lt;", "2024-01-01"),
        crit(p, "xnat:projectData/ID", "=", "P1"), NULL);
    arca_search_t *s = parse(p, doc(p, "xnat:subjectData",
                                    apr_pstrcat(p, field(p, "xnat:subjectData", "SUBJECT_LABEL"),
                                                field(p, "xnat:ctSessionData", "SCANNER"), NULL),
                                    "AND", where));
    arca_search_sql_t *q = compile(p, s, 1, NULL);

    /* both session conditions in one subquery: the same session */
    assert_contains(q->sql, "o.id IN (SELECT o.subject_id FROM arca_experiment o ");
    assert_contains(q->sql, "WHERE ((o.scanner = $2) AND (o.date < $3::date)) AND "
                           "o.xsi_type = $5)");
    assert_contains(q->sql, "o.project IN (SELECT o.id FROM arca_project o WHERE "
                           "((o.id = $4)))");
    /* a column of sessions: their distinct values, through the row's keys */
    assert_contains(q->sql, "(SELECT string_agg(DISTINCT (o.scanner)::text, ', ') FROM "
                           "arca_experiment o");
    assert_contains(q->sql, "CROSS JOIN LATERAL (SELECT o.id, o.project) k");
    assert_string_equal(HEADER(q, 1), "xnat_ctsessiondata_scanner");
}

static void sessions_by_subject_variables(void **state)
{
    apr_pool_t *p = *state;
    arca_search_t *s = parse(p, doc(p, "xnat:ctSessionData", "", "AND",
                                    crit(p, "xnat:subjectData/fields/field[name=recon]/field",
                                         "=", "ADMIRE")));
    arca_search_sql_t *q = compile(p, s, 1, NULL);

    /* who sees all: straight to the subjects' values */
    assert_contains(q->sql, "o.subject_id IN (SELECT v.subject_id FROM arca_subject_value v "
                            "WHERE v.name = $");
    /* others: by the joined subject, which only joins when the user may read it */
    q = compile(p, s, 0, NULL);
    assert_contains(q->sql, "LEFT JOIN LATERAL (SELECT o.id AS c1 FROM arca_subject o WHERE "
                            "o.id = k.subject_id AND EXISTS (SELECT 1 FROM arca_subject_label x "
                            "WHERE x.subject_id = o.id AND x.project IN");
    assert_contains(q->sql, "(js.c1 IN (SELECT v.subject_id FROM arca_subject_value v WHERE "
                            "v.name = $");
}

/* A session's subject, a scan's session and subject: one join each, not a subquery per
 * row; criteria of the top AND group inside the join (an inner join), others a boolean
 * column of an outer join. */
static void single_related_rows_are_joins(void **state)
{
    apr_pool_t *p = *state;
    const char *cols = apr_pstrcat(p, field(p, "xnat:ctSessionData", "LABEL"),
                                   field(p, "xnat:subjectData", "SUBJECT_LABEL"),
                                   field(p, "xnat:subjectData",
                                         "fields/field[name=recon]/field"), NULL);
    arca_search_t *s = parse(p, doc(p, "xnat:ctSessionData", cols, "AND",
                                    crit(p, "xnat:subjectData/GENDER_TEXT", "=", "female")));
    arca_search_sql_t *q = compile(p, s, 1, NULL);

    assert_string_equal(q->sql,
        "SELECT (l.label)::text, js.c1, js.c2 FROM arca_experiment o JOIN "
        "arca_experiment_label l ON l.experiment_id = o.id AND l.is_primary CROSS JOIN LATERAL "
        "(SELECT o.id, o.subject_id, o.project) k JOIN LATERAL (SELECT (l.label)::text AS c1, "
        "(coalesce(cv1.txt, ''))::text AS c2 FROM arca_subject o JOIN "
        "arca_subject_label l ON l.subject_id = o.id AND l.is_primary LEFT JOIN "
        "arca_subject_value cv1 ON cv1.subject_id = o.id AND cv1.name = $1 "
        "WHERE o.id = k.subject_id "
        "AND ((o.gender = $2))) js ON true WHERE o.xsi_type = $3 AND true "
        "ORDER BY l.label, o.id");
    assert_string_equal(PARAM(q, 0), "recon");
    assert_string_equal(PARAM(q, 1), "female");
    assert_string_equal(HEADER(q, 1), "xnat_subjectdata_subject_label");

    /* in an OR: a boolean of the (outer) join, so that sessions without a match stay */
    s = parse(p, doc(p, "xnat:ctSessionData", cols, "OR", apr_pstrcat(p,
                     crit(p, "xnat:subjectData/GENDER_TEXT", "=", "female"),
                     crit(p, "xnat:ctSessionData/SCANNER", "=", "A"), NULL)));
    q = compile(p, s, 0, NULL);
    assert_contains(q->sql, "LEFT JOIN LATERAL (SELECT (l.label)::text AS c1, "
                            "(coalesce(cv1.txt, ''))::text AS c2, ((o.gender = $2)) AS c3 "
                            "FROM arca_subject o JOIN arca_subject_label l ON l.subject_id = o.id "
                            "AND l.is_primary LEFT JOIN arca_subject_value cv1 ON cv1.subject_id "
                            "= o.id AND cv1.name = $1 WHERE o.id = k.subject_id AND EXISTS "
                            "(SELECT 1 FROM "
                            "arca_subject_label x WHERE x.subject_id = o.id AND x.project IN");
    assert_contains(q->sql, "AND ((o.scanner = $3) OR (js.c3)) ORDER BY");
    assert_true(strstr(q->sql, "IN (SELECT o.id FROM arca_subject") == NULL);

    /* a scan's session (criteria and a column of its type) and subject (through it) */
    s = parse(p, doc(p, "xnat:ctScanData", apr_pstrcat(p, field(p, "xnat:ctScanData", "ID"),
                     field(p, "xnat:ctSessionData", "LABEL"),
                     field(p, "xnat:subjectData", "SUBJECT_LABEL"), NULL), "AND",
                     crit(p, "xnat:ctSessionData/DATE", "&gt;=", "2024-01-01")));
    q = compile(p, s, 0, NULL);
    assert_contains(q->sql, "SELECT (o.id)::text, je.c1, js.c1 FROM arca_scan o CROSS JOIN "
                            "LATERAL (SELECT o.pk, o.experiment_id) k JOIN LATERAL (SELECT CASE "
                            "WHEN o.xsi_type = $1 THEN (l.label)::text END AS c1 FROM "
                            "arca_experiment o JOIN arca_experiment_label l ON");
    /* (the session's access is the scan's own, applied to the root rows) */
    assert_contains(q->sql, "WHERE o.id = k.experiment_id AND (((o.date >= $2::date)) AND "
                            "o.xsi_type = $3)) je ON true");
    assert_contains(q->sql, "LEFT JOIN LATERAL (SELECT (l.label)::text AS c1 FROM arca_subject "
                            "o JOIN arca_subject_label l ON l.subject_id = o.id AND l.is_primary, "
                            "arca_experiment jx WHERE jx.id = k.experiment_id AND o.id = "
                            "jx.subject_id AND EXISTS (SELECT 1 FROM arca_subject_label x WHERE "
                            "x.subject_id = o.id AND x.project IN");
    /* the scans' own access filter still applies to the root rows */
    assert_contains(q->sql, "x.experiment_id = o.experiment_id AND x.project IN");
}

static void xml_round_trip(void **state)
{
    apr_pool_t *p = *state;
    const char *where = apr_pstrcat(p, crit(p, "xnat:subjectData/PROJECT", "=", "P&amp;1"),
                                    "<xdat:child_set method=\"OR\">",
                                    crit(p, "xnat:subjectData/YOB", "IN", "1,2"),
                                    "</xdat:child_set>", NULL);
    arca_search_t *s = parse(p, doc(p, "xnat:subjectData",
                                    field(p, "xnat:subjectData", "SUBJECT_LABEL"), "AND", where)), *t;
    const char *xml;

    s->id = "mine";
    assert_null(arca_search_to_xml(p, s, &xml));
    assert_non_null(strstr(xml, "<xdat:stored_search"));
    assert_non_null(strstr(xml, "P&amp;1"));
    t = parse(p, xml);
    assert_string_equal(t->root, "xnat:subjectData");
    assert_string_equal(t->id, "mine");
    assert_int_equal(t->where->children->nelts, 2);
    assert_int_equal(APR_ARRAY_IDX(t->where->children, 1, arca_search_node_t *)->is_or, 1);
    assert_string_equal(APR_ARRAY_IDX(t->where->children, 0, arca_search_node_t *)->value, "P&1");
}

static void json_form(void **state)
{
    apr_pool_t *p = *state;
    const char *j = "{\"root\":\"xnat:ctSessionData\",\"columns\":[\"xnat:ctSessionData/LABEL\"],"
                    "\"where\":{\"or\":[{\"field\":\"xnat:ctSessionData/SCANNER\",\"value\":\"A\"},"
                    "{\"and\":[{\"field\":\"xnat:ctSessionData/DATE\",\"op\":\">\",\"value\":"
                    "\"2020-01-01\"},{\"field\":\"xnat:ctSessionData/ID\",\"op\":\"in\","
                    "\"value\":[\"E1\",2]}]}]},\"sort\":{\"field\":\"xnat:ctSessionData/DATE\","
                    "\"order\":\"desc\"},\"limit\":10}";
    arca_search_t *s;
    arca_search_sql_t *q;

    assert_null(arca_search_parse_json(p, j, strlen(j), &s));
    q = compile(p, s, 1, NULL);
    assert_contains(q->sql, "WHERE o.xsi_type = $4 AND ((o.scanner = $1) OR "
                           "(((o.date > $2::date) AND (o.id = ANY($3::text[]))))) ORDER BY");
    assert_contains(q->sql, "ORDER BY o.date DESC NULLS LAST, l.label, o.id LIMIT 10");
    assert_string_equal(PARAM(q, 2), "{\"E1\",\"2\"}");
}

static void json_refusals(void **state)
{
    apr_pool_t *p = *state;
    static const struct { const char *doc, *says; } cases[] = {
        {"[", "not JSON"},
        {"[]", "must be a JSON object"},
        {"{}", "root"},
        {"{\"root\":\"xnat:subjectData\",\"extra\":1}", "unknown key 'extra'"},
        {"{\"root\":\"xnat:subjectData\",\"where\":{\"and\":[{\"field\":\"x\"}]}}",
         "where.and[0].field"},
        {"{\"root\":\"xnat:subjectData\",\"where\":{\"and\":[{\"field\":\"a:bData/c\",\"op\":"
         "\"EQ\",\"value\":1}]}}", "where.and[0].op: unknown comparison 'EQ'"},
        {"{\"root\":\"xnat:subjectData\",\"where\":{\"and\":[{\"field\":\"a:bData/c\",\"op\":"
         "\"IN\",\"value\":1}]}}", "where.and[0].value: IN takes an array"},
        {"{\"root\":\"xnat:subjectData\",\"where\":{\"and\":[],\"or\":[]}}", "exactly one key"},
        {"{\"root\":\"xnat:subjectData\",\"where\":{\"and\":[{\"field\":\"a:bData/c\","
         "\"value\":null}]}}", "where.and[0].value"},
        {"{\"root\":\"xnat:subjectData\",\"sort\":{\"field\":\"xnat:subjectData/ID\","
         "\"order\":\"up\"}}", "sort.order"},
        {"{\"root\":\"xnat:subjectData\",\"limit\":\"ten\"}", "limit"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arca_search_t *s;
        assert_refused(p, arca_search_parse_json(p, cases[i].doc, strlen(cases[i].doc), &s),
                       400, cases[i].says);
    }
}

static void xml_refusals(void **state)
{
    apr_pool_t *p = *state;
    const char *in_list = "0", *many = "", *deep = "";
    char *big;

    for (int i = 1; i <= ARCA_SEARCH_MAX_IN; i++)
        in_list = apr_psprintf(p, "%s,%d", in_list, i);
    for (int i = 0; i <= ARCA_SEARCH_MAX_CRITERIA; i++)
        many = apr_pstrcat(p, many, crit(p, "xnat:subjectData/ID", "=", "x"), NULL);
    for (int i = 0; i < ARCA_SEARCH_MAX_DEPTH; i++)
        deep = apr_pstrcat(p, "<xdat:child_set>", deep, "</xdat:child_set>", NULL);
    big = apr_palloc(p, ARCA_SEARCH_MAX_DOCUMENT + 2);
    memset(big, ' ', ARCA_SEARCH_MAX_DOCUMENT + 1);
    big[ARCA_SEARCH_MAX_DOCUMENT + 1] = '\0';

    assert_refused(p, refusal_xml(p, ""), 400, "no search document");
    assert_refused(p, refusal_xml(p, big), 413, "larger than");
    assert_refused(p, refusal_xml(p, "<a><b></a>"), 400, "not well-formed XML: line 1");
    assert_refused(p, refusal_xml(p, "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                                     "<a>&x;</a>"), 400, "DOCTYPE");
    assert_refused(p, refusal_xml(p, "<a><!ENTITY x 'y'></a>"), 400, "DOCTYPE");
    assert_refused(p, refusal_xml(p, "<xdat:bogus " XDAT "/>"), 400, "root element is <bogus>");
    assert_refused(p, refusal_xml(p, "<xdat:bundle " XDAT "/>"), 400, "root_element_name");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:nope", "", "AND", "")), 400,
                   "'xnat:nope' is not a searchable type");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "XOR", "")), 400,
                   "method 'XOR': use AND or OR");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData",
                                         field(p, "xnat:subjectData", "NOPE"), "AND", "")), 400,
                   "search field 1: unknown field 'xnat:subjectData/NOPE'");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "AND",
                                         crit(p, "xnat:subjectData/NOPE", "=", "x"))), 400,
                   "criteria 1 (line 1): unknown field 'xnat:subjectData/NOPE'");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "AND",
                                         crit(p, "nofield", "=", "x"))), 400,
                   "is not {type}/{field}");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "AND",
                                         crit(p, "xnat:subjectData/ID", "=~", "x"))), 400,
                   "unknown comparison '=~'");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "AND",
                                         crit(p, "xnat:subjectData/YOB", "&gt;", "old"))), 400,
                   "'old' is not a valid integer for xnat:subjectData/YOB");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "AND",
                                         crit(p, "xnat:subjectData/DOB", "=", "2001-02-30"))),
                   400, "use YYYY-MM-DD");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "AND",
                                         crit(p, "xnat:subjectData/ID", "IN", in_list))), 400,
                   "more than 1000 values");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "AND", many)), 400,
                   "more than 200 criteria");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "AND", deep)), 400,
                   "nest deeper than 16");
    assert_refused(p, refusal_xml(p, doc(p, "xnat:subjectData", "", "AND",
                                         crit(p, "xnat:bogus/ID", "=", "x"))), 400,
                   "unknown type 'xnat:bogus'");
    {   /* a long value is never echoed whole */
        char *v = apr_palloc(p, 5000);
        memset(v, 'a', 4999);
        v[4999] = '\0';
        arca_error_t *err = refusal_xml(p, doc(p, "xnat:subjectData", "", "AND",
                                               crit(p, "xnat:subjectData/YOB", "=", v)));
        assert_refused(p, err, 400, "longer than 1024");
        err = refusal_xml(p, doc(p, "xnat:subjectData", "", "AND",
                                 crit(p, "xnat:subjectData/YOB", "=", apr_pstrndup(p, v, 500))));
        assert_refused(p, err, 400, "aaa...");
    }
}

/* An element of n attributes, a, a1 ... */
static char *element_with(apr_pool_t *p, const char *name, int n, const char *rest)
{
    apr_array_header_t *parts = apr_array_make(p, n + 2, sizeof(char *));

    APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(p, "<", name, NULL);
    for (int i = 0; i < n; i++) /* '=' and '>' inside values */
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p, " a%d=\"v=%d>\"", i, i);
    APR_ARRAY_PUSH(parts, const char *) = rest;
    return apr_array_pstrcat(p, parts, '\0');
}

static void xml_counted_before_parsing(void **state)
{
    apr_pool_t *p = *state;
    const char *ok = element_with(p, "a", ARCA_XML_MAX_ATTRIBUTES, "/>");
    const char *many = element_with(p, "a", ARCA_XML_MAX_ATTRIBUTES + 1, "/>");
    const char *quoted = "<a><!-- <!DOCTYPE x> --><![CDATA[<!ENTITY y 'z'> a=b c=d]]>"
                         "<?pi <!DOCTYPE?></a>";
    apr_array_header_t *parts = apr_array_make(p, ARCA_XML_MAX_NODES, sizeof(char *));
    const char *nodes;
    char *attack;
    apr_size_t len = 0;
    apr_time_t t0;
    arca_error_t *err;

    assert_null(arca_xml_check(p, ok, strlen(ok), "the test document"));
    assert_refused(p, arca_xml_check(p, many, strlen(many), "the test document"), 400,
                   "the test document has an element with more than 64 attributes");
    /* markup inside comments, CDATA and processing instructions is not markup */
    assert_null(arca_xml_check(p, quoted, strlen(quoted), "d"));
    assert_refused(p, arca_xml_check(p, "<!DOCTYPE a><a/>", 16, "d"), 400, "DOCTYPE");

    /* the root and its children: at the limit, then one past it */
    APR_ARRAY_PUSH(parts, const char *) = "<r>";
    for (int i = 1; i < ARCA_XML_MAX_NODES; i++)
        APR_ARRAY_PUSH(parts, const char *) = "<b/>";
    APR_ARRAY_PUSH(parts, const char *) = "</r>";
    nodes = apr_array_pstrcat(p, parts, '\0');
    assert_null(arca_xml_check(p, nodes, strlen(nodes), "d"));
    nodes = apr_pstrcat(p, "<r><c/>", nodes + 3, NULL);
    assert_refused(p, arca_xml_check(p, nodes, strlen(nodes), "d"), 400,
                   "more than 200000 nodes");

    /* the search document: 50,000 attributes on one element, refused before
     * libxml2 spends its quadratic time on them */
    attack = element_with(p, "xdat:bundle " XDAT, 50000, "/>");
    len = strlen(attack);
    t0 = apr_time_now();
    err = arca_search_parse_xml(p, attack, len, &(arca_search_t *){NULL});
    print_message("50,000 attributes (%zu bytes) refused in %.3f s\n", (size_t)len,
                  (double)(apr_time_now() - t0) / APR_USEC_PER_SEC);
    assert_refused(p, err, 400, "more than 64 attributes");
}

static void metacharacters_stay_parameters(void **state)
{
    apr_pool_t *p = *state;
    const char *evil = "x'); DROP TABLE arca_subject; --";
    arca_search_sql_t *q = compile(p, parse(p, doc(p, "xnat:subjectData", "", "AND",
                                   apr_pstrcat(p, crit(p, "xnat:subjectData/SUBJECT_LABEL", "=",
                                                       evil),
                                               crit(p, "xnat:subjectData/ID", "IN",
                                                    "a\"b,c\\d"), NULL))), 1, NULL);

    assert_null(strstr(q->sql, "DROP"));
    assert_string_equal(PARAM(q, 0), evil);
    assert_string_equal(PARAM(q, 1), "{\"a\\\"b\",\"c\\\\d\"}");
}

static int collect(void *baton, const char *data, size_t len)
{
    return sink_write(baton, data, len);
}

static void streamed_resultset(void **state)
{
    apr_pool_t *p = *state;
    apr_array_header_t *cols = apr_array_make(p, 2, sizeof(const char *));
    sink_t sink = {p, NULL, 0, -1};
    arca_resultset_stream_t *s;

    APR_ARRAY_PUSH(cols, const char *) = "a";
    APR_ARRAY_PUSH(cols, const char *) = "b";
    s = arca_resultset_stream_open(p, ARCA_FORMAT_JSON, "T", cols, -1, collect, &sink);
    assert_int_equal(arca_resultset_stream_row(s, (const char *const[]){"1", NULL}), 0);
    assert_int_equal(arca_resultset_stream_row(s, (const char *const[]){"x\"y", "2"}), 0);
    assert_int_equal(arca_resultset_stream_close(s), 0);
    assert_string_equal(sink.text, "{\"ResultSet\":{\"Result\":[{\"a\":\"1\",\"b\":\"\"},"
                        "{\"a\":\"x\\\"y\",\"b\":\"2\"}],\"totalRecords\":\"2\",\"title\":\"T\"}}");
    sink = (sink_t){p, NULL, 0, -1};
    s = arca_resultset_stream_open(p, ARCA_FORMAT_CSV, "T", cols, -1, collect, &sink);
    arca_resultset_stream_row(s, (const char *const[]){"1,2", "3"});
    arca_resultset_stream_close(s);
    assert_string_equal(sink.text, "a,b\r\n\"1,2\",3\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subjects_of_a_project),
        cmocka_unit_test(access_goes_into_the_sql),
        cmocka_unit_test(typed_fields_and_operators),
        cmocka_unit_test(xnatpy_searches),
        cmocka_unit_test(custom_variables_are_typed),
        cmocka_unit_test(other_types_are_semi_joins),
        cmocka_unit_test(sessions_by_subject_variables),
        cmocka_unit_test(single_related_rows_are_joins),
        cmocka_unit_test(xml_round_trip),
        cmocka_unit_test(json_form),
        cmocka_unit_test(json_refusals),
        cmocka_unit_test(xml_refusals),
        cmocka_unit_test(xml_counted_before_parsing),
        cmocka_unit_test(metacharacters_stay_parameters),
        cmocka_unit_test(streamed_resultset),
    };
    return arca_run_tests(tests, sizeof tests / sizeof tests[0], "search");
}
