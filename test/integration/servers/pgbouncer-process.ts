import * as fs from 'fs';
import { ChildProcess } from 'child_process';
import { Client, ClientConfig } from 'pg';
import { PostgresServer } from './postgres-server';
import { findExecutable, OsUser, spawnServer, waitFor } from './server-process';

/** Where and as whom a PgBouncer runs, and the PostgreSQL app user it lets clients in as. */
export interface PgBouncerLaunch {
  readonly ini: string;
  readonly root: string;
  readonly osUser?: OsUser;
  readonly logFile: string;
  readonly pidFile: string;
  readonly port: number;
  readonly caPem: string;
  readonly upstream: PostgresServer;
  /** What is waited for, in the timeout message. */
  readonly label: string;
}

/**
 * Starts pgbouncer on `ini` and waits until a full TLS + SCRAM login through to PostgreSQL works,
 * not just an open port; fails fast when the process exits.
 */
export async function launchPgBouncer(launch: PgBouncerLaunch): Promise<{ child: ChildProcess; clientConfig: () => ClientConfig }> {
  const child = spawnServer(findExecutable('pgbouncer'), [launch.ini], { user: launch.osUser, cwd: launch.root, logFile: launch.logFile });
  if (child.pid !== undefined) fs.writeFileSync(launch.pidFile, `${child.pid}\n`); // for the leak guard

  const clientConfig = (): ClientConfig => ({
    host: '127.0.0.1',
    port: launch.port,
    user: launch.upstream.app.user,
    password: launch.upstream.app.password,
    database: launch.upstream.app.database,
    ssl: { ca: launch.caPem, servername: 'localhost', rejectUnauthorized: true },
    connectionTimeoutMillis: 10_000,
  });
  await waitFor(launch.label, async () => {
    const client = new Client(clientConfig());
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  }, {
    timeoutMs: 30_000,
    failFast: () => (child.exitCode !== null || child.signalCode !== null ? `pgbouncer exited (${child.exitCode ?? child.signalCode})` : undefined),
  });
  return { child, clientConfig };
}
