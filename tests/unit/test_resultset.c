/* ResultSet serialisation: the shapes XNAT clients parse. */
#include "test_util.h"
#include <jansson.h>
#include <libxml/parser.h>

#include "format/resultset.h"

static arca_resultset_t *sample(apr_pool_t *p)
{
    static const char *cols[] = {"ID", "name", "URI"};
    arca_resultset_t *rs = arca_resultset_make(p, "Projects", 3, cols);
    static const char *row1[] = {"P1", "Phantom, CT \"daily\"", "/data/projects/P1"};
    static const char *row2[] = {"P2", NULL, "/data/projects/P2"};
    static const char *row3[] = {"P<3>", "a&b\r\nline", "/data/projects/P3"};

    arca_resultset_add(rs, row1);
    arca_resultset_add(rs, row2);
    arca_resultset_add(rs, row3);
    return rs;
}

static const char *write_as(apr_pool_t *p, const arca_resultset_t *rs, arca_format_t fmt)
{
    sink_t s = {p, NULL, 0, -1};

    assert_null(arca_resultset_write(rs, fmt, p, sink_write, &s));
    return s.text;
}

static void json_has_xnat_shape_with_string_values(void **state)
{
    apr_pool_t *p = *state;
    json_error_t jerr;
    json_t *doc = json_loads(write_as(p, sample(p), ARCA_FORMAT_JSON), 0, &jerr);
    json_t *rs, *result;

    assert_non_null(doc);
    rs = json_object_get(doc, "ResultSet");
    assert_string_equal(json_string_value(json_object_get(rs, "totalRecords")), "3");
    assert_string_equal(json_string_value(json_object_get(rs, "title")), "Projects");
    result = json_object_get(rs, "Result");
    assert_int_equal(json_array_size(result), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(result, 0), "name")),
                        "Phantom, CT \"daily\"");
    /* NULL becomes "", never null: clients compare strings. */
    assert_string_equal(json_string_value(json_object_get(json_array_get(result, 1), "name")),
                        "");
    json_decref(doc);
}

static void json_of_empty_set(void **state)
{
    apr_pool_t *p = *state;
    static const char *cols[] = {"ID"};

    assert_string_equal(write_as(p, arca_resultset_make(p, "Projects", 1, cols),
                                 ARCA_FORMAT_JSON),
                        "{\"ResultSet\":{\"Result\":[],\"totalRecords\":\"0\","
                        "\"title\":\"Projects\"}}");
}

static void csv_quotes_per_rfc4180(void **state)
{
    apr_pool_t *p = *state;

    assert_string_equal(write_as(p, sample(p), ARCA_FORMAT_CSV),
                        "ID,name,URI\r\n"
                        "P1,\"Phantom, CT \"\"daily\"\"\",/data/projects/P1\r\n"
                        "P2,,/data/projects/P2\r\n"
                        "P<3>,\"a&b\r\nline\",/data/projects/P3\r\n");
}

static void xml_is_well_formed_and_escaped(void **state)
{
    apr_pool_t *p = *state;
    const char *text = write_as(p, sample(p), ARCA_FORMAT_XML);
    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "rs.xml", NULL, XML_PARSE_NONET);

    assert_non_null(doc);
    assert_non_null(strstr(text, "totalRecords=\"3\""));
    assert_non_null(strstr(text, "<cell>P&lt;3&gt;</cell>"));
    xmlFreeDoc(doc);
}

static void html_escapes_values(void **state)
{
    apr_pool_t *p = *state;
    const char *text = write_as(p, sample(p), ARCA_FORMAT_HTML);

    assert_non_null(strstr(text, "<td>P&lt;3&gt;</td>"));
    assert_non_null(strstr(text, "a&amp;b"));
    assert_null(strstr(text, "<td>P<3>"));
}

static void a_failing_writer_is_reported(void **state)
{
    apr_pool_t *p = *state;
    sink_t s = {p, NULL, 0, 10};
    arca_error_t *err;

    for (int fmt = ARCA_FORMAT_JSON; fmt <= ARCA_FORMAT_HTML; fmt++) {
        s.len = 0;
        s.text = NULL;
        err = arca_resultset_write(sample(p), (arca_format_t)fmt, p, sink_write, &s);
        assert_non_null(err);
        assert_int_equal(err->status, 500);
    }
}

static void format_names(void **state)
{
    apr_pool_t *p = *state;
    arca_format_t f;
    arca_error_t *err;

    assert_null(arca_format_parse(p, "CSV", ARCA_FORMAT_JSON, &f));
    assert_int_equal(f, ARCA_FORMAT_CSV);
    assert_null(arca_format_parse(p, NULL, ARCA_FORMAT_HTML, &f));
    assert_int_equal(f, ARCA_FORMAT_HTML);
    err = arca_format_parse(p, "yaml", ARCA_FORMAT_JSON, &f);
    assert_non_null(err);
    assert_int_equal(err->status, 400);
    assert_non_null(strstr(err->message, "yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_has_xnat_shape_with_string_values),
        cmocka_unit_test(json_of_empty_set),
        cmocka_unit_test(csv_quotes_per_rfc4180),
        cmocka_unit_test(xml_is_well_formed_and_escaped),
        cmocka_unit_test(html_escapes_values),
        cmocka_unit_test(a_failing_writer_is_reported),
        cmocka_unit_test(format_names),
    };
    return RUN(tests);
}
