/* The files of a multipart/form-data body, one after another, each as a stream to pull
 * from (an arca_read_fn): a zip sent in a form is unpacked as it arrives, like one sent as
 * the body. The multipart parser pushes; this turns it round, holding no more than what
 * one chunk of the body carries. */
#ifndef ARCA_FORM_FILES_H
#define ARCA_FORM_FILES_H

#include <apr_pools.h>

#include "store/archive_stream.h" /* arca_read_fn */
#include "base/error.h"

typedef struct arca_form_files_t arca_form_files_t;

/* A reader of the body `read` gives, whose Content-Type is content_type (400 if it is not
 * multipart/form-data with a usable boundary). */
arca_error_t *arca_form_files_open(apr_pool_t *p, const char *content_type, arca_read_fn read,
                                   void *baton, arca_form_files_t **out);

/* Moves to the next part that is a file (has a filename; fields are skipped, as is what
 * was left unread of the current file). *more is 0 at the end of the form. filename and
 * content_type (NULL if not sent) stay valid until the next call. */
arca_error_t *arca_form_files_next(arca_form_files_t *f, int *more, const char **filename,
                                   const char **content_type);

/* An arca_read_fn over the current file (baton: the arca_form_files_t); len 0 at its end.
 * A body that ends inside the file: 400. */
arca_error_t *arca_form_files_read(void *baton, const void **data, apr_size_t *len);

#endif
