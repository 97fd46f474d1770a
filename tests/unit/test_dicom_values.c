/* Archive facts from DICOM values: routing words in comments, dates, labels. */
#include "test_util.h"

#include "dicom/dicom_values.h"

static void comment_fields(void **state)
{
    apr_pool_t *p = *state;
    const char *c = "Project: P1 subject:S-2;Session: E.3";

    assert_string_equal(arca_dicom_comment_field(p, c, "Project:"), "P1");
    assert_string_equal(arca_dicom_comment_field(p, c, "Subject:"), "S-2");
    assert_string_equal(arca_dicom_comment_field(p, c, "SESSION:"), "E.3");
    assert_null(arca_dicom_comment_field(p, c, "Visit:"));
    assert_null(arca_dicom_comment_field(p, NULL, "Project:"));
    assert_null(arca_dicom_comment_field(p, "Project:   ", "Project:"));
}

static void labels(void **state)
{
    apr_pool_t *p = *state;

    assert_string_equal(arca_label_from(p, "Rossi^Mario 1"), "Rossi_Mario_1");
    assert_string_equal(arca_label_from(p, ".hidden"), "_hidden");
    assert_string_equal(arca_label_from(p, "1.2.840.10008"), "1.2.840.10008");
    assert_int_equal(strlen(arca_label_from(p, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                               "xxxxxxxxxxxxxxxxxxxxxxxxxx")), 64);
    assert_null(arca_label_from(p, ""));
    assert_null(arca_label_from(p, NULL));
}

static void dates(void **state)
{
    apr_pool_t *p = *state;

    assert_string_equal(arca_dicom_sql_date(p, "20240229"), "2024-02-29");
    assert_string_equal(arca_dicom_sql_date(p, "1997.04.24"), "1997-04-24");
    assert_string_equal(arca_dicom_sql_date(p, "20000229 "), "2000-02-29");
    assert_null(arca_dicom_sql_date(p, "19000229"));
    assert_null(arca_dicom_sql_date(p, "20230231"));
    assert_null(arca_dicom_sql_date(p, "20231301"));
    assert_null(arca_dicom_sql_date(p, "abcdefgh"));
    assert_null(arca_dicom_sql_date(p, "2023-01-01"));
    assert_null(arca_dicom_sql_date(p, "20230101-20230202"));
    assert_null(arca_dicom_sql_date(p, "2023010"));
    assert_null(arca_dicom_sql_date(p, ""));
    assert_null(arca_dicom_sql_date(p, NULL));
}

static void text(void **state)
{
    apr_pool_t *p = *state;

    assert_string_equal(arca_dicom_text(p, "Rossi^Mario"), "Rossi^Mario");
    assert_string_equal(arca_dicom_text(p, "M\xc3\xbcller"), "M\xc3\xbcller");
    assert_string_equal(arca_dicom_text(p, "M\xfcller"), "M\xc3\xbcller");
    assert_null(arca_dicom_text(p, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(comment_fields),
        cmocka_unit_test(labels),
        cmocka_unit_test(dates),
        cmocka_unit_test(text),
    };
    return RUN(tests);
}
