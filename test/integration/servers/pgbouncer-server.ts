import * as path from 'path';
import { ClientConfig } from 'pg';
import { freePort } from './free-port';
import { PostgresServer } from './postgres-server';
import {
  guardAgainstLeaks, logTail, makeTempDir, postgresOsUser, stopChild, writePrivateFile,
} from './server-process';
import { launchPgBouncer } from './pgbouncer-process';
import { createTestCertificates } from './test-certificates';

export interface PgBouncerOptions {
  /** `default_pool_size`: server connections per (user, database). @default 5 */
  readonly poolSize?: number;
  /** `max_client_conn`. @default 200 */
  readonly maxClientConn?: number;
}

/**
 * PgBouncer in transaction pooling mode in front of a test PostgreSQL: the local stand-in for RDS
 * Proxy (many client connections multiplexed onto a few server connections, TLS required).
 */
export interface PgBouncerServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** PgBouncer has its own test CA, as RDS Proxy has its own certificate. */
  readonly caPem: string;
  readonly caFile: string;
  readonly poolSize: number;
  /** The app user on database `app` through PgBouncer, TLS verified against `caPem`. */
  clientConfig(): ClientConfig;
  /**
   * How many connections app_user has open on PostgreSQL, i.e. PgBouncer's server connections
   * (plus any direct connections the test itself made as app_user).
   */
  serverConnections(): Promise<number>;
  /** Stops PgBouncer and deletes its files. Idempotent. */
  stop(): Promise<void>;
}

export async function startPgBouncer(upstream: PostgresServer, options: PgBouncerOptions = {}): Promise<PgBouncerServer> {
  const poolSize = options.poolSize ?? 5;
  const osUser = postgresOsUser(); // PgBouncer refuses to run as root too
  const root = makeTempDir('pgbouncer-it-', osUser);
  const logFile = path.join(root, 'pgbouncer.log');
  const pidFile = path.join(root, 'pgbouncer.pid');
  const guard = guardAgainstLeaks({ pidFile, signal: 'KILL', dir: root });

  try {
    const port = await freePort();
    const certs = await createTestCertificates(path.join(root, 'tls'), osUser);
    const userlist = path.join(root, 'userlist.txt');
    // A plain-text password lets PgBouncer run SCRAM with the client AND with PostgreSQL itself.
    // (A SCRAM verifier here would only work for the server side with SCRAM pass-through.)
    writePrivateFile(userlist, `"${upstream.app.user}" "${upstream.app.password}"\n`, osUser);
    const ini = path.join(root, 'pgbouncer.ini');
    writePrivateFile(ini, [
      '[databases]',
      `${upstream.app.database} = host=${upstream.host} port=${upstream.port} dbname=${upstream.app.database}`,
      '',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =', // no socket in the shared /tmp
      'auth_type = scram-sha-256',
      `auth_file = ${userlist}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'reserve_pool_size = 0',
      `max_client_conn = ${options.maxClientConn ?? 200}`,
      // node-postgres / drivers send these; PgBouncer would otherwise reject the login.
      'ignore_startup_parameters = extra_float_digits,options',
      'client_tls_sslmode = require',
      `client_tls_cert_file = ${certs.certFile}`,
      `client_tls_key_file = ${certs.keyFile}`,
      'server_tls_sslmode = verify-full',
      `server_tls_ca_file = ${upstream.caFile}`,
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'), osUser);

    const { child, clientConfig } = await launchPgBouncer({
      ini, root, osUser, logFile, pidFile, port, caPem: certs.caPem, upstream, label: 'PgBouncer to accept a TLS login',
    });

    let stopping: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      caPem: certs.caPem,
      caFile: certs.caFile,
      poolSize,
      clientConfig,
      async serverConnections() {
        return (await upstream.backendPids(upstream.app.user)).length;
      },
      stop() {
        stopping ??= (async () => {
          await stopChild(child, 'SIGTERM'); // SIGTERM = immediate shutdown in PgBouncer 1.18
          await guard.cleanup();
        })();
        return stopping;
      },
    };
  } catch (error) {
    const log = logTail(logFile); // in the foreground PgBouncer logs to stderr
    await guard.cleanup();
    throw new Error(`PgBouncer did not start: ${(error as Error).message}\n--- pgbouncer log ---\n${log}`, { cause: error });
  }
}
