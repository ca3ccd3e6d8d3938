/**
 * Which statement errors leave the connection usable. A server that answers a statement with an
 * error (a constraint, a syntax error, a lock timeout) has finished with it and the session goes
 * on; closing the connection then would only cost a new handshake and credential use. Errors
 * without a server answer (a timeout, a lost socket) or that end the session do not.
 */

/** SQLSTATE classes that end or break the session: connection exceptions, operator intervention, insufficient resources, system and internal errors. */
const POSTGRES_SESSION_ENDING_CLASSES = new Set(['08', '57', '53', '58', 'XX']);

/** A PostgreSQL server's answer to a statement, as node-postgres reports it. */
export function isPostgresStatementError(error: unknown): boolean {
  const e = (error ?? {}) as { code?: unknown; severity?: unknown };
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string'
    && e.severity !== 'FATAL' && e.severity !== 'PANIC'
    && !POSTGRES_SESSION_ENDING_CLASSES.has(e.code.slice(0, 2));
}

/** MySQL error numbers (server side) that end the session although they come as an answer. */
const MYSQL_SESSION_ENDING_ERRNOS = new Set([1053, 1927, 1317]);

/** A MySQL server's answer to a statement, as mysql2 reports it: it has a SQLSTATE and is not fatal. */
export function isMysqlStatementError(error: unknown): boolean {
  const e = (error ?? {}) as { sqlState?: unknown; errno?: unknown; fatal?: unknown };
  return typeof e.sqlState === 'string' && e.fatal !== true && typeof e.errno === 'number' && e.errno < 2000
    && !MYSQL_SESSION_ENDING_ERRNOS.has(e.errno);
}
