/* multipart/form-data files as streams (see form_files.h). The parser's callbacks queue
 * what one chunk of the body holds (part starts, data, part ends); the readers take from
 * the queue and feed the next chunk only when it is empty, so the queue never holds more
 * than one chunk's worth. */
#include <string.h>

#include <apr_strings.h>

#include "store/form_files.h"
#include "store/multipart.h"

typedef enum { EV_BEGIN, EV_DATA, EV_END } event_kind;

typedef struct event {
    event_kind kind;
    const char *filename, *content_type; /* EV_BEGIN */
    const char *data;                    /* EV_DATA */
    apr_size_t len;
    struct event *next;
} event;

struct arca_form_files_t {
    apr_pool_t *pool;
    apr_pool_t *queue_pool;   /* the queued events; cleared whenever the queue is empty */
    arca_multipart_t *mp;
    arca_read_fn read;
    void *baton;
    event *head, *tail;
    int body_done;
    int in_file;              /* the current part is a file being read */
    const char *filename, *content_type; /* of the current file, in `names` */
    apr_pool_t *names;
};

static void push(arca_form_files_t *f, event *e)
{
    if (f->tail)
        f->tail->next = e;
    else
        f->head = e;
    f->tail = e;
}

static arca_error_t *on_begin(void *baton, const char *name, const char *filename,
                              const char *content_type)
{
    arca_form_files_t *f = baton;
    event *e = apr_pcalloc(f->queue_pool, sizeof *e);

    e->kind = EV_BEGIN;
    e->filename = filename ? apr_pstrdup(f->queue_pool, filename) : NULL;
    e->content_type = content_type ? apr_pstrdup(f->queue_pool, content_type) : NULL;
    push(f, e);
    return ARCA_OK;
}

static arca_error_t *on_data(void *baton, const char *data, apr_size_t len)
{
    arca_form_files_t *f = baton;
    event *e = apr_pcalloc(f->queue_pool, sizeof *e);

    e->kind = EV_DATA;
    e->data = apr_pmemdup(f->queue_pool, data, len);
    e->len = len;
    push(f, e);
    return ARCA_OK;
}

static arca_error_t *on_end(void *baton)
{
    arca_form_files_t *f = baton;
    event *e = apr_pcalloc(f->queue_pool, sizeof *e);

    e->kind = EV_END;
    push(f, e);
    return ARCA_OK;
}

arca_error_t *arca_form_files_open(apr_pool_t *p, const char *content_type, arca_read_fn read,
                                   void *baton, arca_form_files_t **out)
{
    arca_form_files_t *f = apr_pcalloc(p, sizeof *f);
    arca_multipart_callbacks_t cb = {on_begin, on_data, on_end, f};
    const char *boundary;
    arca_error_t *err;

    f->pool = p;
    f->read = read;
    f->baton = baton;
    apr_pool_create(&f->queue_pool, p);
    apr_pool_create(&f->names, p);
    if ((err = arca_multipart_boundary(p, content_type, &boundary))
        || (err = arca_multipart_create(p, boundary, &cb, &f->mp)))
        return err;
    *out = f;
    return ARCA_OK;
}

/* The next queued event, feeding the parser more of the body when the queue is empty;
 * NULL at the end of the body. */
static arca_error_t *next_event(arca_form_files_t *f, event **out)
{
    arca_error_t *err;

    while (f->head == NULL) {
        const void *data;
        apr_size_t len;
        if (f->body_done) {
            *out = NULL;
            return ARCA_OK;
        }
        apr_pool_clear(f->queue_pool);
        f->tail = NULL;
        if ((err = f->read(f->baton, &data, &len)))
            return err;
        if (len == 0) {
            f->body_done = 1;
            if ((err = arca_multipart_finish(f->mp)))
                return err;
        } else if ((err = arca_multipart_feed(f->mp, data, len))) {
            return err;
        }
    }
    *out = f->head;
    f->head = f->head->next;
    if (f->head == NULL)
        f->tail = NULL;
    return ARCA_OK;
}

arca_error_t *arca_form_files_read(void *baton, const void **data, apr_size_t *len)
{
    arca_form_files_t *f = baton;
    event *e;
    arca_error_t *err;

    *data = NULL;
    *len = 0;
    if (!f->in_file)
        return ARCA_OK;
    if ((err = next_event(f, &e)))
        return err;
    if (e == NULL) /* the parser reports a body ended inside a part at finish */
        return arca_error_create(f->pool, 400, "the form ended inside a file");
    if (e->kind == EV_END) {
        f->in_file = 0;
        return ARCA_OK;
    }
    *data = e->data;
    *len = e->len;
    return ARCA_OK;
}

arca_error_t *arca_form_files_next(arca_form_files_t *f, int *more, const char **filename,
                                   const char **content_type)
{
    event *e;
    arca_error_t *err;

    *more = 0;
    f->in_file = 0;
    for (;;) {
        if ((err = next_event(f, &e)))
            return err;
        if (e == NULL)
            return ARCA_OK;
        /* data and ends of fields, and of a file left unread, are dropped */
        if (e->kind == EV_BEGIN && e->filename && *e->filename) {
            apr_pool_clear(f->names);
            f->filename = *filename = apr_pstrdup(f->names, e->filename);
            f->content_type = *content_type =
                e->content_type ? apr_pstrdup(f->names, e->content_type) : NULL;
            f->in_file = 1;
            *more = 1;
            return ARCA_OK;
        }
    }
}
