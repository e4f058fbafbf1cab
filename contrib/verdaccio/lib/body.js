// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Reading a request body whole, with a size limit: the publish gate's JSON bodies and the
// web login's form both go through here.

'use strict';

// The body as UTF-8 text.  Past limit bytes the promise rejects with a 413 named after what
// ("form too large") and the request is destroyed, so a client cannot make us buffer more.
function readBody(req, limit, what) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error(`${what} too large`), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

module.exports = { readBody };
