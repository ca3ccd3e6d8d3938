import * as path from 'path';
import { ClientConfig } from 'pg';
import { freePort } from './free-port';
import { PostgresServer } from './postgres-server';
import {
  guardAgainstLeaks, logTail, makeTempDir, postgresOsUser, stopChild, writePrivateFile,
} from './server-process';
import { launchPgBouncer } from './pgbouncer-process';
import { createTestCertificates } from './test-certificates';
import { PgBouncerConfig, PgBouncerConfigOptions, pgBouncerConfig, pgBouncerUserlistLine } from '../../../lib/pooler/pgbouncer-config';

/** The figures of the library's generator; the files, ports and host are the test's. */
export type GeneratedPgBouncerOptions = Pick<PgBouncerConfigOptions, 'serverConnections' | 'clientConnections' | 'tasks' | 'queryWaitTimeoutSeconds'>;

/** A real PgBouncer process running the configuration the library generates. */
export interface GeneratedPgBouncer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly caPem: string;
  readonly caFile: string;
  /** What the generator returned, `ini` included. */
  readonly config: PgBouncerConfig;
  /** The app user through this PgBouncer, TLS verified against its own CA. */
  clientConfig(): ClientConfig;
  stop(): Promise<void>;
}

/**
 * Starts Debian's pgbouncer with `pgBouncerConfig()` in front of `upstream`: the user list holds
 * the app user's password as the container's start command writes it from the secret.
 */
export async function startGeneratedPgBouncer(upstream: PostgresServer, options: GeneratedPgBouncerOptions): Promise<GeneratedPgBouncer> {
  const osUser = postgresOsUser();
  const root = makeTempDir('pgbouncer-gen-', osUser);
  const logFile = path.join(root, 'pgbouncer.log');
  const pidFile = path.join(root, 'pgbouncer.pid');
  const guard = guardAgainstLeaks({ pidFile, signal: 'KILL', dir: root });
  try {
    const port = await freePort();
    const certs = await createTestCertificates(path.join(root, 'tls'), osUser);
    const authFile = path.join(root, 'userlist.txt');
    writePrivateFile(authFile, `${pgBouncerUserlistLine(upstream.app.user, upstream.app.password)}\n`, osUser);
    const config = pgBouncerConfig({
      ...options,
      databaseName: upstream.app.database,
      // verify-full: the test server's certificate names localhost.
      serverHost: 'localhost',
      serverPort: upstream.port,
      listenPort: port,
      listenAddress: '127.0.0.1',
      authFile,
      clientTlsCertFile: certs.certFile,
      clientTlsKeyFile: certs.keyFile,
      serverTlsCaFile: upstream.caFile,
    });
    const ini = path.join(root, 'pgbouncer.ini');
    writePrivateFile(ini, config.ini, osUser);
    const { child, clientConfig } = await launchPgBouncer({
      ini, root, osUser, logFile, pidFile, port, caPem: certs.caPem, upstream, label: 'the generated PgBouncer to accept a TLS login',
    });

    let stopping: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      caPem: certs.caPem,
      caFile: certs.caFile,
      config,
      clientConfig,
      stop() {
        stopping ??= (async () => {
          await stopChild(child, 'SIGTERM');
          await guard.cleanup();
        })();
        return stopping;
      },
    };
  } catch (error) {
    const log = logTail(logFile);
    await guard.cleanup();
    throw new Error(`The generated PgBouncer did not start: ${(error as Error).message}\n--- pgbouncer log ---\n${log}`, { cause: error });
  }
}
