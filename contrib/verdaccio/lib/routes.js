// SPDX-License-Identifier: LGPL-2.1-or-later
//
// npm's account endpoints, answered by pkgtokend for the account the request's token (or
// password + OTP) proves: npm login --auth-type=legacy, logout, whoami, token list/create/
// revoke, profile get/enable-2fa/disable-2fa, owner add/rm (a packument PUT that only
// changes "maintainers"), and npm access (list collaborators, get status, set mfa=...,
// set status=...).  Registered before Verdaccio's own routes, which they replace.

'use strict';

const { sendJson, sendError, sendDaemonFailure } = require('./http');
const { oidcExchange } = require('./oidc');
const trust = require('./trust');

const USEC_PER_DAY = 86400n * 1000000n;
// How long enable-2fa's password is kept between npm's two requests (enrol, then confirm).
const PENDING_ENROLMENT_MS = 10 * 60 * 1000;

function iso(usec) {
  const n = Number(usec || 0);
  return n ? new Date(Math.floor(n / 1000)).toISOString() : null;
}

// A token record (ListOwnTokens) as npm's GET /-/npm/v1/tokens shows it.  npm's "key" is
// the handle `npm token revoke` sends back: the daemon's token id.
function npmTokenRecord(t) {
  const cidrs = Array.isArray(t.allowed_cidrs) && t.allowed_cidrs.length ? t.allowed_cidrs : null;
  return {
    key: t.id,
    token: t.prefix || '',
    name: t.description || '',
    description: t.description || '',
    type: t.type,
    owner: t.owner,
    scope: t.scope || [],
    readonly: t.type === 'read-only',
    automation: t.type === 'automation',
    cidr_whitelist: cidrs,
    created: iso(t.created_at),
    updated: iso(t.created_at),
    expires: iso(t.expires_at),
    last_used: iso(t.last_used_at),
    state: t.state || 'active',
  };
}

// npm token create's body -> CreateOwnToken's arguments.
function tokenRequest(body) {
  const b = body || {};
  const perm = b.packages_and_scopes_permission;
  let type = 'publish';
  if (b.readonly === true || perm === 'read-only') type = 'read-only';
  else if (b.bypass_2fa === true) type = 'automation';
  if (perm === 'no-access') throw Object.assign(new Error('no-access tokens are not supported'), { status: 400 });
  if (Array.isArray(b.orgs) && b.orgs.length) {
    throw Object.assign(new Error('organisation tokens are not supported; use --scopes'), { status: 400 });
  }
  const scope = [];
  for (const p of [].concat(b.packages || [])) scope.push(String(p));
  for (const s of [].concat(b.scopes || [])) {
    const name = String(s).startsWith('@') ? String(s) : `@${s}`;
    scope.push(name.includes('/') ? name : `${name}/*`);
  }
  let expiresAt = 0n;
  if (b.expires !== undefined && b.expires !== null) {
    const days = Number(b.expires);
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
      throw Object.assign(new Error('expires must be a whole number of days (1-3650)'), { status: 400 });
    }
    expiresAt = BigInt(Date.now()) * 1000n + BigInt(days) * USEC_PER_DAY;
  }
  const cidrs = [].concat(b.cidr_whitelist || []).map(String);
  const description = String(b.description || b.name || 'npm token').slice(0, 200);
  // npm sends the account's password too: pkgtokend checks it with the request's token (a
  // proof with both), as npm's registry does.
  const password = typeof b.password === 'string' && b.password ? b.password : undefined;
  return { type, scope, description, expiresAt, cidrs, password };
}

function pathAfter(req, prefix) {
  return decodeURIComponent(req.path.slice(prefix.length));
}

class Routes {
  constructor(ctx) {
    this.ctx = ctx;
    // token id -> {account, password, mode, expires}: enable-2fa's second request (the first
    // code) carries no password, and ConfirmOwnTOTP needs a password proof.
    this.pendingEnrolment = new Map();
  }

  // A password proof for the account the request's token stands for: pkgtokend makes 2FA
  // changes only on a password proof.  The account is the token's, never one the body names,
  // and tokens that may not change 2FA (automation, read-only, package tokens) are refused
  // here as pkgtokend refuses them as proofs.  -> {proof, tokenId} or null (answered).
  async passwordProof(req, res, password) {
    const tokenProof = this.proof(req, res);
    if (!tokenProof) return null;
    const { account, details } = await this.ctx.daemon.whoAmI({ token: tokenProof.token, remote: tokenProof.remote });
    if (!account || details.owner === 'package') {
      sendError(res, 403, 'a package token stands for no account: log in (npm login) to change two-factor settings');
      return null;
    }
    if (details.type === 'automation' || details.type === 'read-only' || details.bypass_2fa) {
      sendError(res, 403, `a ${details.type || 'token of this type'} token cannot change two-factor settings: log in (npm login)`);
      return null;
    }
    const proof = { account, password, remote: tokenProof.remote };
    if (tokenProof.otp) proof.otp = tokenProof.otp;
    return { proof, tokenId: details.token_id || '' };
  }

  takePendingEnrolment(tokenId) {
    const now = Date.now();
    for (const [k, e] of this.pendingEnrolment) if (e.expires < now) this.pendingEnrolment.delete(k);
    const e = this.pendingEnrolment.get(tokenId);
    this.pendingEnrolment.delete(tokenId);
    return e;
  }

  // The proof of the account for the account endpoints: the request's token.
  proof(req, res, extra = {}) {
    const p = req.pkgtoken || {};
    const cred = p.cred;
    if (!cred || cred.bad) {
      sendError(res, 401, cred && cred.bad ? cred.bad : 'log in first (npm login)');
      return null;
    }
    const proof = { token: cred.token, remote: p.remote || '' };
    if (p.otp) proof.otp = p.otp;
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) proof[k] = v;
    return proof;
  }

  wrap(fn) {
    return (req, res, next) => {
      Promise.resolve(fn.call(this, req, res, next)).catch((err) => {
        if (err && err.status) return sendError(res, err.status, err.message);
        return sendDaemonFailure(res, err, this.ctx.logger);
      });
    };
  }

  register(app) {
    const on = this.ctx.settings.endpoints;
    if (on.whoami) app.get('/-/whoami', this.wrap(this.whoami));
    if (on.tokens) {
      app.get('/-/npm/v1/tokens', this.wrap(this.listTokens));
      app.post('/-/npm/v1/tokens', this.wrap(this.createToken));
      app.delete('/-/npm/v1/tokens/token/:key', this.wrap(this.revokeToken));
      // npm has no rotate verb: `curl -X POST -H "Authorization: Bearer ..." -H "npm-otp: ..."
      // .../-/npm/v1/tokens/token/<key>/rotate [-d '{"grace": 3600}']` (README).
      app.post('/-/npm/v1/tokens/token/:key/rotate', this.wrap(this.rotateToken));
    }
    if (on.profile) {
      app.get('/-/npm/v1/user', this.wrap(this.getProfile));
      app.post('/-/npm/v1/user', this.wrap(this.setProfile));
    }
    if (on.logout) app.delete(/^\/-\/user\/token\//, this.wrap(this.logout));
    if (on.login) app.put(/^\/-\/user\/org\.couchdb\.user:[^/]+(\/-rev\/[^/]+)?$/, this.wrap(this.loginCouch));
    if (on.owner) app.get(/^\/-\/user\/org\.couchdb\.user:[^/]+$/, this.wrap(this.userInfo));
    if (on.owner) app.put(/^\/.+/, this.wrap(this.ownerChange));
    if (on.trust) {
      const route = /^\/-\/package\/([^/]+(?:\/[^/]+)?)\/trust$/;
      app.post(route, this.wrap((req, res) => trust.addTrust(this, req, res)));
      app.get(route, this.wrap((req, res) => trust.listTrust(this, req, res)));
      app.delete(/^\/-\/package\/([^/]+(?:\/[^/]+)?)\/trust\/([^/]+)$/, this.wrap((req, res) => trust.revokeTrust(this, req, res)));
    }
    if (on.oidc) app.post(/^\/-\/npm\/v1\/oidc\/token\/exchange\/package\/.+$/, this.wrap((req, res) => oidcExchange(this.ctx, req, res)));
    if (on.access) {
      app.post(/^\/-\/package\/([^/]+(?:\/[^/]+)?)\/access$/, this.wrap(this.setAccess));
      app.get(/^\/-\/package\/([^/]+(?:\/[^/]+)?)\/collaborators$/, this.wrap(this.collaborators));
      app.get(/^\/-\/package\/([^/]+(?:\/[^/]+)?)\/visibility$/, this.wrap(this.visibility));
    }
  }

  async whoami(req, res) {
    const proof = this.proof(req, res);
    if (!proof) return;
    const { account, details } = await this.ctx.daemon.whoAmI(proof);
    sendJson(res, 200, { username: account || details.actor || `token:${details.token_id || ''}` });
  }

  async listTokens(req, res) {
    const proof = this.proof(req, res);
    if (!proof) return;
    const tokens = await this.ctx.daemon.listOwnTokens(proof);
    const objects = tokens.filter((t) => (t.state || 'active') === 'active').map(npmTokenRecord);
    sendJson(res, 200, { objects, total: objects.length, urls: {} });
  }

  async createToken(req, res) {
    const r = tokenRequest(req.body);
    const proof = this.proof(req, res, { password: r.password });
    if (!proof) return;
    const { id, token } = await this.ctx.daemon.createOwnToken(proof, r.type, r.scope, r.description,
      r.expiresAt, r.cidrs, {});
    sendJson(res, 200, {
      token, key: id, name: r.description, readonly: r.type === 'read-only', automation: r.type === 'automation',
      cidr_whitelist: r.cidrs.length ? r.cidrs : null, scope: r.scope,
      created: new Date().toISOString(), expires: r.expiresAt ? iso(r.expiresAt) : null,
    });
  }

  async revokeToken(req, res) {
    const proof = this.proof(req, res);
    if (!proof) return;
    let id = req.pkgtokenRevokeToken || String(req.params.key || '');
    if (id.startsWith('pkgt_')) {
      // `npm token revoke <token>`: the secret itself; Verify says which id it has.
      const answer = await this.ctx.daemon.verify(id, '', 'identity', { remote: proof.remote });
      id = (answer.details && answer.details.token_id) || '';
      if (!id) return sendError(res, 404, 'no such token');
    }
    await this.ctx.daemon.revokeOwnToken(proof, id, {});
    res.statusCode = 204;
    res.end();
  }

  // A new secret for one of the account's tokens (pkgtokend's RotateOwnToken, under the same
  // governance rule as token create): same lineage, type, scope, description and CIDRs; the
  // old secret stops now, or after body.grace seconds (at most a day); using it after that
  // revokes every rotation.
  async rotateToken(req, res) {
    const b = req.body || {};
    let grace = 0;
    if (b.grace !== undefined && b.grace !== null) {
      grace = Number(b.grace);
      if (!Number.isInteger(grace) || grace < 0 || grace > 86400) {
        return sendError(res, 400, 'grace must be a whole number of seconds (0-86400)');
      }
    }
    const proof = this.proof(req, res);
    if (!proof) return;
    const id = String(req.params.key || '');
    const made = await this.ctx.daemon.rotateOwnToken(proof, id, { grace: BigInt(grace) * 1000000n });
    sendJson(res, 200, { token: made.token, key: made.id, rotated: id, grace });
  }

  async getProfile(req, res) {
    const proof = this.proof(req, res);
    if (!proof) return;
    const p = await this.ctx.daemon.getProfile(proof);
    sendJson(res, 200, npmProfile(p));
  }

  async setProfile(req, res) {
    const body = req.body || {};
    const tfa = body.tfa;
    if (tfa === undefined) {
      return sendError(res, 400, 'only two-factor settings can be changed here; ask an administrator (pkgtokenctl) for the rest');
    }
    const daemon = this.ctx.daemon;
    if (Array.isArray(tfa)) {
      // Second step of enable-2fa: the first code from the authenticator, confirmed with the
      // password the first step gave (kept for this token only, for a few minutes).
      const tokenProof = this.proof(req, res);
      if (!tokenProof) return;
      const { details } = await daemon.whoAmI({ token: tokenProof.token, remote: tokenProof.remote });
      const pending = this.takePendingEnrolment(details.token_id || '');
      if (!pending) return sendError(res, 409, 'no two-factor enrolment is pending: run npm profile enable-2fa again');
      const proof = { account: pending.account, password: pending.password, remote: tokenProof.remote };
      const codes = await daemon.confirmOwnTOTP(proof, String(tfa[0] || ''), pending.mode);
      return sendJson(res, 200, { tfa: codes });
    }
    if (!tfa || typeof tfa !== 'object' || typeof tfa.password !== 'string') {
      return sendError(res, 400, 'tfa needs a password and a mode');
    }
    const mode = tfa.mode === 'disable' ? 'disabled' : String(tfa.mode || '');
    if (mode !== 'disabled' && mode !== 'auth-only' && mode !== 'auth-and-writes') {
      return sendError(res, 400, `unknown two-factor mode "${tfa.mode}"`);
    }
    const proven = await this.passwordProof(req, res, tfa.password);
    if (!proven) return;
    const { proof, tokenId } = proven;
    if (mode === 'disabled') {
      this.pendingEnrolment.delete(tokenId);
      await daemon.setOwnTwoFactorMode(proof, 'disabled');
      return sendJson(res, 200, { tfa: false });
    }
    try {
      const uri = await daemon.enrollOwnTOTP(proof);
      if (tokenId) {
        this.pendingEnrolment.set(tokenId, {
          account: proof.account, password: proof.password, mode, expires: Date.now() + PENDING_ENROLMENT_MS,
        });
      }
      return sendJson(res, 200, { tfa: uri });
    } catch (err) {
      if (err && err.code === 'TwoFactorAlreadyEnabled') {
        await daemon.setOwnTwoFactorMode(proof, mode);
        return sendJson(res, 200, { tfa: { mode, pending: false } });
      }
      throw err;
    }
  }

  async logout(req, res) {
    // The gate's front layer kept the token out of the URL that Verdaccio logs.
    const token = req.pkgtokenLogoutToken || pathAfter(req, '/-/user/token/');
    if (!token.startsWith('pkgt_')) return sendError(res, 400, 'not a pkgtoken token');
    await this.ctx.daemon.logout(token);
    sendJson(res, 200, { ok: 'logged out' });
  }

  // npm login --auth-type=legacy (npm-profile's loginCouch): PUT the name and password,
  // the one-time code in npm-otp; answers with a session token.
  async loginCouch(req, res) {
    const body = req.body || {};
    const urlName = decodeURIComponent(req.path.split('/')[3].slice('org.couchdb.user:'.length));
    const name = typeof body.name === 'string' && body.name ? body.name : urlName;
    const password = typeof body.password === 'string' ? body.password : '';
    if (!name || !password) return sendError(res, 400, 'name and password are required');
    if (name !== urlName) return sendError(res, 400, 'the name in the body and in the URL differ');
    const p = req.pkgtoken || {};
    const answer = await this.ctx.daemon.authenticate(name, password, p.otp || '', { remote: p.remote || '', session: true });
    return sendLoginAnswer(res, answer, name);
  }

  // npm access set mfa=none|publish|automation <pkg>: the package's policy in pkgtokend,
  // by npm's body: publish_requires_tfa false -> none; true with automation tokens
  // overriding (mfa=automation) -> 2fa-or-automation; true without (mfa=publish) -> 2fa-only.
  // npm access set status=public|private <pkg> ({access: public|restricted}): visibility is
  // the registry's configuration (packages: access), which npm cannot change; asking for
  // what it already is answers 200, anything else 400 saying where it is set.
  async setAccess(req, res) {
    const pkg = decodeURIComponent(req.params[0]);
    const b = req.body || {};
    if (b.access !== undefined) return this.setVisibility(req, res, pkg, b.access);
    let policy;
    if (b.publish_requires_tfa === false) policy = 'none';
    else if (b.publish_requires_tfa === true) policy = b.automation_token_overrides_tfa ? '2fa-or-automation' : '2fa-only';
    else return sendError(res, 400, 'publish_requires_tfa is required');
    const proof = this.proof(req, res);
    if (!proof) return;
    try {
      await this.ctx.daemon.setOwnPackagePolicy(proof, pkg, policy, {});
    } catch (err) {
      // A pkgtokend without SetOwnPackagePolicy: say so, rather than "unavailable".
      if (err && /UnknownMethod$/.test(err.dbusName || '')) {
        return sendError(res, 403, "this registry does not let npm change a package's two-factor policy; an administrator sets it (pkgtokenctl)");
      }
      throw err;
    }
    sendJson(res, 200, { ok: `policy of ${pkg} is ${policy}` });
  }

  async setVisibility(req, res, pkg, access) {
    const info = await this.packageInfo(req, res, pkg);
    if (!info) return;
    const wanted = access === 'public' ? 'public' : 'private';
    if (wanted !== this.packageVisibility(pkg)) {
      return sendError(res, 400, `${pkg} is ${this.packageVisibility(pkg)}: package visibility is set by the registry's configuration (packages: access), not by npm access`);
    }
    sendJson(res, 200, { ok: `${pkg} is ${wanted}` });
  }

  // npm access get status <pkg>: public when Verdaccio lets anyone read it.
  async visibility(req, res) {
    const pkg = decodeURIComponent(req.params[0]);
    const info = await this.packageInfo(req, res, pkg);
    if (!info) return;
    sendJson(res, 200, { public: this.packageVisibility(pkg) === 'public' });
  }

  packageVisibility(pkg) {
    const config = this.ctx.config;
    const spec = config && typeof config.getMatchedPackagesSpec === 'function' ? config.getMatchedPackagesSpec(pkg) : null;
    const access = [].concat((spec && spec.access) || []);
    return access.some((a) => ['$all', '$anonymous', '@all', '@anonymous'].includes(a)) ? 'public' : 'private';
  }

  // npm access list collaborators <pkg>: its maintainers, who may write.
  async collaborators(req, res) {
    const pkg = decodeURIComponent(req.params[0]);
    const info = await this.packageInfo(req, res, pkg);
    if (!info) return;
    sendJson(res, 200, Object.fromEntries(info.maintainers.map((m) => [m.name, 'read-write'])));
  }

  // GetPackageInfo for the request's token (a read: no one-time code spent), or null
  // (answered).
  async packageInfo(req, res, pkg) {
    const proof = this.proof(req, res);
    if (!proof) return null;
    delete proof.otp;
    return this.ctx.daemon.getPackageInfo(proof, pkg);
  }

  async userInfo(req, res) {
    const name = decodeURIComponent(req.path.slice('/-/user/org.couchdb.user:'.length));
    sendJson(res, 200, { _id: `org.couchdb.user:${name}`, name, email: '' });
  }

  // npm owner add|rm: PUT /<package>/-rev/<rev> with {_id, _rev, maintainers} only; the
  // change is the difference to pkgtokend's maintainers.  Adds come first, so that replacing
  // the last maintainer works; removing the last one is refused by pkgtokend (409).
  async ownerChange(req, res, next) {
    const p = req.pkgtoken || {};
    if (!p.what || p.what.action !== 'owner') return next();
    const pkg = p.what.pkg;
    const info = await this.packageInfo(req, res, pkg);
    if (!info) return;
    const proof = this.proof(req, res);
    const wanted = new Set((p.what.maintainers || []).map((m) => (m && typeof m === 'object' ? m.name : String(m))).filter(Boolean));
    const current = new Set(info.maintainers.map((m) => m.name));
    const add = [...wanted].filter((n) => !current.has(n));
    const remove = [...current].filter((n) => !wanted.has(n));
    if (!add.length && !remove.length) return sendJson(res, 200, { ok: 'no change' });
    for (const name of add) {
      try {
        await this.ctx.daemon.changeMaintainer(proof, pkg, name, true);
      } catch (err) {
        if (!(err && err.code === 'AlreadyMaintainer')) throw err;   // already so: nothing to do
      }
    }
    for (const name of remove) await this.ctx.daemon.changeMaintainer(proof, pkg, name, false);
    sendJson(res, 200, { ok: 'maintainers updated', maintainers: [...wanted].map((name) => ({ name })) });
  }
}

function npmProfile(p) {
  const twofa = p.twofa || 'disabled';
  let tfa = false;
  if (p.twofa_pending) tfa = { pending: true, mode: twofa === 'disabled' ? 'auth-and-writes' : twofa };
  else if (twofa !== 'disabled') tfa = { pending: false, mode: twofa };
  return {
    name: p.name || '',
    email: p.email || '',
    email_verified: false,
    tfa,
    created: iso(p.created_at),
    updated: iso(p.created_at),
    fullname: '',
  };
}

// Authenticate's answer -> HTTP (shared by the legacy login and the web login page's API).
function sendLoginAnswer(res, answer, name) {
  switch (answer.result) {
    case 'ok': {
      const token = answer.details && answer.details.session_token;
      if (!token) return sendError(res, 500, 'the token service returned no session');
      return sendJson(res, 201, { ok: `you are authenticated as '${name}'`, token });
    }
    case 'otp-required':
      return sendError(res, 401, 'a one-time password is required', { otp: true });
    case 'bad-otp':
      return sendError(res, 401, answer.reason || 'wrong one-time password', { otp: true });
    case 'rate-limited':
      return sendError(res, 429, answer.reason || 'too many attempts', { retryAfter: 60 });
    case 'locked':
      return sendError(res, 401, answer.reason || 'account locked');
    default:
      return sendError(res, 401, 'bad username or password');
  }
}

module.exports = { Routes, npmTokenRecord, tokenRequest, npmProfile, sendLoginAnswer };
