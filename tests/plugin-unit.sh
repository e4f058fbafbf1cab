#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Verdaccio plugin's own tests (contrib/verdaccio/test/, Node's test runner), run as part
# of make check: their TAP goes straight to automake's driver.  They need the plugin's npm
# dependencies (cd contrib/verdaccio && npm ci); without them (a tarball build, say) they are
# skipped, and .ci/run installs them first.

plugin=${top_srcdir:-$(dirname "$0")/..}/contrib/verdaccio
if ! command -v node >/dev/null 2>&1; then
        echo "1..0 # SKIP node not found"
        exit 0
fi
if [ ! -d "$plugin/node_modules/@homebridge/dbus-native" ] || [ ! -d "$plugin/node_modules/verdaccio" ]; then
        echo "1..0 # SKIP contrib/verdaccio/node_modules missing: run (cd contrib/verdaccio && npm ci)"
        exit 0
fi
cd "$plugin" && exec node --test --test-reporter=tap
