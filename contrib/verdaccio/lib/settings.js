// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The plugin's settings, from Verdaccio's config.yaml (auth: pkgtoken: ...), checked once.

'use strict';

const { parseCidr } = require('./remote');
const { TRANSPORTS } = require('./daemon');

const ENDPOINTS = ['login', 'web_login', 'whoami', 'tokens', 'profile', 'owner', 'logout', 'access', 'stage', 'oidc', 'trust'];

// "5s", "1500ms", "2min", 3 (seconds) -> milliseconds.
function parseTimeout(v, fallback) {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'number') return v * 1000;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min)?\s*$/.exec(String(v));
  if (!m) throw new Error(`pkgtoken: bad timeout "${v}" (use e.g. 5s or 1500ms)`);
  const n = Number(m[1]);
  const unit = m[2] || 's';
  const ms = unit === 'ms' ? n : (unit === 'm' || unit === 'min') ? n * 60000 : n * 1000;
  if (ms < 10 || ms > 120000) throw new Error(`pkgtoken: timeout ${v} out of range (10ms..2min)`);
  return ms;
}

// Verdaccio's max_body_size ("10mb", "500kb", bytes) -> bytes.
function parseSize(v, fallback) {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+)\s*(b|kb|mb|gb)?\s*$/i.exec(String(v));
  if (!m) return fallback;
  const mult = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] || 'b').toLowerCase()];
  return Number(m[1]) * mult;
}

function parseSettings(config = {}) {
  const endpoints = {};
  const given = config.endpoints || {};
  for (const e of ENDPOINTS) endpoints[e] = given[e] === undefined ? true : Boolean(given[e]);
  for (const k of Object.keys(given)) {
    if (!ENDPOINTS.includes(k)) throw new Error(`pkgtoken: unknown endpoint "${k}" (known: ${ENDPOINTS.join(', ')})`);
  }
  const proxies = [].concat(config.trusted_proxies || []).map((c) => {
    const parsed = parseCidr(String(c));
    if (!parsed) throw new Error(`pkgtoken: bad trusted_proxies entry "${c}"`);
    return parsed;
  });
  let publicUrl = config.public_url ? String(config.public_url).replace(/\/+$/, '') : '';
  if (publicUrl && !/^https?:\/\//.test(publicUrl)) throw new Error(`pkgtoken: public_url must start with http(s)://`);
  const transport = config.transport === undefined ? 'auto' : String(config.transport);
  if (!TRANSPORTS.includes(transport)) throw new Error(`pkgtoken: transport must be one of ${TRANSPORTS.join(', ')}`);
  const directSocket = config.direct_socket ? String(config.direct_socket) : '';
  if (directSocket && !directSocket.startsWith('/')) throw new Error('pkgtoken: direct_socket must be an absolute path');
  return {
    bus: config.bus || '',
    // pkgtokend's direct socket: 'auto' uses it when it is there, 'direct' only it, 'bus' never.
    transport,
    directSocket,
    timeoutMs: parseTimeout(config.timeout, 5000),
    trustedProxies: proxies,
    endpoints,
    publicUrl,
    webLoginTtlMs: 10 * 60 * 1000,
    maxBodySize: parseSize(config.max_body_size, 10 * 1024 * 1024),
    // The issuer of npm trust gitlab's configurations: a self-hosted GitLab's URL.
    gitlabIssuer: config.gitlab_issuer ? String(config.gitlab_issuer).replace(/\/+$/, '') : 'https://gitlab.com',
    // Staged versions: kept here, out of Verdaccio's storage ("" next to it, see index.js);
    // approved ones (also by pkgtokenctl) are looked for this often.
    stageDir: config.stage_dir ? String(config.stage_dir) : '',
    stagePollMs: parseTimeout(config.stage_poll, 10000),
  };
}

module.exports = { parseSettings, parseTimeout, ENDPOINTS };
