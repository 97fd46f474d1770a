/* arcactl fsck without a database: the age rule that keeps a live import's files safe,
 * where a row's file is, and the sweep of temp files. */
#include "test_util.h"
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_time.h>

#include "fsck/fsck.h"

#define HOUR apr_time_from_sec(3600)

static void test_cutoff_is_min_age_before_now(void **state)
{
    apr_time_t now = apr_time_from_sec(1700000000);

    assert_true(arca_fsck_cutoff(now, HOUR, 0) == now - HOUR);
    assert_true(arca_fsck_cutoff(now, 0, 0) == now);
    assert_true(arca_fsck_cutoff(now, -HOUR, 0) == now); /* never in the future */
}

static void test_an_older_open_transaction_moves_the_cutoff_back(void **state)
{
    apr_time_t now = apr_time_from_sec(1700000000);

    /* an import running for two hours may still commit what it placed at its start */
    assert_true(arca_fsck_cutoff(now, HOUR, now - 2 * HOUR) == now - 2 * HOUR);
    /* a younger one changes nothing: min-age is the stricter rule then */
    assert_true(arca_fsck_cutoff(now, HOUR, now - 60) == now - HOUR);
}

static void test_settled_needs_both_times_before_the_cutoff(void **state)
{
    apr_finfo_t fi;
    apr_time_t cutoff = apr_time_from_sec(1700000000);

    memset(&fi, 0, sizeof fi);
    fi.mtime = fi.ctime = cutoff;
    assert_true(arca_fsck_settled(&fi, cutoff));
    fi.mtime = cutoff - HOUR;
    fi.ctime = cutoff + 1; /* renamed into place just now: an old temp file's mtime */
    assert_false(arca_fsck_settled(&fi, cutoff));
    fi.mtime = cutoff + 1;
    fi.ctime = cutoff - HOUR;
    assert_false(arca_fsck_settled(&fi, cutoff));
}

static void test_row_path_is_under_the_root(void **state)
{
    apr_pool_t *p = *state;

    assert_string_equal(arca_fsck_row_path(p, "/srv/archive", "P1/arc001/S1/SCANS/1/DICOM",
                                           "1.2.3.dcm"),
                        "/srv/archive/P1/arc001/S1/SCANS/1/DICOM/1.2.3.dcm");
    assert_string_equal(arca_fsck_row_path(p, "/srv/archive", "P1/resources/NOTES",
                                           "sub/dir/a.txt"),
                        "/srv/archive/P1/resources/NOTES/sub/dir/a.txt");
}

static void test_row_path_refuses_what_could_leave_the_root(void **state)
{
    apr_pool_t *p = *state;

    assert_null(arca_fsck_row_path(p, "/srv/archive", "../etc", "passwd"));
    assert_null(arca_fsck_row_path(p, "/srv/archive", "P1/resources/R", "../../../x"));
    assert_null(arca_fsck_row_path(p, "/srv/archive", "/etc", "passwd"));
    assert_null(arca_fsck_row_path(p, "/srv/archive", "P1/resources/R", ""));
    assert_null(arca_fsck_row_path(p, "/srv/archive", "", "a"));
}

static void test_damage_is_only_what_rows_say(void **state)
{
    arca_fsck_summary_t s;

    memset(&s, 0, sizeof s);
    s.found[ARCA_FSCK_TEMP_FILE] = s.found[ARCA_FSCK_ORPHAN_FILE] = 5;
    s.found[ARCA_FSCK_ORPHAN_FOLDER] = s.found[ARCA_FSCK_EMPTY_DIR] = 1;
    assert_false(arca_fsck_damaged(&s));
    s.found[ARCA_FSCK_WRONG_SIZE] = 1;
    assert_true(arca_fsck_damaged(&s));
    assert_string_equal(arca_fsck_kind_name(ARCA_FSCK_MISSING_FILE), "missing-file");
}

/* ---- the temp-file sweep, on real files ------------------------------------------------- */

typedef struct {
    int n;
    arca_fsck_action_t action[4];
    char path[4][128];
} seen_t;

static void remember(void *baton, const arca_fsck_finding_t *f)
{
    seen_t *s = baton;

    assert_int_equal(f->kind, ARCA_FSCK_TEMP_FILE);
    assert_string_equal(f->root, "archive");
    if (s->n < 4) {
        s->action[s->n] = f->action;
        snprintf(s->path[s->n], sizeof s->path[0], "%s", f->path);
    }
    s->n++;
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs("partial", f);
    fclose(f);
}

static int sweep_setup(void **state)
{
    test_dir_t *fx;

    if (test_dir_setup(state) != 0)
        return -1;
    fx = *state;
    fx->tmpdir = apr_pstrcat(fx->pool, fx->dir, "/.tmp", NULL);
    if (mkdir(fx->tmpdir, 0700) != 0)
        return -1;
    touch(apr_pstrcat(fx->pool, fx->tmpdir, "/arca-upload-0123456789abcdef-Ab12Cd", NULL));
    return mkdir(apr_pstrcat(fx->pool, fx->tmpdir, "/not-ours", NULL), 0700);
}

static arca_fsck_summary_t sweep(test_dir_t *fx, apr_time_t now, int dry_run, seen_t *seen)
{
    arca_fsck_options_t o;
    arca_fsck_summary_t sum;

    memset(&o, 0, sizeof o);
    memset(&sum, 0, sizeof sum);
    o.archive = fx->dir;
    o.min_age = HOUR;
    o.dry_run = dry_run;
    o.report = remember;
    o.baton = seen;
    assert_null(arca_fsck_temp_files(fx->pool, &o, "archive", fx->dir,
                                     arca_fsck_cutoff(now, o.min_age, 0), &sum));
    return sum;
}

static int exists(test_dir_t *fx, const char *name)
{
    return access(apr_pstrcat(fx->pool, fx->tmpdir, "/", name, NULL), F_OK) == 0;
}

static void test_a_fresh_temp_file_is_left_alone(void **state)
{
    test_dir_t *fx = *state;
    seen_t seen = {0};
    arca_fsck_summary_t sum = sweep(fx, apr_time_now(), 0, &seen);

    assert_int_equal(seen.n, 0);
    assert_int_equal(sum.recent, 1);
    assert_true(exists(fx, "arca-upload-0123456789abcdef-Ab12Cd"));
}

static void test_an_old_temp_file_is_removed(void **state)
{
    test_dir_t *fx = *state;
    seen_t seen = {0};
    arca_fsck_summary_t sum = sweep(fx, apr_time_now() + 2 * HOUR, 0, &seen);

    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.action[0], ARCA_FSCK_REMOVED);
    assert_string_equal(seen.path[0], ".tmp/arca-upload-0123456789abcdef-Ab12Cd");
    assert_int_equal(sum.found[ARCA_FSCK_TEMP_FILE], 1);
    assert_int_equal(sum.removed[ARCA_FSCK_TEMP_FILE], 1);
    assert_false(exists(fx, "arca-upload-0123456789abcdef-Ab12Cd"));
    assert_true(exists(fx, "not-ours")); /* a directory there is not a temp file */
}

static void test_a_dry_run_removes_nothing(void **state)
{
    test_dir_t *fx = *state;
    seen_t seen = {0};
    arca_fsck_summary_t sum = sweep(fx, apr_time_now() + 2 * HOUR, 1, &seen);

    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.action[0], ARCA_FSCK_WOULD_REMOVE);
    assert_int_equal(sum.removed[ARCA_FSCK_TEMP_FILE], 0);
    assert_true(exists(fx, "arca-upload-0123456789abcdef-Ab12Cd"));
}

static void test_no_tmp_directory_is_no_finding(void **state)
{
    test_dir_t *fx = *state;
    seen_t seen = {0};
    arca_fsck_options_t o;
    arca_fsck_summary_t sum;

    memset(&o, 0, sizeof o);
    memset(&sum, 0, sizeof sum);
    o.report = remember;
    o.baton = &seen;
    assert_null(arca_fsck_temp_files(fx->pool, &o, "archive",
                                     apr_pstrcat(fx->pool, fx->dir, "/never-used", NULL),
                                     apr_time_now(), &sum));
    assert_int_equal(seen.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cutoff_is_min_age_before_now),
        cmocka_unit_test(test_an_older_open_transaction_moves_the_cutoff_back),
        cmocka_unit_test(test_settled_needs_both_times_before_the_cutoff),
        cmocka_unit_test(test_row_path_is_under_the_root),
        cmocka_unit_test(test_row_path_refuses_what_could_leave_the_root),
        cmocka_unit_test(test_damage_is_only_what_rows_say),
        cmocka_unit_test_setup_teardown(test_a_fresh_temp_file_is_left_alone, sweep_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_an_old_temp_file_is_removed, sweep_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_a_dry_run_removes_nothing, sweep_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_no_tmp_directory_is_no_finding, sweep_setup,
                                        test_dir_teardown),
    };
    return RUN(tests);
}
