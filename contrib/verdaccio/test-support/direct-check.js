// SPDX-License-Identifier: LGPL-2.1-or-later
//
// lib/daemon.js's transports against the real pkgtokend, for tests/bus-direct.sh:
//   node direct-check.js TRANSPORT DIRECT_SOCKET BUS_ADDRESS TOKEN
// For each line read on stdin it asks Verify(TOKEN, "pkg", "read") on one kept Daemon and
// prints "LINE: RESULT via direct|bus", or "LINE: ERROR-NAME" when the call failed.  The test
// restarts pkgtokend between two lines: the second must find the new daemon.
'use strict';

const readline = require('node:readline');
const { Daemon } = require('../lib/daemon');

const [transport, directSocket, address, token] = process.argv.slice(2);
const daemon = new Daemon({ transport, directSocket, address, timeoutMs: 5000 });
const input = readline.createInterface({ input: process.stdin });

input.on('line', async (line) => {
  try {
    const answer = await daemon.verify(token, 'pkg', 'read', {});
    const via = daemon.bus && daemon.bus.pkgtokenDirect ? 'direct' : 'bus';
    console.log(`${line}: ${answer.result} via ${via}`);
  } catch (e) {
    // The name is what the test compares; the message, on stderr, says why when it differs.
    console.error(`direct-check ${line}: ${e.message}`);
    console.log(`${line}: ${e.name}`);
  }
});
input.on('close', () => daemon.close());
