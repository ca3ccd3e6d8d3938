/**
 * Classifies errors raised while opening or checking a connection, before any statement of the
 * caller was sent: those are safe to retry. Errors of a statement itself are never retried here,
 * because the statement may have run.
 */

/** Socket-level failures: the server, proxy or network is not there right now. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN',
  // mysql2
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/** SQLSTATEs a PostgreSQL server or pooler sends while it cannot take the connection yet. */
const POSTGRES_TRANSIENT_STATES = new Set([
  '57P01', // admin_shutdown: terminated (failover, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '08P01', // PgBouncer reports pool and server login trouble with this code
]);

/** MySQL error numbers of the same kind. */
const MYSQL_TRANSIENT_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1927, // ER_CONNECTION_KILLED (MariaDB)
  2002, 2003, 2006, 2013, // client: cannot connect, server gone, lost connection
]);

const POSTGRES_AUTH_STATES = new Set(['28P01', '28000']);
const MYSQL_AUTH_ERRNOS = new Set([1045]);

interface DriverError {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly message?: unknown;
}

/** True when the error says the connection could not be opened or was lost: worth another try. */
export function isTransientConnectionError(error: unknown): boolean {
  const e = (error ?? {}) as DriverError;
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || POSTGRES_TRANSIENT_STATES.has(e.code))) return true;
  if (typeof e.errno === 'number' && MYSQL_TRANSIENT_ERRNOS.has(e.errno)) return true;
  // node-postgres reports a closed socket and its own connect timeout by message only.
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message);
}

/** True when the server refused the credentials (a token or password that is stale). */
export function isAuthenticationError(error: unknown): boolean {
  const e = (error ?? {}) as DriverError;
  return (typeof e.code === 'string' && POSTGRES_AUTH_STATES.has(e.code))
    || (typeof e.errno === 'number' && MYSQL_AUTH_ERRNOS.has(e.errno));
}
