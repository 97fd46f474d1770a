# Shared by tools/quickstart and tools/test: install what is missing, then build.
# Sourced, not run. Expects $top (the checkout).

BUILD_PACKAGES="build-essential autoconf automake libtool pkg-config
 apache2 apache2-dev libapr1-dev libaprutil1-dev libpq-dev postgresql
 libdcmtk-dev libsndfile1-dev libxml2-dev libjansson-dev libarchive-dev libcmocka-dev"
TEST_PACKAGES="python3-pytest python3-requests python3-pyxnat python3-pydicom dcmtk"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'arca: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root to run: $* (run as root, or install sudo)"
    fi
}

# Installs the Debian packages of the list that are not installed yet; nothing else.
install_missing() {
    missing=""
    for pkg in $*; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    say "installing:$missing"
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
