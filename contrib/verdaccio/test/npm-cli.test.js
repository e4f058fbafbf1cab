// SPDX-License-Identifier: LGPL-2.1-or-later
// The real npm CLI (npm 11) against a real Verdaccio with this plugin and a scripted fake
// daemon: does npm read our answers as we mean them (EOTP, E403, tokens, both logins, owner,
// access, dist-tag, deprecate, unpublish)?  Skipped when npm is not on PATH.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const h = require('../test-support/helpers');

const HAVE_NPM = spawnSync('npm', ['--version']).status === 0;
const HAVE_CHROMIUM = spawnSync(process.env.CHROMIUM || 'chromium', ['--version']).status === 0;

// The login page filled in and submitted by a real headless Chromium (test-support/browser-login.js),
// or, without one, by fetch() as a browser would: GET the page, POST the form.
function browserLogin(loginUrl, user, password, otp) {
  if (HAVE_CHROMIUM) {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(__dirname, '..', 'test-support', 'browser-login.js'), loginUrl, user, password, otp], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      child.on('close', (code) => resolve(code === 0 ? 200 : `browser: ${out.slice(-500)}`));
    });
  }
  return (async () => {
    const page = await (await fetch(loginUrl)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)[1];
    const res = await fetch(loginUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, username: user, password, otp }).toString() });
    return res.status;
  })();
}
const AUTO = 'pkgt_' + 'a'.repeat(36) + 'AUTO01';
const PUB = 'pkgt_' + 'p'.repeat(36) + 'PUB001';
const RO = 'pkgt_' + 'r'.repeat(36) + 'RO0001';
const SESSION = 'pkgt_' + 's'.repeat(36) + 'SESS01';
const MADE = 'pkgt_' + 'm'.repeat(36) + 'MADE01';
const PASSWORD = 'alice password 1';

// A daemon with just enough state for npm's flows.
function statefulFake() {
  const fake = new h.FakeDaemon();
  const state = { maintainers: { 'p-oa': ['alice'] }, revoked: new Set(), usedOtp: new Set(), sessions: new Set() };
  const types = { [AUTO]: 'automation', [PUB]: 'publish', [RO]: 'read-only', [SESSION]: 'session', [MADE]: 'automation' };
  const ids = { [AUTO]: 'tk_auto00000001', [PUB]: 'tk_pub000000001', [RO]: 'tk_ro0000000001', [SESSION]: 'tk_sess00000001', [MADE]: 'tk_made0000001' };
  const otpOk = (otp) => {
    if (otp !== '123456' && otp !== '654321') return false;
    if (state.usedOtp.has(otp)) return 'replayed';
    state.usedOtp.add(otp);
    return true;
  };
  fake.state = state;
  fake.on('verify', (token, pkg, action, opts) => {
    const type = types[token];
    if (!type || state.revoked.has(token)) return { result: 'invalid', code: 'unknown', message: 'unknown or revoked token', details: {} };
    const details = h.details({ type, token_id: ids[token] });
    if (action === 'read' || action === 'identity') return { result: 'allowed', code: 'ok', message: '', details };
    if (type === 'read-only') return { result: 'forbidden', code: 'read-only', message: 'this token is read-only', details };
    if (type === 'publish' || type === 'session') {
      if (!opts.otp) return { result: 'otp-required', code: 'otp-required', message: 'a one-time password is required', details };
      const ok = otpOk(opts.otp);
      if (ok !== true) return { result: 'bad-otp', code: ok === 'replayed' ? 'replayed-otp' : 'bad-otp', message: 'wrong or used one-time password', details };
    }
    return { result: 'allowed', code: 'ok', message: '', details: { ...details, publish_id: `pub_${action}` } };
  });
  fake.on('finishPublish', []);
  fake.on('authenticate', (name, password, otp) => {
    if (name !== 'alice' || password !== PASSWORD) return { result: 'bad-credentials', reason: 'bad', details: {} };
    if (!otp) return { result: 'otp-required', reason: 'code needed', details: {} };
    if (otpOk(otp) !== true) return { result: 'bad-otp', reason: 'bad code', details: {} };
    state.sessions.add(SESSION);
    return { result: 'ok', reason: '', details: { session_token: SESSION, session_id: ids[SESSION] } };
  });
  // 2FA changes: a password proof only, as pkgtokend has it.
  const passwordProven = (proof) => {
    if (proof.token !== undefined) throw new h.DaemonError('org.pkgtoken1.Error.Forbidden', 'Two-factor changes need a password proof.');
    if (proof.account !== 'alice' || proof.password !== PASSWORD) throw new h.DaemonError('org.pkgtoken1.Error.BadCredentials', 'wrong password');
  };
  const proven = (proof) => {
    if (!types[proof.token] || state.revoked.has(proof.token)) throw new h.DaemonError('org.pkgtoken1.Error.BadCredentials', 'not logged in');
    return types[proof.token];
  };
  fake.on('whoAmI', (proof) => { proven(proof); return { account: 'alice', details: h.details({ token_id: ids[proof.token] }) }; });
  fake.on('listOwnTokens', (proof) => {
    proven(proof);
    return Object.entries(ids).filter(([t]) => !state.revoked.has(t)).map(([t, id]) => ({ id, prefix: t.slice(0, 9), type: types[t], owner: 'account', scope: [], description: id, created_at: 1700000000000000, expires_at: 0, allowed_cidrs: [], state: 'active' }));
  });
  fake.on('createOwnToken', (proof, type, scope, description) => {
    if (proven(proof) === 'automation') throw new h.DaemonError('org.pkgtoken1.Error.Forbidden', 'automation tokens cannot create tokens');
    // A token and the password (npm sends both): both are checked.
    if (proof.password !== PASSWORD) throw new h.DaemonError('org.pkgtoken1.Error.BadCredentials', 'The proof does not prove an account.');
    state.created = { type, scope, description };
    return { id: ids[MADE], token: MADE };
  });
  fake.on('revokeOwnToken', (proof, id) => {
    proven(proof);
    const t = Object.keys(ids).find((k) => ids[k] === id);
    if (!t) throw new h.DaemonError('org.pkgtoken1.Error.NoSuchToken', 'no such token');
    state.revoked.add(t);
    return [];
  });
  fake.on('logout', (token) => { state.revoked.add(token); return []; });
  fake.on('setOwnPackagePolicy', (proof, pkg, policy) => {
    if (proven(proof) === 'automation') throw new h.DaemonError('org.pkgtoken1.Error.Forbidden', 'automation tokens cannot change policies');
    state.policy = { pkg, policy, otp: proof.otp };
    return [];
  });
  state.twofa = 'disabled';
  fake.on('getProfile', (proof) => { proven(proof); return { name: 'alice', email: 'alice@example.org', twofa: state.twofa, created_at: 1700000000000000, has_password: true }; });
  fake.on('enrollOwnTOTP', (proof) => {
    passwordProven(proof);
    if (state.twofa !== 'disabled') throw new h.DaemonError('org.pkgtoken1.Error.TwoFactorAlreadyEnabled', 'already on');
    return 'otpauth://totp/pkgtoken:alice?secret=JBSWY3DPEHPK3PXP&issuer=pkgtoken';
  });
  fake.on('confirmOwnTOTP', (proof, otp, mode) => { passwordProven(proof); state.twofa = mode || 'auth-and-writes'; state.confirmOtp = otp; return ['rc-one', 'rc-two']; });
  fake.on('setOwnTwoFactorMode', (proof, mode) => {
    passwordProven(proof);
    if (!proof.otp) throw new h.DaemonError('org.pkgtoken1.Error.OTPRequired', 'a one-time password is required');
    state.twofa = mode;
    return [];
  });
  fake.on('getPackageInfo', (proof, pkg) => {
    proven(proof);
    if (!state.maintainers[pkg]) throw new h.DaemonError('org.pkgtoken1.Error.NoSuchPackage', `No such package '${pkg}'.`);
    return { package: { name: pkg, policy: 'none' }, maintainers: state.maintainers[pkg].map((name) => ({ name, email: `${name}@example.org` })) };
  });
  fake.on('changeMaintainer', (proof, pkg, account, add) => {
    if (proven(proof) === 'automation') throw new h.DaemonError('org.pkgtoken1.Error.Forbidden', 'automation tokens never change owners');
    const list = state.maintainers[pkg];
    if (!add && list.length === 1 && list[0] === account) {
      throw new h.DaemonError('org.pkgtoken1.Error.LastMaintainer', `'${account}' is the last maintainer of '${pkg}'; add another first.`);
    }
    state.maintainers[pkg] = add ? [...list, account] : list.filter((a) => a !== account);
    return [];
  });
  return fake;
}

function npm(v, rc, args, { input, timeout = 60000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn('npm', [`--userconfig=${rc}`, `--registry=${v.url}/`, '--no-audit', '--no-fund', '--no-update-notifier',
      `--cache=${path.join(v.dir, 'npm-cache')}`, ...args], { cwd: v.cwd || v.dir, env: { ...process.env, HOME: v.dir, npm_config_loglevel: 'warn', ...v.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; if (v.onStdout) v.onStdout(stdout); });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill(), timeout);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    // npm reads each prompt with a fresh reader: an answer goes in when its prompt is
    // there, or the first prompt swallows them all.
    const answers = [].concat(input === undefined ? [] : input);
    let prompts = 0;
    child.stdout.on('data', () => {
      const seen = (stdout.match(/(?:Username|Password|password|authenticator|OTP): /g) || []).length;
      while (prompts < seen && answers.length) {
        prompts += 1;
        child.stdin.write(answers.shift());
      }
      if (!answers.length) child.stdin.end();
    });
    if (!answers.length) child.stdin.end();
  });
}

function rcWith(v, name, token) {
  const f = path.join(v.dir, `${name}.npmrc`);
  const host = v.url.replace(/^http:/, '');
  fs.writeFileSync(f, token ? `${host}/:_authToken=${token}\n` : '');
  return f;
}

function pkgDir(v, name, version) {
  const d = path.join(v.dir, 'pkgs', `${name}-${version}`);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify({ name, version, license: 'MIT', description: 'x' }));
  fs.writeFileSync(path.join(d, 'index.js'), 'module.exports = 1\n');
  return d;
}

test('npm CLI', { skip: !HAVE_NPM && 'npm not installed' }, async (t) => {
  const fake = statefulFake();
  const v = await h.startVerdaccio(fake);
  t.after(() => v.close());
  const publish = (rc, name, version, extra = []) => npm({ ...v, cwd: pkgDir(v, name, version) }, rc, ['publish', ...extra]);

  await t.test('publish with an automation token', async () => {
    const r = await publish(rcWith(v, 'auto', AUTO), 'p-oa', '1.0.0');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.last('finishPublish').args.slice(0, 2), ['pub_publish', true]);
  });

  await t.test('publish token: EOTP, then --otp works, a replayed code is refused', async () => {
    const rc = rcWith(v, 'pub', PUB);
    let r = await publish(rc, 'p-oa', '1.1.0');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /EOTP/);
    r = await publish(rc, 'p-oa', '1.1.0', ['--otp=123456']);
    assert.equal(r.code, 0, r.stderr);
    r = await publish(rc, 'p-oa', '1.1.1', ['--otp=123456']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /EOTP|one-time/);
  });

  await t.test('read-only token: E403 with the daemon\'s message', async () => {
    const r = await publish(rcWith(v, 'ro', RO), 'p-oa', '1.2.0');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /E403/);
    assert.match(r.stderr, /read-only/);
  });

  await t.test('npm view / whoami', async () => {
    let r = await npm(v, rcWith(v, 'auto', AUTO), ['view', 'p-oa', 'version']);
    assert.equal(r.stdout.trim(), '1.1.0');
    r = await npm(v, rcWith(v, 'auto', AUTO), ['whoami']);
    assert.equal(r.stdout.trim(), 'alice');
  });

  await t.test('npm login --auth-type=legacy with password + --otp', async () => {
    const rc = rcWith(v, 'legacy', '');
    const r = await npm(v, rc, ['login', '--auth-type=legacy', '--otp=654321'], { input: ['alice\n', `${PASSWORD}\n`] });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(fs.readFileSync(rc, 'utf8'), new RegExp(`_authToken=${SESSION}`));
  });

  await t.test(`npm login (web): the page is filled in by ${HAVE_CHROMIUM ? 'headless Chromium' : 'fetch, as a browser would'}`, async () => {
    fake.state.usedOtp.clear();
    fake.state.revoked.delete(SESSION);
    const rc = rcWith(v, 'web', '');
    let posted = null;
    const run = npm({ ...v, onStdout: (out) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/-\/pkgtoken\/login\/[A-Za-z0-9_-]+)/.exec(out);
      if (m && !posted) posted = browserLogin(m[1], 'alice', PASSWORD, '123456');
    } }, rc, ['login'], { timeout: 30000 });
    const r = await run;
    assert.equal(await posted, 200);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(fs.readFileSync(rc, 'utf8'), new RegExp(`_authToken=${SESSION}`));
  });

  await t.test('npm token create / list / revoke', async () => {
    const rc = rcWith(v, 'session', SESSION);
    let r = await npm(v, rc, ['token', 'create', `--password=${PASSWORD}`, '--bypass-2fa', '--packages=p-oa', '--cidr=127.0.0.1/32', '--otp=111111']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(MADE));
    assert.deepEqual(fake.state.created, { type: 'automation', scope: ['p-oa'], description: 'npm token' });
    r = await npm(v, rc, ['token', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    assert.ok(list.some((x) => x.key === 'tk_made0000001'));
    r = await npm(v, rc, ['token', 'revoke', 'tk_made0000001']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fake.state.revoked.has(MADE));
    r = await npm(v, rcWith(v, 'auto', AUTO), ['token', 'create', `--password=${PASSWORD}`]);
    assert.notEqual(r.code, 0, 'governance: an automation token cannot create tokens');
    assert.match(r.stderr, /E403/);
    r = await npm(v, rc, ['token', 'create', '--password=wrong password', '--otp=111112']);
    assert.notEqual(r.code, 0, 'a wrong password is refused');
    assert.match(r.stderr, /E401/);
    assert.equal(fake.last('createOwnToken').args[0].password, 'wrong password');
  });

  await t.test('npm owner ls / add / rm', async () => {
    fake.state.usedOtp.clear();
    const rc = rcWith(v, 'session', SESSION);
    let r = await npm(v, rc, ['owner', 'add', 'bob', 'p-oa', '--otp=123456']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.state.maintainers['p-oa'], ['alice', 'bob']);
    r = await npm(v, rc, ['owner', 'ls', 'p-oa']);
    assert.equal(r.stdout.trim(), 'alice <alice@example.org>\nbob <bob@example.org>', 'names and e-mail addresses, from pkgtokend');
    r = await npm(v, rc, ['owner', 'rm', 'bob', 'p-oa', '--otp=654321']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.state.maintainers['p-oa'], ['alice']);
    r = await npm(v, rc, ['owner', 'rm', 'alice', 'p-oa']);
    assert.notEqual(r.code, 0, 'the last maintainer stays');
    assert.match(r.stderr, /Cannot remove all owners|last maintainer/);
    r = await npm(v, rcWith(v, 'auto', AUTO), ['owner', 'add', 'carol', 'p-oa']);
    assert.notEqual(r.code, 0, 'automation tokens never change owners');
  });

  await t.test('npm access set mfa=publish / list collaborators', async () => {
    const rc = rcWith(v, 'session', SESSION);
    let r = await npm(v, rc, ['access', 'set', 'mfa=publish', 'p-oa', '--otp=777000']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.state.policy, { pkg: 'p-oa', policy: '2fa-only', otp: '777000' });
    r = await npm(v, rc, ['access', 'list', 'collaborators', 'p-oa', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { alice: 'read-write' });
    r = await npm(v, rc, ['access', 'get', 'status', 'p-oa', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { 'p-oa': 'public' });
    r = await npm(v, rcWith(v, 'auto', AUTO), ['access', 'set', 'mfa=none', 'p-oa']);
    assert.notEqual(r.code, 0, 'governance');
  });

  await t.test('npm dist-tag / deprecate / unpublish (own actions)', async () => {
    const rc = rcWith(v, 'auto', AUTO);
    let r = await npm(v, rc, ['dist-tag', 'add', 'p-oa@1.0.0', 'stable']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.last('verify').args[2], 'dist-tag');
    r = await npm(v, rc, ['deprecate', 'p-oa@1.0.0', 'use 1.1']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fake.calls.some((c) => c.method === 'verify' && c.args[2] === 'deprecate' && c.args[3].version === '1.0.0'));
    r = await npm(v, rc, ['view', 'p-oa@1.0.0', 'deprecated']);
    assert.equal(r.stdout.trim(), 'use 1.1');
    r = await npm(v, rc, ['unpublish', 'p-oa@1.1.0']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fake.calls.some((c) => c.method === 'verify' && c.args[2] === 'unpublish' && c.args[3].version === '1.1.0'));
  });

  await t.test('npm profile get / enable-2fa / disable-2fa', async () => {
    fake.state.revoked.delete(SESSION);
    const rc = rcWith(v, 'session', SESSION);
    let r = await npm(v, rc, ['profile', 'get', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).name, 'alice');
    r = await npm(v, rc, ['profile', 'enable-2fa', 'auth-only'], { input: [`${PASSWORD}\n`, '246810\n'] });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /JBSWY3DPEHPK3PXP/);
    assert.match(r.stdout, /rc-one/);
    assert.equal(fake.state.twofa, 'auth-only');
    assert.equal(fake.state.confirmOtp, '246810');
    r = await npm(v, rc, ['profile', 'get', '--json']);
    assert.equal(JSON.parse(r.stdout).tfa.mode, 'auth-only');
    r = await npm(v, rc, ['profile', 'disable-2fa', '--otp=135790'], { input: [`${PASSWORD}\n`] });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(fake.state.twofa, 'disabled');
  });

  await t.test('npm logout ends the session', async () => {
    const rc = rcWith(v, 'session', SESSION);
    fake.state.revoked.delete(SESSION);
    let r = await npm(v, rc, ['logout']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.last('logout').args[0], SESSION);
    r = await npm(v, rcWith(v, 'session2', SESSION), ['whoami']);
    assert.notEqual(r.code, 0);
  });

  await t.test('no secret in Verdaccio\'s log', async () => {
    const log = fs.readFileSync(v.logFile, 'utf8');
    for (const s of [AUTO, PUB, RO, SESSION, MADE, PASSWORD, '123456', '654321']) assert.ok(!log.includes(s), `${s.slice(0, 9)} in the log`);
  });
});

// Trusted publishing as npm 11 does it in GitLab CI: GITLAB_CI=true and NPM_ID_TOKEN, no token
// in .npmrc; npm exchanges the ID token (POST /-/npm/v1/oidc/token/exchange/package/NAME) and
// publishes with the token it gets.  A refused exchange leaves npm without credentials.
test('npm CLI: trusted publishing', { skip: !HAVE_NPM && 'npm not installed' }, async (t) => {
  const fake = new h.FakeDaemon();
  const v = await h.startVerdaccio(fake);
  t.after(() => v.close());
  const claims = Buffer.from(JSON.stringify({ iss: 'https://gitlab.example.com', project_path: 'acme/app' })).toString('base64url');
  const jwt = `eyJhbGciOiJSUzI1NiJ9.${claims}.c2lnbmF0dXJl`;
  const minted = 'pkgt_' + 'T'.repeat(36) + 'tp0001';
  const spent = new Set();
  fake.on('exchangeIdToken', (idToken) => {
    if (spent.has(idToken)) return { result: 'forbidden', code: 'replayed-jti', message: 'exchanged already', details: {} };
    spent.add(idToken);
    return { result: 'allowed', code: 'ok', message: 'allowed', details: { token: minted, token_id: 'tk_tp0000000001' } };
  });
  fake.on('verify', (token, pkg, action) => (token === minted && pkg === 'tp-app' && action === 'publish'
    ? { result: 'allowed', code: 'ok', message: 'allowed', details: h.details({ account: '', owner: 'package', type: 'trusted-publishing', token_id: 'tk_tp0000000001', publish_id: 'pb_000000000001', new_package: false }) }
    : { result: 'invalid', code: 'unknown', message: 'unknown token', details: {} }));
  fake.on('finishPublish', () => null);
  const rc = rcWith(v, 'ci', '');
  const env = { GITLAB_CI: 'true', NPM_ID_TOKEN: jwt, GITHUB_ACTIONS: '', CI: 'true' };
  const publish = (version) => npm({ ...v, env, cwd: pkgDir(v, 'tp-app', version) }, rc, ['publish']);

  await t.test('npm publish with NPM_ID_TOKEN and no token: exchanged, then published', async () => {
    const r = await publish('1.0.0');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.last('exchangeIdToken').args.slice(0, 2), [jwt, 'tp-app']);
    assert.equal(fake.last('verify').args[0], minted);
    assert.equal(fake.last('finishPublish').args[1], true);
    assert.equal(fs.readFileSync(rc, 'utf8'), '', 'nothing written to .npmrc');
  });

  await t.test('the same ID token again: refused, and npm has no credentials to publish with', async () => {
    const before = fake.count('verify');
    const r = await publish('1.0.1');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /E401|ENEEDAUTH|log in|logged in/i);
    assert.equal(fake.count('verify') - before, 0, 'no publish reached the gate with a token');
  });
});
