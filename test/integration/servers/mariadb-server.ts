import { ChildProcess } from 'child_process';
import * as path from 'path';
import type { ConnectionOptions } from 'mysql2';
import { createConnection } from 'mysql2/promise';
import { freePort } from './free-port';
import {
  findExecutable, guardAgainstLeaks, logTail, makeTempDir, randomPassword, runCommand, spawnServer, stopChild, waitFor,
} from './server-process';
import { createTestCertificates } from './test-certificates';

export interface MariaDbServerOptions {
  /** `max_connections`. @default 100 */
  readonly maxConnections?: number;
}

/** A throwaway MariaDB (MySQL-compatible) server on 127.0.0.1 that only accepts TLS over TCP. */
export interface MariaDbServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly caPem: string;
  readonly caFile: string;
  /** `'app_user'@'127.0.0.1'` (REQUIRE SSL) with all privileges on database `app`. */
  readonly app: { readonly user: string; readonly password: string; readonly database: string };
  readonly maxConnections: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** mysql2 options for the app user over TCP, TLS verified against the test CA (the cert has an IP SAN). */
  connectionOptions(): ConnectionOptions;
  /** Runs one SQL statement as root over the unix socket (fresh connection) and returns the rows. */
  adminQuery<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  /** PROCESSLIST ids of the given user's connections (default: the app user), excluding the admin's own. */
  connectionIds(user?: string): Promise<number[]>;
  /** KILL CONNECTION for each of them, waiting until they are gone; returns how many. */
  killConnections(user?: string): Promise<number>;
  /** Shuts mariadbd down cleanly and starts it again on the same port. */
  restart(): Promise<void>;
  /** Kills the server and deletes its files. Idempotent. */
  stop(): Promise<void>;
}

export async function startMariaDb(options: MariaDbServerOptions = {}): Promise<MariaDbServer> {
  const maxConnections = options.maxConnections ?? 100;
  const root = makeTempDir('mariadb-it-');
  const dataDir = path.join(root, 'data');
  const socketPath = path.join(root, 'mariadbd.sock');
  const pidFile = path.join(root, 'mariadbd.pid');
  const logFile = path.join(root, 'mariadbd.log');
  const guard = guardAgainstLeaks({ pidFile, signal: 'KILL', dir: root });
  // Small InnoDB files, no binlog, no flush per commit: starts in about a second.
  const innodb = ['--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M', '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0'];

  try {
    const port = await freePort();
    const certs = await createTestCertificates(path.join(root, 'tls'));
    const app = { user: 'app_user', password: randomPassword(), database: 'app' };

    // --no-defaults: ignore the host's /etc/mysql config. `normal` root = no password, which is
    // fine because root can only log in over our private unix socket. No --user here: as root it
    // would also chown the system's PAM plugin directory.
    await runCommand(findExecutable('mariadb-install-db'), [
      '--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db',
      '--skip-name-resolve', ...innodb,
    ], { cwd: root });

    const serverArgs = [
      '--no-defaults', // must come first
      `--datadir=${dataDir}`,
      `--socket=${socketPath}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${pidFile}`,
      `--log-error=${logFile}`,
      `--ssl-ca=${certs.caFile}`,
      `--ssl-cert=${certs.certFile}`,
      `--ssl-key=${certs.keyFile}`,
      // TCP clients must use TLS (like RDS's require_secure_transport); the unix socket counts as secure.
      '--require-secure-transport=ON',
      `--max-connections=${maxConnections}`,
      '--skip-name-resolve',
      // io_uring/libaio are often blocked by container seccomp profiles; plain I/O always works.
      '--innodb-use-native-aio=0',
      ...innodb,
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ];

    const adminOptions: ConnectionOptions = { socketPath, user: 'root', connectTimeout: 10_000 };
    const adminQuery = async <T = any>(sql: string, params?: unknown[]): Promise<T[]> => {
      const connection = await createConnection(adminOptions);
      connection.on('error', () => undefined); // a kill/stop mid-query rejects the query instead
      try {
        const [rows] = await connection.query(sql, params);
        return rows as T[];
      } finally {
        await connection.end().catch(() => undefined);
      }
    };

    let child: ChildProcess;
    const launch = async () => {
      child = spawnServer(findExecutable('mariadbd'), serverArgs, { cwd: root, logFile });
      const current = child;
      await waitFor('mariadbd to accept connections', async () => (await adminQuery('select 1'), true), {
        timeoutMs: 60_000,
        failFast: () => (current.exitCode !== null || current.signalCode !== null ? `mariadbd exited (${current.exitCode ?? current.signalCode})` : undefined),
      });
    };
    await launch();

    await adminQuery(`create database ${app.database}`);
    await adminQuery(`create user ?@'127.0.0.1' identified by ? require ssl`, [app.user, app.password]);
    await adminQuery(`grant all privileges on ${app.database}.* to ?@'127.0.0.1'`, [app.user]);

    const connectionIds = async (user = app.user): Promise<number[]> => {
      const rows = await adminQuery<{ id: number }>(
        'select id from information_schema.processlist where user = ? and id <> connection_id() order by id', [user]);
      return rows.map((row) => Number(row.id));
    };

    let stopping: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      caPem: certs.caPem,
      caFile: certs.caFile,
      app,
      maxConnections,
      dataDir,
      logFile,
      connectionOptions: () => ({
        host: '127.0.0.1',
        port,
        user: app.user,
        password: app.password,
        database: app.database,
        ssl: { ca: certs.caPem, rejectUnauthorized: true, verifyIdentity: true },
        connectTimeout: 10_000,
      }),
      adminQuery,
      connectionIds,
      async killConnections(user = app.user) {
        const ids = await connectionIds(user);
        for (const id of ids) {
          await adminQuery(`kill connection ${Number(id)}`).catch((error) => {
            if (error.code !== 'ER_NO_SUCH_THREAD') throw error; // it left on its own meanwhile
          });
        }
        // KILL only flags the thread; wait until it has really gone so callers can rely on it.
        await waitFor('killed connections to go away', async () => {
          const left = await connectionIds(user);
          return ids.some((id) => left.includes(id)) ? undefined : true;
        }, { timeoutMs: 10_000, intervalMs: 50 });
        return ids.length;
      },
      async restart() {
        await stopChild(child, 'SIGTERM', 60_000); // SIGTERM = clean shutdown
        await launch();
      },
      stop() {
        stopping ??= (async () => {
          await stopChild(child, 'SIGKILL'); // the data is thrown away, no need to shut down cleanly
          await guard.cleanup();
        })();
        return stopping;
      },
    };
  } catch (error) {
    const log = logTail(logFile);
    await guard.cleanup();
    throw new Error(`MariaDB did not start: ${(error as Error).message}\n--- mariadbd log ---\n${log}`, { cause: error });
  }
}
