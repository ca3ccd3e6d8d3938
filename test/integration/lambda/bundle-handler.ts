import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSync } from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Bundles a handler the way NodejsFunction does for a wired function (esbuild, CommonJS, Node 22,
 * AWS SDK included), so the tests run the same single file Lambda would, not the TypeScript
 * sources. `cdk-serverless-rds/runtime/*` resolves through tsconfig.json's paths, as it resolves
 * through node_modules in a user's project.
 */
export function bundleHandler(entry: string): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-bundle-'));
  const outfile = path.join(outdir, 'index.js');
  buildSync({
    entryPoints: [path.resolve(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile,
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    logLevel: 'error',
  });
  return outfile;
}
