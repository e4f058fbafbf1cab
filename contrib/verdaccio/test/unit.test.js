// SPDX-License-Identifier: LGPL-2.1-or-later
// The pure parts: request classification, packument changes, client address, settings,
// npm's token-create body, credentials.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { classify, classifyPackumentChange } = require('../lib/classify');
const { clientAddress, parseCidr } = require('../lib/remote');
const { parseSettings, parseTimeout } = require('../lib/settings');
const { tokenRequest, npmTokenRecord } = require('../lib/routes');
const { credentials } = require('../lib/gate');

test('classify: npm\'s routes -> package and action', () => {
  const c = (m, p) => { const r = classify(m, p); return [r.kind, r.pkg, r.action, r.version].filter((x) => x !== undefined).join(' '); };
  assert.equal(c('GET', '/left-pad'), 'package left-pad read ');
  assert.equal(c('GET', '/left-pad/1.2.3'), 'package left-pad read 1.2.3');
  assert.equal(c('GET', '/left-pad/-/left-pad-1.2.3.tgz'), 'package left-pad read 1.2.3');
  assert.equal(c('GET', '/@acme%2fwidget'), 'package @acme/widget read ');
  assert.equal(c('GET', '/@acme/widget/-/widget-2.0.0-beta.1.tgz'), 'package @acme/widget read 2.0.0-beta.1');
  assert.equal(c('HEAD', '/left-pad'), 'package left-pad read ');
  assert.equal(c('PUT', '/@acme%2fwidget'), 'package @acme/widget publish ');
  assert.equal(c('PUT', '/left-pad/-rev/3-abc'), 'package left-pad publish ');
  assert.equal(c('DELETE', '/left-pad/-rev/3-abc'), 'package left-pad unpublish ');
  assert.equal(c('DELETE', '/left-pad/-/left-pad-1.0.0.tgz/-rev/3-abc'), 'package left-pad unpublish 1.0.0');
  assert.equal(c('PUT', '/-/package/left-pad/dist-tags/beta'), 'package left-pad dist-tag ');
  assert.equal(c('DELETE', '/-/package/@acme%2fwidget/dist-tags/beta'), 'package @acme/widget dist-tag ');
  assert.equal(c('GET', '/-/package/left-pad/dist-tags'), 'package left-pad read ');
  assert.equal(c('POST', '/left-pad/something/odd'), 'package left-pad publish ');
  assert.equal(c('GET', '/-/v1/search'), 'identity  identity');
  assert.equal(classify('GET', '/-/whoami').kind, 'self');
  assert.equal(classify('DELETE', '/-/npm/v1/tokens/token/tk_1').kind, 'self');
  assert.equal(classify('POST', '/-/package/left-pad/access').endpoint, 'access');
  assert.equal(classify('GET', '/-/package/left-pad/collaborators').endpoint, 'access');
  assert.equal(classify('GET', '/-/package/@acme%2fwidget/visibility').endpoint, 'access');
  assert.equal(classify('PUT', '/-/user/org.couchdb.user:alice').kind, 'public');
  assert.equal(classify('POST', '/-/v1/login').kind, 'public');
  assert.equal(classify('GET', '/-/ping').kind, 'public');
});

test('classifyPackumentChange: what a PUT changes', () => {
  const stored = { versions: { '1.0.0': {}, '1.1.0': { deprecated: 'old' } } };
  assert.equal(classifyPackumentChange({ versions: { '2.0.0': {} }, _attachments: { 'x-2.0.0.tgz': {} } }, stored).action, 'publish');
  assert.deepEqual(classifyPackumentChange({ versions: { '1.0.0': {} } }, stored), { action: 'unpublish', version: '1.1.0' });
  assert.deepEqual(classifyPackumentChange({ versions: { '1.0.0': { deprecated: 'no' }, '1.1.0': { deprecated: 'old' } } }, stored),
    { action: 'deprecate', version: '1.0.0' });
  assert.deepEqual(classifyPackumentChange({ versions: { '1.0.0': {}, '1.1.0': {} } }, stored), { action: 'deprecate', version: '1.1.0' });
  assert.equal(classifyPackumentChange({ _id: 'x', maintainers: [{ name: 'a' }] }, stored).action, 'owner');
  assert.equal(classifyPackumentChange({ versions: { '1.0.0': { deprecated: 'x' } } }, null).action, 'deprecate');
  assert.equal(classifyPackumentChange({}, null).action, 'publish', 'unknown: the strictest');
  assert.equal(classifyPackumentChange({ versions: { '1.0.0': {}, '1.1.0': { deprecated: 'old' } } }, stored).action, 'dist-tag');
});

test('clientAddress: X-Forwarded-For only from trusted proxies', () => {
  const req = (peer, xff) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} });
  const trusted = [parseCidr('10.0.0.0/8'), parseCidr('::1')];
  assert.equal(clientAddress(req('::ffff:192.0.2.1', '198.51.100.7'), trusted), '192.0.2.1', 'untrusted peer: header ignored');
  assert.equal(clientAddress(req('10.1.2.3', '198.51.100.7'), trusted), '198.51.100.7');
  assert.equal(clientAddress(req('10.1.2.3', '203.0.113.9, 198.51.100.7, 10.9.9.9'), trusted), '198.51.100.7', 'the last untrusted hop');
  assert.equal(clientAddress(req('::1', 'junk'), trusted), '::1', 'garbage: the peer');
  assert.equal(clientAddress(req('10.1.2.3'), trusted), '10.1.2.3');
  assert.equal(clientAddress(req('10.1.2.3', '198.51.100.7'), []), '10.1.2.3', 'no trusted proxies');
  assert.equal(parseCidr('10.0.0.0/33'), null);
  assert.equal(parseCidr('nope'), null);
});

test('settings', () => {
  const s = parseSettings({ timeout: '1500ms', trusted_proxies: ['127.0.0.1'], endpoints: { web_login: false }, public_url: 'https://r.example.org/' });
  assert.equal(s.timeoutMs, 1500);
  assert.equal(s.endpoints.web_login, false);
  assert.equal(s.endpoints.tokens, true);
  assert.equal(s.publicUrl, 'https://r.example.org');
  assert.equal(parseTimeout('5s'), 5000);
  assert.equal(parseTimeout(2), 2000);
  assert.throws(() => parseSettings({ timeout: 'soon' }));
  assert.throws(() => parseSettings({ endpoints: { nonsense: true } }));
  assert.throws(() => parseSettings({ trusted_proxies: ['300.1.1.1'] }));
  assert.throws(() => parseSettings({ public_url: 'ftp://x' }));
  assert.equal(parseSettings({ max_body_size: '1mb' }).maxBodySize, 1024 * 1024);
});

test('settings: transport and direct_socket', () => {
  assert.equal(parseSettings({}).transport, 'auto');
  assert.equal(parseSettings({}).directSocket, '');
  const s = parseSettings({ transport: 'direct', direct_socket: '/run/x/direct.sock' });
  assert.equal(s.transport, 'direct');
  assert.equal(s.directSocket, '/run/x/direct.sock');
  assert.equal(parseSettings({ transport: 'bus' }).transport, 'bus');
  assert.throws(() => parseSettings({ transport: 'carrier-pigeon' }));
  assert.throws(() => parseSettings({ direct_socket: 'relative.sock' }));
});

test('Daemon: which direct socket each transport uses', () => {
  const { Daemon } = require('../lib/daemon');
  const saved = process.env.PKGTOKEN_BUS_ADDRESS;
  delete process.env.PKGTOKEN_BUS_ADDRESS;
  try {
    assert.equal(new Daemon({}).directSocket, '/run/pkgtoken/direct.sock', 'the system bus: the system socket');
    assert.equal(new Daemon({ address: 'unix:path=/tmp/b' }).directSocket, '', 'another bus: no socket unless named');
    assert.equal(new Daemon({ address: 'unix:path=/tmp/b', directSocket: '/tmp/d' }).directSocket, '/tmp/d');
    assert.equal(new Daemon({ address: 'unix:path=/tmp/b', transport: 'direct' }).directSocket, '/run/pkgtoken/direct.sock');
    assert.throws(() => new Daemon({ transport: 'nope' }));
  } finally {
    if (saved !== undefined) process.env.PKGTOKEN_BUS_ADDRESS = saved;
  }
});

test('npm token create body -> CreateOwnToken arguments', () => {
  let r = tokenRequest({ password: 'p', readonly: false, cidr_whitelist: ['192.0.2.0/24'] });
  assert.equal(r.type, 'publish');
  assert.deepEqual(r.cidrs, ['192.0.2.0/24']);
  assert.equal(r.expiresAt, 0n);
  r = tokenRequest({ password: 'p', scopes: ['acme', '@other'], packages: ['left-pad'], bypass_2fa: true, name: 'ci' });
  assert.equal(r.type, 'automation');
  assert.deepEqual(r.scope, ['left-pad', '@acme/*', '@other/*']);
  assert.equal(r.description, 'ci');
  assert.equal(r.password, 'p', 'the password npm sends goes with the token');
  assert.equal(tokenRequest({}).password, undefined);
  assert.equal(tokenRequest({ password: '' }).password, undefined);
  assert.throws(() => tokenRequest({ orgs: ['acme'] }), /organisation/);
  assert.throws(() => tokenRequest({ packages_and_scopes_permission: 'no-access' }));
  assert.throws(() => tokenRequest({ expires: 0 }));
  const rec = npmTokenRecord({ id: 'tk_1', prefix: 'pkgt_ab', type: 'read-only', created_at: 0, expires_at: 0, allowed_cidrs: [] });
  assert.equal(rec.key, 'tk_1');
  assert.equal(rec.readonly, true);
  assert.equal(rec.cidr_whitelist, null);
});

test('credentials: Bearer and Basic', () => {
  const tok = 'pkgt_' + 'x'.repeat(42);
  const b = (u, p) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  assert.deepEqual(credentials({ headers: { authorization: `Bearer ${tok}` } }), { token: tok, account: '' });
  assert.deepEqual(credentials({ headers: { authorization: b('alice', tok) } }), { token: tok, account: 'alice' });
  assert.deepEqual(credentials({ headers: { authorization: b('__token__', tok) } }), { token: tok, account: '' });
  assert.ok(credentials({ headers: { authorization: b('alice', 'a password') } }).bad);
  assert.ok(credentials({ headers: { authorization: 'Bearer eyJ.x.y' } }).bad);
  assert.ok(credentials({ headers: { authorization: 'Digest x' } }).bad);
  assert.equal(credentials({ headers: {} }), null);
});

test('asv: a t option is sent as a decimal string, never a BigInt (dbus-native would send 0)', () => {
  const { asv } = require('../lib/daemon');
  assert.deepEqual(asv({ until: 1700000000000000123n }), [['until', ['t', '1700000000000000123']]]);
  assert.deepEqual(asv({ until: 5 }), [['until', ['t', 5]]]);
});
