// SPDX-License-Identifier: LGPL-2.1-or-later
// Every Verify answer -> HTTP status and body, through a real Verdaccio with a fake daemon.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('../test-support/helpers');

const allowed = (over = {}) => ({ result: 'allowed', code: 'ok', message: '', details: h.details(over) });
const refused = (result, code, message) => ({ result, code, message, details: h.details() });

test('gate', async (t) => {
  const fake = new h.FakeDaemon();
  fake.on('finishPublish', []);
  const v = await h.startVerdaccio(fake, { settings: { trusted_proxies: ['127.0.0.1'] } });
  t.after(() => v.close());

  await t.test('allowed publish stores the package and reports FinishPublish(true)', async () => {
    fake.on('verify', (tok, pkg, action) => allowed(action === 'publish' ? { publish_id: 'pub_ok' } : {}));
    const r = await h.request(v.url, 'PUT', '/left-pad', { token: h.TOKEN, body: h.publishBody('left-pad', '1.0.0') });
    assert.equal(r.status, 201, r.text);
    const call = fake.last('verify');
    assert.deepEqual(call.args.slice(0, 3), [h.TOKEN, 'left-pad', 'publish']);
    assert.equal(call.args[3].version, '1.0.0');
    assert.equal(call.args[3].remote, '127.0.0.1');
    await new Promise((r2) => setTimeout(r2, 50));
    assert.deepEqual(fake.last('finishPublish').args.slice(0, 2), ['pub_ok', true]);
  });

  await t.test('a publish Verdaccio rejects reports FinishPublish(false)', async () => {
    fake.on('verify', () => allowed({ publish_id: 'pub_bad' }));
    const body = h.publishBody('left-pad', '1.0.0');   // same version again: 409 from Verdaccio
    const r = await h.request(v.url, 'PUT', '/left-pad', { token: h.TOKEN, body });
    assert.ok(r.status >= 400, `status ${r.status}`);
    await new Promise((r2) => setTimeout(r2, 50));
    const f = fake.last('finishPublish');
    assert.equal(f.args[0], 'pub_bad');
    assert.equal(f.args[1], false);
    assert.match(f.args[2].reason, /HTTP \d+/);
  });

  await t.test('allowed read returns the packument', async () => {
    fake.on('verify', () => allowed());
    const r = await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'left-pad');
    assert.equal(fake.last('verify').args[2], 'read');
  });

  await t.test('a full packument shows pkgtokend\'s maintainers (GetPackageInfo, no code); npm install\'s asks nothing', async () => {
    fake.on('verify', () => allowed());
    fake.on('getPackageInfo', () => ({ package: { name: 'left-pad', policy: 'none' }, maintainers: [{ name: 'alice', email: 'alice@example.org' }, { name: 'bob', email: '' }] }));
    let r = await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN, headers: { accept: 'application/json', 'npm-otp': '123456' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.maintainers, [{ name: 'alice', email: 'alice@example.org' }, { name: 'bob', email: '' }]);
    assert.deepEqual(fake.last('getPackageInfo').args, [{ token: h.TOKEN, remote: '127.0.0.1' }, 'left-pad']);
    const n = fake.count('getPackageInfo');
    r = await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN, headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' } });
    assert.equal(r.status, 200);
    assert.equal(fake.count('getPackageInfo'), n, 'no GetPackageInfo for the abbreviated packument');
    r = await h.request(v.url, 'GET', '/left-pad/-/left-pad-1.0.0.tgz', { token: h.TOKEN });
    assert.equal(fake.count('getPackageInfo'), n, 'nor for a tarball');
    fake.on('getPackageInfo', () => new h.DaemonError('org.pkgtoken1.Error.NoSuchPackage', 'No such package'));
    r = await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN });
    assert.equal(r.status, 200, 'a package pkgtokend does not know is still served');
    assert.equal(r.json.name, 'left-pad');
  });

  await t.test('otp-required -> 401 + WWW-Authenticate: OTP (npm EOTP)', async () => {
    fake.on('verify', () => refused('otp-required', 'otp-required', 'this package needs a one-time password'));
    const r = await h.request(v.url, 'PUT', '/left-pad', { token: h.TOKEN, body: h.publishBody('left-pad', '1.0.1') });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'OTP');
    assert.match(r.json.error, /one-time pass/);
  });

  await t.test('the npm-otp header goes to Verify as "otp" (writes only)', async () => {
    fake.on('verify', () => allowed({ publish_id: 'pub_2' }));
    await h.request(v.url, 'PUT', '/left-pad', { token: h.TOKEN, body: h.publishBody('left-pad', '1.0.2'), headers: { 'npm-otp': '123456' } });
    assert.equal(fake.last('verify').args[3].otp, '123456');
    await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN, headers: { 'npm-otp': '123456' } });
    assert.equal(fake.last('verify').args[3].otp, undefined, 'a read must not spend the code');
  });

  await t.test('bad-otp -> 401 + OTP challenge', async () => {
    fake.on('verify', () => refused('bad-otp', 'replayed-otp', 'this one-time password was used already'));
    const r = await h.request(v.url, 'PUT', '/left-pad', { token: h.TOKEN, body: h.publishBody('left-pad', '1.0.3'), headers: { 'npm-otp': '111111' } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'OTP');
    assert.match(r.json.error, /used already/);
  });

  for (const [code, msg] of [['out-of-scope', 'token not valid for left-pad'], ['address-not-allowed', 'address not allowed'],
    ['read-only', 'read-only token'], ['tokens-disallowed', 'left-pad is 2fa-only: automation tokens refused']]) {
    await t.test(`forbidden (${code}) -> 403 with the message`, async () => {
      fake.on('verify', () => refused('forbidden', code, msg));
      const r = await h.request(v.url, 'PUT', '/left-pad', { token: h.TOKEN, body: h.publishBody('left-pad', '1.0.4') });
      assert.equal(r.status, 403);
      assert.equal(r.json.error, msg);
      assert.equal(r.headers.get('www-authenticate'), null);
    });
  }

  await t.test('invalid -> 401 without OTP challenge', async () => {
    fake.on('verify', () => refused('invalid', 'revoked', 'token revoked'));
    const r = await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN });
    assert.equal(r.status, 401);
    assert.equal(r.json.error, 'token revoked');
    assert.doesNotMatch(String(r.headers.get('www-authenticate')), /OTP/);
  });

  await t.test('rate-limited -> 429 with Retry-After', async () => {
    fake.on('verify', () => refused('rate-limited', 'rate-limited', 'too many invalid tokens'));
    const r = await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  });

  await t.test('an unknown result is a refusal, never an allow', async () => {
    fake.on('verify', () => ({ result: 'maybe', code: 'ok', message: '', details: {} }));
    const r = await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN });
    assert.equal(r.status, 403);
  });

  await t.test('daemon down -> 503 quickly', async () => {
    fake.on('verify', () => new h.DaemonUnavailable('no daemon'));
    const r = await h.request(v.url, 'PUT', '/left-pad', { token: h.TOKEN, body: h.publishBody('left-pad', '1.0.5') });
    assert.equal(r.status, 503);
    assert.match(r.json.error, /unavailable/);
  });

  await t.test('registry not in RegistryGroup (AccessDenied) -> 503', async () => {
    fake.on('verify', () => new h.DaemonError('org.pkgtoken1.Error.AccessDenied', 'not allowed'));
    const r = await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN });
    assert.equal(r.status, 503);
  });

  await t.test('the bus refuses this registry (AccessDenied from dbus-daemon) -> 503', async () => {
    fake.on('verify', () => new h.DaemonError('org.freedesktop.DBus.Error.AccessDenied', 'Rejected send message'));
    const r = await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN });
    assert.equal(r.status, 503);
  });

  await t.test('a malformed URL -> 400, no daemon call', async () => {
    const n = fake.count('verify');
    const r = await h.request(v.url, 'GET', '/%E0%A4%A', { token: h.TOKEN });
    assert.equal(r.status, 400);
    assert.equal(fake.count('verify'), n);
  });

  await t.test('a non-pkgtoken bearer token -> 401 without a daemon call', async () => {
    const n = fake.count('verify');
    const r = await h.request(v.url, 'GET', '/left-pad', { headers: { authorization: 'Bearer eyJhbGciOi.fake.jwt' } });
    assert.equal(r.status, 401);
    assert.equal(fake.count('verify'), n);
  });

  await t.test('HTTP Basic __token__ + token works, the user goes to Verify as account', async () => {
    fake.on('verify', () => allowed());
    const auth = Buffer.from(`alice:${h.TOKEN}`).toString('base64');
    const r = await h.request(v.url, 'GET', '/left-pad', { headers: { authorization: `Basic ${auth}` } });
    assert.equal(r.status, 200);
    assert.equal(fake.last('verify').args[3].account, 'alice');
  });

  await t.test('X-Forwarded-For honoured only from trusted proxies', async () => {
    fake.on('verify', () => allowed());
    await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN, headers: { 'x-forwarded-for': '192.0.2.7' } });
    assert.equal(fake.last('verify').args[3].remote, '192.0.2.7');
  });

  await t.test('anonymous publish -> 401 from Verdaccio, no daemon call', async () => {
    const n = fake.count('verify');
    const r = await h.request(v.url, 'PUT', '/left-pad', { body: h.publishBody('left-pad', '9.0.0') });
    assert.equal(r.status, 401);
    assert.equal(fake.count('verify'), n);
  });

  await t.test('dist-tag, deprecate and unpublish get their own actions', async () => {
    fake.on('verify', (tok, pkg, action) => allowed({ publish_id: `pub_${action}` }));
    let r = await h.request(v.url, 'PUT', '/-/package/left-pad/dist-tags/beta', { token: h.TOKEN, body: '1.0.0' });
    assert.equal(fake.last('verify').args[2], 'dist-tag');
    assert.ok(r.status < 300, r.text);
    const pk = (await h.request(v.url, 'GET', '/left-pad', { token: h.TOKEN })).json;
    pk.versions['1.0.0'].deprecated = 'do not use';
    r = await h.request(v.url, 'PUT', '/left-pad', { token: h.TOKEN, body: pk });
    assert.equal(fake.last('verify').args[2], 'deprecate');
    assert.equal(fake.last('verify').args[3].version, '1.0.0');
    r = await h.request(v.url, 'DELETE', `/left-pad/-rev/${pk._rev}`, { token: h.TOKEN });
    assert.equal(fake.last('verify').args[2], 'unpublish');
  });

  await t.test('each request of an unpublish is Verify\'s to allow (the daemon repeats the code)', async () => {
    fake.on('verify', (tok, pkg, action) => (action === 'read' ? allowed() : allowed({ publish_id: 'pub_u' })));
    await h.request(v.url, 'PUT', '/two', { token: h.TOKEN, body: h.publishBody('two', '1.0.0') });
    await h.request(v.url, 'PUT', '/two', { token: h.TOKEN, body: h.publishBody('two', '1.0.1') });
    const pk = (await h.request(v.url, 'GET', '/two', { token: h.TOKEN })).json;
    delete pk.versions['1.0.1'];
    pk['dist-tags'].latest = '1.0.0';
    let r = await h.request(v.url, 'PUT', `/two/-rev/${pk._rev}`, { token: h.TOKEN, body: pk, headers: { 'npm-otp': '222222' } });
    assert.equal(fake.last('verify').args[2], 'unpublish');
    assert.equal(fake.last('verify').args[3].version, '1.0.1');
    assert.ok(r.status < 300, r.text);
    r = await h.request(v.url, 'DELETE', `/two/-/two-1.0.1.tgz/-rev/${pk._rev}`, { token: h.TOKEN, headers: { 'npm-otp': '222222' } });
    assert.ok(r.status < 300, `${r.status} ${r.text}`);
    assert.equal(fake.last('verify').args[2], 'unpublish');
    assert.equal(fake.last('verify').args[3].otp, '222222', 'the tarball DELETE sends its code to Verify');
    fake.on('verify', () => refused('bad-otp', 'replayed-otp', 'used already'));
    r = await h.request(v.url, 'DELETE', `/two/-/two-1.0.0.tgz/-rev/${pk._rev}`, { token: h.TOKEN, headers: { 'npm-otp': '222222' } });
    assert.equal(r.status, 401, 'a DELETE Verify refuses is refused, right after an allowed unpublish too');
  });

  await t.test('no secret in Verdaccio\'s log', async () => {
    const fs = require('node:fs');
    const log = fs.readFileSync(v.logFile, 'utf8');
    assert.ok(log.length > 0);
    assert.doesNotMatch(log, /pkgt_/);
    assert.doesNotMatch(log, /123456|222222/);
  });
});
