#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/audit-flood.py PKGTOKEND [CALLS]: what CALLS (default 60000) refused publishes from one
# address (unknown tokens; after TokenGuessLimit= a minute, rate-limited) write to the audit
# table: its rows, the sum of their counts, and how much the database grew.  Not a test: it
# prints figures (issue 8, item 5: before the aggregation, one row per refusal).
#
# A private dbus-daemon and pkgtokend in a temp dir, both stopped by PID at the end.

import os, shutil, signal, sqlite3, subprocess, sys, tempfile, time
import dbus

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
daemon = sys.argv[1]
calls = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
tmp = tempfile.mkdtemp(prefix="pkgtoken-audit-flood.")
procs = []
try:
    conf = open(os.path.join(top, "tests/bus.conf.in")).read().replace("@SOCKET@", tmp + "/bus")
    open(tmp + "/bus.conf", "w").write(conf)
    bus = subprocess.Popen(["dbus-daemon", "--config-file=" + tmp + "/bus.conf", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    procs.append(bus)
    address = bus.stdout.readline().strip()
    state = tmp + "/state"
    pkgd = subprocess.Popen([daemon, "--state-dir=" + state, "--bus-address=" + address, "--config=/dev/null"],
                            stderr=subprocess.DEVNULL)
    procs.append(pkgd)
    conn = dbus.bus.BusConnection(address)
    for _ in range(100):
        try:
            mgr = dbus.Interface(conn.get_object("org.pkgtoken1", "/org/pkgtoken1"), "org.pkgtoken1.Manager")
            mgr.GetStatus()
            break
        except dbus.DBusException:
            time.sleep(0.1)
    pkgd.send_signal(signal.SIGTERM); pkgd.wait()
    base = os.path.getsize(state + "/tokens.db")
    pkgd = subprocess.Popen([daemon, "--state-dir=" + state, "--bus-address=" + address, "--config=/dev/null"],
                            stderr=subprocess.DEVNULL)
    procs.append(pkgd)
    for _ in range(100):
        try:
            mgr = dbus.Interface(conn.get_object("org.pkgtoken1", "/org/pkgtoken1"), "org.pkgtoken1.Manager")
            mgr.GetStatus()
            break
        except dbus.DBusException:
            time.sleep(0.1)
    results = {}
    t0 = time.monotonic()
    for i in range(calls):
        r = mgr.Authorize("pkgt_unknown%d" % i, "pkg", "publish", {"remote": dbus.String("192.0.2.9", variant_level=1)})
        results[str(r[0])] = results.get(str(r[0]), 0) + 1
    seconds = time.monotonic() - t0
    pkgd.send_signal(signal.SIGTERM); pkgd.wait()
    db = sqlite3.connect(state + "/tokens.db")
    cols = [c[1] for c in db.execute("PRAGMA table_info(audit)")]
    rows = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    total = db.execute("SELECT sum(count) FROM audit").fetchone()[0] if "count" in cols else rows
    db.close()
    size = os.path.getsize(state + "/tokens.db")
    print("%d refused publishes from one address in %.1f s (%s)" % (calls, seconds,
          ", ".join("%s: %d" % kv for kv in sorted(results.items()))))
    print("audit rows: %d (counting %d refusals); tokens.db grew by %d bytes (%.1f MB)"
          % (rows, total, size - base, (size - base) / 1e6))
finally:
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait()
    shutil.rmtree(tmp)
