/* ResultSet serialisation in XNAT's four shapes. Values are always strings, as XNAT sends
 * them (totalRecords too), because clients compare them as strings. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <jansson.h>

#include "format/resultset.h"
#include "format/xml_out.h"

static const struct { const char *name; arca_format_t fmt; const char *type; } formats[] = {
    {"json", ARCA_FORMAT_JSON, "application/json"},
    {"csv", ARCA_FORMAT_CSV, "text/csv; charset=utf-8"},
    {"xml", ARCA_FORMAT_XML, "text/xml; charset=utf-8"},
    {"html", ARCA_FORMAT_HTML, "text/html; charset=utf-8"},
};

arca_error_t *arca_format_parse(apr_pool_t *p, const char *name, arca_format_t dflt,
                                arca_format_t *out)
{
    *out = dflt;
    if (name == NULL || *name == '\0')
        return ARCA_OK;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcasecmp(name, formats[i].name) == 0) {
            *out = formats[i].fmt;
            return ARCA_OK;
        }
    }
    return arca_error_create(p, 400, "unknown format '%s': use json, csv, xml or html", name);
}

const char *arca_format_content_type(arca_format_t fmt)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].fmt == fmt)
            return formats[i].type;
    return "application/octet-stream";
}

arca_resultset_t *arca_resultset_make(apr_pool_t *p, const char *title, int ncolumns,
                                      const char *const *columns)
{
    arca_resultset_t *rs = apr_pcalloc(p, sizeof *rs);

    rs->title = title;
    rs->total = -1;
    rs->columns = apr_array_make(p, ncolumns, sizeof(const char *));
    rs->rows = apr_array_make(p, 16, sizeof(const char **));
    for (int i = 0; i < ncolumns; i++)
        APR_ARRAY_PUSH(rs->columns, const char *) = columns[i];
    return rs;
}

void arca_resultset_add(arca_resultset_t *rs, const char **values)
{
    APR_ARRAY_PUSH(rs->rows, const char **) = values;
}

arca_resultset_t *arca_resultset_from_pg(apr_pool_t *p, const char *title,
                                         const PGresult *res)
{
    int nf = PQnfields(res), nt = PQntuples(res);
    const char **names = apr_palloc(p, sizeof(char *) * (size_t)(nf ? nf : 1));
    arca_resultset_t *rs;

    for (int c = 0; c < nf; c++)
        names[c] = PQfname(res, c);
    rs = arca_resultset_make(p, title, nf, names);
    for (int r = 0; r < nt; r++) {
        const char **row = apr_palloc(p, sizeof(char *) * (size_t)(nf ? nf : 1));
        for (int c = 0; c < nf; c++)
            row[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
        arca_resultset_add(rs, row);
    }
    return rs;
}

#define COLUMN(rs, i) APR_ARRAY_IDX((rs)->columns, i, const char *)
#define ROW(rs, i) APR_ARRAY_IDX((rs)->rows, i, const char **)
#define VALUE(v) ((v) ? (v) : "")

static long total_of(const arca_resultset_t *rs)
{
    return rs->total >= 0 ? rs->total : rs->rows->nelts;
}

static int put(arca_write_fn write, void *baton, const char *s)
{
    return write(baton, s, strlen(s));
}

/* ---- JSON: {"ResultSet":{"Result":[{..},..],"totalRecords":"N","title":".."}} ------- */

static int put_json(arca_write_fn write, void *baton, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc = text ? put(write, baton, text) : -1;

    free(text);
    json_decref(value);
    return rc;
}

static int write_json(const arca_resultset_t *rs, apr_pool_t *p, arca_write_fn write,
                      void *baton)
{
    int rc = put(write, baton, "{\"ResultSet\":{\"Result\":[");

    for (int r = 0; r < rs->rows->nelts && rc == 0; r++) {
        json_t *obj = json_object();
        for (int c = 0; c < rs->columns->nelts; c++)
            json_object_set_new(obj, COLUMN(rs, c), json_string(VALUE(ROW(rs, r)[c])));
        if (r > 0)
            rc = put(write, baton, ",");
        if (rc == 0)
            rc = put_json(write, baton, obj);
        else
            json_decref(obj);
    }
    if (rc == 0)
        rc = put(write, baton, apr_psprintf(p, "],\"totalRecords\":\"%ld\",\"title\":",
                                            total_of(rs)));
    if (rc == 0)
        rc = put_json(write, baton, json_string(VALUE(rs->title)));
    if (rc == 0)
        rc = put(write, baton, "}}");
    return rc;
}

/* ---- CSV: RFC 4180, header row first, CRLF line ends ---------------------------------- */

static int write_csv_field(arca_write_fn write, void *baton, const char *v)
{
    int rc = 0;

    if (strpbrk(v, ",\"\r\n") == NULL)
        return put(write, baton, v);
    rc = put(write, baton, "\"");
    while (rc == 0 && *v) {
        const char *q = strchr(v, '"');
        size_t n = q ? (size_t)(q - v) + 1 : strlen(v);
        rc = write(baton, v, n);
        if (rc == 0 && q)
            rc = put(write, baton, "\"");
        v += n;
    }
    return rc == 0 ? put(write, baton, "\"") : rc;
}

static int write_csv_line(arca_write_fn write, void *baton, int n, const char **values)
{
    int rc = 0;

    for (int c = 0; c < n && rc == 0; c++) {
        if (c > 0)
            rc = put(write, baton, ",");
        if (rc == 0)
            rc = write_csv_field(write, baton, VALUE(values[c]));
    }
    return rc == 0 ? put(write, baton, "\r\n") : rc;
}

static int write_csv(const arca_resultset_t *rs, arca_write_fn write, void *baton)
{
    int rc = write_csv_line(write, baton, rs->columns->nelts, (const char **)rs->columns->elts);

    for (int r = 0; r < rs->rows->nelts && rc == 0; r++)
        rc = write_csv_line(write, baton, rs->columns->nelts, ROW(rs, r));
    return rc;
}

/* ---- XML: XNAT's <ResultSet><results><columns/><rows/></results></ResultSet> --------- */

static int write_xml(const arca_resultset_t *rs, apr_pool_t *p, arca_write_fn write,
                     void *baton)
{
    arca_xml_out_t *out;
    xmlTextWriterPtr w = arca_xml_out_open(p, write, baton, &out);
    int rc = 0;

    if (w == NULL)
        return -1;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "ResultSet") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST "http://nrg.wustl.edu/xe") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "totalRecords",
                                      BAD_CAST apr_ltoa(p, total_of(rs))) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "title", BAD_CAST VALUE(rs->title)) < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "results") < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "columns") < 0;
    for (int c = 0; c < rs->columns->nelts && !rc; c++)
        rc |= xmlTextWriterWriteElement(w, BAD_CAST "column", BAD_CAST COLUMN(rs, c)) < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "rows") < 0;
    for (int r = 0; r < rs->rows->nelts && !rc; r++) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "row") < 0;
        for (int c = 0; c < rs->columns->nelts && !rc; c++)
            rc |= xmlTextWriterWriteElement(w, BAD_CAST "cell",
                                            BAD_CAST VALUE(ROW(rs, r)[c])) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    rc |= arca_xml_out_close(out); /* closes every open element, flushes */
    return rc ? -1 : 0;
}

/* ---- HTML: a plain table, every value escaped ------------------------------------------ */

static int put_escaped(arca_write_fn write, void *baton, const char *v)
{
    int rc = 0;

    while (rc == 0 && *v) {
        size_t n = strcspn(v, "<>&\"'");
        if (n > 0)
            rc = write(baton, v, n);
        v += n;
        if (rc == 0 && *v) {
            switch (*v) {
            case '<': rc = put(write, baton, "&lt;"); break;
            case '>': rc = put(write, baton, "&gt;"); break;
            case '&': rc = put(write, baton, "&amp;"); break;
            case '"': rc = put(write, baton, "&quot;"); break;
            default: rc = put(write, baton, "&#39;"); break;
            }
            v++;
        }
    }
    return rc;
}

static int write_html_cells(arca_write_fn write, void *baton, const char *tag, int n,
                            const char **values)
{
    int rc = put(write, baton, "<tr>");

    for (int c = 0; c < n && rc == 0; c++) {
        rc = put(write, baton, tag[1] == 'h' ? "<th>" : "<td>");
        if (rc == 0)
            rc = put_escaped(write, baton, VALUE(values[c]));
        if (rc == 0)
            rc = put(write, baton, tag[1] == 'h' ? "</th>" : "</td>");
    }
    return rc == 0 ? put(write, baton, "</tr>\n") : rc;
}

static int write_html(const arca_resultset_t *rs, arca_write_fn write, void *baton)
{
    int rc = put(write, baton, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");

    if (rc == 0)
        rc = put_escaped(write, baton, VALUE(rs->title));
    if (rc == 0)
        rc = put(write, baton, "</title></head><body>\n<table>\n");
    if (rc == 0)
        rc = write_html_cells(write, baton, "th", rs->columns->nelts,
                              (const char **)rs->columns->elts);
    for (int r = 0; r < rs->rows->nelts && rc == 0; r++)
        rc = write_html_cells(write, baton, "td", rs->columns->nelts, ROW(rs, r));
    return rc == 0 ? put(write, baton, "</table>\n</body></html>\n") : rc;
}

arca_error_t *arca_resultset_write(const arca_resultset_t *rs, arca_format_t fmt,
                                   apr_pool_t *p, arca_write_fn write, void *baton)
{
    int rc;

    switch (fmt) {
    case ARCA_FORMAT_CSV: rc = write_csv(rs, write, baton); break;
    case ARCA_FORMAT_XML: rc = write_xml(rs, p, write, baton); break;
    case ARCA_FORMAT_HTML: rc = write_html(rs, write, baton); break;
    default: rc = write_json(rs, p, write, baton); break;
    }
    return rc ? arca_error_create(p, 500, "could not write the result") : ARCA_OK;
}

/* ---- streaming ----------------------------------------------------------------------------- */

struct arca_resultset_stream_t {
    apr_pool_t *p;
    arca_format_t fmt;
    const char *title;
    const apr_array_header_t *columns;
    arca_write_fn write;
    void *baton;
    long rows, total;
    int rc;
    arca_xml_out_t *xml_out;
    xmlTextWriterPtr xml;
};

arca_resultset_stream_t *arca_resultset_stream_open(apr_pool_t *p, arca_format_t fmt,
                                                    const char *title,
                                                    const apr_array_header_t *columns,
                                                    long total, arca_write_fn write,
                                                    void *baton)
{
    arca_resultset_stream_t *s = apr_pcalloc(p, sizeof *s);
    xmlTextWriterPtr w;
    int n = columns->nelts;

    *s = (arca_resultset_stream_t){p, fmt, title, columns, write, baton, 0, total, 0, NULL,
                                   NULL};
    switch (fmt) {
    case ARCA_FORMAT_CSV:
        s->rc = write_csv_line(write, baton, n, (const char **)columns->elts);
        break;
    case ARCA_FORMAT_XML:
        if ((w = s->xml = arca_xml_out_open(p, write, baton, &s->xml_out)) == NULL) {
            s->rc = -1;
            break;
        }
        s->rc |= xmlTextWriterStartElement(w, BAD_CAST "ResultSet") < 0;
        s->rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns",
                                             BAD_CAST "http://nrg.wustl.edu/xe") < 0;
        if (total >= 0)
            s->rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "totalRecords",
                                                 BAD_CAST apr_ltoa(p, total)) < 0;
        s->rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "title", BAD_CAST VALUE(title)) < 0;
        s->rc |= xmlTextWriterStartElement(w, BAD_CAST "results") < 0;
        s->rc |= xmlTextWriterStartElement(w, BAD_CAST "columns") < 0;
        for (int c = 0; c < n && !s->rc; c++)
            s->rc |= xmlTextWriterWriteElement(w, BAD_CAST "column",
                                               BAD_CAST APR_ARRAY_IDX(columns, c,
                                                                      const char *)) < 0;
        s->rc |= xmlTextWriterEndElement(w) < 0;
        s->rc |= xmlTextWriterStartElement(w, BAD_CAST "rows") < 0;
        break;
    case ARCA_FORMAT_HTML:
        s->rc = put(write, baton, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                    "<title>");
        if (s->rc == 0)
            s->rc = put_escaped(write, baton, VALUE(title));
        if (s->rc == 0)
            s->rc = put(write, baton, "</title></head><body>\n<table>\n");
        if (s->rc == 0)
            s->rc = write_html_cells(write, baton, "th", n, (const char **)columns->elts);
        break;
    default:
        s->rc = put(write, baton, "{\"ResultSet\":{\"Result\":[");
        break;
    }
    return s;
}

int arca_resultset_stream_row(arca_resultset_stream_t *s, const char *const *values)
{
    int n = s->columns->nelts;

    if (s->rc)
        return s->rc;
    switch (s->fmt) {
    case ARCA_FORMAT_CSV:
        s->rc = write_csv_line(s->write, s->baton, n, (const char **)values);
        break;
    case ARCA_FORMAT_XML:
        s->rc |= xmlTextWriterStartElement(s->xml, BAD_CAST "row") < 0;
        for (int c = 0; c < n && !s->rc; c++)
            s->rc |= xmlTextWriterWriteElement(s->xml, BAD_CAST "cell",
                                               BAD_CAST VALUE(values[c])) < 0;
        s->rc |= xmlTextWriterEndElement(s->xml) < 0;
        break;
    case ARCA_FORMAT_HTML:
        s->rc = write_html_cells(s->write, s->baton, "td", n, (const char **)values);
        break;
    default: {
        json_t *obj = json_object();
        for (int c = 0; c < n; c++)
            json_object_set_new(obj, APR_ARRAY_IDX(s->columns, c, const char *),
                                json_string(VALUE(values[c])));
        if (s->rows > 0 && (s->rc = put(s->write, s->baton, ",")) != 0)
            json_decref(obj);
        else
            s->rc = put_json(s->write, s->baton, obj);
        break;
    }
    }
    s->rows++;
    return s->rc;
}

int arca_resultset_stream_close(arca_resultset_stream_t *s)
{
    switch (s->fmt) {
    case ARCA_FORMAT_CSV:
        break;
    case ARCA_FORMAT_XML:
        if (s->xml_out)
            s->rc |= arca_xml_out_close(s->xml_out);
        break;
    case ARCA_FORMAT_HTML:
        if (s->rc == 0)
            s->rc = put(s->write, s->baton, "</table>\n</body></html>\n");
        break;
    default:
        if (s->rc == 0)
            s->rc = put(s->write, s->baton, apr_psprintf(s->p, "],\"totalRecords\":\"%ld\","
                                                          "\"title\":",
                                                          s->total >= 0 ? s->total : s->rows));
        if (s->rc == 0)
            s->rc = put_json(s->write, s->baton, json_string(VALUE(s->title)));
        if (s->rc == 0)
            s->rc = put(s->write, s->baton, "}}");
        break;
    }
    return s->rc;
}
