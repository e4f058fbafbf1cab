// SPDX-License-Identifier: LGPL-2.1-or-later
// npm's account endpoints and the web login, through a real Verdaccio with a fake daemon.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const h = require('../test-support/helpers');

const SESSION = 'pkgt_' + 'S'.repeat(36) + 'sss111';

test('routes', async (t) => {
  const fake = new h.FakeDaemon();
  const v = await h.startVerdaccio(fake);
  t.after(() => v.close());

  await t.test('legacy login: ok -> 201 {token}', async () => {
    fake.on('authenticate', () => ({ result: 'ok', reason: '', details: { session_token: SESSION, session_id: 'tk_s' } }));
    const r = await h.request(v.url, 'PUT', '/-/user/org.couchdb.user:alice', { body: { _id: 'org.couchdb.user:alice', name: 'alice', password: 'pw 1', type: 'user' }, headers: { 'npm-otp': '654321' } });
    assert.equal(r.status, 201);
    assert.equal(r.json.token, SESSION);
    const a = fake.last('authenticate').args;
    assert.deepEqual(a.slice(0, 3), ['alice', 'pw 1', '654321']);
    assert.equal(a[3].session, true);
    assert.equal(a[3].remote, '127.0.0.1');
  });

  for (const [result, status, otp] of [['otp-required', 401, true], ['bad-otp', 401, true], ['bad-credentials', 401, false], ['locked', 401, false], ['rate-limited', 429, false]]) {
    await t.test(`legacy login: ${result} -> ${status}${otp ? ' + OTP challenge' : ''}`, async () => {
      fake.on('authenticate', () => ({ result, reason: 'no', details: {} }));
      const r = await h.request(v.url, 'PUT', '/-/user/org.couchdb.user:alice', { body: { name: 'alice', password: 'x' } });
      assert.equal(r.status, status);
      assert.equal(r.headers.get('www-authenticate') === 'OTP', otp);
      assert.equal(r.json.token, undefined);
    });
  }

  await t.test('whoami -> {username}', async () => {
    fake.on('whoAmI', () => ({ account: 'alice', details: h.details() }));
    const r = await h.request(v.url, 'GET', '/-/whoami', { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { username: 'alice' });
    assert.deepEqual(fake.last('whoAmI').args[0], { token: h.TOKEN, remote: '127.0.0.1' });
  });

  await t.test('whoami without a token -> 401; with a revoked one -> 401', async () => {
    let r = await h.request(v.url, 'GET', '/-/whoami');
    assert.equal(r.status, 401);
    fake.on('whoAmI', () => new h.DaemonError('org.pkgtoken1.Error.BadCredentials', 'token revoked'));
    r = await h.request(v.url, 'GET', '/-/whoami', { token: h.TOKEN });
    assert.equal(r.status, 401);
  });

  await t.test('token list -> npm\'s objects', async () => {
    fake.on('listOwnTokens', () => [
      { id: 'tk_aaaaaaaaaaaa', prefix: 'pkgt_Vb0x', type: 'automation', owner: 'account', scope: ['left-pad'], description: 'ci', created_at: 1700000000000000, expires_at: 0, allowed_cidrs: ['192.0.2.0/24'], state: 'active' },
      { id: 'tk_bbbbbbbbbbbb', prefix: 'pkgt_Zz', type: 'read-only', owner: 'account', scope: [], description: 'old', created_at: 1700000000000000, expires_at: 0, allowed_cidrs: [], state: 'revoked' },
    ]);
    const r = await h.request(v.url, 'GET', '/-/npm/v1/tokens', { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.equal(r.json.objects.length, 1);
    const o = r.json.objects[0];
    assert.equal(o.key, 'tk_aaaaaaaaaaaa');
    assert.equal(o.token, 'pkgt_Vb0x');
    assert.equal(o.readonly, false);
    assert.deepEqual(o.cidr_whitelist, ['192.0.2.0/24']);
    assert.equal(o.created, '2023-11-14T22:13:20.000Z');
    assert.deepEqual(r.json.urls, {});
  });

  await t.test('token create: npm 11\'s fields -> CreateOwnToken', async () => {
    fake.on('createOwnToken', () => ({ id: 'tk_cccccccccccc', token: h.TOKEN2 }));
    const r = await h.request(v.url, 'POST', '/-/npm/v1/tokens', {
      token: h.TOKEN, headers: { 'npm-otp': '101010' },
      body: { name: 'release', password: 'pw 1', packages: ['left-pad'], scopes: ['@acme'], expires: 30, cidr_whitelist: ['192.0.2.0/24'], bypass_2fa: true },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.token, h.TOKEN2);
    const [proof, type, scope, description, expiresAt, cidrs] = fake.last('createOwnToken').args;
    assert.deepEqual(proof, { token: h.TOKEN, remote: '127.0.0.1', otp: '101010', password: 'pw 1' }, 'the token and the password npm sent: pkgtokend checks both');
    assert.equal(type, 'automation');
    assert.deepEqual(scope, ['left-pad', '@acme/*']);
    assert.equal(description, 'release');
    const days = Number(expiresAt - BigInt(Date.now()) * 1000n) / 86400e6;
    assert.ok(days > 29.9 && days <= 30, String(days));
    assert.deepEqual(cidrs, ['192.0.2.0/24']);
  });

  await t.test('token create --read-only (packages_and_scopes_permission) -> read-only', async () => {
    await h.request(v.url, 'POST', '/-/npm/v1/tokens', { token: h.TOKEN, body: { password: 'p', packages_and_scopes_permission: 'read-only' } });
    assert.equal(fake.last('createOwnToken').args[1], 'read-only');
    await h.request(v.url, 'POST', '/-/npm/v1/tokens', { token: h.TOKEN, body: { password: 'p', readonly: true } });
    assert.equal(fake.last('createOwnToken').args[1], 'read-only');
    await h.request(v.url, 'POST', '/-/npm/v1/tokens', { token: h.TOKEN, body: { password: 'p' } });
    assert.equal(fake.last('createOwnToken').args[1], 'publish');
  });

  await t.test('token create refused for governance -> 403; OTP needed -> 401 + OTP', async () => {
    fake.on('createOwnToken', () => new h.DaemonError('org.pkgtoken1.Error.Forbidden', 'automation tokens cannot create tokens'));
    let r = await h.request(v.url, 'POST', '/-/npm/v1/tokens', { token: h.TOKEN, body: { password: 'p' } });
    assert.equal(r.status, 403);
    assert.match(r.json.error, /cannot create tokens/);
    fake.on('createOwnToken', () => new h.DaemonError('org.pkgtoken1.Error.OTPRequired', 'a one-time password is required'));
    r = await h.request(v.url, 'POST', '/-/npm/v1/tokens', { token: h.TOKEN, body: { password: 'p' } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'OTP');
  });

  await t.test('token create: a wrong password -> 401; no password in the body -> a token proof', async () => {
    fake.on('createOwnToken', () => new h.DaemonError('org.pkgtoken1.Error.BadCredentials', 'The proof does not prove an account.'));
    let r = await h.request(v.url, 'POST', '/-/npm/v1/tokens', { token: h.TOKEN, body: { password: 'wrong' } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), null, 'no OTP challenge for a wrong password');
    assert.equal(fake.last('createOwnToken').args[0].password, 'wrong');
    fake.on('createOwnToken', () => ({ id: 'tk_cccccccccccc', token: h.TOKEN2 }));
    r = await h.request(v.url, 'POST', '/-/npm/v1/tokens', { token: h.TOKEN, body: { readonly: true } });
    assert.equal(r.status, 200);
    assert.deepEqual(fake.last('createOwnToken').args[0], { token: h.TOKEN, remote: '127.0.0.1' });
  });

  await t.test('token create with bad expiry -> 400 without a daemon call', async () => {
    const n = fake.count('createOwnToken');
    const r = await h.request(v.url, 'POST', '/-/npm/v1/tokens', { token: h.TOKEN, body: { password: 'p', expires: -3 } });
    assert.equal(r.status, 400);
    assert.equal(fake.count('createOwnToken'), n);
  });

  await t.test('token revoke by id, and by the secret (mapped to its id)', async () => {
    fake.on('revokeOwnToken', []);
    let r = await h.request(v.url, 'DELETE', '/-/npm/v1/tokens/token/tk_aaaaaaaaaaaa', { token: h.TOKEN });
    assert.equal(r.status, 204);
    assert.equal(fake.last('revokeOwnToken').args[1], 'tk_aaaaaaaaaaaa');
    fake.on('verify', () => ({ result: 'allowed', code: 'ok', message: '', details: h.details({ token_id: 'tk_dddddddddddd' }) }));
    r = await h.request(v.url, 'DELETE', `/-/npm/v1/tokens/token/${h.TOKEN2}`, { token: h.TOKEN });
    assert.equal(r.status, 204);
    assert.equal(fake.last('verify').args[2], 'identity');
    assert.equal(fake.last('revokeOwnToken').args[1], 'tk_dddddddddddd');
    fake.on('revokeOwnToken', () => new h.DaemonError('org.pkgtoken1.Error.NoSuchToken', 'no such token'));
    r = await h.request(v.url, 'DELETE', '/-/npm/v1/tokens/token/tk_eeeeeeeeeeee', { token: h.TOKEN });
    assert.equal(r.status, 404);
  });

  await t.test('token rotate (POST .../token/<key>/rotate) -> RotateOwnToken, grace in microseconds', async () => {
    fake.on('rotateOwnToken', { id: 'tk_ffffffffffff', token: h.TOKEN2 });
    let r = await h.request(v.url, 'POST', '/-/npm/v1/tokens/token/tk_aaaaaaaaaaaa/rotate', { token: h.TOKEN, headers: { 'npm-otp': '123456' }, body: { grace: 60 } });
    assert.equal(r.status, 200);
    assert.deepEqual({ key: r.json.key, token: r.json.token, rotated: r.json.rotated }, { key: 'tk_ffffffffffff', token: h.TOKEN2, rotated: 'tk_aaaaaaaaaaaa' });
    const call = fake.last('rotateOwnToken');
    assert.equal(call.args[0].token, h.TOKEN);
    assert.equal(call.args[0].otp, '123456');
    assert.equal(call.args[1], 'tk_aaaaaaaaaaaa');
    assert.equal(call.args[2].grace, 60000000n);
    r = await h.request(v.url, 'POST', '/-/npm/v1/tokens/token/tk_aaaaaaaaaaaa/rotate', { token: h.TOKEN, body: {} });
    assert.equal(fake.last('rotateOwnToken').args[2].grace, 0n);
    const n = fake.count('rotateOwnToken');
    r = await h.request(v.url, 'POST', '/-/npm/v1/tokens/token/tk_aaaaaaaaaaaa/rotate', { token: h.TOKEN, body: { grace: 90000 } });
    assert.equal(r.status, 400);
    assert.equal(fake.count('rotateOwnToken'), n, 'a bad grace makes no daemon call');
    fake.on('rotateOwnToken', () => new h.DaemonError('org.pkgtoken1.Error.Forbidden', 'Automation and package tokens publish without a one-time password, so they cannot create, revoke or rotate tokens'));
    r = await h.request(v.url, 'POST', '/-/npm/v1/tokens/token/tk_aaaaaaaaaaaa/rotate', { token: h.TOKEN, body: {} });
    assert.equal(r.status, 403);
    assert.match(r.json.error, /cannot create, revoke or rotate tokens/);
    fake.on('rotateOwnToken', () => new h.DaemonError('org.pkgtoken1.Error.OTPRequired', 'OTP required'));
    r = await h.request(v.url, 'POST', '/-/npm/v1/tokens/token/tk_aaaaaaaaaaaa/rotate', { token: h.TOKEN, body: {} });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'OTP');
  });

  await t.test('logout -> Logout(token), and the token never reaches the log', async () => {
    fake.on('logout', []);
    const r = await h.request(v.url, 'DELETE', `/-/user/token/${SESSION}`, { token: SESSION });
    assert.equal(r.status, 200);
    assert.equal(fake.last('logout').args[0], SESSION);
    fake.on('logout', () => new h.DaemonError('org.pkgtoken1.Error.InvalidArgument', 'not a session token'));
    const r2 = await h.request(v.url, 'DELETE', `/-/user/token/${h.TOKEN}`, { token: h.TOKEN });
    assert.equal(r2.status, 400);
  });

  await t.test('profile get -> npm\'s shape', async () => {
    fake.on('getProfile', () => ({ name: 'alice', email: 'a@example.org', twofa: 'auth-and-writes', created_at: 1700000000000000, has_password: true }));
    const r = await h.request(v.url, 'GET', '/-/npm/v1/user', { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'alice');
    assert.deepEqual(r.json.tfa, { pending: false, mode: 'auth-and-writes' });
    fake.on('getProfile', () => ({ name: 'bob', email: '', twofa: 'disabled', created_at: 0 }));
    assert.equal((await h.request(v.url, 'GET', '/-/npm/v1/user', { token: h.TOKEN })).json.tfa, false);
  });

  await t.test('enable-2fa: enrol with the password, then confirm with the first code', async () => {
    fake.on('enrollOwnTOTP', () => 'otpauth://totp/pkgtoken:alice?secret=JBSWY3DPEHPK3PXP&issuer=pkgtoken');
    fake.on('whoAmI', () => ({ account: 'alice', details: h.details({ token_id: 'tk_session0001' }) }));
    let r = await h.request(v.url, 'POST', '/-/npm/v1/user', { token: h.TOKEN, body: { tfa: { mode: 'auth-only', password: 'pw 1' } } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.tfa, /^otpauth:\/\//);
    assert.deepEqual(fake.last('enrollOwnTOTP').args[0], { account: 'alice', password: 'pw 1', remote: '127.0.0.1' }, 'a password proof for the token\'s account');
    fake.on('confirmOwnTOTP', () => ['aaaa-bbbb', 'cccc-dddd']);
    r = await h.request(v.url, 'POST', '/-/npm/v1/user', { token: h.TOKEN, body: { tfa: ['123123'] } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.tfa, ['aaaa-bbbb', 'cccc-dddd']);
    assert.deepEqual(fake.last('confirmOwnTOTP').args.slice(1), ['123123', 'auth-only']);
    assert.deepEqual(fake.last('confirmOwnTOTP').args[0], { account: 'alice', password: 'pw 1', remote: '127.0.0.1' }, 'confirmed with the enrolment\'s password');
    r = await h.request(v.url, 'POST', '/-/npm/v1/user', { token: h.TOKEN, body: { tfa: ['123123'] } });
    assert.equal(r.status, 409, 'the password is kept for one confirmation only');
  });

  await t.test('enable-2fa with a token that may not change 2FA: 403, no password tried', async () => {
    const n = fake.count('enrollOwnTOTP');
    for (const over of [{ type: 'automation', bypass_2fa: true }, { type: 'read-only' }, { account: '', owner: 'package', type: 'automation' }]) {
      fake.on('whoAmI', () => ({ account: over.account === undefined ? 'alice' : over.account, details: h.details(over) }));
      const r = await h.request(v.url, 'POST', '/-/npm/v1/user', { token: h.TOKEN, body: { tfa: { mode: 'auth-only', password: 'pw 1' } } });
      assert.equal(r.status, 403, r.text);
    }
    assert.equal(fake.count('enrollOwnTOTP'), n);
    fake.on('whoAmI', () => ({ account: 'alice', details: h.details({ token_id: 'tk_session0001' }) }));
  });

  await t.test('enable-2fa when on: mode change; disable-2fa', async () => {
    fake.on('enrollOwnTOTP', () => new h.DaemonError('org.pkgtoken1.Error.TwoFactorAlreadyEnabled', 'already'));
    fake.on('setOwnTwoFactorMode', []);
    let r = await h.request(v.url, 'POST', '/-/npm/v1/user', { token: h.TOKEN, headers: { 'npm-otp': '999000' }, body: { tfa: { mode: 'auth-and-writes', password: 'pw' } } });
    assert.equal(r.status, 200);
    assert.equal(r.json.tfa.mode, 'auth-and-writes');
    assert.equal(fake.last('setOwnTwoFactorMode').args[0].otp, '999000');
    r = await h.request(v.url, 'POST', '/-/npm/v1/user', { token: h.TOKEN, body: { tfa: { mode: 'disable', password: 'pw' } } });
    assert.equal(r.status, 200);
    assert.equal(r.json.tfa, false);
    assert.equal(fake.last('setOwnTwoFactorMode').args[1], 'disabled');
  });

  const info = (...names) => ({ package: { name: 'left-pad', policy: 'none' }, maintainers: names.map((name) => ({ name, email: `${name}@example.org` })) });

  await t.test('owner add/rm: the difference to pkgtokend\'s maintainers -> ChangeMaintainer', async () => {
    fake.on('getPackageInfo', () => info('alice', 'carol'));
    fake.on('changeMaintainer', []);
    const r = await h.request(v.url, 'PUT', '/left-pad/-rev/3-abc', {
      token: h.TOKEN, headers: { 'npm-otp': '777777' },
      body: { _id: 'left-pad', _rev: '3-abc', maintainers: [{ name: 'alice', email: '' }, { name: 'bob', email: '' }] },
    });
    assert.equal(r.status, 200, r.text);
    const calls = fake.calls.filter((c) => c.method === 'changeMaintainer').slice(-2).map((c) => c.args.slice(1));
    assert.deepEqual(calls, [['left-pad', 'bob', true], ['left-pad', 'carol', false]], 'adds first, then removals');
    assert.equal(fake.last('changeMaintainer').args[0].otp, '777777');
    assert.equal(fake.last('getPackageInfo').args[0].otp, undefined, 'the code is for ChangeMaintainer');
  });

  await t.test('owner rm of the last maintainer -> 409 saying so', async () => {
    fake.on('getPackageInfo', () => info('alice'));
    fake.on('changeMaintainer', () => new h.DaemonError('org.pkgtoken1.Error.LastMaintainer', "'alice' is the last maintainer of 'left-pad'; add another first."));
    const r = await h.request(v.url, 'PUT', '/left-pad/-rev/3-abc', { token: h.TOKEN, body: { _id: 'left-pad', maintainers: [] } });
    assert.equal(r.status, 409);
    assert.match(r.json.error, /last maintainer of 'left-pad'; add another first/);
    assert.deepEqual(fake.last('changeMaintainer').args.slice(1), ['left-pad', 'alice', false]);
  });

  await t.test('npm access set mfa=none|publish|automation -> SetOwnPackagePolicy(none|2fa-only|2fa-or-automation)', async () => {
    fake.on('setOwnPackagePolicy', []);
    for (const [body, policy] of [[{ publish_requires_tfa: false }, 'none'],
      [{ publish_requires_tfa: true, automation_token_overrides_tfa: false }, '2fa-only'],
      [{ publish_requires_tfa: true, automation_token_overrides_tfa: true }, '2fa-or-automation']]) {
      const r = await h.request(v.url, 'POST', '/-/package/@acme%2fwidget/access', { token: h.TOKEN, body, headers: { 'npm-otp': '424242' } });
      assert.equal(r.status, 200, r.text);
      const a = fake.last('setOwnPackagePolicy').args;
      assert.deepEqual(a.slice(1), ['@acme/widget', policy, {}]);
      assert.equal(a[0].otp, '424242');
    }
    let r = await h.request(v.url, 'POST', '/-/package/left-pad/access', { token: h.TOKEN, body: {} });
    assert.equal(r.status, 400);
    for (const [code, status] of [['NotMaintainer', 403], ['Forbidden', 403], ['OTPRequired', 401], ['NoSuchPackage', 404]]) {
      fake.on('setOwnPackagePolicy', () => new h.DaemonError(`org.pkgtoken1.Error.${code}`, code));
      r = await h.request(v.url, 'POST', '/-/package/left-pad/access', { token: h.TOKEN, body: { publish_requires_tfa: false } });
      assert.equal(r.status, status, code);
    }
  });

  await t.test('npm access set/get status: Verdaccio\'s packages: rules decide; asking for them is fine', async () => {
    fake.on('getPackageInfo', () => info('alice'));
    let r = await h.request(v.url, 'GET', '/-/package/left-pad/visibility', { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { public: true }, 'packages: access $all');
    r = await h.request(v.url, 'POST', '/-/package/@acme%2fwidget/access', { token: h.TOKEN, body: { access: 'public' } });
    assert.equal(r.status, 200, r.text);
    r = await h.request(v.url, 'POST', '/-/package/@acme%2fwidget/access', { token: h.TOKEN, body: { access: 'restricted' } });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /is public: package visibility is set by the registry's configuration/);
    fake.on('getPackageInfo', () => new h.DaemonError('org.pkgtoken1.Error.Forbidden', 'package out of token scope'));
    r = await h.request(v.url, 'GET', '/-/package/left-pad/visibility', { token: h.TOKEN });
    assert.equal(r.status, 403, 'only for a token that may read the package');
    r = await h.request(v.url, 'GET', '/-/package/left-pad/visibility');
    assert.equal(r.status, 401);
  });

  await t.test('npm access list collaborators -> the maintainers, read-write', async () => {
    fake.on('getPackageInfo', () => info('alice', 'bob'));
    let r = await h.request(v.url, 'GET', '/-/package/left-pad/collaborators', { token: h.TOKEN, headers: { 'npm-otp': '123456' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { alice: 'read-write', bob: 'read-write' });
    assert.deepEqual(fake.last('getPackageInfo').args, [{ token: h.TOKEN, remote: '127.0.0.1' }, 'left-pad'], 'a read: no code spent');
    for (const [code, status] of [['NoSuchPackage', 404], ['Forbidden', 403], ['BadCredentials', 401]]) {
      fake.on('getPackageInfo', () => new h.DaemonError(`org.pkgtoken1.Error.${code}`, code));
      r = await h.request(v.url, 'GET', '/-/package/left-pad/collaborators', { token: h.TOKEN });
      assert.equal(r.status, status, code);
    }
  });

  await t.test('user lookup for npm owner -> {name}', async () => {
    const r = await h.request(v.url, 'GET', '/-/user/org.couchdb.user:bob', { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'bob');
  });

  await t.test('web login: start, page, wrong password, OTP, done once', async () => {
    let r = await h.request(v.url, 'POST', '/-/v1/login', { body: {} });
    assert.equal(r.status, 200);
    const { loginUrl, doneUrl } = r.json;
    assert.match(loginUrl, /^http:\/\/127\.0\.0\.1:\d+\/-\/pkgtoken\/login\//);
    assert.match(doneUrl, /\/-\/v1\/login\/done\//);
    assert.notEqual(loginUrl.split('/').pop(), doneUrl.split('/').pop());
    r = await h.request(doneUrl, 'GET', '');
    assert.equal(r.status, 202);
    assert.equal(r.headers.get('retry-after'), '1');
    r = await h.request(loginUrl, 'GET', '');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-security-policy'), /default-src 'none'/);
    assert.doesNotMatch(r.text, /<script|https?:\/\/[^"]*\.(js|css)/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(r.text)[1];
    const post = (fields, headers = {}) => h.request(loginUrl, 'POST', '', { raw: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    r = await post({ csrf: 'forged', username: 'alice', password: 'pw' });
    assert.equal(r.status, 403, 'a forged form is refused');
    r = await post({ csrf, username: 'alice', password: 'pw' }, { origin: 'http://evil.example' });
    assert.equal(r.status, 403, 'a cross-site post is refused');
    fake.on('authenticate', () => ({ result: 'bad-credentials', reason: '', details: {} }));
    r = await post({ csrf, username: 'alice', password: 'wrong' });
    assert.equal(r.status, 401);
    assert.match(r.text, /Wrong username or password/);
    fake.on('authenticate', () => ({ result: 'otp-required', reason: '', details: {} }));
    r = await post({ csrf, username: 'alice', password: 'pw 1' });
    assert.match(r.text, /one-time code/);
    fake.on('authenticate', () => ({ result: 'ok', reason: '', details: { session_token: SESSION } }));
    r = await post({ csrf, username: 'alice', password: 'pw 1', otp: '121212' });
    assert.equal(r.status, 200);
    assert.match(r.text, /Logged in/);
    assert.deepEqual(fake.last('authenticate').args.slice(0, 3), ['alice', 'pw 1', '121212']);
    r = await h.request(doneUrl, 'GET', '');
    assert.equal(r.status, 200);
    assert.equal(r.json.token, SESSION);
    r = await h.request(doneUrl, 'GET', '');
    assert.equal(r.status, 404, 'the token is handed out once');
  });

  await t.test('daemon down -> 503 on the account endpoints too', async () => {
    fake.on('whoAmI', () => new h.DaemonUnavailable('down'));
    const r = await h.request(v.url, 'GET', '/-/whoami', { token: h.TOKEN });
    assert.equal(r.status, 503);
  });

  await t.test('no secret in Verdaccio\'s log', async () => {
    const log = fs.readFileSync(v.logFile, 'utf8');
    assert.doesNotMatch(log, /pkgt_/);
    assert.doesNotMatch(log, /pw 1|654321|121212/);
    assert.doesNotMatch(log, /login\/done\/[A-Za-z0-9_-]{20}/);
  });
});
