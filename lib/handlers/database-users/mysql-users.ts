import type { Connection } from 'mysql2/promise';
import { myDatabasePattern, myIdent, myString } from '../../private/sql-identifiers';
import { describeDatabaseError, scrubDatabaseError, UserOutcome } from './outcome';
import { redact, UserAuthentication } from './passwords';
import { UserSpec } from './user-spec';

/**
 * How an IAM user is identified: RDS for MySQL uses `IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'`.
 * Injectable because that plugin exists only on RDS: tests give a plugin of the local server and
 * check the same statements, comparisons and compensation.
 */
export interface MysqlIamAuth {
  readonly plugin: string;
  readonly authenticationString: string;
}

export const RDS_MYSQL_IAM_AUTH: MysqlIamAuth = { plugin: 'AWSAuthenticationPlugin', authenticationString: 'RDS' };

/** Users are created for any client host: RDS Proxy connects from addresses of its subnets. */
const HOST = '%';

/** Serializes user changes across concurrent custom resources (MySQL DDL is not transactional). */
const LOCK_NAME = 'cdk-serverless-rds:database-users';

interface AccountRow {
  plugin: string;
  authentication_string: string;
  ssl_type: string;
  max_user_connections: number;
  privileged: number;
}

/** A grant the user has or should have: one privilege on a database (`table` '*') or on a table. */
interface Right {
  /** As stored: the escaped pattern for database-level rights, the literal name for table rights. */
  readonly database: string;
  readonly table: string;
  readonly privilege: string;
}

const key = (r: Right) => `${r.database}\u0000${r.table}\u0000${r.privilege}`;

/**
 * Creates or updates the account so that it has exactly the rights of `spec`. MySQL commits each
 * DDL statement on its own, so every statement that ran is undone in reverse order on failure:
 * a new account is dropped, an existing one gets its previous identity, limit and grants back.
 * An IAM user is identified with `iam`; a password user `IDENTIFIED BY` its password.
 */
export async function applyMysqlUser(connection: Connection, spec: UserSpec, iam: MysqlIamAuth, auth: UserAuthentication): Promise<UserOutcome> {
  return withLock(connection, async () => {
    const account = `${myString(spec.userName)}@${myString(HOST)}`;
    // The password and its quoted form never appear in a message or in an error's statement text.
    const secrets = auth.method === 'password' ? [auth.password, connection.escape(auth.password)] : [];
    const undo: Array<{ sql: string; shown: string }> = [];
    const run = async (sql: string, inverse: string, shownInverse = inverse) => {
      await connection.query(sql);
      undo.push({ sql: inverse, shown: shownInverse });
    };
    try {
      const current = await readAccount(connection, spec.userName);
      if (current?.privileged) {
        throw new Error(`account ${account} already exists with administrative privileges; it is not a consumer user and is left alone`);
      }
      const identity = auth.method === 'iam'
        ? `IDENTIFIED WITH ${myIdent(iam.plugin)} AS ${myString(iam.authenticationString)}`
        : `IDENTIFIED BY ${connection.escape(auth.password)}`;
      const limits = `REQUIRE SSL WITH MAX_USER_CONNECTIONS ${spec.connectionLimit}`;
      if (!current) {
        await run(`CREATE USER ${account} ${identity} ${limits}`, `DROP USER IF EXISTS ${account}`);
      } else {
        const identityKept = auth.method === 'iam'
          ? current.plugin === iam.plugin && current.authentication_string === iam.authenticationString
          : auth.alreadySet;
        if (!identityKept || current.ssl_type !== 'ANY' || Number(current.max_user_connections) !== spec.connectionLimit) {
          const previous = `IDENTIFIED WITH ${myIdent(current.plugin)} AS ${myString(current.authentication_string)} ` +
            `REQUIRE ${current.ssl_type === '' ? 'NONE' : 'SSL'} WITH MAX_USER_CONNECTIONS ${Number(current.max_user_connections)}`;
          await run(`ALTER USER ${account} ${identityKept ? limits : `${identity} ${limits}`}`, `ALTER USER ${account} ${previous}`,
            `ALTER USER ${account} back to its previous identity, TLS requirement and limit`);
        }
      }
      const have = await currentRights(connection, spec.userName);
      const want = wantedRights(spec);
      const haveKeys = new Set(have.map(key));
      const wantKeys = new Set(want.map(key));
      for (const right of want.filter((r) => !haveKeys.has(key(r)))) {
        await run(`GRANT ${right.privilege} ON ${target(right)} TO ${account}`, `REVOKE ${right.privilege} ON ${target(right)} FROM ${account}`);
      }
      for (const right of have.filter((r) => !wantKeys.has(key(r)))) {
        await run(`REVOKE ${right.privilege} ON ${target(right)} FROM ${account}`, `GRANT ${right.privilege} ON ${target(right)} TO ${account}`);
      }
      return { changed: undo.length > 0 };
    } catch (error) {
      const failures: string[] = [];
      for (const { sql, shown } of undo.reverse()) {
        await connection.query(sql).catch((e) => failures.push(`${shown}: ${redact(describeDatabaseError(e), secrets)}`));
      }
      const reason = redact(describeDatabaseError(error), secrets);
      const message = failures.length === 0
        ? `${reason} (${undo.length} completed statement(s) undone)`
        : `${reason}; undoing the completed statements failed too: ${failures.join('; ')}`;
      // eslint-disable-next-line preserve-caught-error -- the driver's error holds the statement, which may hold the password
      throw new Error(message, { cause: scrubDatabaseError(error, secrets) });
    }
  });
}

/**
 * Sets the password of an existing password user, and nothing else (secret rotation): its TLS
 * requirement, connection limit and grants stay. Refuses an account that does not exist, has
 * administrative privileges, or is identified for IAM (`iam`).
 */
export async function setMysqlPassword(connection: Connection, userName: string, password: string, iam: MysqlIamAuth): Promise<void> {
  await withLock(connection, async () => {
    const account = `${myString(userName)}@${myString(HOST)}`;
    const current = await readAccount(connection, userName);
    if (!current) {
      throw new Error(`account ${account} does not exist: its password cannot be set`);
    }
    if (current.privileged) {
      throw new Error(`account ${account} has administrative privileges; it is not a consumer user and its password is not set`);
    }
    if (current.plugin === iam.plugin && current.authentication_string === iam.authenticationString) {
      throw new Error(`account ${account} logs in with IAM; only the password of a password user is rotated`);
    }
    const literal = connection.escape(password);
    try {
      await connection.query(`ALTER USER ${account} IDENTIFIED BY ${literal}`);
    } catch (error) {
      throw scrubDatabaseError(error, [password, literal]);
    }
  });
}

/** Drops the account (and with it every grant); succeeds when it is already gone. */
export async function dropMysqlUser(connection: Connection, userName: string): Promise<UserOutcome> {
  return withLock(connection, async () => {
    const current = await readAccount(connection, userName);
    if (!current) return { changed: false };
    if (current.privileged) {
      throw new Error(`account ${myString(userName)}@${myString(HOST)} has administrative privileges; it is not a consumer user and is not dropped`);
    }
    await connection.query(`DROP USER ${myString(userName)}@${myString(HOST)}`);
    return { changed: true };
  });
}

/** Whether the account exists (accounts belong to the server, not to a database). */
export async function mysqlUserExists(connection: Connection, userName: string): Promise<boolean> {
  return (await readAccount(connection, userName)) !== undefined;
}

/** The account's identity, limit and rights as facts (empty when it does not exist). */
export async function mysqlUserFingerprint(connection: Connection, userName: string): Promise<string[]> {
  const account = await readAccount(connection, userName);
  if (!account) return [];
  const rights = (await currentRights(connection, userName)).map((r) => `${r.privilege} on ${r.database}.${r.table}`).sort();
  return [`identified with ${account.plugin} ssl ${account.ssl_type} limit ${account.max_user_connections}`, ...rights];
}

async function withLock<T>(connection: Connection, work: () => Promise<T>): Promise<T> {
  const [rows] = await connection.query('SELECT GET_LOCK(?, 60) AS locked', [LOCK_NAME]);
  if ((rows as Array<{ locked: number }>)[0].locked !== 1) {
    throw new Error('another change of database users held the lock for 60 seconds');
  }
  try {
    return await work();
  } finally {
    await connection.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]).catch(() => undefined);
  }
}

async function readAccount(connection: Connection, userName: string): Promise<AccountRow | undefined> {
  const [rows] = await connection.query(
    `SELECT plugin, authentication_string, ssl_type, max_user_connections,
       (Super_priv = 'Y' OR Create_user_priv = 'Y' OR Grant_priv = 'Y') AS privileged
     FROM mysql.user WHERE User = ? AND Host = ?`, [userName, HOST]);
  return (rows as AccountRow[])[0];
}

/** Database-level rights from mysql.db (every `*_priv` column set to Y) and table-level ones from mysql.tables_priv. */
async function currentRights(connection: Connection, userName: string): Promise<Right[]> {
  const rights: Right[] = [];
  const [dbRows] = await connection.query('SELECT * FROM mysql.db WHERE User = ? AND Host = ?', [userName, HOST]);
  for (const row of dbRows as Array<Record<string, string>>) {
    for (const [column, value] of Object.entries(row)) {
      if (value === 'Y' && column.endsWith('_priv')) {
        rights.push({ database: row.Db, table: '*', privilege: privilegeOfColumn(column) });
      }
    }
  }
  const [tableRows] = await connection.query(
    'SELECT Db, Table_name, Table_priv FROM mysql.tables_priv WHERE User = ? AND Host = ?', [userName, HOST]);
  for (const row of tableRows as Array<{ Db: string; Table_name: string; Table_priv: string }>) {
    for (const privilege of String(row.Table_priv).split(',').filter(Boolean)) {
      rights.push({ database: row.Db, table: row.Table_name, privilege: privilege === 'Grant' ? 'GRANT OPTION' : privilege.toUpperCase() });
    }
  }
  return rights;
}

/** `Create_tmp_table_priv` → `CREATE TEMPORARY TABLES`, `Show_view_priv` → `SHOW VIEW`. */
function privilegeOfColumn(column: string): string {
  const name = column.slice(0, -'_priv'.length);
  if (name === 'Grant') return 'GRANT OPTION';
  if (name === 'Create_tmp_table') return 'CREATE TEMPORARY TABLES';
  return name.replace(/_/g, ' ').toUpperCase();
}

function wantedRights(spec: UserSpec): Right[] {
  const rights = new Map<string, Right>();
  const add = (schema: string, table: string | undefined, privileges: readonly string[]) => {
    for (const privilege of privileges) {
      const right = { database: table === undefined ? myDatabasePattern(schema) : schema, table: table ?? '*', privilege };
      rights.set(key(right), right);
    }
  };
  for (const schema of spec.readOnlySchemas) add(schema, undefined, ['SELECT']);
  for (const schema of spec.readWriteSchemas) add(schema, undefined, ['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
  for (const grant of spec.privileges) add(grant.schema, grant.table, grant.privileges);
  return [...rights.values()];
}

function target(right: Right): string {
  return `${myIdent(right.database)}.${right.table === '*' ? '*' : myIdent(right.table)}`;
}
