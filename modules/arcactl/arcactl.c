/* arcactl: Arca's admin command line. It talks to the same database as the server, named
 * by the same libpq connection string (-d, or ARCA_DATABASE). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <apr_strings.h>

#include "base/arca.h"
#include "access/account.h"
#include "access/account_view.h"
#include "fsck/fsck.h"
#include "access/password.h"
#include "db/schema.h"

static const char usage[] =
    "usage: arcactl [-d CONNINFO] COMMAND [ARGS]\n"
    "\n"
    "  -d CONNINFO   PostgreSQL connection string, as in ArcaDatabase\n"
    "                (default: the ARCA_DATABASE environment variable)\n"
    "\n"
    "commands:\n"
    "  migrate                 apply the schema migrations the database lacks\n"
    "  status                  schema version and counts\n"
    "  user add LOGIN [--admin] [--password-file FILE | --new-password-file FILE]\n"
    "                          create an account; --new-password-file writes a random\n"
    "                          password to FILE (mode 0600) if FILE does not exist yet\n"
    "  user show LOGIN         an account's details; exits 1 if there is none\n"
    "  user passwd LOGIN --password-file FILE\n"
    "                          set an account's local password from FILE's first line\n"
    "  version                 Arca's version and the schema version it knows\n"
    "  fsck --archive DIR [--prearchive DIR] [--min-age SECONDS] [--remove-orphans]\n"
    "       [--dry-run]        check the files against the database after a crash:\n"
    "                          removes temp files of unfinished uploads, reports (with\n"
    "                          --remove-orphans removes) files and prearchive folders no\n"
    "                          row names, reports rows whose file is missing or of another\n"
    "                          size; leaves alone anything changed in the last SECONDS\n"
    "                          (default 3600). Exits 0 when clean or all fixed, 1 on\n"
    "                          damage, 2 on errors\n";

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;

    fputs("arcactl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static int fail_err(const arca_error_t *err)
{
    return fail("%s", err->message);
}

static arca_db_t *connect_or_die(apr_pool_t *p, const char *conninfo)
{
    arca_db_t *db;
    arca_error_t *err;

    if (conninfo == NULL) {
        fail("no database: pass -d CONNINFO or set ARCA_DATABASE");
        exit(2);
    }
    if ((err = arca_db_open(p, conninfo, &db))) {
        fail_err(err);
        exit(1);
    }
    return db;
}

static void report_applied(const arca_migration_t *m, void *baton)
{
    printf("applied %04d_%s\n", m->version, m->name);
}

static int cmd_migrate(apr_pool_t *p, arca_db_t *db)
{
    int applied, version;
    arca_error_t *err = arca_schema_migrate(db, p, &applied, report_applied, NULL);

    if (err)
        return fail_err(err);
    if ((err = arca_schema_version(db, p, &version)))
        return fail_err(err);
    printf("schema version %d%s\n", version, applied ? "" : " (already up to date)");
    return 0;
}

static int cmd_status(apr_pool_t *p, arca_db_t *db)
{
    int version;
    long accounts, projects;
    arca_error_t *err = arca_schema_version(db, p, &version);

    if (err)
        return fail_err(err);
    printf("schema version: %d (this build: %d)\n", version, arca_schema_known_version());
    if (version == 0) {
        printf("the database has no Arca schema: run 'arcactl migrate'\n");
        return 0;
    }
    if (arca_schema_counts(db, p, &accounts, &projects))
        accounts = projects = -1;
    printf("accounts: %ld\n", accounts);
    printf("projects: %ld\n", projects);
    return version == arca_schema_known_version() ? 0 : 3;
}

/* First line of a file, for passwords: never from the command line, where `ps` shows it. */
static int read_secret(apr_pool_t *p, const char *path, const char **out)
{
    char buf[1024];
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return fail("cannot read %s: %s", path, strerror(errno));
    if (fgets(buf, sizeof buf, f) == NULL)
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0] == '\0')
        return fail("%s: empty password", path);
    *out = apr_pstrdup(p, buf);
    return 0;
}

/* Writes a new random password to `path` (mode 0600), refusing to overwrite. */
static int write_new_secret(apr_pool_t *p, const char *path, const char **out)
{
    const char *pw;
    arca_error_t *err = arca_random_password(p, 24, &pw);
    int fd;

    if (err)
        return fail_err(err);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return fail("cannot create %s: %s", path, strerror(errno));
    if (dprintf(fd, "%s\n", pw) < 0 || fsync(fd) != 0 || close(fd) != 0) {
        unlink(path);
        return fail("cannot write %s: %s", path, strerror(errno));
    }
    *out = pw;
    return 0;
}

static int cmd_user(apr_pool_t *p, arca_db_t *db, int argc, const char *const *argv)
{
    const char *sub, *login, *password_file = NULL, *new_password_file = NULL;
    const char *password = NULL;
    int admin = 0;
    arca_error_t *err;

    if (argc < 2)
        return fail("user: say 'add LOGIN' or 'passwd LOGIN'");
    sub = argv[0];
    login = argv[1];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--admin") == 0)
            admin = 1;
        else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc)
            password_file = argv[++i];
        else if (strcmp(argv[i], "--new-password-file") == 0 && i + 1 < argc)
            new_password_file = argv[++i];
        else
            return fail("user: unknown option '%s'", argv[i]);
    }
    if (password_file && read_secret(p, password_file, &password))
        return 1;
    if (strcmp(sub, "add") == 0) {
        if (new_password_file && write_new_secret(p, new_password_file, &password))
            return 1;
        if ((err = arca_account_add(db, p, login, password, admin))) {
            if (new_password_file)
                unlink(new_password_file);
            return fail_err(err);
        }
        printf("created account %s%s\n", login, admin ? " (site admin)" : "");
        return 0;
    }
    if (strcmp(sub, "show") == 0) {
        arca_account_t *found;
        if ((err = arca_account_find(db, p, login, &found)))
            return fail_err(err);
        if (found == NULL)
            return fail("no account '%s'", login);
        fputs(arca_account_text(p, found), stdout);
        return 0;
    }
    if (strcmp(sub, "passwd") == 0) {
        if (password == NULL)
            return fail("user passwd: give --password-file FILE");
        if ((err = arca_account_set_password(db, p, login, password, NULL)))
            return fail_err(err);
        printf("password of %s set\n", login);
        return 0;
    }
    return fail("user: unknown subcommand '%s'", sub);
}

static const char *action_text(const arca_fsck_finding_t *f, apr_pool_t *p)
{
    switch (f->action) {
    case ARCA_FSCK_REMOVED:
        return "removed";
    case ARCA_FSCK_WOULD_REMOVE:
        return "would be removed (dry run)";
    case ARCA_FSCK_REMOVE_FAILED:
        return apr_pstrcat(p, "cannot remove: ", f->reason, NULL);
    default:
        break;
    }
    switch (f->kind) {
    case ARCA_FSCK_MISSING_FILE:
        return apr_psprintf(p, "no file (%" APR_OFF_T_FMT " bytes recorded)", f->recorded);
    case ARCA_FSCK_WRONG_SIZE:
        return apr_psprintf(p, "%" APR_OFF_T_FMT " bytes on disk, %" APR_OFF_T_FMT
                            " recorded", f->size, f->recorded);
    case ARCA_FSCK_BAD_PATH:
        return "the row's path is not a safe relative path";
    case ARCA_FSCK_UNCHECKABLE:
        return apr_pstrcat(p, "cannot check: ", f->reason, NULL);
    case ARCA_FSCK_MISSING_FOLDER:
        return "no folder for this prearchive row";
    default:
        return "kept (--remove-orphans removes it)";
    }
}

/* One line per finding: kind, where, what was done. Paths are the archive's own (labels
 * and UIDs after de-identification), never a client's file name. */
static void print_finding(void *baton, const arca_fsck_finding_t *f)
{
    apr_pool_t *p;

    apr_pool_create(&p, baton);
    printf("%s %s:%s%s%s: %s\n", arca_fsck_kind_name(f->kind), f->root, f->path,
           f->resource ? " resource " : "", f->resource ? f->resource : "",
           action_text(f, p));
    apr_pool_destroy(p);
}

static int cmd_fsck(apr_pool_t *p, const char *conninfo, int argc, const char *const *argv)
{
    arca_fsck_options_t o = {0};
    arca_fsck_summary_t sum;
    arca_db_t *db;
    arca_error_t *err;

    o.min_age = apr_time_from_sec(3600);
    for (int i = 0; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--archive") == 0 && i + 1 < argc)
            o.archive = argv[++i];
        else if (strcmp(argv[i], "--prearchive") == 0 && i + 1 < argc)
            o.prearchive = argv[++i];
        else if (strcmp(argv[i], "--min-age") == 0 && i + 1 < argc) {
            long long s = strtoll(argv[++i], &end, 10);
            if (*argv[i] == '\0' || *end || s < 0 || s > 100LL * 365 * 86400) {
                fail("fsck: --min-age takes a number of seconds");
                return 2;
            }
            o.min_age = apr_time_from_sec(s);
        } else if (strcmp(argv[i], "--remove-orphans") == 0)
            o.remove_orphans = 1;
        else if (strcmp(argv[i], "--dry-run") == 0)
            o.dry_run = 1;
        else {
            fail("fsck: unknown option '%s'", argv[i]);
            return 2;
        }
    }
    if (o.archive == NULL) {
        fail("fsck: say where the archive is: --archive DIR (ArcaArchive)");
        return 2;
    }
    if (conninfo == NULL) {
        fail("no database: pass -d CONNINFO or set ARCA_DATABASE");
        return 2;
    }
    if ((err = arca_db_open(p, conninfo, &db))) {
        fail_err(err);
        return 2;
    }
    o.report = print_finding;
    o.baton = p;
    err = arca_fsck(db, p, &o, &sum);
    /* "name count" pairs, so scripts can read it */
    printf("summary: rows %ld, files %ld", sum.rows, sum.files);
    for (int k = 0; k < ARCA_FSCK_KINDS; k++) {
        printf(", %s %ld", arca_fsck_kind_name(k), sum.found[k]);
        if (k < ARCA_FSCK_MISSING_FILE)
            printf(" (removed %ld)", sum.removed[k]);
    }
    printf(", recent %ld%s\n", sum.recent, o.dry_run ? " (dry run)" : "");
    if (err) {
        fail("fsck: %s", err->message);
        return 2;
    }
    return arca_fsck_damaged(&sum) ? 1 : 0;
}

int main(int argc, const char *const *argv)
{
    const char *conninfo = getenv("ARCA_DATABASE"), *cmd;
    apr_pool_t *p;
    int i = 1;

    if (arca_library_init() != 0)
        return fail("cannot initialise APR");
    apr_pool_create(&p, NULL);
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
            conninfo = argv[i + 1];
            i += 2;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    cmd = argv[i++];
    if (strcmp(cmd, "version") == 0) {
        printf("arca %s, schema version %d\n", arca_version(), arca_schema_known_version());
        return 0;
    }
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(p, connect_or_die(p, conninfo));
    if (strcmp(cmd, "status") == 0)
        return cmd_status(p, connect_or_die(p, conninfo));
    if (strcmp(cmd, "fsck") == 0)
        return cmd_fsck(p, conninfo, argc - i, argv + i);
    if (strcmp(cmd, "user") == 0)
        return cmd_user(p, connect_or_die(p, conninfo), argc - i, argv + i);
    fprintf(stderr, "arcactl: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
