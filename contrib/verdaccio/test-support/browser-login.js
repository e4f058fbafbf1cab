// SPDX-License-Identifier: LGPL-2.1-or-later
//
// node test-support/browser-login.js LOGIN-URL USER PASSWORD [OTP]: a real headless Chromium opens
// the web login page, types the name, password and code into the form and presses the
// button, as a person would; exits 0 once the page says "Logged in", 1 with the page's
// message otherwise.  No dependencies: Chromium is driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: JSON messages ending in NUL, commands on fd 3, answers on
// fd 4).  CHROMIUM names the browser (default: chromium from PATH).  Loopback URLs only.

'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const [loginUrl, user, password, otp = ''] = process.argv.slice(2);
const TIMEOUT_MS = 20000;

if (!loginUrl || !/^http:\/\/127\.0\.0\.1:\d+\//.test(loginUrl)) {
  console.error('usage: browser-login.js http://127.0.0.1:PORT/... USER PASSWORD [OTP]');
  process.exit(2);
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgtoken-chromium-'));
const args = ['--headless', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
  '--disable-extensions', '--disable-background-networking', '--disable-sync', '--metrics-recording-only',
  '--no-proxy-server', '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'];
// As root Chromium needs --no-sandbox (it refuses to start otherwise).
if (process.getuid && process.getuid() === 0) args.unshift('--no-sandbox');
// Its own process group: chromium forks zygote and renderer processes, and all of them must be
// gone (stopped through the group of our child's PID) before its profile can be removed.
const browser = spawn(process.env.CHROMIUM || 'chromium', args,
  { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
let stderr = '';
browser.stderr.on('data', (d) => { stderr += d; });

let nextId = 1;
const pending = new Map();
let buffer = '';
browser.stdio[4].on('data', (chunk) => {
  buffer += chunk.toString('utf8');
  let nul;
  while ((nul = buffer.indexOf('\0')) >= 0) {
    const msg = JSON.parse(buffer.slice(0, nul));
    buffer = buffer.slice(nul + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(`${msg.error.message}`));
      else resolve(msg.result);
    }
  }
});

function send(method, params = {}, sessionId) {
  const id = nextId++;
  const msg = { id, method, params };
  if (sessionId) msg.sessionId = sessionId;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    browser.stdio[3].write(JSON.stringify(msg) + '\0');
  });
}

async function evaluate(session, expression) {
  const r = await send('Runtime.evaluate', { expression, returnByValue: true }, session);
  return r.result ? r.result.value : undefined;
}

async function poll(fn, what) {
  const end = Date.now() + TIMEOUT_MS;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function finish(code, message) {
  if (message) (code ? console.error : console.log)(message);
  try { process.kill(-browser.pid, 'SIGKILL'); } catch { /* gone */ }   // our child's group, by PID
  const done = () => {
    // A renderer may still be closing its files for a moment after the group is killed.
    try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }); } catch { /* a temp dir left */ }
    process.exit(code);
  };
  browser.once('exit', done);
  if (browser.exitCode !== null || browser.signalCode !== null) done();
}

browser.on('error', (e) => finish(1, `cannot start chromium: ${e.message}`));
setTimeout(() => finish(1, `browser-login: no result within ${TIMEOUT_MS} ms\n${stderr.slice(-2000)}`), TIMEOUT_MS + 5000).unref();

(async () => {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const nav = await send('Page.navigate', { url: loginUrl }, sessionId);
  if (nav.errorText) throw new Error(`cannot load the page: ${nav.errorText}`);
  await poll(() => evaluate(sessionId, "document.readyState === 'complete' && !!document.querySelector('#password')"), 'the login form');
  const fill = (id, value) => `document.querySelector('#${id}').value = ${JSON.stringify(value)};`;
  await evaluate(sessionId, fill('username', user) + fill('password', password) + fill('otp', otp) +
    "document.querySelector('#submit').click(); true");
  const outcome = await poll(() => evaluate(sessionId,
    "document.readyState === 'complete' && (document.querySelector('#done') ? 'done' : " +
    "(document.querySelector('#message') ? 'message: ' + document.querySelector('#message').textContent : ''))"),
  'the answer page');
  await send('Browser.close').catch(() => {});
  if (outcome === 'done') finish(0, 'logged in');
  else finish(1, outcome);
})().catch((e) => finish(1, `browser-login: ${e.message}\n${stderr.slice(-2000)}`));
