/**
 * The PgBouncer configuration a connection budget implies: transaction pooling, TLS on both sides,
 * and server connections that never exceed what the budget gives the pooler, however many clients
 * connect. Pure: the same input always gives the same text; the files it names are written by
 * whoever runs PgBouncer (the container's start command, or a test).
 */
import { Token } from 'aws-cdk-lib';
import { BudgetPlan } from '../budget/budget-plan';

/** How PgBouncer checks the passwords clients send, and which password it logs in with. */
export enum PgBouncerAuthMode {
  /**
   * `auth_file` holds the user and the password read from the database secret when the task
   * starts: PgBouncer runs SCRAM with the client and with PostgreSQL with the same password.
   */
  AUTH_FILE = 'AUTH_FILE',
  /**
   * `auth_file` holds only `authUser`; every other user's SCRAM verifier is looked up with
   * `auth_query` (a rotated password is seen on the next login, with no restart).
   */
  AUTH_QUERY = 'AUTH_QUERY',
}

/** Inputs of `pgBouncerConfig()`. */
export interface PgBouncerConfigOptions {
  /** The database clients name; PgBouncer forwards it to the same database on the server. */
  readonly databaseName: string;
  /** The database instance's host name. */
  readonly serverHost: string;
  /** The database instance's port. */
  readonly serverPort: number;
  /** The port PgBouncer listens on. */
  readonly listenPort: number;
  /**
   * Server connections the budget gives the pooler, for all its tasks together. Each task gets
   * `floor(serverConnections / tasks)` as both `default_pool_size` and `max_db_connections`.
   */
  readonly serverConnections: number;
  /**
   * Client connections the budget's consumers may open through the pooler. Every task accepts
   * all of them (`max_client_conn`): when one task fails, the other takes its clients.
   */
  readonly clientConnections: number;
  /** Tasks sharing `serverConnections`. @default 1 */
  readonly tasks?: number;
  /** Where the user list lives. */
  readonly authFile: string;
  /** @default PgBouncerAuthMode.AUTH_FILE */
  readonly authMode?: PgBouncerAuthMode;
  /** The user `auth_query` runs as (AUTH_QUERY only). @default 'pgbouncer_auth' */
  readonly authUser?: string;
  /** PgBouncer's own certificate, presented to clients. */
  readonly clientTlsCertFile: string;
  /** Its private key. */
  readonly clientTlsKeyFile: string;
  /** CA bundle the database's certificate must chain to (the RDS CA bundle). */
  readonly serverTlsCaFile: string;
  /** @default '0.0.0.0' */
  readonly listenAddress?: string;
  /** @default '' (no Unix socket) */
  readonly unixSocketDir?: string;
  /** Seconds a client waits for a server connection before PgBouncer gives up. @default 30 */
  readonly queryWaitTimeoutSeconds?: number;
}

/** What `pgBouncerConfig()` returns. */
export interface PgBouncerConfig {
  /** The `pgbouncer.ini` text. */
  readonly ini: string;
  /** The pool figures, as written in `ini`. */
  readonly poolSizePerTask: number;
  readonly maxDbConnectionsPerTask: number;
  readonly maxClientConnections: number;
  /** Server connections of every task together: never more than `serverConnections`. */
  readonly serverConnectionsAllTasks: number;
}

/** The two figures of a budget PgBouncer is configured with. */
export interface PgBouncerPool {
  /** The pool the budget gives PgBouncer, for all its tasks: server connections. */
  readonly serverConnections: number;
  /** What the budget's consumers may open through PgBouncer: client connections (at least 1). */
  readonly clientConnections: number;
}

/** Reads PgBouncer's figures from a plan computed for `PoolerKind.PGBOUNCER`. */
export function pgBouncerPool(plan: BudgetPlan): PgBouncerPool {
  if ((plan.pooler ?? 'RDS Proxy') !== 'PgBouncer') {
    throw new Error(`The budget was computed for ${plan.pooler ?? 'RDS Proxy'}, not for PgBouncer`);
  }
  return {
    // The allocatable pool, not the allocated part: connections the consumers do not take stay
    // usable by every client, and never exceed what the budget set aside for the pooler.
    serverConnections: Math.max(1, plan.proxyAllocatable),
    clientConnections: Math.max(1, plan.proxyConnectionsAllocated),
  };
}

/** Startup parameters that drivers send and PgBouncer does not track: refused otherwise. */
const IGNORED_STARTUP_PARAMETERS = 'extra_float_digits,options';

export function pgBouncerConfig(options: PgBouncerConfigOptions): PgBouncerConfig {
  const tasks = options.tasks ?? 1;
  requirePositiveInteger(tasks, 'tasks');
  requirePositiveInteger(options.serverConnections, 'serverConnections');
  requirePositiveInteger(options.clientConnections, 'clientConnections');
  requirePositiveInteger(options.listenPort, 'listenPort');
  requirePositiveInteger(options.serverPort, 'serverPort');
  const perTask = Math.floor(options.serverConnections / tasks);
  if (perTask < 1) {
    throw new Error(`PgBouncer: ${options.serverConnections} server connections cannot be shared by ${tasks} tasks (each needs at least 1)`);
  }
  requireConfigValue(options.databaseName, 'databaseName');
  requireConfigValue(options.serverHost, 'serverHost');
  const mode = options.authMode ?? PgBouncerAuthMode.AUTH_FILE;
  const authUser = options.authUser ?? 'pgbouncer_auth';
  const lines = [
    '[databases]',
    // One pool per (database, user); max_db_connections caps all pools of the database together.
    `${options.databaseName} = host=${options.serverHost} port=${options.serverPort} dbname=${options.databaseName}`,
    '',
    '[pgbouncer]',
    `listen_addr = ${options.listenAddress ?? '0.0.0.0'}`,
    `listen_port = ${options.listenPort}`,
    `unix_socket_dir = ${options.unixSocketDir ?? ''}`,
    'auth_type = scram-sha-256',
    `auth_file = ${options.authFile}`,
    ...(mode === PgBouncerAuthMode.AUTH_QUERY
      ? [`auth_user = ${authUser}`, 'auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename=$1']
      : []),
    // A server connection serves one transaction at a time: many clients share few connections.
    'pool_mode = transaction',
    `default_pool_size = ${perTask}`,
    'min_pool_size = 0',
    // No reserve pool: it would open connections beyond the budget.
    'reserve_pool_size = 0',
    `max_db_connections = ${perTask}`,
    `max_client_conn = ${options.clientConnections}`,
    `query_wait_timeout = ${options.queryWaitTimeoutSeconds ?? 30}`,
    'server_idle_timeout = 600',
    'server_lifetime = 3600',
    `ignore_startup_parameters = ${IGNORED_STARTUP_PARAMETERS}`,
    // Clients must use TLS; PgBouncer verifies the database's certificate and host name.
    'client_tls_sslmode = require',
    `client_tls_cert_file = ${options.clientTlsCertFile}`,
    `client_tls_key_file = ${options.clientTlsKeyFile}`,
    'client_tls_protocols = tlsv1.2,tlsv1.3',
    'server_tls_sslmode = verify-full',
    `server_tls_ca_file = ${options.serverTlsCaFile}`,
    'server_tls_protocols = tlsv1.2,tlsv1.3',
    'log_connections = 0',
    'log_disconnections = 0',
    'log_pooler_errors = 1',
    'stats_period = 60',
    '',
  ];
  return {
    ini: lines.join('\n'),
    poolSizePerTask: perTask,
    maxDbConnectionsPerTask: perTask,
    maxClientConnections: options.clientConnections,
    serverConnectionsAllTasks: perTask * tasks,
  };
}

/**
 * One line of PgBouncer's `auth_file`: the user and a plain password (PgBouncer then runs SCRAM
 * with the client and with PostgreSQL), or a SCRAM verifier (`SCRAM-SHA-256$...`).
 */
export function pgBouncerUserlistLine(user: string, passwordOrVerifier: string): string {
  const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
  return `${quote(user)} ${quote(passwordOrVerifier)}`;
}

function requirePositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`PgBouncer: ${name} must be a positive whole number, got ${value}`);
  }
}

/** Values that end up in `key = value` lines must not smuggle in another line or a comment. */
function requireConfigValue(value: string, name: string): void {
  if (Token.isUnresolved(value)) {
    return; // an attribute CloudFormation fills in (the instance's endpoint)
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(value)) {
    throw new Error(`PgBouncer: ${name} '${value}' may only contain letters, digits, '_', '.' and '-'`);
  }
}
