# tools/quickstart's httpd configuration: conf/httpd.conf.in filled in. Sourced, not run.
# Expects $top; tests/integration/test_xnatpy_session.py runs it as the quickstart does.

# The receiver's port from ARCA_DICOM_PORT: unset means 8104 (XNAT's default), empty
# means no receiver.
dicom_port_setting() {
    p=${ARCA_DICOM_PORT-8104}
    case "$p" in *[!0-9]*) die "ARCA_DICOM_PORT must be a port number or empty, not '$p'";; esac
    echo "$p"
}

# The ArcaDicomReceiver line for a port, or nothing. It stores as the site admin of the
# quickstart into the prearchive, where each project's prearchive setting decides what is
# archived, as XNAT's receiver does; it listens on 127.0.0.1 only.
dicom_receiver_line() {
    [ -n "$1" ] && echo "ArcaDicomReceiver ARCA 127.0.0.1:$1 user=admin"
    return 0
}

# write_httpd_conf OUT VAR PORT DICOM_PORT CONNINFO HTDOCS USER_DIRECTIVES
write_httpd_conf() {
    sed -e "s|@SERVER_ROOT@|$2|g" \
        -e "s|@LISTEN@|127.0.0.1:$3|g" \
        -e "s|@HTTPD_MODULEDIR@|$(apxs -q LIBEXECDIR)|g" \
        -e "s|@ARCA_MODULEDIR@|$top/modules/.libs|g" \
        -e "s|@DATABASE@|$5|g" \
        -e "s|@SITE_ID@|${ARCA_SITE_ID:-XNAT}|g" \
        -e "s|@HTDOCS@|$6|g" \
        "$top/conf/httpd.conf.in" \
        | awk -v u="$7" -v d="$(dicom_receiver_line "$4")" '
            $0 == "@USER_DIRECTIVES@" { print u; next }
            $0 == "@DICOM_RECEIVER@" { print d; next }
            { print }' > "$1"
}
