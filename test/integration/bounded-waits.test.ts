import { inAppDatabase, sleep } from './environment-setup';
import { FaultRelay } from './fault-relay';
import { bundleHandler } from './lambda/bundle-handler';
import { ExecutionEnvironment } from './lambda/execution-environment';
import { MariaDbServer, PostgresServer, startMariaDb, startPostgres } from './servers';
import { RuntimeEvent } from '../../runtime/events';
import { HelperOptions } from '../../runtime/helper-options';
import { ServerlessMysqlPool } from '../../runtime/mysql';
import { ServerlessPostgresPool } from '../../runtime/postgres';

/** What the tests need of either helper. */
interface PoolUnderTest {
  query(sql: string, values?: unknown[]): Promise<unknown>;
  connectionId(): Promise<number>;
  readonly totalCount: number;
  setInvocationContext(context: { getRemainingTimeInMillis(): number } | undefined): void;
  end(): Promise<void>;
}

/** A real server of one engine, and how to talk to it. */
interface Engine {
  readonly name: string;
  readonly handler: string;
  readonly insert: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly port: number;
  readonly caPem: string;
  readonly caFile: string;
  readonly password: string;
  environment(port: number): Record<string, string>;
  pool(port: number, options: HelperOptions): PoolUnderTest;
  /** The app user's connections the server has now. */
  serverConnections(): Promise<number>;
}

function postgres(): Engine {
  let server: PostgresServer;
  return {
    name: 'PostgreSQL',
    handler: 'test/fixtures/fault-postgres-handler.ts',
    insert: 'INSERT INTO writes (id) VALUES ($1)',
    async start() {
      server = await startPostgres();
      await inAppDatabase(server, 'CREATE TABLE writes (id text PRIMARY KEY)', `GRANT ALL ON writes TO ${server.app.user}`);
    },
    stop: async () => server?.stop(),
    get port() { return server.port; },
    get caPem() { return server.caPem; },
    get caFile() { return server.caFile; },
    get password() { return server.app.password; },
    environment: (port) => ({ SERVERLESS_RDS_ENGINE: 'postgresql', SERVERLESS_RDS_HOST: '127.0.0.1', SERVERLESS_RDS_PORT: String(port), SERVERLESS_RDS_DATABASE: server.app.database, SERVERLESS_RDS_USER: server.app.user }),
    pool(port, options) {
      const pool = new ServerlessPostgresPool({ host: '127.0.0.1', port, database: server.app.database, user: server.app.user, password: server.app.password, connections: 1, tls: { ca: server.caPem }, ...options });
      return Object.assign(pool, { connectionId: async () => (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid });
    },
    serverConnections: async () => (await server.backendPids()).length,
  };
}

function mariadb(): Engine {
  let server: MariaDbServer;
  return {
    name: 'MariaDB',
    handler: 'test/fixtures/fault-mysql-handler.ts',
    insert: 'INSERT INTO writes (id) VALUES (?)',
    async start() {
      server = await startMariaDb();
      await server.adminQuery(`CREATE TABLE ${server.app.database}.writes (id varchar(64) PRIMARY KEY)`);
    },
    stop: async () => server?.stop(),
    get port() { return server.port; },
    get caPem() { return server.caPem; },
    get caFile() { return server.caFile; },
    get password() { return server.app.password; },
    environment: (port) => ({ SERVERLESS_RDS_ENGINE: 'mysql', SERVERLESS_RDS_HOST: '127.0.0.1', SERVERLESS_RDS_PORT: String(port), SERVERLESS_RDS_DATABASE: server.app.database, SERVERLESS_RDS_USER: server.app.user }),
    pool(port, options) {
      const pool = new ServerlessMysqlPool({ host: '127.0.0.1', port, database: server.app.database, user: server.app.user, password: server.app.password, connections: 1, tls: { ca: server.caPem }, ...options });
      return Object.assign(pool, { connectionId: async () => Number((await pool.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id'))[0].id) });
    },
    serverConnections: async () => (await server.connectionIds()).length,
  };
}

/** Polls until `check` holds (servers notice a closed connection a moment later). */
async function eventually(check: () => Promise<boolean>, attempts = 50): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

const invocation = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

describe.each([postgres(), mariadb()])('bounded waits of the runtime helper, through a fault-injecting relay in front of a real $name', (engine) => {
  let relay: FaultRelay;
  const pools: PoolUnderTest[] = [];
  let nextId = 0;
  const id = () => `write-${nextId++}`;

  function pool(options: HelperOptions = {}, events?: RuntimeEvent[]): PoolUnderTest {
    const created = engine.pool(relay.port, { onEvent: (event) => events?.push(event), ...options });
    pools.push(created);
    return created;
  }

  beforeAll(async () => {
    await engine.start();
  });

  beforeEach(async () => {
    relay = await FaultRelay.start(engine.port);
  });

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end().catch(() => undefined)));
    await relay.stop();
  });

  afterAll(async () => {
    await engine.stop();
  });

  test('a statement on a connection gone silent fails at the query timeout; the connection is closed and the next statement gets a new one', async () => {
    const db = pool({ queryTimeoutMs: 1000 });
    const first = await db.connectionId();
    expect(relay.goSilent()).toBe(1);

    await expect(db.query(engine.insert, [id()])).rejects.toThrow(/timeout|no answer/i);
    expect(db.totalCount).toBe(0);
    // The server saw the client go away: its session is gone, nothing is left holding a slot.
    expect(await eventually(async () => (await engine.serverConnections()) === 0)).toBe(true);

    const second = await db.connectionId();
    expect(second).not.toBe(first);
    expect(relay.accepted).toBe(2);
  });

  test('with the invocation\'s context, a silent statement fails before the function times out, although queryTimeoutMs is longer', async () => {
    const db = pool({ queryTimeoutMs: 60_000 });
    await db.connectionId();
    relay.goSilent();
    const functionTimeoutMs = 2000;
    db.setInvocationContext(invocation(functionTimeoutMs));

    const startedAt = Date.now();
    await expect(db.query(engine.insert, [id()])).rejects.toThrow(/timeout|no answer/i);
    expect(Date.now() - startedAt).toBeLessThan(functionTimeoutMs);
    expect(db.totalCount).toBe(0);
  });

  test('a slow handshake (a saturated proxy) is waited for, as long as the proxy\'s borrow timeout, not retried', async () => {
    const events: RuntimeEvent[] = [];
    const db = pool({}, events);
    relay.delayServerGreeting(6000); // longer than the 5 s the helper used to give up after

    await expect(db.connectionId()).resolves.toEqual(expect.any(Number));
    expect(relay.accepted).toBe(1);
    expect(events.filter((event) => event.type === 'retry')).toEqual([]);
  });

  test('opening a connection never waits or retries past the invocation\'s time', async () => {
    const events: RuntimeEvent[] = [];
    const db = pool({}, events);
    relay.delayServerGreeting(6000);
    const functionTimeoutMs = 2000;
    db.setInvocationContext(invocation(functionTimeoutMs));

    const startedAt = Date.now();
    await expect(db.query(engine.insert, [id()])).rejects.toThrow();
    expect(Date.now() - startedAt).toBeLessThan(functionTimeoutMs);
    expect(relay.accepted).toBe(1);
    expect(events.filter((event) => event.type === 'retry')).toEqual([]);
  });

  test('retries of refused connections stop before the invocation\'s time runs out', async () => {
    const events: RuntimeEvent[] = [];
    const db = pool({}, events);
    relay.refuseNew(true);
    const functionTimeoutMs = 1500;
    db.setInvocationContext(invocation(functionTimeoutMs));

    const startedAt = Date.now();
    await expect(db.query(engine.insert, [id()])).rejects.toThrow();
    const elapsedMs = Date.now() - startedAt;
    const retries = events.filter((event): event is Extract<RuntimeEvent, { type: 'retry' }> => event.type === 'retry');
    expect(relay.accepted).toBe(retries.length + 1);
    expect(retries.reduce((sum, retry) => sum + retry.delayMs, 0)).toBeLessThan(functionTimeoutMs);
    expect(elapsedMs).toBeLessThan(functionTimeoutMs);
  });

  test('statement errors (a duplicate key) keep the connection: one connection for all the invocations', async () => {
    const db = pool();
    const ids = Array.from({ length: 20 }, (_, i) => (i % 4 === 3 ? `dup-${engine.name}` : id()));
    const outcomes = [];
    for (const writeId of ids) outcomes.push(await db.query(engine.insert, [writeId]).then(() => 'ok', () => 'failed'));
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(4); // every repeat of the duplicate
    expect(relay.accepted).toBe(1);
    expect(db.totalCount).toBe(1);
    expect(await engine.serverConnections()).toBe(1);
  });

  test('a connection the server closed (FIN) while the environment was frozen is never handed to the next invocation', async () => {
    const environment = await ExecutionEnvironment.start(bundleHandler(engine.handler), {
      ...engine.environment(relay.port), FAULT_TEST_PASSWORD: engine.password, NODE_EXTRA_CA_CERTS: engine.caFile,
    });
    try {
      const outcomes = [];
      outcomes.push(await environment.invoke({ id: id() }, 10_000));
      for (let round = 0; round < 5; round++) {
        environment.freeze();
        expect(relay.closeWithFin()).toBe(1);
        await sleep(200); // the FIN waits in the frozen process's socket
        environment.thaw();
        // Invoked at once, well inside validateAfterIdleMs: no check query runs on this path.
        outcomes.push(await environment.invoke({ id: id() }, 10_000));
      }
      expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.message))).toEqual(Array(6).fill('ok'));
      const events = outcomes.flatMap((o) => (o.ok ? o.result.events as string[] : []));
      expect(events.filter((e) => e === 'connected')).toHaveLength(6);
      expect(events.filter((e) => e === 'retry')).toEqual([]);
      expect(relay.accepted).toBe(6);
    } finally {
      await environment.stop();
    }
  });
});

describe('MySQL TLS through a relay addressed by IP', () => {
  let server: MariaDbServer;
  let relay: FaultRelay;

  beforeAll(async () => {
    server = await startMariaDb();
    relay = await FaultRelay.start(server.port);
  });

  afterAll(async () => {
    await relay?.stop();
    await server?.stop();
  });

  async function connectWith(tls: { ca: string; servername?: string }): Promise<number> {
    const db = new ServerlessMysqlPool({ host: '127.0.0.1', port: relay.port, database: server.app.database, user: server.app.user, password: server.app.password, tls });
    try {
      return Number((await db.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id'))[0].id);
    } finally {
      await db.end();
    }
  }

  test('the certificate is checked against the servername given, not the address connected to', async () => {
    // The test certificate names localhost and 127.0.0.1.
    await expect(connectWith({ ca: server.caPem, servername: 'localhost' })).resolves.toEqual(expect.any(Number));
    await expect(connectWith({ ca: server.caPem, servername: 'db.example.invalid' })).rejects.toThrow(/db\.example\.invalid/);
  });

  test('without a servername, an IP address is checked against the certificate\'s IP addresses', async () => {
    await expect(connectWith({ ca: server.caPem })).resolves.toEqual(expect.any(Number));
  });
});
