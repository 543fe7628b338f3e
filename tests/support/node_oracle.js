'use strict';

// The oracle: legacy's own Node runtime and libraries, asked in one batch.
// stdin: a JSON list of [operation, argument]; stdout: a JSON list of {ok: value} or
// {error: name}. Bytes travel as lists of numbers. See tests/support/node_oracle.py.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const querystring = require('node:querystring');
const { createRequire } = require('node:module');

const LEGACY = path.resolve(__dirname, '..', '..', 'legacy');
const legacyRequire = createRequire(path.join(LEGACY, 'package.json'));
const contentType = legacyRequire('content-type');
const iconv = legacyRequire('iconv-lite');
const parseurl = legacyRequire('parseurl');
const typeis = legacyRequire('type-is');
const { slugify } = require(path.join(LEGACY, 'src', 'slug.js'));
const { requireAuth } = require(path.join(LEGACY, 'src', 'auth.js'));

const MAX_CODE_POINT = 0x10ffff;

// Every code point, each written alone (surrogates included), for whole-range comparisons.
function* codePoints() {
  for (let cp = 0; cp <= MAX_CODE_POINT; cp++) yield String.fromCodePoint(cp);
}

const operations = {
  lower: (text) => text.toLowerCase(),
  slugify: (title) => slugify(title),

  // toLowerCase of every code point placed between `prefix` and `suffix`, one "\n"-joined
  // string per [prefix, suffix] pair (the same strings Python builds for the comparison).
  lowerEveryCodePoint: (contexts) => contexts.map(([prefix, suffix]) => {
    const parts = [];
    for (const c of codePoints()) parts.push(prefix + c + suffix);
    return parts.join('\n').toLowerCase();
  }),

  // Every code point through slugify, alone and between two letters ("a" + c + "b").
  slugifyEveryCodePoint: () => {
    const alone = [];
    const between = [];
    for (const c of codePoints()) {
      alone.push(slugify(c));
      between.push(slugify(`a${c}b`));
    }
    return { alone, between };
  },

  // Whether String.prototype.trim() removes each code point entirely, as one "0"/"1" string.
  trimsEveryCodePoint: () => {
    let out = '';
    for (const c of codePoints()) out += c.trim() === '' ? '1' : '0';
    return out;
  },

  // Content-Type as body-parser reads it: type-is's media type and the charset parameter.
  mediaType: (header) => {
    const req = { headers: { 'content-type': header, 'content-length': '1' } };
    const parsed = contentType.parse(header);
    return {
      json: Boolean(typeis(req, 'application/json')),
      charset: parsed.parameters.charset?.toLowerCase() ?? null,  // body-parser's getCharset
    };
  },

  // iconv-lite's decoder for a charset, given the whole body in one chunk (as raw-body does).
  decode: ([charset, bytes]) => {
    let decoder;
    try {
      decoder = iconv.getDecoder(charset);
    } catch (err) {
      return { unsupported: true };
    }
    const buffer = Buffer.from(bytes);
    const text = decoder.write(buffer) + (decoder.end() || '');
    return { text };
  },

  utf8: (bytes) => Buffer.from(bytes).toString('utf8'),
  base64: (text) => [...Buffer.from(text, 'base64')],
  querystring: (text) => ({ ...querystring.parse(text) }),

  // The pathname and query Express reads from a request target (parseurl).
  target: (url) => {
    try {
      const parsed = parseurl({ url });
      return { pathname: parsed.pathname ?? null, query: parsed.query ?? null };
    } catch (err) {
      return { throws: err.code || err.name };
    }
  },

  // legacy's requireAuth on an Authorization header, every user id existing: the user id
  // it would load, or the 401 message.
  authenticate: async ([header, secret]) => {
    const db = () => ({ where: ({ id }) => ({ first: async () => ({ id }) }) });
    const req = {
      get: (name) => (name === 'Authorization' ? header : undefined),
      app: { locals: { config: { jwtSecret: secret }, db } },
    };
    try {
      await requireAuth(req, {}, () => {});
      return { userId: req.user.id };
    } catch (err) {
      if (!err.errors) throw err;
      return { message: Object.values(err.errors)[0][0] };
    }
  },

  // req.headers for header lines [[name, value], ...] as Node's http server builds it.
  requestHeaders: (lines) => {
    const message = new http.IncomingMessage({});
    message._addHeaderLines(lines.flat(), lines.length * 2);
    return { ...message.headers };
  },

  statusCodes: () => http.STATUS_CODES,
  runtime: () => ({ node: process.versions.node, icu: process.versions.icu,
    unicode: process.versions.unicode }),
};

async function answer([operation, argument]) {
  try {
    return { ok: await operations[operation](argument) };
  } catch (err) {
    return { error: err.name || String(err) };
  }
}

async function main() {
  const requests = JSON.parse(fs.readFileSync(0, 'utf8'));
  const answers = [];
  for (const request of requests) answers.push(await answer(request));
  process.stdout.write(JSON.stringify(answers));
}

main();
