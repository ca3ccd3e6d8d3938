/**
 * Proves the real-server fixtures in ./servers behave like the RDS setups they stand in for:
 * TLS and SCRAM enforced, connection limits as configured, and the kill/restart helpers really
 * drop connections. Needs postgresql, pgbouncer and mariadb-server installed locally.
 */
import { createConnection } from 'mysql2/promise';
import { Client, ClientConfig } from 'pg';
import { MariaDbServer, PgBouncerServer, PostgresServer, startMariaDb, startPgBouncer, startPostgres } from './servers';

/** A connected pg client whose asynchronous 'error' (e.g. the server killed it) does not crash Jest. */
async function connectPg(config: ClientConfig): Promise<Client> {
  const client = new Client(config);
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Connects and disconnects; rejects with the server's (or TLS layer's) refusal. */
async function tryPgLogin(config: ClientConfig): Promise<void> {
  const client = await connectPg(config);
  await client.end();
}

describe('PostgreSQL test server', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres({ maxConnections: 400, extraHba: ['hostssl all iam_user 127.0.0.1/32 trust'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('the app user logs in over verified TLS with a SCRAM password', async () => {
    const client = await connectPg(server.clientConfig());
    try {
      const { rows } = await client.query('select current_user, current_database(), ssl from pg_stat_ssl where pid = pg_backend_pid()');
      expect(rows).toEqual([{ current_user: 'app_user', current_database: 'app', ssl: true }]);
      expect((await client.query('show password_encryption')).rows).toEqual([{ password_encryption: 'scram-sha-256' }]);
    } finally {
      await client.end();
    }
    const [stored] = await server.adminQuery("select rolpassword from pg_authid where rolname = 'app_user'");
    expect(stored.rolpassword).toMatch(/^SCRAM-SHA-256\$/);
  });

  test('pg_hba.conf has the extra lines first, then TLS + SCRAM only', async () => {
    const rules = await server.adminQuery('select type, user_name, address, auth_method from pg_hba_file_rules order by line_number');
    expect(rules).toEqual([
      { type: 'hostssl', user_name: ['iam_user'], address: '127.0.0.1', auth_method: 'trust' },
      { type: 'hostssl', user_name: ['all'], address: '127.0.0.1', auth_method: 'scram-sha-256' },
      { type: 'hostnossl', user_name: ['all'], address: '127.0.0.1', auth_method: 'reject' },
    ]);
    // The extra line wins over the SCRAM default: a password-less role gets in.
    await server.adminQuery('create role iam_user login');
    const { password: _password, ...withoutPassword } = server.clientConfig('app');
    await expect(tryPgLogin({ ...withoutPassword, user: 'iam_user' })).resolves.toBeUndefined();
  });

  test('refuses connections without TLS', async () => {
    await expect(tryPgLogin({ ...server.clientConfig(), ssl: false })).rejects.toThrow(/pg_hba\.conf rejects connection .*no encryption/);
  });

  test('a client that does not trust the test CA fails certificate verification', async () => {
    const error = await tryPgLogin({ ...server.clientConfig(), ssl: { rejectUnauthorized: true } }).catch((e) => e);
    // The server sends only its own certificate, so OpenSSL cannot find the issuer.
    expect(error.code).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/);
  });

  test('max_connections is the configured value', async () => {
    expect(server.maxConnections).toBe(400);
    const [row] = await server.adminQuery('show max_connections');
    expect(row.max_connections).toBe('400');
  });

  test('terminateBackends kills a held connection', async () => {
    const client = await connectPg(server.clientConfig());
    const { rows: [{ pid }] } = await client.query('select pg_backend_pid() as pid');
    expect(await server.backendPids()).toContain(pid);

    expect(await server.terminateBackends()).toBeGreaterThanOrEqual(1);

    await expect(client.query('select 1')).rejects.toThrow();
    expect(await server.backendPids()).not.toContain(pid);
  });

  test('restart drops connections and the server comes back on the same port', async () => {
    const held = await connectPg(server.clientConfig());
    const port = server.port;

    await server.restart();

    await expect(held.query('select 1')).rejects.toThrow();
    expect(server.port).toBe(port);
    const fresh = await connectPg(server.clientConfig());
    expect((await fresh.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await fresh.end();
  });
});

describe('PgBouncer test server (RDS Proxy stand-in)', () => {
  let upstream: PostgresServer;
  let bouncer: PgBouncerServer;

  beforeAll(async () => {
    upstream = await startPostgres();
    bouncer = await startPgBouncer(upstream, { poolSize: 2 });
  });
  afterAll(async () => {
    await bouncer?.stop();
    await upstream?.stop();
  });

  test('multiplexes 10 clients onto at most 2 server connections (transaction pooling)', async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => connectPg(bouncer.clientConfig())));
    try {
      const started = Date.now();
      let running = true;
      const queries = Promise.all(clients.map((client) => client.query('select pg_sleep(0.2)'))).finally(() => {
        running = false;
      });
      // Sample PostgreSQL's side while the 10 queries are in flight.
      const samples: number[] = [];
      while (running) samples.push(await bouncer.serverConnections());
      await queries;
      const elapsed = Date.now() - started;

      expect(Math.max(...samples)).toBeLessThanOrEqual(2);
      expect(await bouncer.serverConnections()).toBeLessThanOrEqual(2);
      // 10 queries of 0.2 s over 2 server connections run in 5 waves: about 1 s, not 0.2 s.
      expect(elapsed).toBeGreaterThanOrEqual(900);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  test('talks to PostgreSQL over TLS too', async () => {
    const client = await connectPg(bouncer.clientConfig());
    try {
      const { rows } = await client.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await client.end();
    }
  });

  test('refuses clients without TLS', async () => {
    await expect(tryPgLogin({ ...bouncer.clientConfig(), ssl: false })).rejects.toThrow(/SSL required/);
  });
});

describe('MariaDB test server', () => {
  let server: MariaDbServer;

  beforeAll(async () => {
    server = await startMariaDb({ maxConnections: 50 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('the app user connects over verified TLS', async () => {
    const connection = await createConnection(server.connectionOptions());
    try {
      const [rows] = await connection.query<any[]>("show status like 'Ssl_cipher'");
      expect(rows[0].Value).not.toBe('');
      const [[who]] = await connection.query<any[]>('select current_user() as user, database() as db');
      expect(who).toEqual({ user: 'app_user@127.0.0.1', db: 'app' });
    } finally {
      await connection.end();
    }
  });

  test('refuses TCP connections without TLS, even for users without REQUIRE SSL', async () => {
    // MariaDB reports --require-secure-transport as "Access denied" (MySQL has its own error 3159).
    const refused = /Access denied|insecure transport/;
    await expect(createConnection({ ...server.connectionOptions(), ssl: undefined })).rejects.toThrow(refused);

    await server.adminQuery("create user 'plain_user'@'127.0.0.1' identified by 'plain-password'");
    const plain = { host: server.host, port: server.port, user: 'plain_user', password: 'plain-password' };
    await expect(createConnection(plain)).rejects.toThrow(refused);
    const overTls = await createConnection({ ...plain, ssl: { ca: server.caPem, rejectUnauthorized: true } });
    await overTls.end();
  });

  test('max_connections is the configured value', async () => {
    expect(server.maxConnections).toBe(50);
    expect(await server.adminQuery('select @@max_connections as n')).toEqual([{ n: 50 }]);
  });

  test('killConnections kills a held connection', async () => {
    const connection = await createConnection(server.connectionOptions());
    connection.on('error', () => undefined);
    expect(await server.connectionIds()).toContain(connection.threadId);

    expect(await server.killConnections()).toBeGreaterThanOrEqual(1);

    await expect(connection.query('select 1')).rejects.toThrow();
    expect(await server.connectionIds()).not.toContain(connection.threadId);
  });

  test('restart drops connections and the server comes back on the same port', async () => {
    const held = await createConnection(server.connectionOptions());
    held.on('error', () => undefined);

    await server.restart();

    await expect(held.query('select 1')).rejects.toThrow();
    const fresh = await createConnection(server.connectionOptions());
    const [rows] = await fresh.query('select 1 as one');
    expect(rows).toEqual([{ one: 1 }]);
    await fresh.end();
  });
});
