// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A stand-in for pkgtokend for the benchmark, while the daemon lacks Verify: owns
// org.pkgtoken1 on the bus given as argv[2] and answers every Verify "allowed" (and
// FinishPublish), so that the benchmark measures the plugin and the D-Bus round trip.
// Not a test double for anything else.

'use strict';

const net = require('node:net');
const dbus = require('@homebridge/dbus-native');
const { parseAddress } = require('../lib/daemon');

const bus = dbus.createClient({ stream: net.createConnection(parseAddress(process.argv[2])), authMethods: ['EXTERNAL'] });
const details = [
  ['account', ['s', 'bench']], ['owner', ['s', 'account']], ['type', ['s', 'automation']],
  ['token_id', ['s', 'tk_bench000001']], ['scope', ['as', []]], ['expires_at', ['t', 0]],
  ['description', ['s', 'bench']], ['actor', ['s', 'bench (Token "bench")']], ['bypass_2fa', ['b', true]],
];
bus.exportInterface({
  Verify: (token, pkg, action) => ['allowed', 'ok', '', action === 'publish'
    ? [...details, ['publish_id', ['s', 'pub_bench']], ['new_package', ['b', true]]] : details],
  FinishPublish: () => null,
}, '/org/pkgtoken1', {
  name: 'org.pkgtoken1.Manager',
  methods: {
    Verify: ['sssa{sv}', 'sssa{sv}', ['token', 'package', 'action', 'options'], ['result', 'code', 'message', 'details']],
    FinishPublish: ['sba{sv}', '', ['id', 'succeeded', 'options'], []],
  },
  signals: {},
});
bus.requestName('org.pkgtoken1', 4, (err) => {
  if (err) {
    console.error('stub-daemon: cannot own org.pkgtoken1:', err.message || err);
    process.exit(1);
  }
  console.log('ready');
});
bus.connection.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
