/**
 * Names that reach SQL. Every identifier is validated against a strict pattern (so a bad name is
 * a clear error before any SQL runs) AND quoted when written into a statement, so an injection
 * would need to defeat both.
 */

/** Letters, digits and underscores, not starting with a digit: valid unquoted in both engines and in IAM user ARNs. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names owned by the engine or by RDS: a consumer user must never take or alter them. */
const RESERVED_USERS = /^(pg_|rds|mysql\.|aws)|^(root|postgres|public|admin|mysql|none|current_user|session_user|current_role)$/i;

export type Engine = 'postgresql' | 'mysql';

/** Longest identifiers each engine accepts (MySQL 8 user names: 32 characters). */
const MAX_LENGTH: Record<Engine, { user: number; object: number }> = {
  postgresql: { user: 63, object: 63 },
  mysql: { user: 32, object: 64 },
};

export class InvalidIdentifierError extends Error {}

/** Returns `value` if it is a safe identifier of `what`, or throws an error naming it. */
export function requireIdentifier(engine: Engine, kind: 'user' | 'object', what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidIdentifierError(`${what} is missing or not a string`);
  }
  const max = MAX_LENGTH[engine][kind];
  if (value.length > max || !IDENTIFIER.test(value)) {
    throw new InvalidIdentifierError(
      `${what} ${JSON.stringify(value.slice(0, 80))} is not a valid name: use 1 to ${max} letters, digits or underscores, not starting with a digit`,
    );
  }
  return value;
}

/** A user name: an identifier that is not reserved by the engine, RDS, or the master user. */
export function requireUserName(engine: Engine, value: unknown, masterUser?: string): string {
  const name = requireIdentifier(engine, 'user', 'User name', value);
  if (RESERVED_USERS.test(name) || (masterUser !== undefined && name.toLowerCase() === masterUser.toLowerCase())) {
    throw new InvalidIdentifierError(`User name ${JSON.stringify(name)} is reserved (engine, RDS or master user)`);
  }
  return name;
}

/** `"name"` for PostgreSQL, embedded quotes doubled. */
export function pgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `` `name` `` for MySQL, embedded backticks doubled. */
export function myIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** A MySQL string literal, for account names and authentication strings. */
export function myString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * A database name in a database-level MySQL grant: `_` and `%` are wildcards there, so they are
 * escaped, or `app_db` would also match `appXdb`.
 */
export function myDatabasePattern(name: string): string {
  return name.replace(/[_%]/g, (c) => `\\${c}`);
}
