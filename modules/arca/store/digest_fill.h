/* Digests taken after the fact: the DICOM listener stores received files without their
 * MD5 (import.h: ARCA_IMPORT_RECEIVER) so that it can answer sooner, and fills the
 * digests in here, in a thread of its own that runs when the machine has nothing else to
 * do. */
#ifndef ARCA_DIGEST_FILL_H
#define ARCA_DIGEST_FILL_H

#include "db/db.h"

/* Digests up to `max` files whose row has none, after file row `*after` (a pk; 0 at
 * first), and moves `*after` on. *filled: digests written. A file replaced meanwhile keeps
 * its row's empty digest (the row changed: the next pass takes it); a file that cannot be
 * read is passed over (fsck reports it). Returns when `*stop` becomes non-zero, too. */
arca_error_t *arca_digest_fill(arca_db_t *db, apr_pool_t *p, const char *archive, int max,
                               const volatile int *stop, long long *after, int *filled);

/* The listener's digest thread: passes of arca_digest_fill (100 files each, then a pause of
 * a second or two when none are left), on its own connection, at the lowest scheduling
 * class the system has (SCHED_IDLE on Linux: only cores nothing else wants), until *stop.
 * Failures are logged through `log` when they start and when they end. */
typedef struct {
    const char *conninfo, *archive;
    const volatile int *stop;
    void (*log)(void *baton, int level, int logno, const char *msg);
    void *log_baton;
} arca_digester_t;

void arca_digester_run(const arca_digester_t *d);

#endif
