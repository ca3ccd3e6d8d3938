/**
 * Benchmark (not a test): per-invocation latency of the ways a Lambda handler can reach
 * PostgreSQL, on one local server in one run, direct and through PgBouncer (transaction mode,
 * the stand-in for RDS Proxy). Every connection uses TLS and SCRAM. Each invocation runs one
 * parameterized SELECT; invocations run back to back in one simulated execution environment.
 * Latency is measured in this process around each call, so it includes the client's own work.
 *
 *   npm run benchmark            (or: BENCH_INVOCATIONS=5000 npm run benchmark)
 */
import { Client, ClientConfig, Pool } from 'pg';
import { ServerlessPostgresPool } from '../runtime/postgres';
import { startPgBouncer, startPostgres } from '../test/integration/servers';

interface Row {
  readonly setup: string;
  readonly path: string;
  readonly invocations: number;
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

const WARM_INVOCATIONS = Number(process.env.BENCH_INVOCATIONS ?? 3000);
const CONNECT_INVOCATIONS = Math.max(50, Math.round(WARM_INVOCATIONS / 10));
const WARMUP = 200;
// One invocation per setup per round: on a shared machine, load bursts then hit every setup alike.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? WARM_INVOCATIONS);
const QUERY = 'SELECT $1::int AS n';

type Invoke = (i: number) => Promise<unknown>;

function summarize(setup: string, path: string, samples: number[], totalMs: number): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { setup, path, invocations: samples.length, p50: pick(0.5), p99: pick(0.99), perSecond: samples.length / (totalMs / 1000) };
}

/** Times `invocations` back-to-back calls; returns each call's milliseconds and the total. */
async function time(invocations: number, invoke: Invoke): Promise<{ samples: number[]; totalMs: number }> {
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < invocations; i++) {
    const t0 = process.hrtime.bigint();
    await invoke(i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { samples, totalMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

/**
 * The warm setups take turns in rounds, so that JIT warm-up, caches and background load do not
 * favour whichever runs last.
 */
async function timeInRounds(path: string, setups: Array<[string, Invoke]>): Promise<Row[]> {
  const collected = setups.map(() => ({ samples: [] as number[], totalMs: 0 }));
  for (const [, invoke] of setups) for (let i = 0; i < WARMUP; i++) await invoke(i);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, [, invoke]] of setups.entries()) {
      const { samples, totalMs } = await time(Math.ceil(WARM_INVOCATIONS / ROUNDS), invoke);
      collected[index].samples.push(...samples);
      collected[index].totalMs += totalMs;
    }
  }
  return setups.map(([setup], index) => summarize(setup, path, collected[index].samples, collected[index].totalMs));
}

async function measurePath(path: string, config: ClientConfig): Promise<Row[]> {
  const held = new Client(config);
  await held.connect();
  const helperOptions = {
    host: String(config.host), port: Number(config.port), database: String(config.database), user: String(config.user),
    password: String(config.password), tls: { ca: (config.ssl as { ca: string }).ca }, connections: 1,
  };
  const helper = new ServerlessPostgresPool(helperOptions);
  // Every checkout counts as "after idle": the cost paid by the first invocation after a freeze.
  const checking = new ServerlessPostgresPool({ ...helperOptions, validateAfterIdleMs: 0 });
  const plainPool = new Pool({ ...config, max: 1 });
  const rows = await timeInRounds(path, [
    ['bare pg, connection held (the floor)', (i) => held.query(QUERY, [i])],
    ['bare pg.Pool, max 1', (i) => plainPool.query(QUERY, [i])],
    ['runtime helper, connection reused', (i) => helper.query(QUERY, [i])],
    ['runtime helper, checked on every checkout', (i) => checking.query(QUERY, [i])],
  ]);
  await Promise.all([held.end(), plainPool.end(), helper.end(), checking.end()]);

  const connectPerInvocation: Invoke = async (i) => {
    const client = new Client(config);
    await client.connect();
    try {
      await client.query(QUERY, [i]);
    } finally {
      await client.end();
    }
  };
  for (let i = 0; i < 10; i++) await connectPerInvocation(i);
  const connecting = await time(CONNECT_INVOCATIONS, connectPerInvocation);
  rows.push(summarize('connect per invocation (no reuse)', path, connecting.samples, connecting.totalMs));
  return rows;
}

function render(rows: Row[]): string {
  const header = ['setup', 'path', 'invocations', 'p50 ms', 'p99 ms', 'invocations/s'];
  const cells = rows.map((r) => [r.setup, r.path, String(r.invocations), r.p50.toFixed(4), r.p99.toFixed(3), r.perSecond.toFixed(0)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const postgres = await startPostgres();
  const bouncer = await startPgBouncer(postgres, { poolSize: 2 });
  try {
    const rows = [
      ...await measurePath('direct', postgres.clientConfig('app')),
      ...await measurePath('PgBouncer', bouncer.clientConfig()),
    ];
    console.log(render(rows));
    for (const path of ['direct', 'PgBouncer']) {
      const floor = rows.find((r) => r.path === path && r.setup.startsWith('bare pg'))!;
      const helper = rows.find((r) => r.path === path && r.setup === 'runtime helper, connection reused')!;
      const connect = rows.find((r) => r.path === path && r.setup.startsWith('connect per'))!;
      console.log(`${path}: helper warm-path overhead over the floor, p50 ${(helper.p50 / floor.p50).toFixed(2)}x, p99 ${(helper.p99 / floor.p99).toFixed(2)}x; ` +
        `connect per invocation is ${(connect.p50 / helper.p50).toFixed(1)}x the helper's p50`);
    }
    console.log(`\nPostgreSQL ${(await postgres.adminQuery<{ v: string }>("SELECT current_setting('server_version') AS v"))[0].v}, TLS + SCRAM, Node ${process.version}, ` +
      `warm setups: ${ROUNDS} alternating rounds after ${WARMUP} warm-up invocations each`);
  } finally {
    await bouncer.stop();
    await postgres.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
