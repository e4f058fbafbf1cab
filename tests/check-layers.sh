#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The include rule of docs/ARCHITECTURE.md, checked on the sources: no include circle; only
# pkgtokend's bus adapters, manager and credentials cache use sd-bus; domain files never include
# the manager or an adapter; common/ includes nothing outside common/; no C source file over
# 1,000 lines.

top=${top_srcdir:-$(dirname "$0")/..}
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not found"; exit 0; }
exec python3 - "$top" <<'PY'
import glob, os, re, sys

top = sys.argv[1]
dirs = ['common', 'pkgtokend', 'pkgtokenctl', 'pam_pkgtoken', 'upload-gate', 'issuer-refresh', 'pam-helper', 'bench', 'tests', 'tests/fuzz']
files = sorted(f for d in dirs for f in glob.glob(os.path.join(top, d, '*.[ch]')))
rel = {f: os.path.relpath(f, top) for f in files}
by_name = {}
for f in files:
    by_name.setdefault(os.path.basename(f), []).append(f)

def includes(f):
    out = []
    for name in re.findall(r'^#include "([^"]+)"', open(f, encoding='utf-8').read(), re.M):
        cands = by_name.get(os.path.basename(name), [])
        same = [c for c in cands if os.path.dirname(c) == os.path.dirname(f)]
        common = [c for c in cands if rel[c].startswith('common/')]
        out += same or common or cands[:1]
    return out

graph = {f: includes(f) for f in files}
n = 0
def check(ok, desc, detail=''):
    global n
    n += 1
    print(('ok' if ok else 'not ok') + ' %d - %s' % (n, desc))
    if not ok and detail:
        print('# ' + detail)

cycles, state = [], {}
def visit(u, stack):
    state[u] = 1
    stack.append(u)
    for v in graph[u]:
        if state.get(v) == 1:
            cycles.append(' -> '.join(rel[x] for x in stack[stack.index(v):] + [v]))
        elif not state.get(v):
            visit(v, stack)
    stack.pop()
    state[u] = 2
for f in files:
    if not state.get(f):
        visit(f, [])
check(not cycles, 'no include circle', '; '.join(cycles[:3]))

sdbus_ok = re.compile(r'pkgtokend/(bus-[^/]*|manager\.[ch]|creds\.[ch]|main\.c)$')
bad = [rel[f] for f in files if rel[f].startswith('pkgtokend/') and not sdbus_ok.search(rel[f])
       and re.search(r'#include <systemd/sd-bus\.h>|sd_bus_message', open(f, encoding='utf-8').read())]
check(not bad, 'only bus adapters, the manager and the credentials cache use sd-bus in pkgtokend/', ', '.join(bad))

bad = [rel[f] for f in files if rel[f].startswith('pkgtokend/') and not sdbus_ok.search(rel[f])
       and any(rel[g] in ('pkgtokend/manager.h',) or os.path.basename(g).startswith('bus-') for g in graph[f])]
check(not bad, 'domain files include neither the manager nor a bus adapter', ', '.join(bad))

bad = [rel[f] + ' -> ' + rel[g] for f in files if rel[f].startswith('common/') for g in graph[f]
       if not rel[g].startswith('common/')]
check(not bad, 'common/ includes nothing outside common/', ', '.join(bad))

bad = [rel[f] for f in files if rel[f].startswith('pkgtokend/') and not rel[f].startswith('pkgtokend/store')
       and 'store-internal.h' in [os.path.basename(g) for g in graph[f]]]
check(not bad, 'only the store includes store-internal.h', ', '.join(bad))

big = ['%s (%d lines)' % (rel[f], sum(1 for _ in open(f, encoding='utf-8'))) for f in files
       if sum(1 for _ in open(f, encoding='utf-8')) > 1000]
check(not big, 'no C source file over 1,000 lines', ', '.join(big))
print('1..%d' % n)
PY
