#!/usr/bin/env node
// Compiles every TypeScript snippet of the README and the API docs (`@example`) the way
// Construct Hub translates them to Python, Java, .NET and Go, against rosetta/default.ts-fixture.
// Strict: a snippet that does not compile fails. The tablet is rebuilt from scratch so a cached
// translation cannot hide a snippet that stopped compiling. Needs the compiled assembly (.jsii).
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const tablet = path.join(root, '.jsii.tabl.json');
fs.rmSync(tablet, { force: true });

execFileSync(path.join(root, 'node_modules', '.bin', 'jsii-rosetta'), ['extract', '--strict', root], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '1' },
});

const snippets = Object.values(JSON.parse(fs.readFileSync(tablet, 'utf8')).snippets);
const failed = snippets.filter((snippet) => !snippet.didCompile);
if (snippets.length === 0 || failed.length > 0) {
  console.error(`Documentation snippets: ${failed.length} of ${snippets.length} do not compile`);
  process.exit(1);
}
console.log(`Documentation snippets: all ${snippets.length} compile and translate (README and @example)`);
