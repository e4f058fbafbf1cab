// SPDX-License-Identifier: LGPL-2.1-or-later
//
// npm's trusted publishing (npm 11, lib/utils/oidc.js): in CI, npm sends the CI's OIDC ID
// token as the bearer of POST /-/npm/v1/oidc/token/exchange/package/<escaped name> and
// publishes with the {token} it gets back.  pkgtokend's ExchangeIdToken verifies the ID token
// against the package's trusted publishers and mints a short-lived publish token for that
// package alone; this only carries it over HTTP.

'use strict';

const { sendJson, sendError } = require('./http');
const { OIDC_EXCHANGE_PREFIX } = require('./classify');

// An ID token is three base64url parts; anything else is not worth a D-Bus call.
const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_ID_TOKEN = 16 * 1024;

// ExchangeIdToken's refusal codes -> HTTP: the ID token itself is wrong (401), the package
// does not trust it (403), there is no such package (404), the daemon cannot say (503).
const REFUSAL_STATUS = {
  'unknown-issuer': 401,
  'bad-signature': 401,
  'wrong-audience': 401,
  expired: 401,
  'replayed-jti': 401,
  'claim-mismatch': 403,
  'no-trusted-publisher': 403,
  'no-such-package': 404,
  unavailable: 503,
};

function bearer(req) {
  const m = /^bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization || ''));
  return m ? m[1] : '';
}

async function oidcExchange(ctx, req, res) {
  const idToken = bearer(req);
  if (!idToken || idToken.length > MAX_ID_TOKEN || !JWT_RE.test(idToken)) {
    return sendError(res, 401, 'an OIDC ID token is required as the bearer');
  }
  let pkg;
  try {
    pkg = decodeURIComponent(req.path.slice(OIDC_EXCHANGE_PREFIX.length));
  } catch {
    return sendError(res, 400, 'malformed package name');
  }
  const remote = (req.pkgtoken && req.pkgtoken.remote) || '';
  const answer = await ctx.daemon.exchangeIdToken(idToken, pkg, { remote });
  if (answer.result === 'allowed' && answer.details && answer.details.token) {
    return sendJson(res, 201, { token: answer.details.token });
  }
  const status = REFUSAL_STATUS[answer.code] || 403;
  return sendJson(res, status, { error: answer.message || answer.code, code: answer.code || '' });
}

module.exports = { oidcExchange, REFUSAL_STATUS };
