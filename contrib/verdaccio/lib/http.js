// SPDX-License-Identifier: LGPL-2.1-or-later
//
// How the daemon's answers become HTTP, in one table, the way npm 11 reads them:
// a 401 with "WWW-Authenticate: OTP" makes npm ask for a one-time password (EOTP) and retry
// with an "npm-otp" header (npm-registry-fetch's check-response.js); bodies are
// {"error": "..."} as Verdaccio writes them, which npm prints.

'use strict';

const { DaemonUnavailable, DaemonError } = require('./daemon');

// Verify's result -> HTTP status (and whether to send the OTP challenge).
const VERIFY_STATUS = {
  'otp-required': { status: 401, otp: true },
  'bad-otp': { status: 401, otp: true },
  forbidden: { status: 403 },
  invalid: { status: 401 },
  'rate-limited': { status: 429 },
};

// A daemon error (org.pkgtoken1.Error.X) -> HTTP status.
const ERROR_STATUS = {
  Forbidden: 403,
  AccessDenied: 503,           // this registry is not in RegistryGroup=: a set-up error
  OTPRequired: 401,
  BadOTP: 401,
  ReplayedOTP: 401,
  BadCredentials: 401,
  BadPassword: 401,
  RateLimited: 429,
  NoSuchAccount: 404,
  NoSuchPackage: 404,
  NoSuchToken: 404,
  NoSuchPublish: 409,
  NotMaintainer: 403,
  AlreadyMaintainer: 409,
  LastMaintainer: 409,
  AccountExists: 409,
  PackageExists: 409,
  InvalidArgument: 400,
  TwoFactorNotEnabled: 409,
  TwoFactorAlreadyEnabled: 409,
  NoPendingEnrollment: 409,
  NoSuchStage: 404,
  StageNotPending: 409,
  Unavailable: 503,
};
const OTP_ERRORS = new Set(['OTPRequired', 'BadOTP', 'ReplayedOTP']);

const OTP_MESSAGE = 'This operation requires a one-time password from your authenticator.';

function sendJson(res, status, body, headers = {}) {
  if (res.headersSent) return;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

function sendError(res, status, message, { otp = false, retryAfter } = {}) {
  const headers = {};
  if (otp) headers['WWW-Authenticate'] = 'OTP';
  if (retryAfter) headers['Retry-After'] = String(retryAfter);
  // The OTP wording also satisfies npm's fallback check (/one-time pass/ in a 401 body).
  const text = otp && !/one-time pass/.test(message) ? `${message} (${OTP_MESSAGE})` : message;
  sendJson(res, status, { error: text }, headers);
}

function sendUnavailable(res, err, logger) {
  if (logger) logger.error({ err: err && err.message }, 'pkgtoken: token service unavailable: @{err}');
  sendError(res, 503, 'the token service (pkgtokend) is unavailable; try again shortly', { retryAfter: 5 });
}

// Verify's answer (not allowed) -> the HTTP refusal.
function sendVerifyRefusal(res, answer) {
  const map = VERIFY_STATUS[answer.result];
  if (!map) {
    // An answer this plugin does not know is a refusal, never an allow.
    sendError(res, 403, `refused (${answer.result || 'no result'}): ${answer.message || ''}`.trim());
    return;
  }
  const message = answer.message || answer.code || answer.result;
  sendError(res, map.status, message, { otp: Boolean(map.otp), retryAfter: map.status === 429 ? 60 : undefined });
}

// Any exception from a daemon call -> HTTP.
function sendDaemonFailure(res, err, logger) {
  if (err instanceof DaemonUnavailable) return sendUnavailable(res, err, logger);
  if (err instanceof DaemonError) {
    if (/\.AccessDenied$/.test(err.dbusName)) {
      // The bus or the daemon refuses this registry: a set-up error the admin must see.
      return sendUnavailable(res, new Error(`${err.message} (is this registry's user in pkgtokend's RegistryGroup=?)`), logger);
    }
    if (err.code === 'Unavailable' || /UnknownMethod$/.test(err.dbusName)) {
      return sendUnavailable(res, err, logger);
    }
    const status = ERROR_STATUS[err.code] || 500;
    return sendError(res, status, err.message, { otp: OTP_ERRORS.has(err.code), retryAfter: status === 429 ? 60 : undefined });
  }
  if (err instanceof URIError) return sendError(res, 400, 'malformed URL');
  if (logger) logger.error({ err: err && err.message }, 'pkgtoken: internal error: @{err}');
  return sendError(res, 500, 'internal error');
}

module.exports = {
  sendJson, sendError, sendUnavailable, sendVerifyRefusal, sendDaemonFailure, VERIFY_STATUS, ERROR_STATUS,
};
