// SPDX-License-Identifier: LGPL-2.1-or-later
//
// verdaccio-pkgtoken: one CommonJS module that Verdaccio 6 loads twice, as the auth plugin
// (config.yaml "auth: pkgtoken:") and as the middleware plugin ("middlewares: pkgtoken:").
// Both instances share one context (settings, the D-Bus connection, the storage) per
// Verdaccio configuration.
//
//   auth part:        apiJWTmiddleware -> lib/gate.js (Verify on every request);
//                     allow_access/allow_publish/allow_unpublish honour the gate's decision;
//                     authenticate (HTTP Basic with a password) is refused: tokens only.
//   middleware part:  a front layer that keeps secrets out of Verdaccio's request log,
//                     npm's account endpoints (lib/routes.js), staged publishing
//                     (lib/stages.js) and the web login (lib/weblogin.js).

'use strict';

const { Daemon } = require('./lib/daemon');
const { parseSettings } = require('./lib/settings');
const { Gate } = require('./lib/gate');
const path = require('node:path');
const { Routes } = require('./lib/routes');
const { Stages } = require('./lib/stages');
const { WebLogin } = require('./lib/weblogin');

const contexts = new WeakMap();   // Verdaccio config object -> shared context
let daemonFactory = null;         // tests: (settings) -> a fake daemon

function contextFor(pluginConfig, options, makeDaemon) {
  const key = (options && options.config) || pluginConfig;
  let ctx = contexts.get(key);
  if (!ctx) {
    const settings = parseSettings(pluginConfig);
    const logger = options && options.logger;
    const make = makeDaemon || daemonFactory;
    const daemon = make ? make(settings) : new Daemon({
      address: settings.bus || undefined,
      timeoutMs: settings.timeoutMs,
      transport: settings.transport,
      directSocket: settings.directSocket || undefined,
      logger,
    });
    // config: Verdaccio's (its packages: rules say whether a package is public).
    ctx = { settings, logger, daemon, storage: null, config: (options && options.config) || null };
    checkDaemon(daemon, logger);
    ctx.gate = new Gate(ctx);
    ctx.routes = new Routes(ctx);
    if (!settings.stageDir) settings.stageDir = defaultStageDir(options && options.config);
    ctx.stages = new Stages(ctx);
    ctx.webLogin = new WebLogin(ctx);
    contexts.set(key, ctx);
  }
  return ctx;
}

// Next to Verdaccio's storage, never inside it: no package route can reach a staged tarball.
function defaultStageDir(config) {
  const base = config && config.self_path ? path.dirname(config.self_path) : process.cwd();
  const storage = path.resolve(base, (config && config.storage) || 'storage');
  return path.join(path.dirname(storage), 'pkgtoken-stages');
}

// Say at start-up, once, when pkgtokend is not there or predates the registry API: every
// request with a token would get 503, and the log should say why before anyone asks.
function checkDaemon(daemon, logger) {
  if (!logger || typeof daemon.hasMethod !== 'function') return;
  daemon.hasMethod('Verify').then((has) => {
    if (!has) logger.error({}, 'pkgtoken: pkgtokend has no Verify method (too old?): requests with tokens will get 503');
    else logger.info({}, 'pkgtoken: pkgtokend answers');
  }, (err) => {
    logger.warn({ err: err.message }, 'pkgtoken: pkgtokend is not reachable yet (@{err}); requests with tokens get 503 until it is');
  });
}

// Secrets npm puts in URLs (logout: the token; web login: the done id) and the npm-otp
// header are taken out of the request before Verdaccio's logger sees it; the handlers read
// them from the request object instead.
const SECRET_PATHS = [
  [/^\/-\/user\/token\/([^/?]+)/, 'pkgtokenLogoutToken'],          // npm logout
  [/^\/-\/npm\/v1\/tokens\/token\/(pkgt_[^/?]+)/, 'pkgtokenRevokeToken'], // npm token revoke <secret>
  [/^\/-\/v1\/login\/done\/([^/?]+)/, 'pkgtokenDoneId'],             // web login's doneUrl
];

function frontLayer(req, _res, next) {
  for (const [re, field] of SECRET_PATHS) {
    const m = re.exec(req.url);
    if (!m) continue;
    req[field] = decodeURIComponent(m[1]);
    req.url = req.url.replace(m[1], 'REDACTED');
    req.originalUrl = req.url;
  }
  if (req.headers['npm-otp'] !== undefined) {
    req.pkgtokenOtp = String(req.headers['npm-otp']).trim();
    delete req.headers['npm-otp'];
  }
  next();
}

function installFrontLayer(app, logger) {
  app.use(frontLayer);
  const stack = app._router && app._router.stack;
  if (Array.isArray(stack)) {
    // Move it before Verdaccio's request logger (express 4 keeps layers in this array).
    const layer = stack.pop();
    const at = stack.findIndex((l) => l.name !== 'query' && l.name !== 'expressInit');
    stack.splice(at < 0 ? stack.length : at, 0, layer);
  } else if (logger) {
    logger.warn({}, 'pkgtoken: cannot run before the request logger: logout URLs may be logged');
  }
}

function plugin(pluginConfig, options, makeDaemon) {
  const ctx = contextFor(pluginConfig || {}, options || {}, makeDaemon);

  return {
    // --- auth plugin ------------------------------------------------------------------------
    apiJWTmiddleware(helpers) {
      return ctx.gate.middleware(helpers);
    },

    // HTTP Basic with a password (no token): refused; npm uses tokens from npm login.
    authenticate(_user, _password, cb) {
      const err = new Error('use a token: npm login, or npm token create');
      err.status = 401;
      err.code = 401;
      cb(err);
    },

    adduser(_user, _password, cb) {
      const err = new Error('accounts are created by an administrator (pkgtokenctl account add)');
      err.status = 409;
      err.code = 409;
      cb(err);
    },

    allow_access(user, pkg, cb) {
      const grant = user && user.pkgtoken;
      if (grant && grant.pkg === pkg.name) return cb(null, true);
      // Anything else (anonymous reads, search listings): Verdaccio's packages: rules.
      return cb(null, false);
    },

    allow_publish(user, pkg, cb) {
      return allowWrite(user, pkg, cb);
    },

    allow_unpublish(user, pkg, cb) {
      return allowWrite(user, pkg, cb);
    },

    // --- middleware plugin ------------------------------------------------------------------
    register_middlewares(app, _auth, storage) {
      ctx.storage = storage;
      installFrontLayer(app, ctx.logger);
      if (ctx.settings.endpoints.web_login) ctx.webLogin.register(app);
      ctx.routes.register(app);
      if (ctx.settings.endpoints.stage) ctx.stages.register(app);
    },

    // For tests and the benchmark.
    _context: ctx,
  };
}

function allowWrite(user, pkg, cb) {
  const grant = user && user.pkgtoken;
  const writes = ['publish', 'unpublish', 'deprecate', 'dist-tag', 'owner'];
  if (grant && grant.pkg === pkg.name && writes.includes(grant.action)) return cb(null, true);
  if (user && user.name) {
    // A token user whose request the gate did not allow as a write: never fall through to
    // Verdaccio's packages: rules, which would let any authenticated user publish.
    const err = new Error(`not allowed to change ${pkg.name} with this request`);
    err.status = 403;
    err.code = 403;
    return cb(err);
  }
  return cb(null, false);
}

module.exports = plugin;
module.exports.frontLayer = frontLayer;
module.exports.setDaemonFactory = (f) => { daemonFactory = f; };
