// SPDX-License-Identifier: LGPL-2.1-or-later
//
// npm's default web login (npm-profile's loginWeb): POST /-/v1/login answers {loginUrl,
// doneUrl}; npm opens loginUrl in a browser and polls doneUrl, which answers 202 with
// Retry-After until the person has logged in, then 200 {token} once.
//
// The page is plain HTML with no external assets or scripts; the form posts the password and
// the code in the body, never the URL.  Against cross-site posts the form carries a random
// per-login value that only the page itself knows, and a POST whose Origin is another site
// is refused.  Logins are kept in memory for ten minutes; the session token is handed out
// once and forgotten.  Two different random ids are used: the one in loginUrl (seen by the
// browser) cannot fetch the token; only the CLI's doneUrl id can.

'use strict';

const crypto = require('node:crypto');
const { readBody } = require('./body');
const { sendJson, sendError, sendDaemonFailure } = require('./http');

const MAX_PENDING = 1000;
const MAX_FORM = 8192;

function rid() {
  return crypto.randomBytes(24).toString('base64url');
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function same(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function readForm(req) {
  if (req.body && typeof req.body === 'object' && Object.keys(req.body).length) return Promise.resolve(req.body);
  const text = readBody(req, MAX_FORM, 'form');
  req.resume();
  return text.then((t) => Object.fromEntries(new URLSearchParams(t)));
}

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

function page(res, status, body) {
  res.statusCode = status;
  for (const [k, v] of Object.entries(PAGE_HEADERS)) res.setHeader(k, v);
  res.end(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Log in to the registry</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:26em;margin:3em auto;padding:0 1em}
label{display:block;margin:.8em 0 .2em}input{width:100%;padding:.4em;box-sizing:border-box}
button{margin-top:1em;padding:.5em 1.5em}.msg{color:#a00}</style></head>
<body>${body}</body></html>
`);
}

function form(login, message, name) {
  return `<h1>Log in to the registry</h1>
<p>npm is waiting for this login in your terminal.</p>
${message ? `<p class="msg" id="message">${esc(message)}</p>` : ''}
<form method="post" action="${esc(login.path)}" autocomplete="off">
<input type="hidden" name="csrf" value="${esc(login.csrf)}">
<label for="username">Username</label><input id="username" name="username" value="${esc(name || '')}" required autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" required autocomplete="current-password">
<label for="otp">One-time code (if you use two-factor authentication)</label><input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code">
<button type="submit" id="submit">Log in</button>
</form>`;
}

class WebLogin {
  constructor(ctx) {
    this.ctx = ctx;
    this.byLogin = new Map();   // login id -> login
    this.byDone = new Map();    // done id -> login
  }

  baseUrl(req) {
    if (this.ctx.settings.publicUrl) return this.ctx.settings.publicUrl;
    const proto = req.protocol || 'http';
    return `${proto}://${req.headers.host}`;
  }

  sweep() {
    const now = Date.now();
    for (const [id, l] of this.byLogin) {
      if (now > l.expires) {
        this.byLogin.delete(id);
        this.byDone.delete(l.doneId);
      }
    }
  }

  register(app) {
    app.post('/-/v1/login', (req, res) => this.start(req, res));
    app.get('/-/v1/login/done/:id', (req, res) => this.done(req, res));
    app.get('/-/pkgtoken/login/:id', (req, res) => this.show(req, res));
    app.post('/-/pkgtoken/login/:id', (req, res) => {
      this.submit(req, res).catch((err) => {
        if (err && err.status) return sendError(res, err.status, err.message);
        return sendDaemonFailure(res, err, this.ctx.logger);
      });
    });
  }

  start(req, res) {
    this.sweep();
    if (this.byLogin.size >= MAX_PENDING) return sendError(res, 429, 'too many logins in progress', { retryAfter: 60 });
    const login = {
      id: rid(), doneId: rid(), csrf: rid(), expires: Date.now() + this.ctx.settings.webLoginTtlMs, token: null,
    };
    login.path = `/-/pkgtoken/login/${login.id}`;
    this.byLogin.set(login.id, login);
    this.byDone.set(login.doneId, login);
    const base = this.baseUrl(req);
    sendJson(res, 200, { loginUrl: `${base}${login.path}`, doneUrl: `${base}/-/v1/login/done/${login.doneId}` });
  }

  done(req, res) {
    this.sweep();
    const login = this.byDone.get(req.pkgtokenDoneId || req.params.id);
    if (!login) return sendError(res, 404, 'no such login (expired?)');
    if (!login.token) {
      res.setHeader('Retry-After', '1');
      return sendJson(res, 202, {});
    }
    const token = login.token;
    this.byLogin.delete(login.id);
    this.byDone.delete(login.doneId);
    return sendJson(res, 200, { token });
  }

  show(req, res) {
    this.sweep();
    const login = this.byLogin.get(req.params.id);
    if (!login) return page(res, 404, '<h1>This login has expired</h1><p>Run npm login again.</p>');
    if (login.token) return page(res, 200, '<h1 id="done">Logged in</h1><p>You can close this page and return to the terminal.</p>');
    return page(res, 200, form(login, '', ''));
  }

  async submit(req, res) {
    this.sweep();
    const login = this.byLogin.get(req.params.id);
    if (!login) return page(res, 404, '<h1>This login has expired</h1><p>Run npm login again.</p>');
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && origin !== this.baseUrl(req)) {
      return page(res, 403, '<h1>Refused</h1><p>This form must be sent from its own page.</p>');
    }
    const f = await readForm(req);
    if (!same(f.csrf || '', login.csrf)) return page(res, 403, '<h1>Refused</h1><p>Reload the login page.</p>');
    if (login.token) return page(res, 200, '<h1 id="done">Logged in</h1><p>You can close this page.</p>');
    const name = String(f.username || '');
    const password = String(f.password || '');
    const otp = String(f.otp || '').trim();
    if (!name || !password) return page(res, 400, form(login, 'Enter your username and password.', name));
    const remote = (req.pkgtoken && req.pkgtoken.remote) || '';
    const answer = await this.ctx.daemon.authenticate(name, password, otp, { remote, session: true });
    switch (answer.result) {
      case 'ok':
        if (!answer.details || !answer.details.session_token) throw new Error('no session token');
        login.token = answer.details.session_token;
        return page(res, 200, '<h1 id="done">Logged in</h1><p>You can close this page and return to the terminal.</p>');
      case 'otp-required':
        return page(res, 401, form(login, 'Enter the one-time code from your authenticator, with your password.', name));
      case 'bad-otp':
        return page(res, 401, form(login, 'That one-time code is wrong or was used already.', name));
      case 'rate-limited':
        return page(res, 429, form(login, 'Too many attempts; wait a while.', name));
      case 'locked':
        return page(res, 401, form(login, 'This account is locked.', name));
      default:
        return page(res, 401, form(login, 'Wrong username or password.', name));
    }
  }
}

module.exports = { WebLogin };
