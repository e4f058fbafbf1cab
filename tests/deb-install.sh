#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Debian packages, built and installed the way an operator gets them (not part of `make
# check`: it needs root, debootstrap and a Debian mirror; .ci/run runs it after distcheck):
#
#   1. a clean `git clone` of HEAD (committed work only) is built with
#      `dpkg-buildpackage -us -uc -b`, and again with a bumped version for the upgrade;
#   2. a fresh Debian root is made with `debootstrap --variant=minbase` (the host's suite and
#      mirror, or $PKGTOKEN_DEB_MIRROR), and the .debs are installed into it with apt, which
#      fetches their dependencies;
#   3. checks: where each file landed, the system user, the state directory, that nothing was
#      enabled or started (no unit symlinks, no PAM stack changed);
#   4. smoke: the installed pkgtokend, run as its user with the installed bus policy on a
#      private dbus-daemon, answers the installed pkgtokenctl: status, account add, package
#      add, token create, authorize;
#   5. upgrade to the bumped version: the database and its token survive;
#   6. remove keeps /var/lib/pkgtoken; purge deletes it.
#
# Output is TAP; the last line says how long each phase took.  KEEP=1 keeps the work dir.
# Usage: tests/deb-install.sh  (as root, from a git checkout)

set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LC_ALL=C.UTF-8

n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
        n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
        shift
        local l
        for l in "$@"; do printf '# %s\n' "$l"; done
}
check() { # check DESC CMD...
        local desc=$1
        shift
        if "$@" >/dev/null 2>&1; then pass "$desc"; else fail "$desc" "failed: $*"; fi
}
diag() { printf '# %s\n' "$@"; }
bail() { echo "Bail out! $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (debootstrap, chroot)"; exit 0; }
for tool in git dpkg-buildpackage debootstrap chroot mount; do
        command -v "$tool" >/dev/null || bail "$tool not found (scripts/install-deps.sh installs it)"
done

work=$(mktemp -d /var/tmp/pkgtoken-deb.XXXXXX)
root=$work/root
pids=()
cleanup() {
        local p
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        mountpoint -q "$root/proc" 2>/dev/null && umount "$root/proc"
        if [ "${KEEP:-0}" = 1 ]; then
                echo "# kept $work"
        else
                rm -rf "$work"
        fi
}
trap cleanup EXIT

timings=()
phase_start=$SECONDS
phase() { # phase NAME: ends the current phase under NAME
        timings+=("$1 $((SECONDS - phase_start))s")
        phase_start=$SECONDS
}

# --- 1. build ------------------------------------------------------------------------------------------
head=$(git -C "$top" rev-parse HEAD) || bail "not a git checkout: $top"
git clone --quiet --no-local "$top" "$work/src" && git -C "$work/src" checkout --quiet "$head" ||
        bail "cannot clone $top"
diag "building $head"
DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)"
export DEB_BUILD_OPTIONS
(cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/build1.log" 2>&1 ||
        { tail -n 40 "$work/build1.log"; bail "dpkg-buildpackage failed"; }
mkdir -p "$work/v1" "$work/v2"
mv "$work"/*.deb "$work/v1/"
version1=$(dpkg-parsechangelog -l "$work/src/debian/changelog" -S Version)
# The upgrade: the same tree with one more changelog entry, repackaged (-nc: no clean, nothing
# to recompile).
version2=$version1+upgrade1
{
        printf 'pkgtoken (%s) unstable; urgency=medium\n\n  * Upgrade test.\n\n' "$version2"
        printf ' -- pkgtoken tests <pkgtoken@example.org>  %s\n\n' "$(date -R)"
        cat "$work/src/debian/changelog"
} >"$work/changelog" && mv "$work/changelog" "$work/src/debian/changelog"
(cd "$work/src" && dpkg-buildpackage -us -uc -b -nc) >"$work/build2.log" 2>&1 ||
        { tail -n 40 "$work/build2.log"; bail "dpkg-buildpackage (upgrade) failed"; }
mv "$work"/*.deb "$work/v2/"
rm -f "$work"/v[12]/*-dbgsym_*.deb
diag "built: $(cd "$work/v1" && echo *.deb)"
debs=(pkgtokend pkgtokenctl libpam-pkgtoken pkgtoken-upload-gate node-verdaccio-pkgtoken)
for p in "${debs[@]}"; do
        check "built $p $version1 and $version2" \
                test -f "$(echo "$work/v1/${p}_${version1}_"*.deb)" -a -f "$(echo "$work/v2/${p}_${version2}_"*.deb)"
done
# lintian: no error or warning (info tags are overridden with a reason in debian/*.lintian-overrides).
if command -v lintian >/dev/null; then
        if lintian --fail-on error,warning --pedantic -I "$work"/v1/*.deb >"$work/lintian.log" 2>&1; then
                pass "lintian: no errors or warnings ($(grep -vc "^running with root" "$work/lintian.log") tags overridden or pedantic)"
        else
                fail "lintian: no errors or warnings"
        fi
        grep -v '^running with root' "$work/lintian.log" | sed 's/^/# lintian: /'
else
        fail "lintian is installed (scripts/install-deps.sh)"
fi
phase build

# --- 2. a clean root -----------------------------------------------------------------------------------
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
mirror=${PKGTOKEN_DEB_MIRROR:-}
if [ -z "$mirror" ]; then
        # The host's first Debian mirror that is not the security archive (deb822 or one-line).
        mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *//p' | tr ' ' '\n' |
                grep -v security | head -n 1)
        [ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                grep -v security | awk '{ print $2 }' | head -n 1)
        : "${mirror:=http://deb.debian.org/debian}"
fi
diag "debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log"; bail "debootstrap failed (network? set PKGTOKEN_DEB_MIRROR)"; }
mount -t proc proc "$root/proc" || bail "cannot mount /proc in the root"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
# As in any image build: no service starts inside the root.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
phase debootstrap

in_root() {
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
                DEBIAN_FRONTEND=noninteractive "$@"
}
apt_install() { # apt_install DIR VERSION: every package of that build
        local dir=$1 version=$2 p list=()
        rm -rf "$root/tmp/debs" && cp -r "$dir" "$root/tmp/debs"
        for p in "${debs[@]}"; do list+=("$(cd "$root" && echo "tmp/debs/${p}_${version}_"*.deb)"); done
        in_root apt-get install -y -q --no-install-recommends "${list[@]/#//}" >>"$work/apt.log" 2>&1
}

# --- 3. install ----------------------------------------------------------------------------------------
in_root apt-get update -q >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; bail "apt-get update failed"; }
if apt_install "$work/v1" "$version1"; then
        pass "apt-get install ./*.deb ($version1) into the clean root"
else
        tail -n 30 "$work/apt.log"
        bail "apt-get install failed"
fi
for p in "${debs[@]}"; do
        check "$p $version1 is installed" \
                test "$(in_root dpkg-query -W -f='${Status} ${Version}' "$p")" = "install ok installed $version1"
done
phase install

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
# FILE OWNER: each file is there and dpkg says which package put it there.
while read -r file owner; do
        got=$(in_root dpkg-query -S "$file" 2>/dev/null | cut -d: -f1)
        if [ -e "$root$file" ] && [ "$got" = "$owner" ]; then
                pass "$file (from $owner)"
        else
                fail "$file (from $owner)" "exists: $([ -e "$root$file" ] && echo yes || echo no), owner: '$got'"
        fi
done <<EOF
/usr/libexec/pkgtoken/pkgtokend pkgtokend
/lib/systemd/system/pkgtokend.service pkgtokend
/usr/libexec/pkgtoken/pkgtoken-issuer-refresh pkgtokend
/lib/systemd/system/pkgtoken-issuer-refresh.service pkgtokend
/lib/systemd/system/pkgtoken-issuer-refresh.timer pkgtokend
/usr/share/man/man8/pkgtoken-issuer-refresh.8.gz pkgtokend
/lib/systemd/system/pkgtokend-direct.socket pkgtokend
/usr/share/dbus-1/system.d/org.pkgtoken1.conf pkgtokend
/usr/share/dbus-1/system-services/org.pkgtoken1.service pkgtokend
/usr/share/dbus-1/interfaces/org.pkgtoken1.xml pkgtokend
/usr/lib/sysusers.d/pkgtoken.conf pkgtokend
/usr/lib/tmpfiles.d/pkgtoken-tmpfiles.conf pkgtokend
/usr/share/man/man8/pkgtokend.8.gz pkgtokend
/usr/share/man/man5/pkgtokend.conf.5.gz pkgtokend
/usr/share/man/man5/org.pkgtoken1.5.gz pkgtokend
/usr/libexec/pkgtoken/pkgtoken-pam-helper pkgtokend
/lib/systemd/system/pkgtoken-pam-helper.socket pkgtokend
/lib/systemd/system/pkgtoken-pam-helper@.service pkgtokend
/usr/share/man/man8/pkgtoken-pam-helper.8.gz pkgtokend
/usr/bin/pkgtokenctl pkgtokenctl
/usr/share/bash-completion/completions/pkgtokenctl pkgtokenctl
/usr/share/man/man1/pkgtokenctl.1.gz pkgtokenctl
/lib/$multiarch/security/pam_pkgtoken.so libpam-pkgtoken
/usr/share/man/man8/pam_pkgtoken.8.gz libpam-pkgtoken
/usr/share/doc/libpam-pkgtoken/examples/pkgtoken.pam libpam-pkgtoken
/usr/libexec/pkgtoken/pkgtoken-upload-gate pkgtoken-upload-gate
/lib/systemd/system/pkgtoken-upload-gate.socket pkgtoken-upload-gate
/lib/systemd/system/pkgtoken-upload-gate.service pkgtoken-upload-gate
/usr/share/nodejs/verdaccio-pkgtoken/index.js node-verdaccio-pkgtoken
/usr/share/nodejs/verdaccio-pkgtoken/package.json node-verdaccio-pkgtoken
EOF
check "the plugin comes without node_modules" test ! -e "$root/usr/share/nodejs/verdaccio-pkgtoken/node_modules"
check "nothing installed in /usr/local" test -z "$(find "$root/usr/local" -type f)"

# The system user (systemd-sysusers) and the state directory (systemd-tmpfiles).
user=$(in_root getent passwd pkgtoken)
if [[ $user == pkgtoken:x:*:*:*:/var/lib/pkgtoken:* ]] && [ "$(echo "$user" | cut -d: -f3)" -lt 1000 ]; then
        pass "system user pkgtoken ($user)"
else
        fail "system user pkgtoken" "getent: '$user'"
fi
check "group pkgtoken" in_root getent group pkgtoken
check "/var/lib/pkgtoken is pkgtoken:pkgtoken 0700" \
        test "$(in_root stat -c '%U:%G %a' /var/lib/pkgtoken)" = "pkgtoken:pkgtoken 700"

# Nothing enabled or started: the daemon is bus-activated, the gate needs configuring first,
# and the PAM module is for registries' own services.
check "pkgtokend.service is not enabled" \
        test -z "$(find "$root/etc/systemd/system" -name 'pkgtoken*' 2>/dev/null)"
check "no PAM service uses pam_pkgtoken" test -z "$(grep -rl pam_pkgtoken "$root/etc/pam.d" 2>/dev/null)"
check "no pam-auth-update profile" test -z "$(find "$root/usr/share/pam-configs" -name '*pkgtoken*' 2>/dev/null)"
# Every installed program finds its libraries (the packages' shlibs dependencies are right).
for f in /usr/libexec/pkgtoken/pkgtokend /usr/libexec/pkgtoken/pkgtoken-issuer-refresh /usr/bin/pkgtokenctl \
         /usr/libexec/pkgtoken/pkgtoken-upload-gate /usr/libexec/pkgtoken/pkgtoken-pam-helper \
         "/lib/$multiarch/security/pam_pkgtoken.so"; do
        missing=$(in_root ldd "$f" 2>&1 | grep 'not found')
        if [ -z "$missing" ]; then pass "ldd $f: every library found"; else fail "ldd $f" "$missing"; fi
done
check "pkgtokenctl --version runs" in_root pkgtokenctl --version
plugin_ok=yes
for f in "$root"/usr/share/nodejs/verdaccio-pkgtoken/index.js "$root"/usr/share/nodejs/verdaccio-pkgtoken/lib/*.js; do
        in_root node --check "${f#"$root"}" >/dev/null 2>&1 || { plugin_ok=no; diag "node --check ${f#"$root"} failed"; }
done
check "the installed plugin's files parse with the installed nodejs" test "$plugin_ok" = yes
phase checks

# --- 4. smoke: the installed daemon on a private bus with the installed policy ---------------------------
bus_dir=/run/pkgtoken-smoke
address=unix:path=$bus_dir/bus
start_bus() {
        mkdir -p "$root$bus_dir"
        # The system bus's own configuration, with our socket, without its pid file, user switch
        # and activation; system.d (where org.pkgtoken1.conf is) by its absolute path.
        sed -e "s|<listen>.*</listen>|<listen>$address</listen>|" -e '/<pidfile>/d' -e '/<user>/d' \
            -e '/<servicehelper>/d' -e '/<standard_system_servicedirs/d' \
            -e 's|<includedir>system.d</includedir>|<includedir>/usr/share/dbus-1/system.d</includedir>|' \
            "$root/usr/share/dbus-1/system.conf" >"$root$bus_dir/bus.conf"
        # chroot execs env, which execs dbus-daemon: $! is the bus itself, stopped by that PID
        # (in_root in the background would leave it a child of a subshell, outliving the kill).
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
                dbus-daemon --config-file="$bus_dir/bus.conf" --nofork --nopidfile >"$work/dbus.log" 2>&1 &
        bus_pid=$!
        pids+=("$bus_pid")
        local i
        for ((i = 0; i < 100; i++)); do
                [ -S "$root$bus_dir/bus" ] && return 0
                sleep 0.1
        done
        cat "$work/dbus.log"
        return 1
}
start_daemon() {
        # As its unit runs it: user pkgtoken, state in /var/lib/pkgtoken.
        chroot --userspec=pkgtoken:pkgtoken "$root" /usr/bin/env -i LC_ALL=C.UTF-8 \
                /usr/libexec/pkgtoken/pkgtokend --state-dir=/var/lib/pkgtoken --bus-address="$address" \
                >>"$work/pkgtokend.log" 2>&1 &
        daemon_pid=$!
        pids+=("$daemon_pid")
        local i
        for ((i = 0; i < 100; i++)); do
                ctl status >/dev/null 2>&1 && return 0
                kill -0 "$daemon_pid" 2>/dev/null || break
                sleep 0.1
        done
        cat "$work/pkgtokend.log"
        return 1
}
stop_pid() {
        kill "$1" 2>/dev/null
        wait "$1" 2>/dev/null
}
ctl() { in_root pkgtokenctl --bus-address="$address" "$@"; }

if start_bus; then pass "a private dbus-daemon with the installed system policy"; else fail "dbus-daemon"; fi
if start_daemon; then pass "the installed pkgtokend serves as user pkgtoken"; else fail "pkgtokend starts"; fi
check "pkgtokenctl status" ctl status
check "pkgtokenctl account add alice" ctl account add alice --email=alice@example.org
check "pkgtokenctl package add left-pad --maintainer=alice" ctl package add left-pad --maintainer=alice
token=$(ctl token create alice --type=automation --package=left-pad --description=deb-install 2>/dev/null </dev/null)
if [[ $token == pkgt_* ]]; then pass "pkgtokenctl token create prints the secret once"; else fail "token create" "got '$token'"; fi
answer=$(echo "$token" | ctl authorize left-pad publish 2>&1 | head -n 1)
if [ "$answer" = allowed ]; then pass "pkgtokenctl authorize left-pad publish: allowed"; else fail "authorize" "got '$answer'"; fi
answer=$(echo "$token" | ctl authorize right-pad publish 2>&1)
if [[ $answer == forbidden* ]]; then pass "out of scope: forbidden"; else fail "authorize out of scope" "got '$answer'"; fi
# The installed PAM module, through the installed libpam (pamtester from the mirror), as a
# registry's PAM service would use it.
if in_root apt-get install -y -q --no-install-recommends pamtester >>"$work/apt.log" 2>&1; then
        printf 'auth required pam_pkgtoken.so bus=%s package=left-pad action=publish otp=none\naccount required pam_pkgtoken.so bus=%s\n' \
                "$address" "$address" >"$root/etc/pam.d/pkgtoken-smoke"
        if echo "$token" | in_root pamtester pkgtoken-smoke __token__ authenticate >"$work/pam.log" 2>&1; then
                pass "pam_pkgtoken.so: the token authenticates (pamtester)"
        else
                fail "pam_pkgtoken.so: the token authenticates (pamtester)" "$(cat "$work/pam.log")"
        fi
        if echo "pkgt_wrong" | in_root pamtester pkgtoken-smoke __token__ authenticate >"$work/pam.log" 2>&1; then
                fail "pam_pkgtoken.so: a wrong token is refused" "$(cat "$work/pam.log")"
        else
                pass "pam_pkgtoken.so: a wrong token is refused"
        fi
        rm -f "$root/etc/pam.d/pkgtoken-smoke"
else
        fail "apt-get install pamtester" "$(tail -n 5 "$work/apt.log")"
fi
stop_pid "$daemon_pid"
check "the database is in /var/lib/pkgtoken, the daemon's" \
        test "$(in_root stat -c %U /var/lib/pkgtoken/tokens.db)" = pkgtoken
phase smoke

# --- 5. upgrade over itself -------------------------------------------------------------------------------
before=$(sha256sum <"$root/var/lib/pkgtoken/tokens.db")
if apt_install "$work/v2" "$version2"; then pass "apt-get install the $version2 packages (upgrade)"; else
        tail -n 30 "$work/apt.log"; fail "upgrade"; fi
for p in "${debs[@]}"; do
        check "$p upgraded to $version2" \
                test "$(in_root dpkg-query -W -f='${Version}' "$p")" = "$version2"
done
check "the upgrade left the database alone" test "$(sha256sum <"$root/var/lib/pkgtoken/tokens.db")" = "$before"
if start_daemon; then pass "the upgraded pkgtokend starts on the old database"; else fail "pkgtokend after the upgrade"; fi
check "alice survived the upgrade" ctl account show alice
answer=$(echo "$token" | ctl authorize left-pad publish 2>&1 | head -n 1)
if [ "$answer" = allowed ]; then pass "the token works after the upgrade"; else fail "token after upgrade" "got '$answer'"; fi
stop_pid "$daemon_pid"
stop_pid "$bus_pid"
phase upgrade

# --- 6. remove keeps the state, purge deletes it ----------------------------------------------------------
in_root apt-get remove -y -q pkgtokend >>"$work/apt.log" 2>&1
check "apt-get remove pkgtokend: removed" test ! -e "$root/usr/libexec/pkgtoken/pkgtokend"
check "remove kept /var/lib/pkgtoken/tokens.db" test -f "$root/var/lib/pkgtoken/tokens.db"
check "pkgtokend is in state config-files" \
        test "$(in_root dpkg-query -W -f='${Status}' pkgtokend)" = "deinstall ok config-files"
in_root dpkg --purge pkgtokend >>"$work/apt.log" 2>&1
check "dpkg --purge pkgtokend: /var/lib/pkgtoken is gone" test ! -e "$root/var/lib/pkgtoken"
status=$(in_root dpkg-query -W -f='${Status}' pkgtokend 2>/dev/null)
check "dpkg --purge pkgtokend: the package is gone" test "${status:-unknown ok not-installed}" = "unknown ok not-installed"
check "the other packages are still installed" in_root dpkg-query -W pkgtokenctl libpam-pkgtoken
phase remove-purge

echo "1..$n"
echo "# time: ${timings[*]}; total ${SECONDS}s"
echo "deb-install: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
