// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The client's address, for the daemon's CIDR checks: the socket's peer, or, only when that
// peer is a trusted proxy, the last address in X-Forwarded-For that is not itself a trusted
// proxy (the one the outermost trusted proxy saw).

'use strict';

const net = require('node:net');

function normalize(addr) {
  if (typeof addr !== 'string') return '';
  const a = addr.trim();
  if (a.startsWith('::ffff:') && net.isIPv4(a.slice(7))) return a.slice(7);
  return a;
}

// parseCidr('10.0.0.0/8') -> {list, bits, family}; a bare address is /32 or /128.
function parseCidr(text) {
  const [addr, len] = text.split('/');
  const a = normalize(addr);
  const family = net.isIPv4(a) ? 4 : net.isIPv6(a) ? 6 : 0;
  if (!family) return null;
  const max = family === 4 ? 32 : 128;
  const bits = len === undefined ? max : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (len !== undefined && !/^\d+$/.test(len))) return null;
  const bl = new net.BlockList();
  bl.addSubnet(a, bits, family === 4 ? 'ipv4' : 'ipv6');
  return { text, family, bl };
}

function inAny(addr, cidrs) {
  const a = normalize(addr);
  const family = net.isIPv4(a) ? 'ipv4' : net.isIPv6(a) ? 'ipv6' : null;
  if (!family) return false;
  return cidrs.some((c) => (c.family === 4) === (family === 'ipv4') && c.bl.check(a, family));
}

function clientAddress(req, trustedProxies) {
  const peer = normalize(req.socket && req.socket.remoteAddress);
  if (!trustedProxies.length || !inAny(peer, trustedProxies)) return peer;
  const header = req.headers['x-forwarded-for'];
  if (!header) return peer;
  const hops = String(header).split(',').map(normalize).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!net.isIP(hops[i])) return peer;          // garbage: do not guess
    if (!inAny(hops[i], trustedProxies)) return hops[i];
  }
  return hops.length ? hops[0] : peer;
}

module.exports = { clientAddress, parseCidr, normalize };
