// SPDX-License-Identifier: LGPL-2.1-or-later
// npm trust github|gitlab|list|revoke's endpoints (/-/package/<name>/trust) through a real
// Verdaccio with a fake daemon, and the real npm CLI sending them.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync, spawn } = require('node:child_process');
const h = require('../test-support/helpers');

const HAVE_NPM = spawnSync('npm', ['--version']).status === 0;
const GITHUB = { type: 'github', claims: { repository: 'acme/app', workflow_ref: { file: 'release.yml' }, environment: 'prod' }, permissions: ['createPackage'] };
const GITLAB = { type: 'gitlab', claims: { project_path: 'acme/sub/app', ci_config_ref_uri: { file: '.gitlab-ci.yml' } }, permissions: ['createPackage'] };

test('npm trust endpoints', async (t) => {
  const fake = new h.FakeDaemon();
  const v = await h.startVerdaccio(fake, { settings: { gitlab_issuer: 'https://gitlab.example.com/' } });
  t.after(() => v.close());
  const added = [];
  fake.on('addOwnTrustedPublisher', (proof, pkg, issuer, claims) => {
    added.push({ proof, pkg, issuer, claims });
    return `tp_${String(added.length).padStart(12, '0')}`;
  });

  await t.test('npm trust github -> AddOwnTrustedPublisher with GitHub\'s issuer and claims; 201 with the config', async () => {
    const r = await h.request(v.url, 'POST', '/-/package/@acme%2fapp/trust', { token: h.TOKEN, body: [GITHUB], headers: { 'npm-otp': '123456' } });
    assert.equal(r.status, 201);
    const a = added.at(-1);
    assert.deepEqual(a.proof, { token: h.TOKEN, remote: '127.0.0.1', otp: '123456' });
    assert.equal(a.pkg, '@acme/app');
    assert.equal(a.issuer, 'https://token.actions.githubusercontent.com');
    assert.deepEqual(a.claims, { repository: 'acme/app', workflow_ref: 'acme/app/.github/workflows/release.yml@*', environment: 'prod' });
    assert.equal(r.json[0].id, 'tp_000000000001');
    assert.deepEqual(r.json[0].claims.workflow_ref, { file: 'release.yml' });
  });

  await t.test('npm trust gitlab -> the configured GitLab issuer, project_path and the pipeline file', async () => {
    const r = await h.request(v.url, 'POST', '/-/package/app/trust', { token: h.TOKEN, body: [GITLAB] });
    assert.equal(r.status, 201);
    assert.equal(added.at(-1).issuer, 'https://gitlab.example.com');
    assert.deepEqual(added.at(-1).claims, { project_path: 'acme/sub/app', ci_config_ref_uri: '*/acme/sub/app//.gitlab-ci.yml@*' });
  });

  await t.test('the daemon asks for a code -> 401 + WWW-Authenticate: OTP (npm\'s otplease)', async () => {
    fake.on('addOwnTrustedPublisher', () => new h.DaemonError('org.pkgtoken1.Error.OTPRequired', 'a current code is needed'));
    const r = await h.request(v.url, 'POST', '/-/package/app/trust', { token: h.TOKEN, body: [GITHUB] });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'OTP');
  });

  await t.test('not a maintainer -> 403; bad configurations -> 400 without a daemon call', async () => {
    fake.on('addOwnTrustedPublisher', () => new h.DaemonError('org.pkgtoken1.Error.NotMaintainer', 'not a maintainer'));
    let r = await h.request(v.url, 'POST', '/-/package/app/trust', { token: h.TOKEN, body: [GITHUB] });
    assert.equal(r.status, 403);
    const before = fake.count('addOwnTrustedPublisher');
    for (const bad of [{ type: 'circleci', claims: {} }, { ...GITHUB, claims: { repository: 'acme/*', workflow_ref: { file: 'x.yml' } } },
      { ...GITHUB, claims: { repository: 'acme/app', workflow_ref: { file: '../x.yml' } } }]) {
      r = await h.request(v.url, 'POST', '/-/package/app/trust', { token: h.TOKEN, body: [bad] });
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    assert.equal(fake.count('addOwnTrustedPublisher'), before);
  });

  await t.test('npm trust list -> npm\'s shapes; revoke -> RemoveOwnTrustedPublisher', async () => {
    fake.on('listOwnTrustedPublishers', () => [
      { id: 'tp_a', issuer: 'https://token.actions.githubusercontent.com', claims: '{"repository":"acme/app","workflow_ref":"acme/app/.github/workflows/release.yml@*"}' },
      { id: 'tp_b', issuer: 'https://gitlab.example.com', claims: '{"project_path":"acme/app","ci_config_ref_uri":"*/acme/app//.gitlab-ci.yml@*","environment":"prod"}' },
      { id: 'tp_c', issuer: 'https://forgejo.example.com', claims: '{"repository":"acme/app"}' },
    ]);
    let r = await h.request(v.url, 'GET', '/-/package/app/trust', { token: h.TOKEN });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.map((c) => [c.id, c.type]), [['tp_a', 'github'], ['tp_b', 'gitlab'], ['tp_c', 'oidc']]);
    assert.deepEqual(r.json[0].claims.workflow_ref, { file: 'release.yml' });
    assert.deepEqual(r.json[1].claims, { project_path: 'acme/app', ci_config_ref_uri: { file: '.gitlab-ci.yml' }, environment: 'prod' });
    fake.on('removeOwnTrustedPublisher', () => null);
    r = await h.request(v.url, 'DELETE', '/-/package/app/trust/tp_a', { token: h.TOKEN, headers: { 'npm-otp': '654321' } });
    assert.equal(r.status, 204);
    assert.deepEqual(fake.last('removeOwnTrustedPublisher').args, [{ token: h.TOKEN, remote: '127.0.0.1', otp: '654321' }, 'tp_a']);
  });

  await t.test('without a token -> 401', async () => {
    const r = await h.request(v.url, 'GET', '/-/package/app/trust');
    assert.equal(r.status, 401);
  });

  await t.test('the real npm trust github --yes --otp: one AddOwnTrustedPublisher', { skip: !HAVE_NPM && 'npm not installed' }, async () => {
    fake.on('addOwnTrustedPublisher', (proof, pkg, issuer, claims) => {
      added.push({ proof, pkg, issuer, claims });
      return 'tp_npm00000001';
    });
    const rc = path.join(v.dir, 'trust.npmrc');
    fs.writeFileSync(rc, `${v.url.replace(/^http:/, '')}/:_authToken=${h.TOKEN}\n`);
    const r = await new Promise((resolve) => {
      // The subcommand first: npm 11.19 miscounts its positionals after options.
      const child = spawn('npm', ['trust', 'github', 'app', `--userconfig=${rc}`, `--registry=${v.url}/`,
        `--cache=${path.join(v.dir, 'npm-cache')}`, '--repository=acme/app', '--file=release.yml', '--allow-publish', '--yes',
        '--otp=777000'],
      { cwd: v.dir, env: { ...process.env, HOME: v.dir } });
      let err = '';
      child.stderr.on('data', (d) => { err += d; });
      child.stdin.end();
      child.on('close', (code) => resolve({ code, err }));
    });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(added.at(-1).claims, { repository: 'acme/app', workflow_ref: 'acme/app/.github/workflows/release.yml@*' });
    assert.equal(added.at(-1).proof.otp, '777000');
  });
});
