#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A test OIDC issuer for trusted publishing (tests/bus-trusted.sh, the npm end-to-end test):
//   jwt-sign.js keygen DIR KID [rsa|ec]   a key DIR/KID.pem, its public half added to DIR/jwks.json
//   jwt-sign.js sign DIR KID CLAIMS-JSON  prints an ID token signed with DIR/KID.pem; iat, exp
//                                         (5 minutes) and a random jti are added unless given
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function keygen(dir, kid, kind) {
  const { privateKey, publicKey } = kind === 'ec'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  fs.writeFileSync(path.join(dir, `${kid}.pem`), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const jwksFile = path.join(dir, 'jwks.json');
  const jwks = fs.existsSync(jwksFile) ? JSON.parse(fs.readFileSync(jwksFile, 'utf8')) : { keys: [] };
  jwks.keys.push({ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: kind === 'ec' ? 'ES256' : 'RS256' });
  fs.writeFileSync(jwksFile, JSON.stringify(jwks));
}

function sign(dir, kid, claimsJson) {
  const key = crypto.createPrivateKey(fs.readFileSync(path.join(dir, `${kid}.pem`)));
  const ec = key.asymmetricKeyType === 'ec';
  const now = Math.floor(Date.now() / 1000);
  const claims = { iat: now, exp: now + 300, jti: crypto.randomUUID(), ...JSON.parse(claimsJson) };
  const input = `${b64url(JSON.stringify({ alg: ec ? 'ES256' : 'RS256', typ: 'JWT', kid }))}.${b64url(JSON.stringify(claims))}`;
  const sig = crypto.sign('sha256', Buffer.from(input), ec ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${b64url(sig)}`;
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'keygen') keygen(args[0], args[1], args[2]);
else if (cmd === 'sign') process.stdout.write(sign(args[0], args[1], args[2]));
else { process.stderr.write('usage: jwt-sign.js keygen DIR KID [rsa|ec] | sign DIR KID CLAIMS-JSON\n'); process.exit(2); }
