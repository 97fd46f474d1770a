# Shared by tools/quickstart and tools/test: install what is missing, then build.
# Sourced, not run. Expects $top (the checkout).

BUILD_PACKAGES="build-essential autoconf automake libtool pkg-config
 apache2 apache2-dev libapr1-dev libaprutil1-dev libpq-dev postgresql
 libdcmtk-dev libsndfile1-dev libxml2-dev libjansson-dev libarchive-dev libcmocka-dev
 libssl-dev zlib1g-dev"
# node and npm build the web pages (web/, npm ci then vite build; Debian 12's Node 18 will do)
BUILD_PACKAGES="$BUILD_PACKAGES nodejs npm"
# slapd, ldap-utils, mod_auth_openidc, node and npm: the private LDAP server and OpenID
# provider the login tests run (tests/integration/ldap_env.py, oidc_env.py). orthanc: the
# PACS the DICOM tests talk to, a private instance on free ports with its own
# configuration (tests/integration/orthanc_env.py); the package may also start a system
# Orthanc on 8042 and 4242, which the tests never use. cppcheck: the static checks
# tools/test runs before the unit tests. clang: the fuzz targets (tests/fuzz/run; its
# libFuzzer runtime comes with clang's libclang-common-*-dev).
TEST_PACKAGES="python3-pytest libxml2-utils python3-requests python3-pyxnat python3-pydicom dcmtk
 slapd ldap-utils libapache2-mod-auth-openidc nodejs npm orthanc cppcheck clang"

# chromium, chromium-driver and python3-selenium: the web pages' tests drive Debian's
# headless Chromium (tests/integration/web_browser.py); they need no Node.
TEST_PACKAGES="$TEST_PACKAGES chromium chromium-driver python3-selenium"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'arca: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root to run: $* (run as root, or install sudo)"
    fi
}

# Whether a package of the list is there. node and npm also count when installed from
# elsewhere (NodeSource's nodejs brings npm, and conflicts with Debian's npm package).
have_package() {
    case "$1" in
        nodejs) command -v node >/dev/null && return 0 ;;
        npm) command -v npm >/dev/null && return 0 ;;
    esac
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Installs the Debian packages of the list that are not installed yet; nothing else.
install_missing() {
    missing=""
    for pkg in $*; do
        have_package "$pkg" || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    say "installing:$missing"
    case " $missing " in
        # No system directory or server: the tests run their own slapd.
        *" slapd "*) echo "slapd slapd/no_configuration boolean true" \
                         | as_root debconf-set-selections ;;
    esac
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends $missing >/dev/null || die "apt-get install failed"
}

# Builds in the checkout; each step only when its inputs changed (make decides the rest).
build() {
    cd "$top" || die "no checkout at $top"
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
        say "autoreconf"
        autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; die "autoreconf failed"; }
    fi
    if [ ! -f Makefile ] || [ configure -nt Makefile ] \
       || [ -n "$(find sql -newer config.status -name '*.sql' 2>/dev/null)" ]; then
        say "configure"
        ./configure -q ${ARCA_CONFIGURE_FLAGS:-} || die "configure failed"
    fi
    say "make"
    make -s -j"$(nproc)" >/dev/null || { make -j1; die "build failed"; }
}

# The npm packages of the tests' OpenID provider (tests/integration/oidc), as its
# package-lock.json pins them: installed when missing or older than the lock file.
install_test_node_modules() {
    dir="$top/tests/integration/oidc"
    stamp="$dir/node_modules/.package-lock.json"
    [ -f "$stamp" ] && [ ! "$dir/package-lock.json" -nt "$stamp" ] && return 0
    say "npm ci (tests/integration/oidc)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
        || die "npm ci failed in $dir"
}
