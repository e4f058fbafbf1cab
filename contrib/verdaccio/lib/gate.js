// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The check made on every request (Verdaccio's apiJWTmiddleware slot): the bearer token,
// the package and the action go to pkgtokend's Verify, whose answer either lets the request
// on to Verdaccio (with req.remote_user = the token's account) or ends it here with the
// HTTP refusal npm understands.  Exactly one Verify per request; a publish-like request that
// Verify allowed is reported back with FinishPublish when Verdaccio has answered it.

'use strict';

const crypto = require('node:crypto');
const { classify, classifyPackumentChange } = require('./classify');
const { clientAddress } = require('./remote');
const { readBody } = require('./body');
const { sendError, sendVerifyRefusal, sendDaemonFailure } = require('./http');

const TOKEN_RE = /^pkgt_[0-9A-Za-z]{20,80}$/;
const PUBLISH_LIKE = new Set(['publish', 'unpublish', 'deprecate', 'dist-tag', 'owner']);
// An unpublish is two requests (PUT the packument without the version, DELETE its
// tarball) sent with the same one-time code: pkgtokend takes a code again from the same
// token and address while it is valid, so each request is Verify's alone to allow.

// credentials(req) -> null (none) | {token, account} | {bad: 'why'}
function credentials(req) {
  const h = req.headers.authorization;
  if (!h) return null;
  const sp = h.indexOf(' ');
  const scheme = sp > 0 ? h.slice(0, sp).toLowerCase() : '';
  const value = sp > 0 ? h.slice(sp + 1).trim() : '';
  if (scheme === 'bearer') {
    return TOKEN_RE.test(value) ? { token: value, account: '' } : { bad: 'not a pkgtoken token (pkgt_...): log in again with npm login' };
  }
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { bad: 'malformed Basic credentials' };
    const user = decoded.slice(0, colon);
    const pass = decoded.slice(colon + 1);
    if (TOKEN_RE.test(pass)) return { token: pass, account: user === '__token__' ? '' : user };
    return { bad: 'use a token (npm login, or npm token create), not a password' };
  }
  return { bad: 'unsupported authorization scheme' };
}

function tokenKey(token) {
  return crypto.createHash('sha256').update(token).digest('hex');
}

function remoteUserFor(helpers, details, grant) {
  const name = details.account || `token:${details.token_id || 'package'}`;
  const groups = details.account ? [] : ['pkgtoken-package-token'];
  const user = helpers.createRemoteUser(name, groups);
  Object.defineProperty(user, 'pkgtoken', { value: grant, enumerable: false });
  return user;
}

// Verdaccio 6.8 parses JSON bodies only after the auth and middleware plugins (6.10:
// before).  Writes need theirs here (what a packument PUT changes; the account endpoints):
// parsed once, marked as parsed (req._body) so that Verdaccio's parser leaves it alone.
function readJsonBody(req, limit) {
  if (req._body || req.body !== undefined || req.method === 'GET' || req.method === 'HEAD') return Promise.resolve();
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(String(req.headers['content-type'] || ''))) return Promise.resolve();
  process.nextTick(() => req.resume());
  return readBody(req, limit, 'request body').then((text) => {
    try {
      req.body = text.length ? JSON.parse(text) : {};
      req._body = true;
    } catch {
      throw Object.assign(new Error('malformed JSON body'), { status: 400 });
    }
  });
}

function storedPackument(storage, name) {
  return new Promise((resolve) => {
    const local = storage && storage.localStorage;
    if (!local || typeof local.getPackageMetadata !== 'function') return resolve(null);
    try {
      local.getPackageMetadata(name, (err, data) => resolve(err ? null : data));
    } catch {
      resolve(null);
    }
  });
}

// The packument's "maintainers" are pkgtokend's (npm owner ls/add/rm read them there, with
// the e-mail addresses npm prints); Verdaccio only knows who published which version.
function showMaintainers(res, pkg, maintainers) {
  const send = res.send;
  res.send = function patched(body) {
    res.send = send;
    if (typeof body === 'string' && res.statusCode === 200) {
      try {
        const doc = JSON.parse(body);
        if (doc && doc.name === pkg && doc.versions) {
          doc.maintainers = maintainers.map((m) => ({ name: m.name, email: m.email || '' }));
          body = JSON.stringify(doc, undefined, '  ') + '\n';
          // Verdaccio's ETag is for the body before this change: a client holding the old
          // one must not get a 304 for the new maintainers.
          res.setHeader('ETag', `"${crypto.createHash('md5').update(body).digest('hex')}"`);
        }
      } catch { /* not JSON: leave it */ }
    }
    return send.call(this, body);
  };
}

// npm install asks for the abbreviated packument, which has no maintainers: only the full
// one (npm view, npm owner) costs the extra question to pkgtokend.
function wantsFullPackument(req) {
  return !/application\/vnd\.npm\.install-v1\+json/.test(String(req.headers.accept || ''));
}

class Gate {
  // ctx: {daemon, settings, logger, storage (set once the middleware part registered)}
  constructor(ctx) {
    this.ctx = ctx;
  }

  middleware(helpers) {
    return (req, res, next) => {
      // Hold the body while Verify runs (Verdaccio's request logger listens to 'data', which
      // would let it flow away); it flows again, in the same tick, when the request moves
      // on to the parsers and handlers that read it.
      req.pause();
      const go = (err) => {
        req.resume();
        next(err);
      };
      this.handle(helpers, req, res, go).catch((err) => {
        if (err && err.status) return sendError(res, err.status, err.message);
        return sendDaemonFailure(res, err, this.ctx.logger);
      });
    };
  }

  async handle(helpers, req, res, next) {
    const anonymous = helpers.createAnonymousRemoteUser();
    req.remote_user = anonymous;
    res.locals.remote_user = anonymous;

    await readJsonBody(req, this.ctx.settings.maxBodySize);
    const what = classify(req.method, req.path);
    const cred = credentials(req);
    const remote = clientAddress(req, this.ctx.settings.trustedProxies);
    const otp = req.pkgtokenOtp || String(req.headers['npm-otp'] || '');
    req.pkgtoken = { what, cred, remote, otp };

    // Login, ping, the web login page: no token needed.  The account endpoints (whoami,
    // tokens, profile, logout) take the token as their proof and check it themselves.
    if (what.kind === 'public' || what.kind === 'self') return next();
    if (!cred) return next();      // anonymous: Verdaccio's packages: rules decide (401 for writes)
    if (cred.bad) return sendError(res, 401, cred.bad);

    if (what.needsBody) {
      const change = classifyPackumentChange(req.body, await storedPackument(this.ctx.storage, what.pkg));
      Object.assign(what, change);
    }
    if (what.action === 'owner') return next();     // the owner route calls ChangeMaintainer

    const options = { remote };
    if (cred.account) options.account = cred.account;
    if (what.version) options.version = what.version;
    // Reads never spend a one-time code (npm sends the same code on the GET before a write).
    if (otp && PUBLISH_LIKE.has(what.action)) options.otp = otp;

    const answer = await this.ctx.daemon.verify(cred.token, what.pkg || '', what.action, options);
    const details = answer.details || {};

    if (answer.result !== 'allowed') return sendVerifyRefusal(res, answer);

    const grant = { pkg: what.pkg, action: what.action, tokenId: details.token_id || '' };
    req.remote_user = remoteUserFor(helpers, details, grant);
    res.locals.remote_user = req.remote_user;
    if (details.publish_id) this.finishOnResponse(req, res, details.publish_id);
    if (what.action === 'read' && what.packument && wantsFullPackument(req)) {
      await this.loadMaintainers(res, what.pkg, { token: cred.token, remote });
    }
    return next();
  }

  // The read is allowed already: a package pkgtokend does not know (an uplink's), or a failed
  // question, leaves Verdaccio's packument as it is.
  async loadMaintainers(res, pkg, proof) {
    try {
      const info = await this.ctx.daemon.getPackageInfo(proof, pkg);
      showMaintainers(res, pkg, info.maintainers);
    } catch (err) {
      if (this.ctx.logger && !(err && err.code === 'NoSuchPackage')) {
        this.ctx.logger.warn({ err: err && err.message, pkg }, 'pkgtoken: no maintainers for @{pkg}: @{err}');
      }
    }
  }

  // Two-phase publish: tell the daemon how Verdaccio answered (2xx stored, else failed).
  finishOnResponse(req, res, publishId) {
    let reported = false;
    const report = (succeeded, reason) => {
      if (reported) return;
      reported = true;
      const options = succeeded ? {} : { reason };
      this.ctx.daemon.finishPublish(publishId, succeeded, options).catch((err) => {
        if (this.ctx.logger) {
          this.ctx.logger.error({ err: err.message, id: publishId }, 'pkgtoken: FinishPublish @{id} failed: @{err}');
        }
      });
    };
    res.on('finish', () => report(res.statusCode < 400, `HTTP ${res.statusCode}`));
    res.on('close', () => report(false, 'connection closed before the registry answered'));
  }
}

module.exports = { Gate, credentials, tokenKey, storedPackument, PUBLISH_LIKE };
