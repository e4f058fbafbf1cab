// SPDX-License-Identifier: LGPL-2.1-or-later
// npm's staged publishing endpoints through a real Verdaccio with a fake daemon: each
// endpoint's daemon calls and HTTP answers, the staged bytes kept out of Verdaccio's package
// routes, and the approved bytes published through Verdaccio's storage.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('../test-support/helpers');
const { integrityOf, parseStageBody } = require('../lib/stages');

const ID = '0b7f5a2e-4c1d-4e8a-9f3b-2d6c8e1a7b90';
const ID2 = '1c8f5a2e-4c1d-4e8a-9f3b-2d6c8e1a7b91';

function stageRecord(over = {}) {
  const body = h.publishBody('staged-pkg', '1.0.0');
  const bytes = Buffer.from(body._attachments['staged-pkg-1.0.0.tgz'].data, 'base64');
  return {
    id: ID, package: 'staged-pkg', version: '1.0.0', integrity: integrityOf(bytes), staged_by: 'alice (Token "ci")',
    token_id: 'tk_000000000001', staged_at: 1700000000000000, expires_at: 1700604800000000, state: 'staged',
    decided_by: '', decided_at: 0, reason: '', ...over,
  };
}

test('stages', async (t) => {
  const fake = new h.FakeDaemon();
  const stageDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'pkgtoken-stages-'));
  const v = await h.startVerdaccio(fake, { settings: { stage_dir: stageDir, stage_poll: 0 } });
  t.after(async () => { await v.close(); fs.rmSync(stageDir, { recursive: true, force: true }); });
  const kept = (id) => path.join(stageDir, `${id}.json`);
  fake.on('whoAmI', () => ({ account: 'alice', details: h.details() }));
  fake.on('finishPublish', () => true);

  await t.test('npm stage publish -> Verify "stage" with version and integrity, kept, FinishPublish, {stageId}', async () => {
    fake.on('verify', () => ({ result: 'allowed', code: 'ok', message: 'allowed', details: h.details({ publish_id: ID, type: 'automation' }) }));
    fake.on('finishPublish', () => true);
    const body = h.publishBody('staged-pkg', '1.0.0');
    const r = await h.request(v.url, 'POST', '/-/stage/package/staged-pkg', { token: h.TOKEN, body });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.stageId, ID);
    const [token, pkg, action, options] = fake.last('verify').args;
    assert.deepEqual([token, pkg, action], [h.TOKEN, 'staged-pkg', 'stage']);
    assert.equal(options.version, '1.0.0');
    assert.equal(options.integrity, stageRecord().integrity);
    assert.equal(options.otp, undefined, 'no OTP asked or sent');
    assert.deepEqual(fake.last('finishPublish').args, [ID, true, {}]);
    assert.ok(fs.existsSync(kept(ID)), 'kept in the plugin\'s directory');
    assert.equal(fs.statSync(kept(ID)).mode & 0o077, 0, 'readable by the registry alone');
  });

  await t.test('the staged version is not in Verdaccio: packument 404, tarball 404', async () => {
    fake.on('verify', () => ({ result: 'allowed', code: 'ok', message: 'allowed', details: h.details() }));
    let r = await h.request(v.url, 'GET', '/staged-pkg', { token: h.TOKEN });
    assert.equal(r.status, 404);
    r = await h.request(v.url, 'GET', '/staged-pkg/-/staged-pkg-1.0.0.tgz', { token: h.TOKEN });
    assert.equal(r.status, 404);
    assert.ok(!fs.readdirSync(path.join(v.dir, 'storage'), { recursive: true }).some((f) => String(f).endsWith('.tgz')));
  });

  await t.test('stage refused by pkgtokend -> its HTTP refusal, nothing kept, no FinishPublish', async () => {
    const finishes = fake.count('finishPublish');
    fake.on('verify', () => ({ result: 'forbidden', code: 'tokens-disallowed', message: 'automation and package tokens cannot stage versions of this package', details: h.details() }));
    const r = await h.request(v.url, 'POST', '/-/stage/package/strict-pkg', { token: h.TOKEN, body: h.publishBody('strict-pkg', '1.0.0') });
    assert.equal(r.status, 403);
    assert.match(r.json.error, /cannot stage/);
    assert.equal(fake.count('finishPublish'), finishes);
    assert.equal(fs.readdirSync(stageDir).length, 1);
  });

  await t.test('a tarball that does not match its integrity or shasum -> 400 before Verify', async () => {
    const verifies = fake.count('verify');
    const body = h.publishBody('staged-pkg', '2.0.0');
    body.versions['2.0.0'].dist.integrity = 'sha512-' + Buffer.alloc(64).toString('base64');
    let r = await h.request(v.url, 'POST', '/-/stage/package/staged-pkg', { token: h.TOKEN, body });
    assert.equal(r.status, 400);
    const other = h.publishBody('staged-pkg', '2.0.0');
    other.versions['2.0.0'].dist.shasum = '0'.repeat(40);
    r = await h.request(v.url, 'POST', '/-/stage/package/staged-pkg', { token: h.TOKEN, body: other });
    assert.equal(r.status, 400);
    r = await h.request(v.url, 'POST', '/-/stage/package/other', { token: h.TOKEN, body: h.publishBody('staged-pkg', '2.0.0') });
    assert.equal(r.status, 400, 'the name in the URL and the body differ');
    assert.equal(fake.count('verify'), verifies);
    assert.throws(() => parseStageBody({ name: 'x', versions: {}, _attachments: {} }, 'x'), /one version/);
  });

  await t.test('no token -> 401', async () => {
    const r = await h.request(v.url, 'POST', '/-/stage/package/staged-pkg', { body: h.publishBody('staged-pkg', '1.0.0') });
    assert.equal(r.status, 401);
  });

  await t.test('npm stage list -> the waiting stages of packages the account maintains, npm\'s items', async () => {
    fake.on('listStages', () => [stageRecord(), stageRecord({ id: ID2, version: '0.9.0', state: 'rejected' })]);
    const r = await h.request(v.url, 'GET', '/-/stage?page=0&perPage=100&package=staged-pkg', { token: h.TOKEN });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(fake.last('listStages').args[0], { maintainer: 'alice', package: 'staged-pkg' });
    assert.equal(r.json.total, 1);
    const item = r.json.items[0];
    assert.equal(item.id, ID);
    assert.equal(item.packageName, 'staged-pkg');
    assert.equal(item.version, '1.0.0');
    assert.equal(item.tag, 'latest');
    assert.equal(item.actor, 'alice (Token "ci")');
    assert.equal(item.createdAt, '2023-11-14T22:13:20.000Z');
    assert.match(item.shasum, /^[0-9a-f]{40}$/);
  });

  await t.test('a package token lists the stages of its own packages', async () => {
    fake.on('whoAmI', () => ({ account: '', details: h.details({ account: '', owner: 'package', scope: ['staged-pkg', 'b'] }) }));
    const r = await h.request(v.url, 'GET', '/-/stage', { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.deepEqual(fake.calls.filter((c) => c.method === 'listStages').slice(-2).map((c) => c.args[0]),
      [{ package: 'staged-pkg' }, { package: 'b' }]);
    fake.on('whoAmI', () => ({ account: 'alice', details: h.details() }));
  });

  await t.test('npm stage view / download: visible stages only', async () => {
    fake.on('getStage', () => stageRecord());
    fake.on('listStages', () => [stageRecord()]);
    let r = await h.request(v.url, 'GET', `/-/stage/${ID}`, { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.equal(r.json.id, ID);
    r = await h.request(v.url, 'GET', `/-/stage/${ID}/tarball`, { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.equal(integrityOf(Buffer.from(r.text, 'latin1')), stageRecord().integrity);
    fake.on('listStages', () => []);
    r = await h.request(v.url, 'GET', `/-/stage/${ID}`, { token: h.TOKEN });
    assert.equal(r.status, 404, 'another account\'s stage is as good as unknown');
    fake.on('getStage', () => new h.DaemonError('org.pkgtoken1.Error.NoSuchStage', 'No such staged version'));
    r = await h.request(v.url, 'GET', `/-/stage/${ID2}`, { token: h.TOKEN });
    assert.equal(r.status, 404);
  });

  for (const [name, status, otp] of [['OTPRequired', 401, true], ['BadOTP', 401, true], ['Forbidden', 403, false], ['NotMaintainer', 403, false], ['StageNotPending', 409, false]]) {
    await t.test(`npm stage approve: ${name} -> ${status}${otp ? ' + OTP challenge' : ''}, nothing published`, async () => {
      fake.on('approveOwnStage', () => new h.DaemonError(`org.pkgtoken1.Error.${name}`, `refused: ${name}`));
      const completes = fake.count('completeStage');
      const r = await h.request(v.url, 'POST', `/-/stage/${ID}/approve`, { token: h.TOKEN });
      assert.equal(r.status, status);
      assert.equal(r.headers.get('www-authenticate') === 'OTP', otp);
      assert.equal(fake.count('completeStage'), completes);
      assert.ok(fs.existsSync(kept(ID)));
    });
  }

  await t.test('npm stage approve --otp -> ApproveOwnStage(token + code), the approved bytes published, CompleteStage', async () => {
    fake.on('approveOwnStage', () => stageRecord({ state: 'approved', decided_by: 'alice (registry uid 1)' }));
    fake.on('completeStage', () => true);
    const r = await h.request(v.url, 'POST', `/-/stage/${ID}/approve`, { token: h.TOKEN, headers: { 'npm-otp': '123456' } });
    assert.equal(r.status, 200, r.text);
    const [proof, id] = fake.last('approveOwnStage').args;
    assert.deepEqual(proof, { token: h.TOKEN, remote: '127.0.0.1', otp: '123456' });
    assert.equal(id, ID);
    assert.deepEqual(fake.last('completeStage').args, [ID, true, {}]);
    assert.ok(!fs.existsSync(kept(ID)), 'forgotten once published');
    fake.on('verify', () => ({ result: 'allowed', code: 'ok', message: 'allowed', details: h.details() }));
    const doc = await h.request(v.url, 'GET', '/staged-pkg', { token: h.TOKEN });
    assert.equal(doc.status, 200);
    assert.equal(doc.json['dist-tags'].latest, '1.0.0');
    const tgz = await fetch(`${v.url}/staged-pkg/-/staged-pkg-1.0.0.tgz`, { headers: { authorization: `Bearer ${h.TOKEN}` } });
    assert.equal(tgz.status, 200);
    assert.equal(integrityOf(Buffer.from(await tgz.arrayBuffer())), stageRecord().integrity, 'the approved bytes');
  });

  await t.test('approved bytes that do not match the recorded integrity are never published', async () => {
    fake.on('verify', () => ({ result: 'allowed', code: 'ok', message: 'allowed', details: h.details({ publish_id: ID2 }) }));
    let r = await h.request(v.url, 'POST', '/-/stage/package/staged-pkg', { token: h.TOKEN, body: h.publishBody('staged-pkg', '3.0.0') });
    assert.equal(r.status, 201);
    fake.on('approveOwnStage', () => stageRecord({ id: ID2, version: '3.0.0', state: 'approved', integrity: 'sha512-' + Buffer.alloc(64).toString('base64') }));
    const completes = fake.count('completeStage');
    r = await h.request(v.url, 'POST', `/-/stage/${ID2}/approve`, { token: h.TOKEN, headers: { 'npm-otp': '123456' } });
    assert.equal(r.status, 409);
    assert.match(r.json.error, /integrity/);
    assert.equal(fake.count('completeStage'), completes);
    const doc = await h.request(v.url, 'GET', '/staged-pkg', { token: h.TOKEN });
    assert.equal(doc.json.versions['3.0.0'], undefined);
  });

  await t.test('npm stage reject -> RejectOwnStage, the kept files forgotten', async () => {
    fake.on('rejectOwnStage', () => stageRecord({ id: ID2, version: '3.0.0', state: 'rejected' }));
    const r = await h.request(v.url, 'DELETE', `/-/stage/${ID2}`, { token: h.TOKEN, headers: { 'npm-otp': '654321' } });
    assert.equal(r.status, 200);
    assert.deepEqual(fake.last('rejectOwnStage').args.slice(0, 2), [{ token: h.TOKEN, remote: '127.0.0.1', otp: '654321' }, ID2]);
    assert.ok(!fs.existsSync(kept(ID2)));
  });

  await t.test('a direct publish of a package that requires approval -> 403 telling to stage', async () => {
    fake.on('verify', () => ({ result: 'forbidden', code: 'stage-required', message: 'this package requires approval: stage the version with `npm stage publish` for a maintainer to approve', details: h.details() }));
    const r = await h.request(v.url, 'PUT', '/gated-pkg', { token: h.TOKEN, body: h.publishBody('gated-pkg', '1.0.0') });
    assert.equal(r.status, 403);
    assert.match(r.json.error, /npm stage publish/);
  });
});

test('stages approved elsewhere (pkgtokenctl) are published by the poll; rejected ones forgotten', async (t) => {
  const fake = new h.FakeDaemon();
  const stageDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'pkgtoken-stages-'));
  fake.on('listStages', () => []);
  const v = await h.startVerdaccio(fake, { settings: { stage_dir: stageDir, stage_poll: '100ms' } });
  t.after(async () => { await v.close(); fs.rmSync(stageDir, { recursive: true, force: true }); });
  fake.on('finishPublish', () => true);
  fake.on('completeStage', () => true);
  for (const [id, version] of [[ID, '4.0.0'], [ID2, '5.0.0']]) {
    fake.on('verify', () => ({ result: 'allowed', code: 'ok', message: 'allowed', details: h.details({ publish_id: id }) }));
    const r = await h.request(v.url, 'POST', '/-/stage/package/staged-pkg', { token: h.TOKEN, body: h.publishBody('staged-pkg', version) });
    assert.equal(r.status, 201, r.text);
  }
  const four = stageRecord({ version: '4.0.0', state: 'approved', decided_by: 'admin (uid 0)' });
  four.integrity = integrityOf(Buffer.from(h.publishBody('staged-pkg', '4.0.0')._attachments['staged-pkg-4.0.0.tgz'].data, 'base64'));
  fake.on('listStages', (f) => (f.state === 'approved' ? [four] : f.state === 'rejected' ? [stageRecord({ id: ID2, state: 'rejected' })] : []));
  for (let i = 0; i < 50 && fs.readdirSync(stageDir).length; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(fake.last('completeStage').args, [ID, true, {}]);
  assert.deepEqual(fs.readdirSync(stageDir), []);
  fake.on('verify', () => ({ result: 'allowed', code: 'ok', message: 'allowed', details: h.details() }));
  const doc = await h.request(v.url, 'GET', '/staged-pkg', { token: h.TOKEN });
  assert.ok(doc.json.versions['4.0.0']);
  assert.equal(doc.json.versions['5.0.0'], undefined);
});
