#!/bin/sh
# Re-derives sarif-schema-2.1.0.json, the official OASIS SARIF 2.1.0 schema
# (its $id: oasis-tcs/sarif-spec, Schemata/sarif-schema-2.1.0.json), from the
# npm package @datadog/datadog-ci-plugin-sarif, whose bundle inlines it to
# validate uploads. No npm package ships the file as it is; this one's copy is
# evaluated as the JavaScript object literal it is, in an empty sandbox.
# It also copies sarif-2.1.0-rtm.5.json, the last release candidate of the
# same schema, which @microsoft/jest-sarif ships as a plain file: the output
# is checked against both.
# Run from this directory; needs npm and node. The test uses the committed copies.
set -eu
version=5.25.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@datadog/datadog-ci-plugin-sarif@$version" >/dev/null && tar xzf ./*.tgz)
mkdir "$work/jest"
(cd "$work/jest" && npm pack --silent "@microsoft/jest-sarif@1.0.0-beta.0" >/dev/null && tar xzf ./*.tgz)
cp "$work/jest/package/lib/schemas/sarif-2.1.0-rtm.5.json" .
node - "$work/package/dist/bundle.js" > sarif-schema-2.1.0.json <<'JS'
const fs = require('fs'), vm = require('vm');
const src = fs.readFileSync(process.argv[2], 'utf8');
const start = src.indexOf('//#region src/json-schema/sarif-schema-2.1.0.json');
const decl = 'var sarif_schema_2_1_0_default = ';
const at = src.indexOf(decl, start);
if (start < 0 || at < 0) throw new Error('the schema is not where it was in the bundle');
let i = at + decl.length, depth = 0, quote = null;
for (; i < src.length; i++) {
  const c = src[i];
  if (quote) { if (c === '\\') { i++; continue; } if (c === quote) quote = null; continue; }
  if (c === '"' || c === "'" || c === '`') { quote = c; continue; }
  if (c === '{') depth++;
  if (c === '}' && --depth === 0) { i++; break; }
}
const schema = vm.runInNewContext('(' + src.slice(at + decl.length, i) + ')', Object.create(null), {timeout: 1000});
process.stdout.write(JSON.stringify(schema, null, 2) + '\n');
JS
sha256sum sarif-schema-2.1.0.json sarif-2.1.0-rtm.5.json
