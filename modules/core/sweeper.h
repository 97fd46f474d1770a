/* The prearchive's sweeper: a thread in each child process that completes sessions left
 * RECEIVING (ArcaPrearchiveIdle) and archives them where the project asks for it. */
#ifndef ARCA_SWEEPER_H
#define ARCA_SWEEPER_H

#include <httpd.h>

/* Starts the thread (after the connection pool exists); it stops and is joined when
 * `pchild` is destroyed. Nothing happens without ArcaPrearchive. */
void arca_sweeper_child_init(apr_pool_t *pchild, server_rec *s);

#endif
