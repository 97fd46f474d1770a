/* JSON text as PostgreSQL's jsonb takes it, checked without building a tree (jansson's
 * parse costs more than writing the header did), and the faults dcmtk's writeJson is known
 * to leave repaired: numbers DICOM allows and JSON does not ("1.", "+5"), bytes that are
 * not UTF-8 (a character set iconv did not convert), \u0000 (jsonb refuses it). */
#ifndef ARCA_JSON_TEXT_H
#define ARCA_JSON_TEXT_H

#include <apr_pools.h>

/* 1 when `s` is one JSON value jsonb accepts, nesting at most 64 deep. */
int arca_json_valid(const char *s);

/* `s` if valid; else a repaired copy in p: bad numbers become strings, bytes that are not
 * UTF-8 '?', \u0000 dropped; NULL when still not valid. */
const char *arca_json_repair(apr_pool_t *p, const char *s);

#endif
