// SPDX-License-Identifier: LGPL-2.1-or-later
//
// npm's staged publishing (npm 11.15+: npm stage publish|list|view|download|approve|reject)
// over pkgtokend's stages.  A staged version's metadata and tarball are kept in the plugin's
// own directory (stage_dir), which none of Verdaccio's package routes serve; pkgtokend keeps
// the record (who staged what, its sha512 integrity, its state).  On approval the plugin
// publishes the approved bytes through Verdaccio's storage, after checking them against the
// recorded integrity, and tells pkgtokend (CompleteStage).  Approvals made elsewhere
// (pkgtokenctl stage approve) are picked up by a poll of the approved stages, which also runs
// at start-up and forgets the files of rejected and expired stages.
//
//   POST   /-/stage/package/<name>   npm stage publish: Verify "stage", keep, FinishPublish
//   GET    /-/stage                  npm stage list [pkg]: stages of packages the token may write
//   GET    /-/stage/<id>             npm stage view
//   GET    /-/stage/<id>/tarball     npm stage download
//   POST   /-/stage/<id>/approve     npm stage approve --otp: ApproveOwnStage, then publish
//   DELETE /-/stage/<id>             npm stage reject --otp: RejectOwnStage

'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { storedPackument } = require('./gate');
const { sendJson, sendError, sendVerifyRefusal } = require('./http');

const ID_RE = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const WAITING = new Set(['staged', 'approved']);

function integrityOf(bytes) {
  return 'sha512-' + crypto.createHash('sha512').update(bytes).digest('base64');
}

function iso(usec) {
  const n = Number(usec || 0);
  return n ? new Date(Math.floor(n / 1000)).toISOString() : null;
}

function httpError(status, message) {
  return Object.assign(new Error(message), { status });
}

// npm's publish body -> {name, version, manifest, tag, filename, tarball, integrity}, checked:
// one version, one attachment, the bytes matching what the manifest says of them.
function parseStageBody(body, name) {
  const b = body && typeof body === 'object' ? body : {};
  const versions = b.versions && typeof b.versions === 'object' ? Object.keys(b.versions) : [];
  const files = b._attachments && typeof b._attachments === 'object' ? Object.keys(b._attachments) : [];
  if (b.name !== name) throw httpError(400, 'the package name in the body and in the URL differ');
  if (versions.length !== 1 || files.length !== 1) throw httpError(400, 'a stage is one version with its tarball');
  const version = versions[0];
  const manifest = b.versions[version];
  const attachment = b._attachments[files[0]];
  if (!attachment || typeof attachment.data !== 'string') throw httpError(400, 'the tarball is missing');
  const tarball = Buffer.from(attachment.data, 'base64');
  if (attachment.length !== undefined && Number(attachment.length) !== tarball.length) {
    throw httpError(400, 'the tarball is not as long as its length says');
  }
  const integrity = integrityOf(tarball);
  const dist = (manifest && manifest.dist) || {};
  if (dist.integrity && dist.integrity !== integrity) throw httpError(400, 'the tarball does not match its integrity');
  if (dist.shasum && dist.shasum !== crypto.createHash('sha1').update(tarball).digest('hex')) {
    throw httpError(400, 'the tarball does not match its shasum');
  }
  const tags = b['dist-tags'] && typeof b['dist-tags'] === 'object' ? b['dist-tags'] : {};
  const tag = Object.keys(tags).find((t) => tags[t] === version) || 'latest';
  return { name, version, manifest, tag, filename: path.basename(files[0]), tarball, integrity };
}

// A stage record (and what the plugin kept) as npm's stage commands show it.
function npmStageItem(st, kept) {
  const dist = (kept && kept.manifest && kept.manifest.dist) || {};
  return {
    id: st.id,
    packageName: st.package,
    version: st.version,
    tag: (kept && kept.tag) || 'latest',
    createdAt: iso(st.staged_at),
    actor: st.staged_by,
    actorType: 'token',
    shasum: dist.shasum || '',
    integrity: st.integrity,
    state: st.state,
    expiresAt: iso(st.expires_at),
    decidedBy: st.decided_by || null,
    decidedAt: iso(st.decided_at),
  };
}

function callback(fn) {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

// Verdaccio 6's storage, as its own publish route uses it: the package (409 when it exists),
// the tarball, the version, the dist-tag.
async function publishToStorage(storage, kept) {
  const { name, version, manifest, tag, filename, tarball } = kept;
  try {
    await callback((cb) => storage.addPackage(name, { name, versions: {}, 'dist-tags': {}, _attachments: {} }, cb));
  } catch (err) {
    if (!(err && (err.status === 409 || err.statusCode === 409 || err.code === 409))) throw err;
  }
  await new Promise((resolve, reject) => {
    const stream = storage.addTarball(name, filename);
    stream.on('error', reject);
    stream.on('success', resolve);
    stream.end(tarball);
    stream.done();
  });
  const meta = { ...manifest, readme: manifest.readme === undefined ? '' : String(manifest.readme) };
  await callback((cb) => storage.addVersion(name, version, meta, null, cb));
  await callback((cb) => storage.mergeTags(name, { [tag]: version }, cb));
}

class Stages {
  constructor(ctx) {
    this.ctx = ctx;
    this.dir = ctx.settings.stageDir;
    this.publishing = new Set();   // stage ids being published now
    this.timer = null;
  }

  file(id) {
    return path.join(this.dir, `${id}.json`);
  }

  keep(id, kept) {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(id)}.tmp`;
    const json = JSON.stringify({ ...kept, tarball: kept.tarball.toString('base64') });
    fs.writeFileSync(tmp, json, { mode: 0o600 });
    fs.renameSync(tmp, this.file(id));
  }

  kept(id) {
    try {
      const k = JSON.parse(fs.readFileSync(this.file(id), 'utf8'));
      k.tarball = Buffer.from(k.tarball, 'base64');
      return k;
    } catch {
      return null;
    }
  }

  forget(id) {
    try { fs.unlinkSync(this.file(id)); } catch { /* gone already */ }
  }

  // The account endpoints' proof (the request's token, its code) and error handling.
  proof(req, res) {
    return this.ctx.routes.proof(req, res);
  }

  wrap(fn) {
    return this.ctx.routes.wrap((req, res, next) => fn.call(this, req, res, next));
  }

  register(app) {
    app.post(/^\/-\/stage\/package\/(.+)$/, this.wrap(this.stagePublish));
    app.get('/-/stage', this.wrap(this.list));
    app.get(new RegExp(`^/-/stage/${ID_RE}$`), this.wrap(this.view));
    app.get(new RegExp(`^/-/stage/${ID_RE}/tarball$`), this.wrap(this.download));
    app.post(new RegExp(`^/-/stage/${ID_RE}/approve$`), this.wrap(this.approve));
    app.delete(new RegExp(`^/-/stage/${ID_RE}$`), this.wrap(this.reject));
    this.startPolling();
  }

  async stagePublish(req, res) {
    const proof = this.proof(req, res);
    if (!proof) return;
    const name = decodeURIComponent(req.params[0]);
    const kept = parseStageBody(req.body, name);
    const stored = await storedPackument(this.ctx.storage, name);
    if (stored && stored.versions && stored.versions[kept.version]) {
      throw httpError(409, `cannot stage ${name}@${kept.version}: that version is published already`);
    }
    const p = req.pkgtoken;
    const options = { remote: proof.remote, version: kept.version, integrity: kept.integrity };
    if (p.cred.account) options.account = p.cred.account;
    const answer = await this.ctx.daemon.verify(proof.token, name, 'stage', options);
    if (answer.result !== 'allowed') return sendVerifyRefusal(res, answer);
    const id = answer.details && answer.details.publish_id;
    if (!id) throw httpError(500, 'the token service gave no stage id');
    try {
      this.keep(id, kept);
    } catch (err) {
      await this.ctx.daemon.finishPublish(id, false, { reason: 'the registry could not keep the tarball' });
      throw err;
    }
    try {
      await this.ctx.daemon.finishPublish(id, true, {});
    } catch (err) {
      this.forget(id);
      throw err;
    }
    sendJson(res, 201, { ok: `staged ${name}@${kept.version}`, stageId: id });
  }

  // The packages a token may see stages of: its account's (as maintainer) or a package
  // token's own.  -> a ListStages filter per call.
  async filters(proof, pkg) {
    const { account, details } = await this.ctx.daemon.whoAmI(proof);
    if (account) return [pkg ? { maintainer: account, package: pkg } : { maintainer: account }];
    const scope = Array.isArray(details.scope) ? details.scope : [];
    return scope.filter((s) => !pkg || s === pkg).map((s) => ({ package: s }));
  }

  async visible(proof, pkg) {
    const lists = await Promise.all((await this.filters(proof, pkg)).map((f) => this.ctx.daemon.listStages(f)));
    return lists.flat();
  }

  async list(req, res) {
    const proof = this.proof(req, res);
    if (!proof) return;
    const pkg = typeof req.query.package === 'string' ? req.query.package : '';
    const page = Math.max(0, Number.parseInt(req.query.page, 10) || 0);
    const perPage = Math.min(100, Math.max(1, Number.parseInt(req.query.perPage, 10) || 100));
    const all = (await this.visible(proof, pkg)).filter((st) => WAITING.has(st.state));
    const items = all.slice(page * perPage, (page + 1) * perPage).map((st) => npmStageItem(st, this.kept(st.id)));
    sendJson(res, 200, { items, total: all.length, page, perPage });
  }

  // A stage the request's token may see, or a 404 (a stage of someone else's package is as
  // good as unknown).
  async findVisible(req, res) {
    const proof = this.proof(req, res);
    if (!proof) return null;
    const id = req.params[0];
    const st = await this.ctx.daemon.getStage(id).catch((err) => {
      if (err && err.code === 'NoSuchStage') return null;
      throw err;
    });
    if (!st || !(await this.visible(proof, st.package)).some((v) => v.id === id)) {
      sendError(res, 404, `no staged version ${id}`);
      return null;
    }
    return st;
  }

  async view(req, res) {
    const st = await this.findVisible(req, res);
    if (st) sendJson(res, 200, npmStageItem(st, this.kept(st.id)));
  }

  async download(req, res) {
    const st = await this.findVisible(req, res);
    if (!st) return;
    const kept = WAITING.has(st.state) ? this.kept(st.id) : null;
    if (!kept) return sendError(res, 404, `the tarball of ${st.id} is not kept any more (${st.state})`);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-store');
    res.end(kept.tarball);
  }

  async approve(req, res) {
    const proof = this.proof(req, res);
    if (!proof) return;
    const st = await this.ctx.daemon.approveOwnStage(proof, req.params[0], {});
    try {
      await this.publishApproved(st);
    } catch (err) {
      return sendError(res, 409, `approved, but publishing ${st.package}@${st.version} failed (${err.message}); the registry tries again`);
    }
    sendJson(res, 200, { ok: `approved and published ${st.package}@${st.version}` });
  }

  async reject(req, res) {
    const proof = this.proof(req, res);
    if (!proof) return;
    const st = await this.ctx.daemon.rejectOwnStage(proof, req.params[0], {});
    this.forget(st.id);
    sendJson(res, 200, { ok: `rejected ${st.package}@${st.version}` });
  }

  // The approved bytes, checked against the integrity pkgtokend recorded at staging, go to
  // Verdaccio's storage; then pkgtokend hears it.  A failure stays approved, for the next poll.
  async publishApproved(st) {
    if (this.publishing.has(st.id)) return;
    this.publishing.add(st.id);
    try {
      const kept = this.kept(st.id);
      if (!kept) throw new Error('the staged tarball is not kept here');
      if (kept.name !== st.package || kept.version !== st.version || integrityOf(kept.tarball) !== st.integrity) {
        throw new Error('the kept tarball does not match the approved integrity');
      }
      try {
        await publishToStorage(this.ctx.storage, kept);
      } catch (err) {
        await this.ctx.daemon.completeStage(st.id, false, { reason: String(err.message || err).slice(0, 200) });
        throw err;
      }
      await this.ctx.daemon.completeStage(st.id, true, {});
      this.forget(st.id);
    } finally {
      this.publishing.delete(st.id);
    }
  }

  // Approved stages (also those approved with pkgtokenctl) are published; the files of
  // rejected and expired ones are forgotten.
  async poll() {
    if (!this.ctx.storage) return;
    for (const st of await this.ctx.daemon.listStages({ state: 'approved' })) {
      if (!fs.existsSync(this.file(st.id))) continue;   // another registry's
      await this.publishApproved(st).catch((err) => {
        if (this.ctx.logger) this.ctx.logger.error({ id: st.id, err: err.message }, 'pkgtoken: publishing approved stage @{id} failed: @{err}');
      });
    }
    for (const state of ['rejected', 'expired']) {
      for (const st of await this.ctx.daemon.listStages({ state })) this.forget(st.id);
    }
  }

  startPolling() {
    const every = this.ctx.settings.stagePollMs;
    if (!every || this.timer) return;
    const tick = () => {
      this.poll().catch(() => { /* the daemon is down: next time */ }).finally(() => {
        this.timer = setTimeout(tick, every);
        this.timer.unref();
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

module.exports = { Stages, parseStageBody, npmStageItem, integrityOf, publishToStorage };
