import { Engine, InvalidIdentifierError, requireIdentifier, requireUserName } from '../../private/sql-identifiers';

/** Privileges a consumer may be given explicitly, by engine: anything else is refused. */
export const ALLOWED_PRIVILEGES: Record<Engine, readonly string[]> = {
  postgresql: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'],
  mysql: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'EXECUTE'],
};

/** Privileges on one table, or on every table of a schema when `table` is absent. */
export interface PrivilegeGrant {
  readonly privileges: readonly string[];
  readonly schema: string;
  readonly table?: string;
}

/** The database the users are in, and the master secret to log in with, validated. */
export interface UserDatabaseTarget {
  readonly engine: Engine;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly masterSecretArn: string;
}

/** One database login user as the custom resource describes it, validated. */
export interface UserSpec extends UserDatabaseTarget {
  readonly userName: string;
  /** Connections the database accepts for this user at once. */
  readonly connectionLimit: number;
  readonly readOnlySchemas: readonly string[];
  readonly readWriteSchemas: readonly string[];
  readonly privileges: readonly PrivilegeGrant[];
  /**
   * The secret holding this user's password (`{"username": ..., "password": ...}`, AWSCURRENT):
   * the user logs in with that password. Absent: the user logs in with IAM only.
   */
  readonly passwordSecretArn?: string;
}

/**
 * Reads the custom resource's properties (CloudFormation hands every scalar over as a string)
 * and validates every name and number before anything reaches the database.
 */
export function parseUserSpec(properties: Record<string, unknown>): UserSpec {
  const target = parseDatabaseTarget(properties);
  const { engine, database } = target;
  const schema = (what: string) => (value: unknown) => requireIdentifier(engine, 'object', what, value);
  const defaultSchema = engine === 'postgresql' ? 'public' : database;
  const readOnlySchemas = list(properties.ReadOnlySchemas, 'ReadOnlySchemas').map(schema('Read-only schema'));
  const readWriteSchemas = list(properties.ReadWriteSchemas, 'ReadWriteSchemas').map(schema('Read-write schema'));
  const privileges = list(properties.Privileges, 'Privileges').map((entry, i) => parseGrant(engine, entry, i, defaultSchema));
  return {
    ...target,
    userName: requireUserName(engine, properties.UserName),
    connectionLimit: wholeNumber(properties.ConnectionLimit, 'ConnectionLimit', 1, 100_000),
    readOnlySchemas,
    readWriteSchemas,
    privileges,
    passwordSecretArn: properties.PasswordSecretArn === undefined || properties.PasswordSecretArn === ''
      ? undefined : requireString(properties.PasswordSecretArn, 'PasswordSecretArn'),
  };
}

/** Reads and validates `Engine`, `Host`, `Port`, `Database` and `MasterSecretArn`. */
export function parseDatabaseTarget(properties: Record<string, unknown>): UserDatabaseTarget {
  const engine = properties.Engine;
  if (engine !== 'postgresql' && engine !== 'mysql') {
    throw new InvalidIdentifierError(`Engine must be 'postgresql' or 'mysql', got ${JSON.stringify(engine)}`);
  }
  return {
    engine,
    host: requireString(properties.Host, 'Host'),
    port: wholeNumber(properties.Port, 'Port', 1, 65535),
    database: requireIdentifier(engine, 'object', 'Database name', properties.Database),
    masterSecretArn: requireString(properties.MasterSecretArn, 'MasterSecretArn'),
  };
}

function parseGrant(engine: Engine, entry: unknown, index: number, defaultSchema: string): PrivilegeGrant {
  if (typeof entry !== 'object' || entry === null) {
    throw new InvalidIdentifierError(`Privileges[${index}] must be an object`);
  }
  const { Privileges: privileges, Schema: schema, Table: table } = entry as Record<string, unknown>;
  const allowed = ALLOWED_PRIVILEGES[engine];
  const names = list(privileges, `Privileges[${index}].Privileges`).map((p) => {
    const upper = typeof p === 'string' ? p.trim().toUpperCase() : '';
    if (!allowed.includes(upper)) {
      throw new InvalidIdentifierError(`Privileges[${index}]: ${JSON.stringify(p)} is not one of ${allowed.join(', ')}`);
    }
    return upper;
  });
  if (names.length === 0) {
    throw new InvalidIdentifierError(`Privileges[${index}] names no privilege`);
  }
  if (table !== undefined && names.includes('EXECUTE')) {
    throw new InvalidIdentifierError(`Privileges[${index}]: EXECUTE is granted on a schema, not on a table`);
  }
  return {
    privileges: [...new Set(names)].sort(),
    schema: schema === undefined ? defaultSchema : requireIdentifier(engine, 'object', `Privileges[${index}].Schema`, schema),
    table: table === undefined ? undefined : requireIdentifier(engine, 'object', `Privileges[${index}].Table`, table),
  };
}

/** A list property; absent or `''` counts as empty. */
export function list(value: unknown, what: string): unknown[] {
  if (value === undefined || value === '') return [];
  if (!Array.isArray(value)) throw new InvalidIdentifierError(`${what} must be a list`);
  return value;
}

export function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidIdentifierError(`${what} is missing`);
  return value;
}

export function wholeNumber(value: unknown, what: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new InvalidIdentifierError(`${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}
