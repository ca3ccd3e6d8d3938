/**
 * Benchmark (not a test): bundle size and cold start of a handler using the runtime helper, per
 * auth mode, against a minimal hand-written handler with bare `pg` (+ the RDS signer, or + the
 * Secrets Manager client), both bundled the way addNodejsFunction bundles (esbuild, minified,
 * tree-shaken, AWS SDK included, the function's auth mode defined). Cold start = a fresh Node.js
 * process loads the bundle ("load") and runs its first invocation, one query on a real PostgreSQL
 * over TLS ("first query"). Setups alternate run by run.
 *
 *   npm run benchmark:cold-start      (BENCH_COLD_RUNS=15 by default)
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSync } from 'esbuild';
import { markdownTable, median } from './table';
import { SecretsManagerStub } from '../test/integration/aws/secrets-manager-stub';
import { IAM_ROLE_HBA, IAM_USER, inAppDatabase } from '../test/integration/environment-setup';
import { startPostgres } from '../test/integration/servers';

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 15);
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';

interface Setup {
  readonly mode: 'iam' | 'secret';
  readonly name: string;
  readonly entry: string;
  bundle?: string;
  bytes?: number;
  /** The mode esbuild is told; '' = not told (both AWS SDK clients bundled, only one evaluated). */
  readonly defined?: string;
  readonly load: number[];
  readonly total: number[];
}

function bundle(entry: string, mode: string): string {
  const outfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cold-start-')), 'index.js');
  buildSync({
    entryPoints: [path.join(ROOT, entry)], bundle: true, platform: 'node', target: 'node22', format: 'cjs', outfile,
    minify: true, treeShaking: true, tsconfig: path.join(ROOT, 'tsconfig.json'), logLevel: 'error',
    define: { 'process.env.SERVERLESS_RDS_BUNDLED_AUTH': JSON.stringify(mode) },
  });
  return outfile;
}

/** One cold start in a fresh process; returns milliseconds to load the bundle and to finish the first invocation. */
async function coldStart(bundleFile: string, env: Record<string, string>): Promise<{ load: number; total: number }> {
  const script = [
    'const t0 = process.hrtime.bigint();',
    `const m = require(${JSON.stringify(bundleFile)});`,
    'const t1 = process.hrtime.bigint();',
    'm.handler({ n: 1 }).then((row) => {',
    '  const t2 = process.hrtime.bigint();',
    '  if (row.n !== 1) throw new Error("wrong answer");',
    '  console.log(JSON.stringify({ load: Number(t1 - t0) / 1e6, total: Number(t2 - t0) / 1e6 }));',
    '  process.exit(0);',
    '});',
  ].join('\n');
  // Asynchronous: the Secrets Manager stand-in answers from this process meanwhile.
  const child = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ status: error ? 1 : 0, stdout, stderr }));
  });
  if (child.status !== 0) throw new Error(`cold start of ${bundleFile} failed: ${child.stderr.split('\n').filter((l) => l.length < 400).slice(-8).join('\n')}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  const server = await startPostgres({ extraHba: [IAM_ROLE_HBA] });
  await inAppDatabase(server, `CREATE ROLE ${IAM_USER} LOGIN`);
  const secrets = await SecretsManagerStub.start({ [SECRET_ARN]: { username: server.app.user, password: server.app.password } });
  try {
    const common = {
      SERVERLESS_RDS_ENGINE: 'postgresql', SERVERLESS_RDS_HOST: '127.0.0.1', SERVERLESS_RDS_PORT: String(server.port),
      SERVERLESS_RDS_DATABASE: 'app', SERVERLESS_RDS_REGION: 'eu-west-1', SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION: '1',
      AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      NODE_EXTRA_CA_CERTS: server.caFile,
    };
    const environments = {
      iam: { ...common, SERVERLESS_RDS_AUTH: 'iam', SERVERLESS_RDS_USER: IAM_USER },
      secret: { ...common, SERVERLESS_RDS_AUTH: 'secret', SERVERLESS_RDS_USER: server.app.user, SERVERLESS_RDS_SECRET_ARN: SECRET_ARN, ...secrets.environment() },
    };
    const setups: Setup[] = [
      { mode: 'iam', name: 'bare pg + RDS signer (baseline)', entry: 'benchmarks/handlers/bare-pg-iam.ts', load: [], total: [] },
      { mode: 'iam', name: 'runtime helper', entry: 'benchmarks/handlers/helper-postgres.ts', load: [], total: [] },
      { mode: 'iam', name: 'runtime helper, mode not defined at bundling', entry: 'benchmarks/handlers/helper-postgres.ts', defined: '', load: [], total: [] },
      { mode: 'secret', name: 'bare pg + Secrets Manager client (baseline)', entry: 'benchmarks/handlers/bare-pg-secret.ts', load: [], total: [] },
      { mode: 'secret', name: 'runtime helper', entry: 'benchmarks/handlers/helper-postgres.ts', load: [], total: [] },
    ];
    for (const setup of setups) {
      setup.bundle = bundle(setup.entry, setup.defined ?? setup.mode);
      setup.bytes = fs.statSync(setup.bundle).size;
      await coldStart(setup.bundle, environments[setup.mode]); // fills the OS file cache, like a warm Lambda host
    }
    for (let run = 0; run < RUNS; run++) {
      for (const setup of setups) {
        const { load, total } = await coldStart(setup.bundle!, environments[setup.mode]);
        setup.load.push(load);
        setup.total.push(total);
      }
    }
    const range = (samples: number[]) => `${median(samples).toFixed(1)} (${Math.min(...samples).toFixed(1)}-${Math.max(...samples).toFixed(1)})`;
    const rows = setups.map((setup) => {
      const baseline = setups.find((s) => s.mode === setup.mode)!;
      const ratio = (a: number, b: number) => (setup === baseline ? '1.00x' : `${(a / b).toFixed(2)}x`);
      return [setup.mode, setup.name, String(setup.bytes), ratio(setup.bytes!, baseline.bytes!), range(setup.load), range(setup.total),
        ratio(median(setup.total), median(baseline.total))];
    });
    console.log(markdownTable(['mode', 'handler', 'bundle bytes', 'bytes vs baseline', 'load ms, median (min-max)', 'load + first query ms', 'cold init vs baseline'], rows, 2));
    console.log(`\n${RUNS} cold starts per setup, alternating; PostgreSQL over TLS on this machine (${os.cpus().length} cores), Node ${process.version}. ` +
      'Secret mode reads the secret from a local stand-in of Secrets Manager.');
  } finally {
    await secrets.stop();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
