import { InvalidIdentifierError } from '../../private/sql-identifiers';
import { list, parseDatabaseTarget, parseUserSpec, UserDatabaseTarget, UserSpec } from './user-spec';

/** Users one resource may hold: a database's users fit one custom resource. */
export const MAX_USERS = 500;

/** Properties shared by every user of the list: given once, next to `Users`. */
const SHARED_PROPERTIES = ['Engine', 'Host', 'Port', 'Database', 'MasterSecretArn'] as const;

/** All database users of one database as the custom resource describes them, validated. */
export interface UserList extends UserDatabaseTarget {
  /** In the order given; user names are unique. */
  readonly users: readonly UserSpec[];
}

/**
 * The physical id of the resource holding the users of a database: constant, so that no change
 * (of its users, or of the database it points at) replaces the resource. A replacement would
 * delete the old resource afterwards, and its Delete would drop users (server-wide objects) the
 * new one had just applied. A failed create reports another id (the Provider framework's marker).
 */
export const USERS_PHYSICAL_ID = 'database-users';

/**
 * Reads the custom resource's properties: the shared `Engine`, `Host`, `Port`, `Database` and
 * `MasterSecretArn`, and `Users`, a list of at most {@link MAX_USERS} entries with the fields of
 * one user (`UserName`, `ConnectionLimit`, `ReadOnlySchemas`, `ReadWriteSchemas`, `Privileges`,
 * `PasswordSecretArn`). Every entry is validated as a single user is ({@link parseUserSpec});
 * a bad entry fails naming its index and user. User names must be unique (exactly: both engines
 * tell `App` from `app`).
 */
export function parseUserList(properties: Record<string, unknown>): UserList {
  const target = parseDatabaseTarget(properties);
  const entries = list(properties.Users, 'Users');
  if (entries.length > MAX_USERS) {
    throw new InvalidIdentifierError(`Users lists ${entries.length} users; one database holds at most ${MAX_USERS}`);
  }
  const shared = Object.fromEntries(SHARED_PROPERTIES.map((name) => [name, properties[name]]));
  const indexOf = new Map<string, number>();
  const users = entries.map((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new InvalidIdentifierError(`Users[${index}] must be an object`);
    }
    const fields = entry as Record<string, unknown>;
    const label = typeof fields.UserName === 'string' ? `Users[${index}] (user ${JSON.stringify(fields.UserName.slice(0, 80))})` : `Users[${index}]`;
    const misplaced = SHARED_PROPERTIES.filter((name) => Object.hasOwn(fields, name));
    if (misplaced.length > 0) {
      throw new InvalidIdentifierError(`${label}: ${misplaced.join(', ')} ${misplaced.length === 1 ? 'is' : 'are'} shared by all users: give ${misplaced.length === 1 ? 'it' : 'them'} once, next to Users`);
    }
    let spec: UserSpec;
    try {
      spec = parseUserSpec({ ...fields, ...shared });
    } catch (error) {
      if (error instanceof InvalidIdentifierError) throw new InvalidIdentifierError(`${label}: ${error.message}`);
      throw error;
    }
    const first = indexOf.get(spec.userName);
    if (first !== undefined) {
      throw new InvalidIdentifierError(`${label}: the user is listed twice (also as Users[${first}])`);
    }
    indexOf.set(spec.userName, index);
    return spec;
  });
  return { ...target, users };
}

/** Whether two lists are in the same database (same engine, server and database name). */
export function sameDatabase(a: UserDatabaseTarget, b: UserDatabaseTarget): boolean {
  return a.engine === b.engine && a.host === b.host && a.port === b.port && a.database === b.database;
}
