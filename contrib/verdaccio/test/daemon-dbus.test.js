// SPDX-License-Identifier: LGPL-2.1-or-later
// lib/daemon.js against a real private dbus-daemon (unix:path=, EXTERNAL auth), with a small
// stand-in for pkgtokend exported on the bus by this test: argument and reply types
// (a{sv} with s, as, b, t), daemon errors, a hung daemon (timeout), no daemon (503 path),
// and a reconnect after the bus itself restarted.  Skipped when dbus-daemon is missing.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');
const dbus = require('@homebridge/dbus-native');
const { Daemon, DaemonError, DaemonUnavailable, parseAddress } = require('../lib/daemon');

const HAVE_DBUS = spawnSync('dbus-daemon', ['--version']).status === 0;

function busConfig(socket) {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>custom</type><listen>unix:path=${socket}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow send_type="method_call"/><allow send_type="method_return"/><allow send_type="error"/><allow send_type="signal"/>
<allow receive_type="method_call"/><allow receive_type="method_return"/><allow receive_type="error"/><allow receive_type="signal"/></policy>
</busconfig>`;
}

async function startBus(dir) {
  const socket = path.join(dir, 'bus');
  const conf = path.join(dir, 'bus.conf');
  fs.writeFileSync(conf, busConfig(socket));
  const child = spawn('dbus-daemon', [`--config-file=${conf}`, '--nofork', '--nopidfile', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out.trim()); });
    child.on('exit', () => reject(new Error('dbus-daemon exited')));
  });
  return { child, address, socket };
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');   // by PID: the child we started
  });
}

// A stand-in for pkgtokend: org.pkgtoken1 on the bus with some Manager methods.
async function startService(socket, behaviour) {
  const bus = dbus.createClient({ stream: net.createConnection(socket), authMethods: ['EXTERNAL'] });
  const iface = {
    name: 'org.pkgtoken1.Manager',
    methods: {
      Verify: ['sssa{sv}', 'sssa{sv}', ['token', 'package', 'action', 'options'], ['result', 'code', 'message', 'details']],
      WhoAmI: ['a{sv}', 'sa{sv}', ['proof'], ['account', 'details']],
      FinishPublish: ['sba{sv}', '', ['id', 'succeeded', 'options'], []],
    },
    signals: {},
  };
  const impl = {
    Verify: (token, pkg, action, options) => behaviour.Verify(token, pkg, action, options),
    WhoAmI: (proof) => behaviour.WhoAmI(proof),
    FinishPublish: (id, ok, options) => behaviour.FinishPublish(id, ok, options),
  };
  bus.exportInterface(impl, '/org/pkgtoken1', iface);
  await new Promise((resolve, reject) => bus.requestName('org.pkgtoken1', 4, (err, r) => (err ? reject(err) : resolve(r))));
  return { close: () => { try { bus.connection.stream.destroy(); } catch { /* gone */ } } };
}

// Options arrive as [[key, [[sigtree], [value]]]]: flatten for assertions.
function opts(arr) {
  return Object.fromEntries(arr.map(([k, [, [v]]]) => [k, v]));
}

test('D-Bus client against a private dbus-daemon', { skip: !HAVE_DBUS && 'dbus-daemon not installed' }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgtoken-dbus-test-'));
  let bus = await startBus(dir);
  const seen = {};
  const behaviour = {
    Verify: (token, pkg, action, options) => {
      seen.verify = { token, pkg, action, options: opts(options) };
      if (action === 'hang') return new Promise(() => {});
      if (action === 'refuse') {
        const e = new Error('automation tokens cannot do that');
        e.dbusName = 'org.pkgtoken1.Error.Forbidden';
        throw e;
      }
      return ['allowed', 'ok', '', [
        ['account', ['s', 'alice']], ['scope', ['as', ['left-pad', '@acme/*']]],
        ['expires_at', ['t', 1700000000000000]], ['bypass_2fa', ['b', true]], ['publish_id', ['s', 'pub_1']],
      ]];
    },
    WhoAmI: () => ['alice', [['type', ['s', 'session']]]],
    FinishPublish: (id, ok, options) => { seen.finish = { id, ok, options: opts(options) }; return null; },
  };
  let service = await startService(bus.socket, behaviour);
  const daemon = new Daemon({ address: bus.address, timeoutMs: 700 });
  t.after(async () => {
    daemon.close();
    service.close();
    await stop(bus.child);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  await t.test('parseAddress takes unix:path= (escaped) and refuses others', () => {
    assert.equal(parseAddress('unix:path=/run/a%20b,guid=1'), '/run/a b');
    assert.equal(parseAddress('tcp:host=x;unix:path=/s'), '/s');
    assert.throws(() => parseAddress('unix:abstract=/x'));
  });

  await t.test('Verify: arguments and a{sv} reply types survive the bus', async () => {
    const a = await daemon.verify('pkgt_x', 'left-pad', 'publish', { remote: '192.0.2.1', otp: '123456', version: '1.0.0' });
    assert.deepEqual(seen.verify, { token: 'pkgt_x', pkg: 'left-pad', action: 'publish', options: { remote: '192.0.2.1', otp: '123456', version: '1.0.0' } });
    assert.equal(a.result, 'allowed');
    assert.equal(a.details.account, 'alice');
    assert.deepEqual(a.details.scope, ['left-pad', '@acme/*']);
    assert.equal(a.details.expires_at, 1700000000000000);
    assert.equal(a.details.bypass_2fa, true);
  });

  await t.test('FinishPublish with a boolean and options', async () => {
    await daemon.finishPublish('pub_1', false, { reason: 'HTTP 422' });
    assert.deepEqual(seen.finish, { id: 'pub_1', ok: false, options: { reason: 'HTTP 422' } });
  });

  await t.test('a daemon error keeps its name', async () => {
    await assert.rejects(daemon.verify('t', 'p', 'refuse', {}), (e) => e instanceof DaemonError && e.code === 'Forbidden' && /cannot do that/.test(e.message));
  });

  await t.test('a hung daemon -> DaemonUnavailable within the timeout', async () => {
    const t0 = Date.now();
    await assert.rejects(daemon.verify('t', 'p', 'hang', {}), DaemonUnavailable);
    const ms = Date.now() - t0;
    assert.ok(ms >= 600 && ms < 1500, `${ms} ms`);
  });

  await t.test('after repeated timeouts the connection is made anew, and works', async () => {
    await assert.rejects(daemon.verify('t', 'p', 'hang', {}), DaemonUnavailable);
    const before = daemon.bus;
    await assert.rejects(daemon.verify('t', 'p', 'hang', {}), DaemonUnavailable);
    const a = await daemon.verify('pkgt_x', 'left-pad', 'read', {});
    assert.equal(a.result, 'allowed');
    assert.notEqual(daemon.bus, before, 'a new connection');
  });

  await t.test('no daemon on the bus -> DaemonUnavailable at once', async () => {
    service.close();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await assert.rejects(daemon.whoAmI({ token: 't' }), DaemonUnavailable);
    assert.ok(Date.now() - t0 < 500);
  });

  await t.test('the bus restarts: the client reconnects by itself', async () => {
    await stop(bus.child);
    await assert.rejects(daemon.whoAmI({ token: 't' }), DaemonUnavailable);
    fs.rmSync(bus.socket, { force: true });
    bus = await startBus(dir);
    service = await startService(bus.socket, behaviour);
    const d2 = new Daemon({ address: bus.address, timeoutMs: 700 });
    // Same socket path, new bus: the old client object finds it again.
    daemon.address = bus.address;
    const r = await daemon.whoAmI({ token: 't' });
    assert.equal(r.account, 'alice');
    assert.equal(r.details.type, 'session');
    d2.close();
  });

  await t.test('introspection says which methods the daemon has', async () => {
    assert.equal(await daemon.hasMethod('Verify'), true);
    assert.equal(await daemon.hasMethod('NoSuchMethod'), false);
  });
});

// The real daemon, when built (PKGTOKEND, or ../../build/pkgtokend/pkgtokend): the client
// against sd-bus's answers.  Uses only methods every version has, plus Verify when present.
const PKGTOKEND = process.env.PKGTOKEND || path.resolve(__dirname, '../../../build/pkgtokend/pkgtokend');
const HAVE_PKGTOKEND = HAVE_DBUS && fs.existsSync(PKGTOKEND);

test('D-Bus client against the real pkgtokend', { skip: !HAVE_PKGTOKEND && `pkgtokend not built (${PKGTOKEND}; set PKGTOKEND)` }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgtoken-dbus-real-'));
  const bus = await startBus(dir);
  fs.mkdirSync(path.join(dir, 'state'), { mode: 0o700 });
  const child = spawn(PKGTOKEND, [`--state-dir=${path.join(dir, 'state')}`, `--bus-address=${bus.address}`], { stdio: 'ignore' });
  const daemon = new Daemon({ address: bus.address, timeoutMs: 3000 });
  t.after(async () => {
    daemon.close();
    await stop(child);
    await stop(bus.child);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  let status;
  for (let i = 0; i < 100 && !status; i++) {
    status = await daemon.call('GetStatus', '', []).catch(() => null);
    if (!status) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(status, 'pkgtokend answers GetStatus');

  await t.test('GetStatus: an a{sv} of s, u/t', async () => {
    const { asvToObject } = require('../lib/daemon');
    const s = asvToObject(status[0]);
    assert.equal(typeof s.version, 'string');
    assert.equal(s.accounts, 0);
  });

  await t.test('Authenticate with {remote, session}: bad-credentials for an unknown account', async () => {
    const a = await daemon.authenticate('nobody-here', 'a password', '', { remote: '127.0.0.1', session: true });
    assert.equal(a.result, 'bad-credentials');
    assert.equal(a.details.session_token, undefined);
  });

  await t.test('GetPackageInfo and SetOwnPackagePolicy: the types both ways (when the daemon has them)', { skip: !(await daemon.hasMethod('GetPackageInfo')) && 'no GetPackageInfo' }, async () => {
    await daemon.call('CreateAccount', 'sssa{sv}', ['alice', 'alice@example.org', 'human', []]);
    await daemon.call('CreatePackage', 'ssas', ['left-pad', 'none', ['alice']]);
    const [, token] = await daemon.call('CreateToken', 'ssasstasa{sv}', ['alice', 'publish', [], 'test', 0, [], []]);
    const info = await daemon.getPackageInfo({ token, remote: '127.0.0.1' }, 'left-pad');
    assert.equal(info.package.name, 'left-pad');
    assert.equal(info.package.policy, 'none');
    assert.deepEqual(info.maintainers, [{ name: 'alice', email: 'alice@example.org' }]);
    await assert.rejects(daemon.getPackageInfo({ token }, 'no-such'), (e) => e.code === 'NoSuchPackage');
    // The arguments arrive (a{sv}ssa{sv}); the governance rule answers: alice has no 2FA.
    await assert.rejects(daemon.setOwnPackagePolicy({ token, remote: '127.0.0.1' }, 'left-pad', '2fa-or-automation', {}),
      (e) => e.code === 'Forbidden' && /two-factor/.test(e.message));
    assert.equal((await daemon.getPackageInfo({ token }, 'left-pad')).package.policy, 'none');
  });

  await t.test('Verify (when the daemon has it): an unknown token is invalid; otherwise 503', async () => {
    const token = 'pkgt_' + 'x'.repeat(42);
    if (await daemon.hasMethod('Verify')) {
      const a = await daemon.verify(token, '', 'identity', { remote: '127.0.0.1' });
      assert.equal(a.result, 'invalid');
    } else {
      await assert.rejects(daemon.verify(token, '', 'identity', {}), (e) => /UnknownMethod$/.test(e.dbusName));
    }
  });
});
