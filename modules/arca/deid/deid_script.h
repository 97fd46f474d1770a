/* DicomEdit 6 de-identification: a script is compiled once into an immutable program
 * (share it between threads and requests), then run against each received DICOM object
 * through an abstract dataset interface that the dcmtk bridge implements. The DICOM
 * PS3.15 Annex E Basic Profile is a built-in program run the same way.
 *
 * Language: XNAT's DicomEdit 6 reference; the subset supported and its choices are in the
 * notes at the top of deid_parser.c (syntax) and deid_eval.c (semantics). */
#ifndef ARCA_DEID_SCRIPT_H
#define ARCA_DEID_SCRIPT_H

#include <apr_pools.h>
#include <apr_hash.h>

#include "base/error.h"

/* What the engine needs from a dataset.
 *
 * Paths given to get/set/remove are a single tag or a sequence path, tags written
 * "(GGGG,EEEE)" in upper-case hex, items "[n]" (0-based), levels joined by '/':
 * "(0008,1115)[0]/(0008,1155)". A private element may also be written with its creator,
 * "(0029,{SIEMENS CSA HEADER}10)": the bridge resolves the block (gggg,00nn) the creator
 * reserved at that level; `set` reserves a free block when the creator has none.
 * Refinements of the first draft of this interface (the engine relies on them):
 *   - `set` creates what is missing, including sequence items named by "[n]" on the way;
 *   - `remove` of an absent element is a success; removing a sequence removes its items;
 *   - `each` walks in pre-order (a sequence before the elements of its items); `creator`
 *     is the private creator of a private data element (gggg,nnxx), nn >= 0x10, odd
 *     gggg, and NULL for public elements and for the creator elements (gggg,00nn)
 *     themselves; the strings passed to `fn` need only live during the call; the engine
 *     never modifies the dataset from inside `fn` (it collects, then edits).
 *   - `vr` may be NULL when unknown (the Basic Profile then treats the element as "UN"). */
typedef struct arca_deid_dataset_ops {
    /* value of an element as a DICOM string (multi-values joined with '\\'), NULL if absent */
    const char *(*get)(void *ds, apr_pool_t *p, const char *path);
    arca_error_t *(*set)(void *ds, const char *path, const char *value); /* creates */
    arca_error_t *(*remove)(void *ds, const char *path);
    /* every element at any depth, with its concrete path, tag (group<<16|element), VR
     * ("PN"), and private creator (NULL if public); return non-zero to stop */
    arca_error_t *(*each)(void *ds, apr_pool_t *p,
                          int (*fn)(void *baton, const char *path, unsigned tag,
                                    const char *vr, const char *creator),
                          void *baton);
} arca_deid_dataset_ops;

/* A compiled script (or the built-in Basic Profile). Immutable once built. */
typedef struct arca_deid_program arca_deid_program;

/* Replaces a UID by another, consistently (the caller keeps e.g. a per-project table).
 * `uid` is one UID (multi-valued elements are split before the call). */
typedef arca_error_t *(*arca_deid_uid_map_fn)(void *baton, apr_pool_t *p, const char *uid,
                                              const char **out);

/* What a run may use besides the dataset. */
typedef struct arca_deid_env {
    /* In and out: variable name -> const char * value. The caller puts the XNAT variables
     * in (project, subject, session, modalityLabel, and any other); after a successful run
     * it holds every variable the script assigned, allocated in the run pool (routing
     * reads project/subject/session back; one the script set to an absent value is
     * removed). Keys and values are only read during the run. NULL: none in, none out. */
    apr_hash_t *vars;
    /* UID remapping for the Basic Profile; NULL uses arca_deid_hash_uid. */
    arca_deid_uid_map_fn map_uid;
    void *map_uid_baton;
} arca_deid_env;

/* Compiles a DicomEdit 6 script. A syntax error, an unknown function, a missing version
 * line (DicomEdit 4 scripts) or an unsupported version is a 400 "line N: reason"; the
 * message never quotes string literals of the script. The program lives in `p`. */
arca_error_t *arca_deid_compile(apr_pool_t *p, const char *text, size_t len,
                                arca_deid_program **out);

/* The PS3.15 Annex E Basic Application Level Confidentiality Profile (see deid_profile.c
 * for the action chosen for each combined action code). `method` is written to
 * (0012,0063) De-identification Method; NULL gives a default description. */
arca_error_t *arca_deid_basic_profile(apr_pool_t *p, const char *method,
                                      arca_deid_program **out);

/* PS3.15 Annex E options of the Basic Profile: attributes the profile then keeps. */
#define ARCA_DEID_KEEP_DATES    1u /* Retain Longitudinal Temporal Information with Full
                                    * Dates: study, series, acquisition, content dates and
                                    * times (not the birth date) */
#define ARCA_DEID_KEEP_DEVICE   2u /* Retain Device Identity: serial number, station name,
                                    * detector ID, device UID */
#define ARCA_DEID_KEEP_PATIENT  4u /* Retain Patient Characteristics: sex, age, size,
                                    * weight, ethnic group, pregnancy status */

/* An option's bit from its name ("keepDates", "keepDevice", "keepPatientCharacteristics",
 * case-insensitive); 0 for an unknown name. */
unsigned arca_deid_profile_option(const char *name);

/* The Basic Profile with `options` (ARCA_DEID_KEEP_*), its UIDs replaced by hashUID of
 * "uid_salt:uid" when no map_uid is given at run time (uid_salt NULL: of the UID alone),
 * followed by `then` (a compiled script, or NULL): one program, so a site's labels go in
 * after the profile has emptied the names. */
arca_error_t *arca_deid_basic_profile_then(apr_pool_t *p, const char *method,
                                           unsigned options, const char *uid_salt,
                                           const arca_deid_program *then,
                                           arca_deid_program **out);

/* Runs a program against one dataset. Everything allocated goes into `p` (use a pool per
 * object). A failure is a 400 "line N: reason" for script errors (bad date, regex, ...)
 * or the status of a failing dataset operation; the dataset may then be half edited and
 * the caller must reject the object (store nothing). Messages never carry element
 * values. */
arca_error_t *arca_deid_run(const arca_deid_program *prog, const arca_deid_dataset_ops *ops,
                            void *ds, arca_deid_env *env, apr_pool_t *p);

/* Number of statements (0 for a script with only a version line and comments). */
int arca_deid_program_size(const arca_deid_program *prog);

/* hashUID: "2.25." followed by the decimal value of the name-based (version 5, SHA-1)
 * UUID of `value` in the RFC 4122 OID namespace 6ba7b812-9dad-11d1-80b4-00c04fd430c8;
 * in Python: "2.25." + str(uuid.uuid5(uuid.NAMESPACE_OID, value).int). */
const char *arca_deid_hash_uid(apr_pool_t *p, const char *value);
/* newUID: "2.25." followed by the decimal value of a random (version 4) UUID. */
arca_error_t *arca_deid_new_uid(apr_pool_t *p, const char **out);

#endif
