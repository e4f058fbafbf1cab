#!/bin/sh
# Installs what pkgtoken needs to build, test and run on Debian/Ubuntu.  The one list of
# packages: .ci/run, quickstart.sh and tests/run-all.sh all call this.  Does nothing when
# everything is present already; needs root (or sudo) otherwise.
set -eu

packages="build-essential autoconf automake libtool pkg-config
libsystemd-dev libsqlite3-dev libpq-dev postgresql libssl-dev zlib1g-dev libjson-c-dev libcurl4-openssl-dev
liboath-dev oathtool libpam0g-dev libcrypt-dev libqrencode-dev
dbus-daemon dbus-bin systemd libglib2.0-bin
jq sqlite3 xz-utils libxml2-utils util-linux coreutils polkitd xvfb dunst
man-db groff-base bash-completion
debhelper dpkg-dev fakeroot lintian debootstrap
nginx libnginx-mod-http-auth-pam libpam-oath libpam-wrapper curl
python3 python3-pip twine
clang libclang-rt-dev llvm
nodejs chromium"

missing=""
for p in $packages; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "Installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
        sudo=""
elif command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
else
        echo "Missing packages:$missing; run this script as root or install them." >&2
        exit 1
fi
$sudo apt-get update -qq
# Packages such as nginx start their service on installation; the tests run their own
# instances on loopback, so keep the system ones from starting (policy-rc.d, exit 101).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod 0755 "$policy"
        trap '$sudo rm -f "$policy"' EXIT
fi
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
