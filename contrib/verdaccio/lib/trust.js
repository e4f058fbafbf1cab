// SPDX-License-Identifier: LGPL-2.1-or-later
//
// npm trust github|gitlab|list|revoke (npm 11): a package's trusted publishers, managed by
// its maintainer through pkgtokend's AddOwnTrustedPublisher, ListOwnTrustedPublishers and
// RemoveOwnTrustedPublisher (a maintainer with 2FA and a current code: npm's otplease sends
// it after the 401 + WWW-Authenticate: OTP that the daemon's OTPRequired becomes).

'use strict';

const { sendJson, sendError } = require('./http');

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const GITLAB_ISSUER_DEFAULT = 'https://gitlab.com';

const isWord = (s) => typeof s === 'string' && s.length > 0 && s.length <= 200 && !/[\s*?[\]]/.test(s);

// One of npm's trust configurations -> {issuer, claims} for pkgtokend.  The workflow file is
// pinned as npm's registry pins it: any ref of that file in that repository or project.
function publisherFromNpm(config, gitlabIssuer) {
  const c = (config && config.claims) || {};
  const file = c.workflow_ref?.file || c.ci_config_ref_uri?.file;
  const env = c.environment;
  if (!isWord(file) || file.includes('/') || (env !== undefined && !isWord(env))) {
    throw Object.assign(new Error('a trust configuration needs a workflow file name (and an optional environment)'), { status: 400 });
  }
  const claims = {};
  let issuer;
  if (config.type === 'github' && isWord(c.repository) && c.repository.split('/').length === 2) {
    issuer = GITHUB_ISSUER;
    claims.repository = c.repository;
    claims.workflow_ref = `${c.repository}/.github/workflows/${file}@*`;
  } else if (config.type === 'gitlab' && isWord(c.project_path) && c.project_path.split('/').length >= 2) {
    issuer = gitlabIssuer;
    claims.project_path = c.project_path;
    claims.ci_config_ref_uri = `*/${c.project_path}//${file}@*`;
  } else {
    throw Object.assign(new Error('this registry trusts GitHub Actions and GitLab CI/CD configurations (pkgtokenctl trust add for others)'), { status: 400 });
  }
  if (env) claims.environment = env;
  return { issuer, claims };
}

// A publisher record of pkgtokend -> npm's shape (what npm trust list shows).
function npmFromPublisher(p) {
  let claims = {};
  try { claims = JSON.parse(p.claims || '{}'); } catch { /* shown as generic */ }
  const fileOf = (v, re) => (re.exec(v || '') || [])[1];
  const base = { id: p.id, issuer: p.issuer, permissions: ['createPackage'] };
  if (claims.repository && claims.workflow_ref) {
    return { ...base, type: 'github', claims: { repository: claims.repository, workflow_ref: { file: fileOf(claims.workflow_ref, /\/\.github\/workflows\/([^@/]+)@/) }, ...(claims.environment && { environment: claims.environment }) } };
  }
  if (claims.project_path) {
    return { ...base, type: 'gitlab', claims: { project_path: claims.project_path, ci_config_ref_uri: { file: fileOf(claims.ci_config_ref_uri, /\/\/([^@/]+)@/) }, ...(claims.environment && { environment: claims.environment }) } };
  }
  return { ...base, type: 'oidc', claims };
}

async function addTrust(routes, req, res) {
  const pkg = decodeURIComponent(req.params[0]);
  const configs = [].concat(req.body || []);
  if (configs.length !== 1) return sendError(res, 400, 'one trust configuration at a time');
  const { issuer, claims } = publisherFromNpm(configs[0], routes.ctx.settings.gitlabIssuer || GITLAB_ISSUER_DEFAULT);
  const proof = routes.proof(req, res);
  if (!proof) return;
  const id = await routes.ctx.daemon.addOwnTrustedPublisher(proof, pkg, issuer, claims, {});
  sendJson(res, 201, [npmFromPublisher({ id, issuer, claims: JSON.stringify(claims) })]);
}

async function listTrust(routes, req, res) {
  const pkg = decodeURIComponent(req.params[0]);
  const proof = routes.proof(req, res);
  if (!proof) return;
  const publishers = await routes.ctx.daemon.listOwnTrustedPublishers(proof, pkg);
  sendJson(res, 200, publishers.map(npmFromPublisher));
}

async function revokeTrust(routes, req, res) {
  const proof = routes.proof(req, res);
  if (!proof) return;
  await routes.ctx.daemon.removeOwnTrustedPublisher(proof, decodeURIComponent(req.params[1]));
  res.statusCode = 204;
  res.end();
}

module.exports = { addTrust, listTrust, revokeTrust, publisherFromNpm, npmFromPublisher };
