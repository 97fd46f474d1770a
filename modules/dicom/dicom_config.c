/* mod_arca_dicom's directives, checked when the configuration is read so that `httpd -t`
 * names a bad one. */
#include <string.h>

#include <apr_strings.h>

#include "dicom_config.h"
#include "directive_parse.h"
#include "import/routing_rules.h"
#include "store/filestore.h"

void *dicom_create_server_conf(apr_pool_t *p, server_rec *s)
{
    dicom_conf *conf = apr_pcalloc(p, sizeof *conf);

    conf->receivers = apr_array_make(p, 2, sizeof(arca_dicom_receiver_t *));
    conf->peers = apr_array_make(p, 2, sizeof(arca_dnet_peer_t));
    conf->max_associations = 16;
    conf->max_per_peer = 8;
    conf->timeout = 30;
    conf->artim_timeout = 10;
    conf->max_object = (apr_off_t)512 * 1024 * 1024;
    return conf;
}

/* 1-16 characters of the default repertoire, no backslash, not all spaces. */
static int valid_ae(const char *ae)
{
    size_t n = strlen(ae);

    if (n == 0 || n > 16 || strspn(ae, " ") == n)
        return 0;
    for (const char *c = ae; *c; c++)
        if (*c < 0x20 || *c > 0x7e || *c == '\\')
            return 0;
    return 1;
}

static const char *host_port(cmd_parms *cmd, const char *arg, const char **host, int *port)
{
    const char *colon = strrchr(arg, ':');
    apr_int64_t n;

    if (colon == NULL)
        return apr_psprintf(cmd->pool, "%s: '%s' is not host:port", cmd->cmd->name, arg);
    if (!arca_parse_whole(colon + 1, 1, 65535, &n))
        return apr_psprintf(cmd->pool, "%s: '%s': a port is 1-65535", cmd->cmd->name, arg);
    *host = colon == arg ? "0.0.0.0" : apr_pstrmemdup(cmd->pool, arg, (apr_size_t)(colon - arg));
    if (strcmp(*host, "*") == 0)
        *host = "0.0.0.0";
    *port = (int)n;
    return NULL;
}

static const char *in_main_server(cmd_parms *cmd)
{
    return cmd->server->is_virtual ? apr_psprintf(cmd->pool, "%s: not in a VirtualHost; the "
                                                  "listener serves the site", cmd->cmd->name)
                                   : NULL;
}

/* ArcaDicomReceiver AE host:port [project=P] [dest=prearchive|archive] [user=login]
 *                   [callers=AE1,AE2] [sync=on|off] */
static const char *add_receiver(cmd_parms *cmd, void *dummy, int argc, char *const argv[])
{
    dicom_conf *conf = dicom_conf_get(cmd->server);
    arca_dicom_receiver_t *r = apr_pcalloc(cmd->pool, sizeof *r);
    const char *err;

    if ((err = in_main_server(cmd)))
        return err;
    if (argc < 2)
        return "ArcaDicomReceiver: give an AE title and host:port";
    if (!valid_ae(argv[0]))
        return apr_psprintf(cmd->pool, "ArcaDicomReceiver: '%s' is not an AE title (1-16 "
                            "printable characters, no backslash)", argv[0]);
    r->ae_title = argv[0];
    r->to_prearchive = 1;
    if ((err = host_port(cmd, argv[1], &r->host, &r->port)))
        return err;
    for (int i = 0; i < conf->receivers->nelts; i++) {
        const arca_dicom_receiver_t *o = APR_ARRAY_IDX(conf->receivers, i,
                                                       arca_dicom_receiver_t *);
        if (o->port == r->port)
            return apr_psprintf(cmd->pool, "ArcaDicomReceiver %s: port %d is taken by %s",
                                r->ae_title, r->port, o->ae_title);
    }
    for (int i = 2; i < argc; i++) {
        const char *eq = strchr(argv[i], '='), *v = eq ? eq + 1 : "";
        size_t klen = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
        if (klen == 7 && strncmp(argv[i], "project", 7) == 0 && arca_valid_label(v))
            r->project = v;
        else if (klen == 4 && strncmp(argv[i], "dest", 4) == 0
                 && (strcmp(v, "archive") == 0 || strcmp(v, "prearchive") == 0))
            r->to_prearchive = v[0] == 'p';
        else if (klen == 4 && strncmp(argv[i], "user", 4) == 0 && *v)
            r->user = v;
        else if (klen == 4 && strncmp(argv[i], "sync", 4) == 0
                 && (strcmp(v, "on") == 0 || strcmp(v, "off") == 0))
            r->no_sync = strcmp(v, "off") == 0;
        else if (klen == 7 && strncmp(argv[i], "callers", 7) == 0 && *v) {
            char *copy = apr_pstrdup(cmd->pool, v), *state = NULL;
            r->callers = apr_array_make(cmd->pool, 4, sizeof(const char *));
            for (char *ae = apr_strtok(copy, ",", &state); ae; ae = apr_strtok(NULL, ",", &state)) {
                if (!valid_ae(ae))
                    return apr_psprintf(cmd->pool, "ArcaDicomReceiver %s: callers: '%s' is "
                                        "not an AE title", r->ae_title, ae);
                APR_ARRAY_PUSH(r->callers, const char *) = ae;
            }
        } else
            return apr_psprintf(cmd->pool, "ArcaDicomReceiver %s: '%s': use project=P, "
                                "dest=prearchive|archive, user=login, callers=AE[,AE...], "
                                "sync=on|off", r->ae_title, argv[i]);
    }
    APR_ARRAY_PUSH(conf->receivers, arca_dicom_receiver_t *) = r;
    return NULL;
}

static const char *add_peer(cmd_parms *cmd, void *dummy, const char *ae, const char *addr)
{
    arca_dnet_peer_t *peer;
    const char *err;

    if ((err = in_main_server(cmd)))
        return err;
    if (!valid_ae(ae))
        return apr_psprintf(cmd->pool, "ArcaDicomPeer: '%s' is not an AE title", ae);
    peer = apr_array_push(dicom_conf_get(cmd->server)->peers);
    peer->ae_title = ae;
    return host_port(cmd, addr, &peer->host, &peer->port);
}

/* ArcaDicomMaxAssociations, ArcaDicomMaxPerPeer, ArcaDicomTimeout, ArcaDicomArtimTimeout:
 * cmd->info is the field's offset. */
static const char *set_int(cmd_parms *cmd, void *dummy, const char *arg)
{
    int *field = (int *)((char *)dicom_conf_get(cmd->server) + (apr_size_t)cmd->info);

    return arca_directive_int(cmd, arg, 1, 100000, NULL, field);
}

static const char *set_max_object(cmd_parms *cmd, void *dummy, const char *arg)
{
    apr_int64_t n;

    if (!arca_parse_whole(arg, 1024, (apr_int64_t)4 * 1024 * 1024 * 1024, &n))
        return "ArcaDicomMaxObjectSize: bytes, from 1024 to 4 GiB";
    dicom_conf_get(cmd->server)->max_object = (apr_off_t)n;
    return NULL;
}

/* ArcaDicomRoute AE project|subject|session "(gggg,eeee):regex", after the receiver's
 * ArcaDicomReceiver; rules apply in the order given. */
static const char *add_route(cmd_parms *cmd, void *dummy, const char *ae, const char *kind,
                             const char *rule)
{
    dicom_conf *conf = dicom_conf_get(cmd->server);
    arca_dicom_receiver_t *r = NULL;
    arca_routing_rule_t *compiled;
    arca_route_kind_t k;
    arca_error_t *err;
    const char *bad;

    if ((bad = in_main_server(cmd)))
        return bad;
    for (int i = 0; i < conf->receivers->nelts && !r; i++)
        if (strcmp(APR_ARRAY_IDX(conf->receivers, i, arca_dicom_receiver_t *)->ae_title, ae)
            == 0)
            r = APR_ARRAY_IDX(conf->receivers, i, arca_dicom_receiver_t *);
    if (r == NULL)
        return apr_psprintf(cmd->pool, "ArcaDicomRoute: no ArcaDicomReceiver %s before this "
                            "line", ae);
    if (!arca_route_kind_parse(kind, &k))
        return apr_psprintf(cmd->pool, "ArcaDicomRoute %s: '%s': route project, subject or "
                            "session", ae, kind);
    if ((err = arca_routing_rule_parse(cmd->pool, k, rule, &compiled)))
        return apr_psprintf(cmd->pool, "ArcaDicomRoute %s: %s", ae, err->message);
    if (r->routing == NULL)
        r->routing = apr_array_make(cmd->pool, 4, sizeof(arca_routing_rule_t *));
    APR_ARRAY_PUSH(r->routing, arca_routing_rule_t *) = compiled;
    return NULL;
}

/* One row per directive: the shape repeats by design. */
const command_rec dicom_directives[] = {
    AP_INIT_TAKE_ARGV("ArcaDicomReceiver", add_receiver, NULL, RSRC_CONF,
                      "AE-title host:port [project=P] [dest=prearchive|archive] "
                      "[user=login] [callers=AE,...] [sync=on|off]: a DICOM listener (C-ECHO, "
                      "C-STORE, C-FIND, C-MOVE, C-GET)"),
    AP_INIT_TAKE3("ArcaDicomRoute", add_route, NULL, RSRC_CONF,
                  "AE-title project|subject|session \"(gggg,eeee):regex\": custom routing for "
                  "a receiver, from an element's value (the regex's first group)"),
    AP_INIT_TAKE2("ArcaDicomPeer", add_peer, NULL, RSRC_CONF,
                  "AE-title host:port: a C-MOVE destination"),
    AP_INIT_TAKE1("ArcaDicomMaxAssociations", set_int,
                  (void *)APR_OFFSETOF(dicom_conf, max_associations), RSRC_CONF,
                  "associations served at once, over all receivers (default 16)"),
    AP_INIT_TAKE1("ArcaDicomMaxPerPeer", set_int,
                  (void *)APR_OFFSETOF(dicom_conf, max_per_peer), RSRC_CONF,
                  "associations from one IP address at once, and connections from it "
                  "awaiting their association requests (default 8)"),
    AP_INIT_TAKE1("ArcaDicomTimeout", set_int,
                  (void *)APR_OFFSETOF(dicom_conf, timeout), RSRC_CONF,
                  "seconds a peer may stay silent (default 30)"),
    AP_INIT_TAKE1("ArcaDicomArtimTimeout", set_int,
                  (void *)APR_OFFSETOF(dicom_conf, artim_timeout), RSRC_CONF,
                  "seconds a connection may take to send its association request (ARTIM; "
                  "default 10, at most ArcaDicomTimeout)"),
    AP_INIT_TAKE1("ArcaDicomMaxObjectSize", set_max_object, NULL, RSRC_CONF,
                  "bytes of one received object (default 536870912)"),
    {NULL}
};
