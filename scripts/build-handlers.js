#!/usr/bin/env node
/**
 * Bundles the library's own Lambda handlers (custom resources) when the package is built, so
 * users need no bundler for them: every lib/handlers/<name>/index.ts becomes
 * lib/handlers/<name>/bundle/index.js (esbuild, Node.js 22, minified, AWS SDK included).
 */
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const handlers = path.join(__dirname, '..', 'lib', 'handlers');
const names = fs.existsSync(handlers)
  ? fs.readdirSync(handlers).filter(name => fs.existsSync(path.join(handlers, name, 'index.ts'))).sort()
  : [];
for (const name of names) {
  const outdir = path.join(handlers, name, 'bundle');
  fs.rmSync(outdir, { recursive: true, force: true });
  const outfile = path.join(outdir, 'index.js');
  esbuild.buildSync({
    entryPoints: [path.join(handlers, name, 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    legalComments: 'external',
    // Optional native bindings some drivers try to load; the pure JavaScript paths are used.
    external: ['pg-native'],
    logLevel: 'warning',
  });
  console.log(`bundled lib/handlers/${name} (${Math.round(fs.statSync(outfile).size / 1024)} KiB)`);
}
