// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What an npm request asks for, in pkgtoken's words: which package and which Verify action
// ("read", "publish", "unpublish", "deprecate", "dist-tag", "owner"), or one of the plugin's
// own account endpoints ("self": whoami, tokens, profile, logout, stages), or nothing that needs a
// token ("public": ping, login).  Unknown writes count as "publish", the strictest action,
// so that a route this table does not know can never be reached with a read-only token.

'use strict';

const OIDC_EXCHANGE_PREFIX = '/-/npm/v1/oidc/token/exchange/package/';

function decodePackage(seg1, seg2) {
  // "@scope%2fname" (npm escapes the slash) or "@scope" "/" "name".
  let name = decodeURIComponent(seg1);
  if (name.startsWith('@') && !name.includes('/') && seg2 !== undefined) name += '/' + decodeURIComponent(seg2);
  return name;
}

// splitPackagePath('/@s%2fp/-/p-1.0.0.tgz') -> {pkg: '@s/p', rest: ['-', 'p-1.0.0.tgz']}
function splitPackagePath(path) {
  const parts = path.split('/').slice(1);
  if (!parts.length || !parts[0]) return null;
  let pkg;
  let rest;
  const first = decodeURIComponent(parts[0]);
  if (first.startsWith('@') && !first.includes('/')) {
    if (parts.length < 2) return null;
    pkg = decodePackage(parts[0], parts[1]);
    rest = parts.slice(2);
  } else {
    pkg = first;
    rest = parts.slice(1);
  }
  return { pkg, rest: rest.map((r) => decodeURIComponent(r)) };
}

function versionFromTarball(pkg, filename) {
  const base = pkg.includes('/') ? pkg.split('/')[1] : pkg;
  if (filename.startsWith(base + '-') && filename.endsWith('.tgz')) {
    return filename.slice(base.length + 1, -4);
  }
  return '';
}

// What a PUT of a whole packument changes, against the stored one (may be null).
function classifyPackumentChange(body, stored) {
  const b = body && typeof body === 'object' ? body : {};
  const versions = b.versions && typeof b.versions === 'object' ? b.versions : null;
  const attachments = b._attachments && typeof b._attachments === 'object' ? b._attachments : null;
  if (attachments && Object.keys(attachments).length) {
    return { action: 'publish', version: versions ? Object.keys(versions)[0] || '' : '' };
  }
  if (!versions && Array.isArray(b.maintainers)) {
    return { action: 'owner', version: '', maintainers: b.maintainers };
  }
  if (!versions && b.users && typeof b.users === 'object') {
    return { action: 'read', version: '', star: true };
  }
  if (versions && stored && stored.versions) {
    const removed = Object.keys(stored.versions).filter((v) => !(v in versions));
    if (removed.length) return { action: 'unpublish', version: removed.join(',') };
    const deprecated = Object.keys(versions).filter((v) => stored.versions[v] &&
      (versions[v].deprecated || '') !== (stored.versions[v].deprecated || ''));
    if (deprecated.length) return { action: 'deprecate', version: deprecated.join(',') };
    return { action: 'dist-tag', version: '' };
  }
  if (versions) {
    // No stored copy to compare with: deprecations are recognisable on their own.
    const deprecated = Object.keys(versions).filter((v) => versions[v] && 'deprecated' in versions[v]);
    if (deprecated.length) return { action: 'deprecate', version: deprecated.join(',') };
  }
  return { action: 'publish', version: '' };
}

// classify(method, path) -> {kind, pkg, action, version, needsBody}
function classify(method, path) {
  const m = method.toUpperCase();
  const read = m === 'GET' || m === 'HEAD';

  if (path === '/-/whoami') return { kind: 'self', endpoint: 'whoami' };
  if (path === '/-/npm/v1/tokens' || path.startsWith('/-/npm/v1/tokens/')) return { kind: 'self', endpoint: 'tokens' };
  if (path === '/-/npm/v1/user') return { kind: 'self', endpoint: 'profile' };
  if (path === '/-/stage' || path.startsWith('/-/stage/')) return { kind: 'self', endpoint: 'stage' };
  if (path.startsWith('/-/user/token/')) return { kind: 'self', endpoint: 'logout' };
  // npm's trusted publishing: the bearer is the CI's ID token, which the route hands to
  // ExchangeIdToken (not a pkgtoken token the gate could check).
  if (path.startsWith(OIDC_EXCHANGE_PREFIX)) return { kind: 'self', endpoint: 'oidc' };
  if (path.startsWith('/-/user/org.couchdb.user:')) return { kind: 'public', endpoint: 'user' };
  if (path === '/-/v1/login' || path.startsWith('/-/v1/login/') || path.startsWith('/-/pkgtoken/')) {
    return { kind: 'public', endpoint: 'web_login' };
  }
  if (path === '/-/ping' || path.startsWith('/-/static/') || path === '/' || path === '/favicon.ico') {
    return { kind: 'public', endpoint: 'misc' };
  }

  // npm access set mfa=..., list collaborators, get status: the plugin's own routes.
  if (/^\/-\/package\/[^/]+(\/[^/]+)?\/(access|collaborators|visibility)$/.test(path)) return { kind: 'self', endpoint: 'access' };
  // npm trust: the plugin's own routes too.
  if (/^\/-\/package\/[^/]+(\/[^/]+)?\/trust(\/[^/]+)?$/.test(path)) return { kind: 'self', endpoint: 'trust' };

  let match = /^\/-\/package\/([^/]+)(?:\/([^/]+))?\/dist-tags(?:\/([^/]+))?$/.exec(path);
  if (match) {
    const scoped = match[2] !== undefined;
    const pkg = scoped ? decodePackage(match[1], match[2]) : decodePackage(match[1]);
    return { kind: 'package', pkg, action: read ? 'read' : 'dist-tag', version: '' };
  }
  if (path.startsWith('/-/')) {
    // Search, the web UI's API, ...: who the token is, no package.
    return { kind: 'identity', action: 'identity', pkg: '' };
  }

  const split = splitPackagePath(path);
  if (!split) return { kind: 'identity', action: 'identity', pkg: '' };
  const { pkg, rest } = split;
  if (read) {
    if (rest[0] === '-') return { kind: 'package', pkg, action: 'read', version: versionFromTarball(pkg, rest[1] || '') };
    return { kind: 'package', pkg, action: 'read', version: rest[0] || '', packument: rest.length === 0 };
  }
  if (m === 'DELETE') {
    if (rest[0] === '-rev') return { kind: 'package', pkg, action: 'unpublish', version: '' };
    if (rest[0] === '-' && rest[1]) {
      return { kind: 'package', pkg, action: 'unpublish', version: versionFromTarball(pkg, rest[1]), tarballDelete: true };
    }
    return { kind: 'package', pkg, action: 'publish', version: '' };
  }
  if (m === 'PUT' && (rest.length === 0 || rest[0] === '-rev')) {
    return { kind: 'package', pkg, action: 'publish', version: '', needsBody: true };
  }
  if (m === 'PUT' && rest.length === 1 && rest[0] !== '-') {
    // PUT /:package/:tag with a version string: npm's old dist-tag endpoint.
    return { kind: 'package', pkg, action: 'dist-tag', version: '' };
  }
  return { kind: 'package', pkg, action: 'publish', version: '' };
}

module.exports = { classify, classifyPackumentChange, splitPackagePath, versionFromTarball, OIDC_EXCHANGE_PREFIX };
