#!/bin/sh
# Sets up and runs pkgtokend with its embedded SQLite store:
#   1. installs the build dependencies when some are missing (scripts/install-deps.sh),
#   2. builds in ./build,
#   3. starts the daemon on the system bus when it can (root, a running system bus, systemd),
#      otherwise on a private bus under ./.quickstart whose address it prints.
#
#   ./quickstart.sh          set up and start
#   ./quickstart.sh stop     stop what a private-bus quickstart started (by PID)
set -eu

top=$(cd "$(dirname "$0")" && pwd)
build="$top/build"
run="${PKGTOKEN_QUICKSTART_DIR:-$top/.quickstart}"

stop_private() {
        for name in pkgtokend dbus-daemon; do
                pidfile="$run/$name.pid"
                [ -f "$pidfile" ] || continue
                pid=$(cat "$pidfile")
                kill "$pid" 2>/dev/null && echo "Stopped $name (PID $pid)."
                rm -f "$pidfile"
        done
}

if [ "${1:-}" = stop ]; then
        stop_private
        exit 0
elif [ $# -gt 0 ]; then
        echo "usage: $0 [stop]" >&2
        exit 2
fi

"$top/scripts/install-deps.sh"

system_bus=no
if [ "$(id -u)" -eq 0 ] && [ -S /run/dbus/system_bus_socket ] && [ -d /run/systemd/system ]; then
        system_bus=yes
fi

# A first session with pkgtokenctl, shown once pkgtokend runs (on either bus).
print_examples() {
        cat <<'EOF'
  pkgtokenctl status
  pkgtokenctl account add alice --email=alice@example.org
  pkgtokenctl package add left-pad --maintainer=alice
  pkgtokenctl token create alice --type=automation --package=left-pad --description="CI release"
  pkgtokenctl token list
  echo pkgt_... | pkgtokenctl authorize left-pad publish
EOF
}

# On the system bus the files go where dbus-daemon and systemd look for them.
if [ $system_bus = yes ]; then
        set -- --prefix=/usr/local --sysconfdir=/etc --localstatedir=/var \
                --with-dbus-policy-dir=/etc/dbus-1/system.d \
                --with-dbus-system-service-dir=/usr/local/share/dbus-1/system-services \
                --with-systemdsystemunitdir=/etc/systemd/system \
                --with-sysusersdir=/etc/sysusers.d --with-tmpfilesdir=/etc/tmpfiles.d
fi
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null)
mkdir -p "$build"
if [ ! -f "$build/Makefile" ] || [ $system_bus = yes ]; then
        (cd "$build" && "$top/configure" -q "$@")
fi
make -C "$build" -j"$(nproc)" -s

if [ $system_bus = yes ]; then
        make -C "$build" -s install
        systemd-sysusers
        systemd-tmpfiles --create /etc/tmpfiles.d/pkgtoken-tmpfiles.conf
        busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
        systemctl daemon-reload
        systemctl restart pkgtokend.service
        cat <<EOF

pkgtokend is running on the system bus (systemctl status pkgtokend; journalctl -u pkgtokend).
Its database is /var/lib/pkgtoken/tokens.db.  Try:

EOF
        print_examples
        exit 0
fi

# A private bus: a dbus-daemon of our own and pkgtokend on it, both in the background.
stop_private
mkdir -p "$run"
chmod 0700 "$run"
sed "s|@SOCKET@|$run/bus|" "$top/tests/bus.conf.in" > "$run/bus.conf"
dbus-daemon --config-file="$run/bus.conf" --nofork --print-address=1 > "$run/address" 2>"$run/dbus.log" &
echo $! > "$run/dbus-daemon.pid"
tries=0
until [ -s "$run/address" ]; do
        tries=$((tries + 1))
        [ $tries -le 100 ] || { echo "dbus-daemon did not start; see $run/dbus.log" >&2; exit 1; }
        sleep 0.1
done
address=$(head -n 1 "$run/address")

"$build/pkgtokend/pkgtokend" --state-dir="$run/state" --bus-address="$address" 2>"$run/pkgtokend.log" &
echo $! > "$run/pkgtokend.pid"
tries=0
until busctl --address="$address" call org.pkgtoken1 /org/pkgtoken1 org.freedesktop.DBus.Peer Ping >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ $tries -gt 100 ] || ! kill -0 "$(cat "$run/pkgtokend.pid")" 2>/dev/null; then
                echo "pkgtokend did not start:" >&2
                cat "$run/pkgtokend.log" >&2
                exit 1
        fi
        sleep 0.1
done

cat <<EOF

pkgtokend is running on a private bus (no root or system bus needed).
  bus:       $address
  database:  $run/state/tokens.db
  logs:      $run/pkgtokend.log
  stop:      ./quickstart.sh stop

In your shell:

  export PKGTOKEN_BUS_ADDRESS='$address'
  export PATH="$build/pkgtokenctl:\$PATH"
EOF
print_examples
