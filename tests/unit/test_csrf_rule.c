/* The CSRF rule for changes made with a session cookie. */
#include "test_util.h"

#include "csrf_rule.h"

static csrf_request base(void)
{
    csrf_request r = {NULL, NULL, 0, 1, 0, "http", "arca.example:8080"};
    return r;
}

static void scripts_without_browser_headers_pass(void **state)
{
    csrf_request r = base();

    assert_null(csrf_refusal(*state, &r));
    r.token_ok = 1;
    assert_null(csrf_refusal(*state, &r));
}

static void cross_site_fetch_metadata_is_refused_even_with_the_token(void **state)
{
    csrf_request r = base();

    r.sec_fetch_site = "cross-site";
    assert_non_null(csrf_refusal(*state, &r));
    r.token_ok = 1;
    assert_non_null(csrf_refusal(*state, &r));
    r.sec_fetch_site = "same-site"; /* a sibling host is another site to Arca */
    assert_non_null(csrf_refusal(*state, &r));
}

static void foreign_origin_is_refused_even_with_the_token(void **state)
{
    csrf_request r = base();
    const char *origins[] = {"https://evil.example", "null", "http://arca.example:8081",
                             "http://arca.example", "ftp://arca.example:8080",
                             "http://arca.example:8080.evil.example"};

    for (size_t i = 0; i < sizeof origins / sizeof *origins; i++) {
        r.origin = origins[i];
        r.token_ok = 1;
        assert_non_null(csrf_refusal(*state, &r));
        r.sec_fetch_site = "same-origin"; /* the Origin still decides */
        assert_non_null(csrf_refusal(*state, &r));
        r.sec_fetch_site = NULL;
    }
}

static void same_origin_browser_needs_token_or_fetch_metadata(void **state)
{
    csrf_request r = base();

    r.origin = "http://ARCA.example:8080";
    assert_non_null(csrf_refusal(*state, &r)); /* an older browser: the token decides */
    r.token_ok = 1;
    assert_null(csrf_refusal(*state, &r));
    r.token_ok = 0;
    r.sec_fetch_site = "same-origin";
    assert_null(csrf_refusal(*state, &r));
    r.origin = NULL;
    r.sec_fetch_site = "none"; /* typed or bookmarked by the user */
    assert_null(csrf_refusal(*state, &r));
    r.sec_fetch_site = NULL;
    r.other_fetch_metadata = 1;
    assert_non_null(csrf_refusal(*state, &r));
}

static void https_origin_behind_a_tls_proxy_is_this_server(void **state)
{
    csrf_request r = base();

    r.origin = "https://arca.example:8080";
    r.sec_fetch_site = "same-origin";
    assert_null(csrf_refusal(*state, &r));
    r.scheme = "https";
    r.origin = "http://arca.example:8080"; /* but never a downgrade */
    assert_non_null(csrf_refusal(*state, &r));
    r.host = NULL;
    r.origin = "https://arca.example:8080";
    assert_non_null(csrf_refusal(*state, &r));
}

static void basic_credentials_are_held_to_the_cross_site_rule_only(void **state)
{
    csrf_request r = base();

    r.session = 0;
    r.origin = "http://arca.example:8080"; /* no token to ask for */
    assert_null(csrf_refusal(*state, &r));
    r.sec_fetch_site = "cross-site";
    assert_non_null(csrf_refusal(*state, &r));
    r.sec_fetch_site = NULL;
    r.origin = "https://evil.example";
    assert_non_null(csrf_refusal(*state, &r));
}

static void only_reads_and_logging_out_are_exempt(void **state)
{
    const char *changes[] = {"POST", "PUT", "DELETE", "PATCH", "PROPPATCH"};

    (void)state;
    assert_true(csrf_exempt("GET", "/data/projects/P/subjects/JSESSION"));
    assert_true(csrf_exempt("HEAD", "/data/projects"));
    assert_true(csrf_exempt("OPTIONS", "/data/projects"));
    assert_true(csrf_exempt("DELETE", "/data/JSESSION"));
    assert_true(csrf_exempt("DELETE", "/REST/JSESSION"));
    /* a path that merely ends like the session endpoint is data */
    for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
        assert_false(csrf_exempt(changes[i], "/data/projects/P/subjects/JSESSION"));
        assert_false(csrf_exempt(changes[i], "/data/projects/P/resources/R/files/JSESSION"));
    }
    assert_false(csrf_exempt("POST", "/data/JSESSION")); /* a new session is a change */
    assert_false(csrf_exempt("DELETE", "/data/JSESSION/x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scripts_without_browser_headers_pass),
        cmocka_unit_test(cross_site_fetch_metadata_is_refused_even_with_the_token),
        cmocka_unit_test(foreign_origin_is_refused_even_with_the_token),
        cmocka_unit_test(same_origin_browser_needs_token_or_fetch_metadata),
        cmocka_unit_test(https_origin_behind_a_tls_proxy_is_this_server),
        cmocka_unit_test(basic_credentials_are_held_to_the_cross_site_rule_only),
        cmocka_unit_test(only_reads_and_logging_out_are_exempt),
    };
    return RUN(tests);
}
