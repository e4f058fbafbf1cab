// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The one place that talks D-Bus to pkgtokend (org.pkgtoken1.Manager on /org/pkgtoken1).
//
// Every call has a deadline: a daemon that is down, hung or unreachable turns into a
// DaemonUnavailable error within `timeoutMs`, which the HTTP layer answers with 503, never
// with an allow.  The connection is made on first use and made again after it broke (the
// bus restarted, the daemon restarted: the bus name is looked up per call, so a new daemon
// is found at once).  By default the connection goes to pkgtokend's direct socket when it is
// there (peer-to-peer, the same methods without dbus-daemon in between), else to the bus.  Secrets are only ever method arguments; nothing here logs them.

'use strict';

const net = require('node:net');
const dbus = require('@homebridge/dbus-native');

const BUS_NAME = 'org.pkgtoken1';
const OBJECT_PATH = '/org/pkgtoken1';
const INTERFACE = 'org.pkgtoken1.Manager';
const ERROR_PREFIX = 'org.pkgtoken1.Error.';

// D-Bus errors meaning "nobody is there to answer" rather than "the daemon said no".
const UNAVAILABLE_ERRORS = new Set([
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
  'org.freedesktop.DBus.Error.NoReply',
  'org.freedesktop.DBus.Error.Timeout',
  'org.freedesktop.DBus.Error.Disconnected',
  'org.freedesktop.DBus.Error.NoServer',
  'org.freedesktop.DBus.Error.LimitsExceeded',
  'org.pkgtoken1.Error.Unavailable',
]);

class DaemonUnavailable extends Error {
  constructor(message) {
    super(message);
    this.name = 'DaemonUnavailable';
  }
}

// A refusal or failure the daemon itself answered: `code` is the short name after
// org.pkgtoken1.Error. (Forbidden, OTPRequired, ...), `dbusName` the full one.
class DaemonError extends Error {
  constructor(dbusName, message) {
    super(message || dbusName);
    this.name = 'DaemonError';
    this.dbusName = dbusName;
    this.code = dbusName.startsWith(ERROR_PREFIX) ? dbusName.slice(ERROR_PREFIX.length) : dbusName;
  }
}

// parseAddress('unix:path=/run/x,guid=...') -> '/run/x'.  Only unix:path= (and
// unix:abstract= is refused: no native module): a registry talks to the system bus or a
// private bus socket.  Values are %-escaped as the D-Bus specification says.
function parseAddress(address) {
  for (const one of String(address).split(';')) {
    const colon = one.indexOf(':');
    if (colon < 0) continue;
    const transport = one.slice(0, colon);
    if (transport !== 'unix') continue;
    for (const kv of one.slice(colon + 1).split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0 && kv.slice(0, eq) === 'path') return decodeURIComponent(kv.slice(eq + 1));
    }
  }
  throw new Error(`unsupported D-Bus address "${address}": only unix:path= is supported`);
}

// Variants in replies come as [[signature tree], [value]]; a{sv} as [[key, variant]...].
function fromVariant(v) {
  const [tree, [value]] = v;
  return fromTyped(tree[0], value);
}

function fromTyped(type, value) {
  if (type.type === 'v') return fromVariant(value);
  if (type.type === 'a' && type.child[0].type === '{') {
    const out = {};
    const valueType = type.child[0].child[1];
    for (const [k, val] of value) out[k] = fromTyped(valueType, val);
    return out;
  }
  if (type.type === 'a') return value.map((x) => fromTyped(type.child[0], x));
  if (type.type === 'b') return Boolean(value);
  return value;
}

// asv({remote: '1.2.3.4', session: true}) -> the body of an a{sv} argument.  Types are
// chosen by JavaScript type: string s, boolean b, string array as, bigint/time t.
function asv(obj) {
  const out = [];
  for (const [k, v] of Object.entries(obj || {})) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') out.push([k, ['s', v]]);
    else if (typeof v === 'boolean') out.push([k, ['b', v]]);
    else if (Array.isArray(v)) out.push([k, ['as', v.map(String)]]);
    else if (typeof v === 'number' || typeof v === 'bigint') out.push([k, ['t', uint64(v)]]);
    else throw new TypeError(`option ${k}: unsupported type`);
  }
  return out;
}

// A t argument: dbus-native takes a Number (53 bits) or a decimal string, not a BigInt (it
// would send 0 for one).
function uint64(v) {
  return typeof v === 'bigint' ? v.toString() : v;
}

function asvToObject(arr) {
  const out = {};
  for (const [k, v] of arr || []) out[k] = fromVariant(v);
  return out;
}

// pkgtokend's direct socket beside the system bus (systemd/pkgtokend-direct.socket).
const DEFAULT_DIRECT_SOCKET = '/run/pkgtoken/direct.sock';
const TRANSPORTS = ['auto', 'direct', 'bus'];

class Daemon {
  // options: address (D-Bus address, default the system bus), timeoutMs (per call),
  // transport ('auto': the direct socket when it is there, else the bus; 'direct': the
  // socket only; 'bus': the bus only), directSocket (its path; by default the system's, but
  // not with another bus address, whose daemon it would not be), logger (Verdaccio's;
  // optional), connect / connectDirect (for tests: () => Duplex stream).
  constructor(options = {}) {
    const explicitAddress = options.address || process.env.PKGTOKEN_BUS_ADDRESS;
    this.address = explicitAddress || process.env.DBUS_SYSTEM_BUS_ADDRESS || 'unix:path=/run/dbus/system_bus_socket';
    this.timeoutMs = options.timeoutMs || 5000;
    this.logger = options.logger;
    this.transport = options.transport || 'auto';
    if (!TRANSPORTS.includes(this.transport)) throw new Error(`unknown transport "${this.transport}"`);
    this.directSocket = options.directSocket ||
      (!explicitAddress || this.transport === 'direct' ? DEFAULT_DIRECT_SOCKET : '');
    this.connectStream = options.connect || (() => net.createConnection(parseAddress(this.address)));
    this.connectDirect = options.connectDirect || (() => net.createConnection(this.directSocket));
    this.bus = null;
    this.ready = null;
    this.closed = false;
    this.timeouts = 0;          // consecutive calls that timed out on the current connection
  }

  // A connection on which calls keep timing out (a wedged bus, a half-open socket) is
  // dropped, so that the next call connects anew instead of waiting forever on it.
  _noteTimeout() {
    this.timeouts += 1;
    if (this.timeouts >= 2 && this.bus) {
      const stream = this.bus.connection && this.bus.connection.stream;
      this.bus = null;
      this.ready = null;
      this.timeouts = 0;
      try { stream && stream.destroy(); } catch { /* gone */ }
    }
  }

  // A connection, made once and again after it broke (a daemon restarted under a direct
  // connection, the bus restarted): the direct socket first unless the transport is 'bus';
  // with 'auto', the bus when the socket cannot be connected to.
  _connect() {
    if (this.ready) return this.ready;
    const useDirect = this.transport !== 'bus' && Boolean(this.directSocket);
    const attempt = useDirect
      ? this._open(true).catch((e) => {
        if (this.transport === 'direct') throw e;
        return this._open(false);
      })
      : this._open(false);
    attempt.catch(() => {
      if (this.ready === attempt) this.ready = null;
    });
    this.ready = attempt;
    return attempt;
  }

  // One connection: peer-to-peer to the direct socket (no Hello; ready once authenticated),
  // or to the bus (ready once GetId answered, i.e. Hello went through).
  _open(direct) {
    const what = direct ? 'the direct socket' : 'the bus';
    return new Promise((resolve, reject) => {
      let stream;
      try {
        stream = direct ? this.connectDirect() : this.connectStream();
      } catch (e) {
        reject(new DaemonUnavailable(`cannot connect to ${what}: ${e.message}`));
        return;
      }
      const bus = dbus.createClient({ stream, authMethods: ['EXTERNAL'], direct });
      let dead = false;
      const broken = (why) => {
        if (dead) return;
        dead = true;
        if (this.bus === bus) {
          this.bus = null;
          this.ready = null;
        }
        // Calls in flight on this connection fail now rather than at their deadline.
        const pending = Object.values(bus.cookies);
        bus.cookies = {};
        for (const cb of pending) {
          try { cb(new DaemonUnavailable(`connection to ${what} lost: ${why}`)); } catch { /* ignore */ }
        }
        reject(new DaemonUnavailable(`connection to ${what} failed: ${why}`));
        try { stream.destroy(); } catch { /* ignore */ }
      };
      const admitted = () => {
        if (dead) return;
        bus.pkgtokenDirect = direct;
        this.bus = bus;
        resolve(bus);
      };
      bus.connection.on('error', (e) => broken(e && e.message ? e.message : String(e)));
      bus.connection.on('end', () => broken(`closed by ${what}`));
      if (direct) {
        bus.connection.once('connect', admitted);
        return;
      }
      // Hello's reply means we were admitted to the bus.
      bus.invokeDbus({ member: 'GetId' }, (err) => {
        if (err) return broken(err.message || String(err));
        admitted();
      });
    });
  }

  // The header of a call to the Manager: a direct connection has nobody else on it, so no
  // destination.
  static _target(bus, iface, member) {
    const msg = { path: OBJECT_PATH, interface: iface, member };
    if (!bus.pkgtokenDirect) msg.destination = BUS_NAME;
    return msg;
  }

  // call('Verify', 'sssa{sv}', [token, pkg, action, asv(opts)]) -> the reply's values.
  call(member, signature, body) {
    if (this.closed) return Promise.reject(new DaemonUnavailable('closed'));
    return new Promise((resolve, reject) => {
      let done = false;
      let serial = null;
      let bus = null;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        if (bus && serial !== null) delete bus.cookies[serial];
        // A connection whose handshake hangs is given up, so the next call starts anew.
        if (!this.bus) this.ready = null;
        else this._noteTimeout();
        reject(new DaemonUnavailable(`pkgtokend did not answer ${member} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const finish = (err, values) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (!(err instanceof DaemonUnavailable)) this.timeouts = 0;
        if (err) reject(err);
        else resolve(values);
      };
      this._connect().then((b) => {
        if (done) return;
        bus = b;
        const msg = Daemon._target(bus, INTERFACE, member);
        if (signature) {
          msg.signature = signature;
          msg.body = body;
        }
        try {
          bus.invoke(msg, (err, ...values) => {
            if (err instanceof DaemonUnavailable) return finish(err);
            if (err) {
              const name = err.name || '';
              const text = Array.isArray(err.body) && typeof err.body[0] === 'string' ? err.body[0] : err.message;
              if (UNAVAILABLE_ERRORS.has(name)) return finish(new DaemonUnavailable(`${name}: ${text}`));
              return finish(new DaemonError(name || 'org.freedesktop.DBus.Error.Failed', text));
            }
            finish(null, values);
          });
        } catch (e) {
          // A body that does not fit the signature throws here: a refusal of this call, never
          // an exception that would bring the registry down.
          finish(new DaemonError('org.freedesktop.DBus.Error.InvalidArgs', e && e.message ? e.message : String(e)));
          return;
        }
        serial = bus.serial - 1;
      }, (e) => finish(e));
    });
  }

  // Does the running daemon have METHOD?  (Introspection; used by tests and at start-up.)
  async hasMethod(method) {
    const [xml] = await new Promise((resolve, reject) => {
      this._connect().then((bus) => {
        const timer = setTimeout(() => reject(new DaemonUnavailable('introspection timed out')), this.timeoutMs);
        bus.invoke(Daemon._target(bus, 'org.freedesktop.DBus.Introspectable', 'Introspect'), (err, ...v) => {
          clearTimeout(timer);
          if (err) reject(new DaemonUnavailable(err.message || String(err)));
          else resolve(v);
        });
      }, reject);
    });
    return new RegExp(`<method name="${method}"`).test(xml);
  }

  close() {
    this.closed = true;
    if (this.bus) {
      try { this.bus.connection.end(); } catch { /* ignore */ }
      try { this.bus.connection.stream.destroy(); } catch { /* ignore */ }
    }
    this.bus = null;
    this.ready = null;
  }

  // --- the Manager methods the plugin uses (docs: dbus/org.pkgtoken1.xml) ---------------------

  async verify(token, pkg, action, options) {
    const [result, code, message, details] =
      await this.call('Verify', 'sssa{sv}', [token, pkg, action, asv(options)]);
    return { result, code, message, details: asvToObject(details) };
  }

  // Trusted publishing: a CI's OIDC ID token for a short-lived publish token of one package.
  async exchangeIdToken(idToken, pkg, options) {
    const [result, code, message, details] =
      await this.call('ExchangeIdToken', 'ssa{sv}', [idToken, pkg, asv(options)]);
    return { result, code, message, details: asvToObject(details) };
  }

  async addOwnTrustedPublisher(proof, pkg, issuer, claims, options) {
    const [id] = await this.call('AddOwnTrustedPublisher', 'a{sv}ssa{ss}a{sv}',
      [asv(proof), pkg, issuer, Object.entries(claims), asv(options)]);
    return id;
  }

  async listOwnTrustedPublishers(proof, pkg) {
    const [list] = await this.call('ListOwnTrustedPublishers', 'a{sv}s', [asv(proof), pkg]);
    return list.map(asvToObject);
  }

  async removeOwnTrustedPublisher(proof, id) {
    await this.call('RemoveOwnTrustedPublisher', 'a{sv}s', [asv(proof), id]);
  }

  async finishPublish(publishId, succeeded, options) {
    await this.call('FinishPublish', 'sba{sv}', [publishId, succeeded, asv(options)]);
  }

  async authenticate(account, password, otp, options) {
    const [result, reason, details] =
      await this.call('Authenticate', 'sssa{sv}', [account, password, otp, asv(options)]);
    return { result, reason, details: asvToObject(details) };
  }

  async whoAmI(proof) {
    const [account, details] = await this.call('WhoAmI', 'a{sv}', [asv(proof)]);
    return { account, details: asvToObject(details) };
  }

  async getProfile(proof) {
    const [profile] = await this.call('GetProfile', 'a{sv}', [asv(proof)]);
    return asvToObject(profile);
  }

  async listOwnTokens(proof) {
    const [tokens] = await this.call('ListOwnTokens', 'a{sv}', [asv(proof)]);
    return tokens.map(asvToObject);
  }

  async createOwnToken(proof, type, scope, description, expiresAt, cidrs, options) {
    const [id, token] = await this.call('CreateOwnToken', 'a{sv}sasstasa{sv}',
      [asv(proof), type, scope, description, uint64(expiresAt), cidrs, asv(options)]);
    return { id, token };
  }

  async revokeOwnToken(proof, id, options) {
    await this.call('RevokeOwnToken', 'a{sv}sa{sv}', [asv(proof), id, asv(options)]);
  }

  // RotateOwnToken: a new secret in the token's lineage; grace in microseconds.
  async rotateOwnToken(proof, id, options) {
    const [newId, token] = await this.call('RotateOwnToken', 'a{sv}sa{sv}', [asv(proof), id, asv(options)]);
    return { id: newId, token };
  }

  async logout(token) {
    await this.call('Logout', 's', [token]);
  }

  async enrollOwnTOTP(proof) {
    const [uri] = await this.call('EnrollOwnTOTP', 'a{sv}', [asv(proof)]);
    return uri;
  }

  async confirmOwnTOTP(proof, otp, mode) {
    const [codes] = await this.call('ConfirmOwnTOTP', 'a{sv}ss', [asv(proof), otp, mode]);
    return codes;
  }

  async setOwnTwoFactorMode(proof, mode) {
    await this.call('SetOwnTwoFactorMode', 'a{sv}s', [asv(proof), mode]);
  }

  // -> {package: {name, policy, maintainers, created_at}, maintainers: [{name, email}]}
  async getPackageInfo(proof, pkg) {
    const [record, maintainers] = await this.call('GetPackageInfo', 'a{sv}s', [asv(proof), pkg]);
    return { package: asvToObject(record), maintainers: maintainers.map(asvToObject) };
  }

  async setOwnPackagePolicy(proof, pkg, policy, options) {
    await this.call('SetOwnPackagePolicy', 'a{sv}ssa{sv}', [asv(proof), pkg, policy, asv(options)]);
  }

  // Staged publishing.
  async listStages(filter) {
    const [stages] = await this.call('ListStages', 'a{sv}', [asv(filter)]);
    return stages.map(asvToObject);
  }

  async getStage(id) {
    const [stage] = await this.call('GetStage', 's', [id]);
    return asvToObject(stage);
  }

  async approveOwnStage(proof, id, options) {
    const [stage] = await this.call('ApproveOwnStage', 'a{sv}sa{sv}', [asv(proof), id, asv(options)]);
    return asvToObject(stage);
  }

  async rejectOwnStage(proof, id, options) {
    const [stage] = await this.call('RejectOwnStage', 'a{sv}sa{sv}', [asv(proof), id, asv(options)]);
    return asvToObject(stage);
  }

  async completeStage(id, succeeded, options) {
    await this.call('CompleteStage', 'sba{sv}', [id, succeeded, asv(options)]);
  }

  async changeMaintainer(proof, pkg, account, add) {
    await this.call('ChangeMaintainer', 'a{sv}ssb', [asv(proof), pkg, account, add]);
  }
}

module.exports = {
  Daemon, DaemonError, DaemonUnavailable, parseAddress, asv, asvToObject, TRANSPORTS,
};
