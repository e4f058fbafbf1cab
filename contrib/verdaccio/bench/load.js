// SPDX-License-Identifier: LGPL-2.1-or-later
//
// node load.js URL AUTH-HEADER SECONDS CONNECTIONS: GETs URL over keep-alive connections
// for SECONDS and prints "<requests/s> <errors>" (non-200 answers count as errors).
// Loopback only: refuses any host but 127.0.0.1.

'use strict';

const http = require('node:http');

const [url, auth, seconds = '5', conns = '8'] = process.argv.slice(2);
const u = new URL(url);
if (u.hostname !== '127.0.0.1') {
  console.error('load.js: loopback only');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conns) });
const end = Date.now() + Number(seconds) * 1000;
let ok = 0;
let errors = 0;

function one() {
  if (Date.now() >= end) return Promise.resolve();
  return new Promise((resolve) => {
    const req = http.get({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent,
      headers: auth ? { authorization: auth, accept: 'application/json' } : { accept: 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) ok += 1;
        else errors += 1;
        resolve();
      });
    });
    req.on('error', () => { errors += 1; resolve(); });
  }).then(one);
}

const t0 = Date.now();
Promise.all(Array.from({ length: Number(conns) }, one)).then(() => {
  const s = (Date.now() - t0) / 1000;
  console.log(`${(ok / s).toFixed(1)} ${errors}`);
  agent.destroy();
});
