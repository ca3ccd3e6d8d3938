/**
 * Benchmark (not a test): what bundling costs at synth for 20 Node.js functions, with
 * addNodejsFunction (esbuild's JavaScript API in the synth process, one build per distinct entry
 * and options) against NodejsFunction's own local bundling (one `npx esbuild` process per
 * function), no Docker in either. Each run builds a fresh app (asset cache empty), synthesizes it
 * into a fresh directory and measures the wall time from the first function to the end of synth.
 * Setups alternate run by run.
 *
 *   npm run benchmark:synth        (BENCH_SYNTH_RUNS=3 by default)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { markdownTable, median } from './table';
import { newDatabase } from '../test/helpers';
import { version as esbuildVersion } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const FUNCTIONS = 20;
const RUNS = Number(process.env.BENCH_SYNTH_RUNS ?? 3);

interface Setup {
  readonly name: string;
  addFunctions(entries: string[]): (db: ReturnType<typeof newDatabase>) => void;
  readonly seconds: number[];
  readonly outBytes: number[];
}

function directoryBytes(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true })
    .reduce((sum, entry) => sum + (entry.isDirectory() ? directoryBytes(path.join(dir, entry.name)) : fs.statSync(path.join(dir, entry.name)).size), 0);
}

/** One synth in a fresh app and output directory; returns seconds from the first function to the end of synth, and cdk.out bytes. */
function synthOnce(add: (db: ReturnType<typeof newDatabase>) => void): { seconds: number; outBytes: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-bench-'));
  process.env.CDK_OUTDIR = outdir;
  try {
    const db = newDatabase();
    const started = process.hrtime.bigint();
    add(db);
    db.app.synth();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, outBytes: directoryBytes(outdir) };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function main(): void {
  // Entries must sit under the project root (the directory of package-lock.json), as users' do.
  const entryDir = fs.mkdtempSync(path.join(ROOT, '.bench-entries-'));
  try {
    const entries = Array.from({ length: FUNCTIONS }, (_, i) => {
      const file = path.join(entryDir, `handler${i}.ts`);
      fs.writeFileSync(file, [
        "import { getPostgresPool } from '../runtime/postgres';",
        'const pool = getPostgresPool();',
        `export const handler = async () => (await pool.query('SELECT ${i}::int AS n')).rows[0];`,
      ].join('\n'));
      return file;
    });
    const bundling = { minify: true, bundleAwsSDK: true };
    const setups: Setup[] = [
      {
        name: 'NodejsFunction, own bundling (baseline), 20 entries',
        addFunctions: (files) => ({ stack }) => files.forEach((entry, i) => new nodejs.NodejsFunction(stack, `Plain${i}`, { entry, runtime: lambda.Runtime.NODEJS_24_X, bundling })),
        seconds: [], outBytes: [],
      },
      {
        name: 'addNodejsFunction, 20 entries',
        addFunctions: (files) => ({ db }) => files.forEach((entry, i) => db.addNodejsFunction(`Fn${i}`, { entry, reservedConcurrentExecutions: 1 })),
        seconds: [], outBytes: [],
      },
      {
        name: 'addNodejsFunction, 20 functions of one entry',
        addFunctions: (files) => ({ db }) => files.forEach((_, i) => db.addNodejsFunction(`Fn${i}`, { entry: files[0], reservedConcurrentExecutions: 1 })),
        seconds: [], outBytes: [],
      },
    ];
    synthOnce(setups[1].addFunctions(entries.slice(0, 1))); // loads esbuild and the CDK modules once, as any synth does
    for (let run = 0; run < RUNS; run++) {
      for (const setup of setups) {
        const { seconds, outBytes } = synthOnce(setup.addFunctions(entries));
        setup.seconds.push(seconds);
        setup.outBytes.push(outBytes);
      }
    }
    const baseline = setups[0];
    const perFunction = (setup: Setup) => setup.seconds.map((s) => s / FUNCTIONS);
    const rows = setups.map((setup) => [
      setup.name,
      `${median(setup.seconds).toFixed(2)} (${Math.min(...setup.seconds).toFixed(2)}-${Math.max(...setup.seconds).toFixed(2)})`,
      `${median(perFunction(setup)).toFixed(3)} (${Math.min(...perFunction(setup)).toFixed(3)}-${Math.max(...perFunction(setup)).toFixed(3)})`,
      `${(median(setup.seconds) / median(baseline.seconds)).toFixed(2)}x`,
      (median(setup.outBytes) / 1e6).toFixed(1),
    ]);
    console.log(markdownTable(['setup', 'synth s, median (min-max)', 's per function', 'vs baseline', 'cdk.out MB'], rows));
    console.log(`\n${RUNS} runs per setup, alternating, ${FUNCTIONS} functions each, local esbuild ${esbuildVersion}, no Docker; ` +
      `this machine (${os.cpus().length} cores), Node ${process.version}. Times include the app's synth (the stack with the database and its VPC).`);
  } finally {
    fs.rmSync(entryDir, { recursive: true, force: true });
  }
}

main();
