import { Client, ClientConfig } from 'pg';
import { ServerlessPostgresPool } from '../../../runtime/postgres';

/** The outcome of one run of simulated invocations against a real PostgreSQL. */
export interface ProofResult {
  readonly setup: string;
  /** Execution environments (capped) or concurrent invocations (naive). */
  readonly concurrency: number;
  readonly invocations: number;
  readonly succeeded: number;
  /** Invocations that failed because the server refused or lost the connection. */
  readonly connectionErrors: number;
  readonly otherErrors: number;
  readonly rowsWritten: number;
  /** Invocations whose write is not in the table: invocations - rowsWritten. */
  readonly lostWrites: number;
  /** Most established connections the run held at once (counted by the client; handshakes in progress also hold server slots). */
  readonly peakConnections: number;
  /** Connect retries the helper made (capped run only). */
  readonly retries: number;
  readonly wallMs: number;
  /** The distinct errors seen, as "SQLSTATE: message", to show what users would see. */
  readonly errors: string[];
}

/** How the run reaches the server: a pg config for the app user, and a superuser config to watch it. */
export interface ProofTarget {
  readonly appConfig: ClientConfig;
  readonly adminConfig: ClientConfig;
}

export const INSERT = 'INSERT INTO proof_writes (run, invocation) VALUES ($1, $2)';

/** Creates the table the runs write to (idempotent). */
export async function prepareProofTable(target: ProofTarget): Promise<void> {
  const admin = new Client(target.adminConfig);
  await admin.connect();
  try {
    await admin.query('CREATE TABLE IF NOT EXISTS proof_writes (run text NOT NULL, invocation int NOT NULL, PRIMARY KEY (run, invocation))');
    await admin.query(`GRANT INSERT, SELECT ON proof_writes TO ${admin.escapeIdentifier(String(target.appConfig.user))}`);
  } finally {
    await admin.end();
  }
}

/**
 * The library's setup: `environments` execution environments (the reserved concurrency the budget
 * computed), each with the runtime helper's pool of one connection, reused by every invocation the
 * environment runs; invocations beyond the cap wait for a free environment, as Lambda queues or
 * throttles them.
 */
export async function runCapped(target: ProofTarget, run: string, environments: number, invocations: number): Promise<ProofResult> {
  let retries = 0;
  const open = new OpenConnections();
  const pools = Array.from({ length: environments }, () => environmentPool(target, (event) => {
    if (event === 'retry') retries++;
    if (event === 'connected') open.opened(); // an environment keeps its connection for its life
  }));
  try {
    return await measure(target, `library: ${environments} environments, connection reused`, run, environments, invocations,
      (worker) => async (invocation) => { await pools[worker].query(INSERT, [run, invocation]); }, () => retries, open);
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

/** One execution environment's runtime helper pool of one connection, reporting connects and retries. */
export function environmentPool(target: ProofTarget, onEvent: (event: 'connected' | 'retry') => void): ServerlessPostgresPool {
  return new ServerlessPostgresPool({
    host: String(target.appConfig.host), port: Number(target.appConfig.port), database: String(target.appConfig.database),
    user: String(target.appConfig.user), password: String(target.appConfig.password), connections: 1,
    tls: { ca: (target.appConfig.ssl as { ca: string }).ca },
    onEvent: (event) => {
      if (event.type === 'retry' || event.type === 'connected') onEvent(event.type);
    },
  });
}

/**
 * The naive setup the seed pattern warns about: no concurrency cap, and every invocation opens
 * its own connection and closes it.
 */
export async function runNaive(target: ProofTarget, run: string, concurrency: number, invocations: number): Promise<ProofResult> {
  const open = new OpenConnections();
  return measure(target, `naive: ${concurrency} concurrent, connect per invocation`, run, concurrency, invocations, () => async (invocation) => {
    const client = new Client(target.appConfig);
    client.on('error', () => undefined);
    await client.connect();
    open.opened();
    try {
      await client.query(INSERT, [run, invocation]);
    } finally {
      open.closed();
      await client.end().catch(() => undefined);
    }
  }, () => 0, open);
}

export async function measure(
  target: ProofTarget, setup: string, run: string, concurrency: number, invocations: number,
  worker: (index: number) => (invocation: number) => Promise<void>, retries: () => number, open: OpenConnections,
): Promise<ProofResult> {
  let next = 0;
  let succeeded = 0;
  let connectionErrors = 0;
  let otherErrors = 0;
  const errors = new Set<string>();
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, index) => {
    const invoke = worker(index);
    for (let invocation = next++; invocation < invocations; invocation = next++) {
      try {
        await invoke(invocation);
        succeeded++;
      } catch (error) {
        const e = error as { code?: string; message?: string };
        if (e.code === '53300' || /too many clients|Connection terminated|ECONNRESET/i.test(e.message ?? '')) connectionErrors++;
        else otherErrors++;
        errors.add(`${e.code ?? 'no code'}: ${e.message}`);
      }
    }
  }));
  const wallMs = Date.now() - startedAt;
  const admin = new Client(target.adminConfig);
  await admin.connect();
  const { rows } = await admin.query('SELECT count(*)::int AS n FROM proof_writes WHERE run = $1', [run]);
  await admin.end();
  const rowsWritten = rows[0].n as number;
  return {
    setup, concurrency, invocations, succeeded, connectionErrors, otherErrors, rowsWritten,
    lostWrites: invocations - rowsWritten, peakConnections: open.peak, retries: retries(), wallMs, errors: [...errors],
  };
}

/** The results as a fixed-width table. */
export function renderProofTable(results: ProofResult[]): string {
  const header = ['setup', 'invocations', 'succeeded', 'connection errors', 'other errors', 'rows written', 'lost writes', 'peak connections', 'connect retries', 'wall ms'];
  const lines = results.map((r) => [r.setup, r.invocations, r.succeeded, r.connectionErrors, r.otherErrors, r.rowsWritten, r.lostWrites, r.peakConnections, r.retries, r.wallMs].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [row(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...lines.map(row)].join('\n');
}

/** Counts the connections a run holds open, and the most at once. */
export class OpenConnections {
  public peak = 0;
  private now = 0;

  public opened(): void {
    this.now++;
    this.peak = Math.max(this.peak, this.now);
  }

  public closed(): void {
    this.now--;
  }
}
