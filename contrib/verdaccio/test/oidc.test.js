// SPDX-License-Identifier: LGPL-2.1-or-later
// npm's trusted-publishing exchange (POST /-/npm/v1/oidc/token/exchange/package/<name>)
// through a real Verdaccio with a fake daemon: ExchangeIdToken's answers -> HTTP.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('../test-support/helpers');
const { REFUSAL_STATUS } = require('../lib/oidc');

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2NpLmV4YW1wbGUuY29tIn0.c2lnbmF0dXJl';
const MINTED = 'pkgt_' + 'T'.repeat(36) + 'tp0001';
const EXCHANGE = '/-/npm/v1/oidc/token/exchange/package/';

test('oidc exchange', async (t) => {
  const fake = new h.FakeDaemon();
  const v = await h.startVerdaccio(fake);
  t.after(() => v.close());

  await t.test('allowed -> 201 {token}; the ID token, package and address go to ExchangeIdToken', async () => {
    fake.on('exchangeIdToken', () => ({ result: 'allowed', code: 'ok', message: 'allowed', details: { token: MINTED, token_id: 'tk_tp' } }));
    const r = await h.request(v.url, 'POST', `${EXCHANGE}app`, { token: JWT });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json, { token: MINTED });
    assert.deepEqual(fake.last('exchangeIdToken').args, [JWT, 'app', { remote: '127.0.0.1' }]);
  });

  await t.test('a scoped name as npm escapes it', async () => {
    const r = await h.request(v.url, 'POST', `${EXCHANGE}@acme%2fapp`, { token: JWT });
    assert.equal(r.status, 201);
    assert.equal(fake.last('exchangeIdToken').args[1], '@acme/app');
  });

  for (const [code, status] of Object.entries(REFUSAL_STATUS)) {
    await t.test(`refused ${code} -> ${status}, no token`, async () => {
      fake.on('exchangeIdToken', () => ({ result: 'forbidden', code, message: `no: ${code}`, details: {} }));
      const r = await h.request(v.url, 'POST', `${EXCHANGE}app`, { token: JWT });
      assert.equal(r.status, status);
      assert.equal(r.json.token, undefined);
      assert.equal(r.json.code, code);
    });
  }

  await t.test('no bearer, a pkgtoken token or garbage as the bearer -> 401 without a daemon call', async () => {
    const before = fake.count('exchangeIdToken');
    for (const token of [undefined, h.TOKEN, 'not-a-jwt', `${JWT}.extra`]) {
      const r = await h.request(v.url, 'POST', `${EXCHANGE}app`, { token });
      assert.equal(r.status, 401, String(token));
    }
    assert.equal(fake.count('exchangeIdToken'), before);
  });

  await t.test('the daemon unavailable -> 503 + Retry-After, never a token', async () => {
    fake.on('exchangeIdToken', () => new h.DaemonUnavailable('down'));
    const r = await h.request(v.url, 'POST', `${EXCHANGE}app`, { token: JWT });
    assert.equal(r.status, 503);
    assert.ok(r.headers.get('retry-after'));
    assert.equal(r.json.token, undefined);
  });
});
