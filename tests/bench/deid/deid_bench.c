/* Throughput of the DicomEdit engine over the in-memory dataset of the unit tests: how
 * many datasets per second a compiled program processes. Not part of the test suite;
 * build and run with ./run. Each iteration copies a prepared dataset (timed separately
 * and subtracted) and runs the program in a pool cleared per dataset, as a receiver
 * would per instance.
 *
 * Last run (one core of a shared 2-core build machine, -O2, 53 elements incl. sequences
 * and private blocks): compile 3-15 us; example A 1.5M datasets/s, B 91k/s (11 us),
 * C 250k/s (4 us), Basic Profile 58k/s (17 us). */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_time.h>

#include "../../unit/deid_memds.h"
#include "../../unit/deid_examples.h"

static const char *example_a =
    "version \"6.1\"\n"
    "project != \"Unassigned\" ? (0008,1030) := project\n"
    "(0010,0010) := subject\n"
    "(0010,0020) := session\n";


static memds *copy_of(const memds *src, apr_pool_t *p)
{
    memds *ds = memds_make(p);

    ds->els = apr_array_copy(p, src->els);
    return ds;
}

static double per_second(const arca_deid_program *prog, const memds *sample, int n,
                         apr_pool_t *p, double *copy_us)
{
    apr_pool_t *it;
    apr_time_t start, took, copy = 0;
    int k;

    apr_pool_create(&it, p);
    start = apr_time_now();
    for (k = 0; k < n; k++) {
        copy_of(sample, it);
        apr_pool_clear(it);
    }
    copy = apr_time_now() - start;
    start = apr_time_now();
    for (k = 0; k < n; k++) {
        memds *ds = copy_of(sample, it);
        apr_hash_t *vars = apr_hash_make(it);
        arca_deid_env env = {vars, NULL, NULL};
        arca_error_t *err;

        apr_hash_set(vars, "project", APR_HASH_KEY_STRING, "P1");
        apr_hash_set(vars, "subject", APR_HASH_KEY_STRING, "SUBJ001");
        apr_hash_set(vars, "session", APR_HASH_KEY_STRING, "SUBJ001_MR1");
        apr_hash_set(vars, "modalityLabel", APR_HASH_KEY_STRING, "MR");
        if ((err = arca_deid_run(prog, &memds_ops, ds, &env, it))) {
            fprintf(stderr, "run: %s\n", err->message);
            exit(1);
        }
        apr_pool_clear(it);
    }
    took = apr_time_now() - start - copy;
    apr_pool_destroy(it);
    *copy_us = (double)copy / n;
    return n / (took / 1e6);
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    const char *names[] = {"A (XNAT default)", "B (site profile)", "C (project script)",
                           "Basic Profile"};
    const char *scripts[] = {example_a, example_b, example_c, NULL};
    int n = argc > 1 ? atoi(argv[1]) : 50000, s;
    memds *sample;

    apr_initialize();
    apr_pool_create(&p, NULL);
    sample = memds_sample(p);
    printf("dataset: %d elements at all depths, %d runs each\n", sample->els->nelts, n);
    for (s = 0; s < 4; s++) {
        arca_deid_program *prog;
        arca_error_t *err;
        apr_time_t start = apr_time_now();
        double copy_us, rate;
        int k, reps = 1000;

        for (k = 0; k < reps; k++)
            err = scripts[s] ? arca_deid_compile(p, scripts[s], strlen(scripts[s]), &prog)
                             : arca_deid_basic_profile(p, NULL, &prog);
        if (err) {
            fprintf(stderr, "compile: %s\n", err->message);
            return 1;
        }
        start = apr_time_now() - start;
        rate = per_second(prog, sample, n, p, &copy_us);
        printf("%-20s compile %6.1f us   run %8.0f datasets/s (%.2f us each; copy %.2f us "
               "excluded)\n",
               names[s], (double)start / reps, rate, 1e6 / rate, copy_us);
    }
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
