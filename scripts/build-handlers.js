#!/usr/bin/env node
// Bundles every custom resource handler of the library (lib/handlers/<name>/index.ts) into
// lib/handlers/<name>/bundle/index.js, so users synthesize without a bundler. Runs in `npm run compile`.
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const handlersDir = path.join(__dirname, '..', 'lib', 'handlers');
const names = fs.existsSync(handlersDir)
  ? fs.readdirSync(handlersDir).filter((name) => fs.existsSync(path.join(handlersDir, name, 'index.ts'))).sort()
  : [];

for (const name of names) {
  const outdir = path.join(handlersDir, name, 'bundle');
  fs.rmSync(outdir, { recursive: true, force: true });
  esbuild.buildSync({
    entryPoints: [path.join(handlersDir, name, 'index.ts')],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // Optional native bindings some drivers try to load; the pure JavaScript paths are used.
    external: ['pg-native'],
    logLevel: 'warning',
  });
  console.log(`bundled lib/handlers/${name}`);
}
