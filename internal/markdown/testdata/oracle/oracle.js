// oracle.js reads YAML 1.2 (core schema) with the npm package `yaml`, the
// reference the front matter differential test compares Scribe's reader to.
//
// Input: one JSON string per line, each a YAML text. Output: one JSON line per
// input, in order: {"ok": VALUE} or {"error": "message"}. VALUE encodes types
// that JSON would blur: null, true/false and strings as themselves; integers as
// {"int": "decimal"}; floats as {"float": "text"} ("nan", "inf", "-inf", "-0"
// or the shortest decimal); lists as arrays; mappings as {"map": {...}} keyed
// by each key's text as written (without quotes). Merge keys (<<) are on,
// because Scribe supports them.
'use strict';
const readline = require('readline');
const YAML = require('yaml');

const options = { version: '1.2', schema: 'core', merge: true, intAsBigInt: true, uniqueKeys: true };

function read(src) {
  const docs = YAML.parseAllDocuments(src, options);
  if (!Array.isArray(docs)) return { error: 'not a YAML stream' };
  if (docs.length > 1) return { error: 'more than one document' };
  if (docs.length === 0) return { ok: { map: {} } };
  const doc = docs[0];
  if (doc.errors.length > 0) return { error: doc.errors[0].message };
  try {
    return { ok: conv(doc, doc.contents, 0) };
  } catch (e) {
    return { error: String(e.message || e) };
  }
}

function conv(doc, node, depth) {
  if (depth > 2000) throw new Error('too deep');
  if (node === null || node === undefined) return null;
  if (YAML.isAlias(node)) return conv(doc, node.resolve(doc), depth + 1);
  if (YAML.isScalar(node)) return scalar(node.value);
  if (YAML.isSeq(node)) return node.items.map(item => conv(doc, item, depth + 1));
  if (YAML.isMap(node)) {
    const out = {};
    const merges = [];
    for (const pair of node.items) {
      if (isMerge(pair.key)) {
        merges.push(pair.value);
        continue;
      }
      const k = key(doc, pair.key);
      if (Object.prototype.hasOwnProperty.call(out, k)) throw new Error(`duplicate key ${k}`);
      out[k] = conv(doc, pair.value, depth + 1);
    }
    for (const m of merges) {
      let src = YAML.isAlias(m) ? m.resolve(doc) : m;
      const sources = YAML.isSeq(src) ? src.items : [src];
      for (let s of sources) {
        const v = conv(doc, s, depth + 1);
        if (v === null || typeof v !== 'object' || !('map' in v)) throw new Error('merge of a non-mapping');
        for (const [k, x] of Object.entries(v.map)) {
          if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = x;
        }
      }
    }
    return { map: out };
  }
  throw new Error('unknown node');
}

function isMerge(k) {
  return YAML.isScalar(k) && (typeof k.value === 'symbol' || (k.value === '<<' && (!k.type || k.type === 'PLAIN')));
}

function key(doc, k) {
  if (k === null || k === undefined) return '';
  if (YAML.isAlias(k)) return key(doc, k.resolve(doc));
  if (YAML.isScalar(k)) return k.source !== undefined ? String(k.source) : String(k.value);
  throw new Error('a key that is a collection');
}

function scalar(v) {
  switch (typeof v) {
    case 'bigint':
      return { int: v.toString() };
    case 'number':
      if (Number.isNaN(v)) return { float: 'nan' };
      if (v === Infinity) return { float: 'inf' };
      if (v === -Infinity) return { float: '-inf' };
      if (Object.is(v, -0)) return { float: '-0' };
      return { float: String(v) };
    case 'boolean':
    case 'string':
      return v;
    case 'object':
      if (v === null) return null;
  }
  throw new Error(`unsupported scalar ${typeof v}`);
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', line => {
  if (line === '') return;
  let out;
  try {
    out = read(JSON.parse(line));
  } catch (e) {
    out = { error: String(e.message || e) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
