import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { pgBouncerConfig } from '../../../lib/pooler/pgbouncer-config';
import { pgBouncerRunFiles, pgBouncerStartScript } from '../../../lib/pooler/pgbouncer-service';
import { createTestCertificates, freePort, PostgresServer, startPostgres } from '../servers';
import { guardAgainstLeaks, LeakGuard, logTail, makeTempDir, postgresOsUser, stopChild, waitFor } from '../servers/server-process';

/**
 * The container's start command, run as ECS runs it: `/bin/sh -c <script>` with the environment
 * the task definition gives (the generated pgbouncer.ini, the RDS CA bundle) and the secrets ECS
 * injects (user, password, certificate, key). Debian's pgbouncer stands in for the image's.
 */
describe('PgBouncer container start command', () => {
  let server: PostgresServer;
  let child: ChildProcess;
  let guard: LeakGuard;
  let root: string;
  let runDir: string;
  let port: number;
  let caPem: string;
  let logFile: string;

  beforeAll(async () => {
    server = await startPostgres({ maxConnections: 30 });
    const osUser = postgresOsUser();
    root = makeTempDir('pgbouncer-start-', osUser);
    runDir = path.join(root, 'run');
    logFile = path.join(root, 'container.log');
    guard = guardAgainstLeaks({ pidFile: path.join(root, 'pid'), signal: 'KILL', dir: root });
    // The certificate the user stores in the secret, made by a CA of theirs.
    const certs = await createTestCertificates(path.join(root, 'user-tls'));
    caPem = certs.caPem;
    port = await freePort();
    const config = pgBouncerConfig({
      databaseName: 'app', serverHost: 'localhost', serverPort: server.port, listenPort: port, listenAddress: '127.0.0.1',
      serverConnections: 8, clientConnections: 20, tasks: 2, ...pgBouncerRunFiles(runDir),
    });
    const log = fs.openSync(logFile, 'a');
    child = spawn('/bin/sh', ['-c', pgBouncerStartScript(runDir)], {
      cwd: root,
      uid: osUser?.uid,
      gid: osUser?.gid,
      stdio: ['ignore', log, log],
      env: {
        PATH: `${process.env.PATH}:/usr/sbin`,
        PGBOUNCER_INI: config.ini,
        SERVER_CA_BUNDLE: fs.readFileSync(server.caFile, 'utf8'),
        DB_USER: server.app.user,
        DB_PASSWORD: server.app.password,
        TLS_CERTIFICATE: fs.readFileSync(certs.certFile, 'utf8'),
        TLS_PRIVATE_KEY: fs.readFileSync(certs.keyFile, 'utf8'),
      },
    });
    fs.closeSync(log);
    child.on('error', () => undefined);
    if (child.pid !== undefined) fs.writeFileSync(path.join(root, 'pid'), `${child.pid}\n`);
    try {
      await waitFor('the container start command to bring PgBouncer up', async () => {
        const client = new Client(clientConfig());
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.query('select 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      }, { timeoutMs: 30_000, failFast: () => (child.exitCode !== null ? `exited ${child.exitCode}: ${logTail(logFile)}` : undefined) });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${logTail(logFile)}`, { cause: error });
    }
  });

  afterAll(async () => {
    if (child) await stopChild(child, 'SIGTERM');
    await guard?.cleanup();
    await server?.stop();
  });

  function clientConfig() {
    return {
      host: '127.0.0.1', port, user: server.app.user, password: server.app.password, database: 'app',
      ssl: { ca: caPem, servername: 'localhost', rejectUnauthorized: true }, connectionTimeoutMillis: 10_000,
    };
  }

  test('clients log in over verified TLS with the secret\'s password and reach PostgreSQL over TLS', async () => {
    const client = new Client(clientConfig());
    await client.connect();
    try {
      const { rows } = await client.query('select current_user as u');
      expect(rows[0].u).toBe(server.app.user);
    } finally {
      await client.end();
    }
    // PgBouncer's own server connection is encrypted (verify-full against the CA bundle it was given).
    const ssl = await server.adminQuery<{ ssl: boolean }>(
      "select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid) where a.usename = $1 and a.backend_type = 'client backend'", [server.app.user]);
    expect(ssl.length).toBeGreaterThan(0);
    expect(ssl.every(r => r.ssl)).toBe(true);
  });

  test('the files holding secrets are private, and the running PgBouncer keeps no password or key in its environment', () => {
    for (const file of ['userlist.txt', 'client.key']) {
      expect(fs.statSync(path.join(runDir, file)).mode & 0o077).toBe(0);
    }
    // `exec` replaced the shell: the child's pid is PgBouncer's.
    expect(fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim()).toBe('pgbouncer');
    const environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0').map(e => e.split('=')[0]);
    expect(environ).toContain('DB_USER');
    expect(environ).not.toContain('DB_PASSWORD');
    expect(environ).not.toContain('TLS_PRIVATE_KEY');
  });

  test('a plaintext client is refused', async () => {
    const client = new Client({ ...clientConfig(), ssl: false });
    client.on('error', () => undefined);
    await expect(client.connect()).rejects.toThrow(/SSL required|ssl/i);
  });
});
