import * as fs from 'fs';
import * as path from 'path';
import { Client, ClientConfig } from 'pg';
import { freePort } from './free-port';
import { guardAgainstLeaks, logTail, makeTempDir, postgresOsUser, randomPassword, runCommand, writePrivateFile } from './server-process';
import { createTestCertificates } from './test-certificates';

export interface PostgresServerOptions {
  /** `max_connections`. @default 100 */
  readonly maxConnections?: number;
  /**
   * pg_hba.conf lines placed BEFORE the defaults (first match wins), e.g.
   * `hostssl all iam_user 127.0.0.1/32 trust`.
   */
  readonly extraHba?: string[];
}

/** A throwaway PostgreSQL server on 127.0.0.1 that only accepts TLS + SCRAM, like RDS with `rds.force_ssl`. */
export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The test CA that signed the server certificate. */
  readonly caPem: string;
  readonly caFile: string;
  readonly superuser: { readonly user: string; readonly password: string };
  /** A login role owning database `app`. */
  readonly app: { readonly user: string; readonly password: string; readonly database: string };
  readonly maxConnections: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** A pg ClientConfig for the given credentials with TLS verified against the test CA (servername localhost). */
  clientConfig(who?: 'app' | 'superuser', database?: string): ClientConfig;
  /** Runs one SQL statement as the superuser (fresh connection) and returns rows. */
  adminQuery<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Backend PIDs of client connections of the given user (default: the app user), excluding the admin's own. */
  backendPids(user?: string): Promise<number[]>;
  /** pg_terminate_backend for every backend of that user (default: the app user), waiting until they are gone; returns how many. */
  terminateBackends(user?: string): Promise<number>;
  /** `pg_ctl restart -m fast`: drops every connection; same port and credentials afterwards. */
  restart(): Promise<void>;
  /** Stops the server immediately and deletes its files. Idempotent. */
  stop(): Promise<void>;
}

/** The newest PostgreSQL installed by the Debian packages (/usr/lib/postgresql/<major>/bin). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = (fs.existsSync(root) ? fs.readdirSync(root) : [])
    .filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  if (majors.length === 0) throw new Error(`No PostgreSQL server under ${root} (apt-get install postgresql)`);
  return path.join(root, majors[0], 'bin');
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const maxConnections = options.maxConnections ?? 100;
  const bin = postgresBinDir();
  const osUser = postgresOsUser();
  const root = makeTempDir('pg-it-', osUser);
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');
  const pgCtl = (args: string[]) => runCommand(path.join(bin, 'pg_ctl'), ['-D', dataDir, ...args], { user: osUser, cwd: root });
  // Armed before initdb so even a half-started server is cleaned up.
  const guard = guardAgainstLeaks({ pidFile: path.join(dataDir, 'postmaster.pid'), signal: 'QUIT', dir: root });

  try {
    const port = await freePort();
    const certs = await createTestCertificates(path.join(root, 'tls'), osUser);
    const superuser = { user: 'postgres', password: randomPassword() };
    const app = { user: 'app_user', password: randomPassword(), database: 'app' };

    const pwFile = path.join(root, 'superuser-password');
    writePrivateFile(pwFile, `${superuser.password}\n`, osUser);
    await runCommand(path.join(bin, 'initdb'), [
      '-D', dataDir, '-U', superuser.user, `--pwfile=${pwFile}`, '--auth=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--no-sync', // no fsync: the cluster is thrown away
    ], { user: osUser, cwd: root });
    fs.rmSync(pwFile);

    // Appended settings win over initdb's defaults earlier in the file.
    fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), [
      '',
      '# cdk-serverless-rds integration test server',
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      `unix_socket_directories = ${quote(root)}`, // never the shared /var/run/postgresql
      `max_connections = ${maxConnections}`,
      'shared_buffers = 32MB', // small, so hundreds of connections still fit in memory
      'ssl = on',
      `ssl_cert_file = ${quote(certs.certFile)}`,
      `ssl_key_file = ${quote(certs.keyFile)}`,
      "password_encryption = 'scram-sha-256'",
      // Durability is pointless for a throwaway cluster, and costs seconds.
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'log_min_messages = warning',
      '',
    ].join('\n'));
    // TCP + TLS + SCRAM only, like RDS with rds.force_ssl=1: no unix-socket "trust" back door.
    fs.writeFileSync(path.join(dataDir, 'pg_hba.conf'), [
      ...(options.extraHba ?? []),
      'hostssl all all 127.0.0.1/32 scram-sha-256',
      'hostnossl all all 127.0.0.1/32 reject',
      '',
    ].join('\n'));

    await pgCtl(['-l', logFile, '-w', '-t', '60', 'start']);

    const clientConfig = (who: 'app' | 'superuser' = 'app', database?: string): ClientConfig => {
      const credentials = who === 'app' ? app : superuser;
      return {
        host: '127.0.0.1',
        port,
        user: credentials.user,
        password: credentials.password,
        database: database ?? (who === 'app' ? app.database : 'postgres'),
        ssl: { ca: certs.caPem, servername: 'localhost', rejectUnauthorized: true },
        connectionTimeoutMillis: 10_000,
      };
    };

    const adminQuery = async <T = any>(sql: string, params?: unknown[]): Promise<T[]> => {
      const client = new Client(clientConfig('superuser'));
      client.on('error', () => {
        // a restart/stop while connected must not crash the test process; the query rejects instead
      });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end().catch(() => undefined);
      }
    };

    // pg_stat_activity also lists background workers; only client backends are connections.
    const clientBackends = "from pg_stat_activity where usename = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'";

    await adminQuery(`create role ${app.user} login password ${quote(app.password)}`);
    await adminQuery(`create database ${app.database} owner ${app.user}`);

    let stopping: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      caPem: certs.caPem,
      caFile: certs.caFile,
      superuser,
      app,
      maxConnections,
      dataDir,
      logFile,
      clientConfig,
      adminQuery,
      async backendPids(user = app.user) {
        const rows = await adminQuery<{ pid: number }>(`select pid ${clientBackends} order by pid`, [user]);
        return rows.map((row) => row.pid);
      },
      async terminateBackends(user = app.user) {
        // Materialized first, so the planner cannot call pg_terminate_backend before the filters.
        // The timeout (PostgreSQL 14+) waits until each backend has actually exited.
        const rows = await adminQuery<{ n: number }>(
          `with victims as materialized (select pid ${clientBackends})
           select (count(*) filter (where pg_terminate_backend(pid, 10000)))::int as n from victims`,
          [user],
        );
        return rows[0].n;
      },
      async restart() {
        await pgCtl(['-l', logFile, '-m', 'fast', '-w', '-t', '60', 'restart']);
      },
      stop() {
        stopping ??= (async () => {
          await pgCtl(['-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => undefined);
          await guard.cleanup(); // kills whatever survived, removes the directory
        })();
        return stopping;
      },
    };
  } catch (error) {
    const log = logTail(logFile);
    await guard.cleanup();
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n--- postgres.log ---\n${log}`, { cause: error });
  }
}
