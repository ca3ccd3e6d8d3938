import type { Client } from 'pg';
import { pgIdent } from '../../private/sql-identifiers';
import { UserOutcome } from './outcome';
import { scramSha256Verifier, UserAuthentication } from './passwords';
import { UserSpec } from './user-spec';

/** Serializes user changes: concurrent GRANTs on one schema fail with "tuple concurrently updated". */
const LOCK = "select pg_advisory_xact_lock(hashtext('cdk-serverless-rds:database-users'))";

const USER_OID = 'select oid from pg_roles where rolname = $1';

/** Everything the database says about the user's rights in this database, one line per fact. */
const FINGERPRINT = `
with u as (${USER_OID})
select 'role ' || rolcanlogin || ' limit ' || rolconnlimit as fact from pg_roles where oid = (select oid from u)
union all select 'member of ' || g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = (select oid from u)
union all select 'database ' || d.datname || ' ' || a.privilege_type from pg_database d cross join lateral aclexplode(d.datacl) a where a.grantee = (select oid from u)
union all select 'schema ' || n.nspname || ' ' || a.privilege_type from pg_namespace n cross join lateral aclexplode(n.nspacl) a where a.grantee = (select oid from u)
union all select 'relation ' || n.nspname || '.' || c.relname || ' ' || a.privilege_type from pg_class c join pg_namespace n on n.oid = c.relnamespace cross join lateral aclexplode(c.relacl) a where a.grantee = (select oid from u)
union all select 'default ' || n.nspname || ' ' || d.defaclobjtype::text || ' ' || a.privilege_type from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace cross join lateral aclexplode(d.defaclacl) a where a.grantee = (select oid from u)
order by 1`;

/** Schemas in which the user holds anything that this master granted (or could have). */
const SCHEMAS_WITH_RIGHTS = `
with u as (${USER_OID})
select n.nspname from pg_namespace n cross join lateral aclexplode(n.nspacl) a where a.grantee = (select oid from u)
union select n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace cross join lateral aclexplode(c.relacl) a where a.grantee = (select oid from u)
union select n.nspname from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace cross join lateral aclexplode(d.defaclacl) a
  where a.grantee = (select oid from u) and d.defaclrole = (select oid from pg_roles where rolname = current_user)`;

/** The facts about a user (empty when it does not exist): compare before and after to see a change. */
export async function postgresUserFingerprint(client: Client, userName: string): Promise<string[]> {
  return (await client.query<{ fact: string }>(FINGERPRINT, [userName])).rows.map((r) => r.fact);
}

/** Whether a role of that name exists (in the whole cluster: roles are not per database). */
export async function postgresUserExists(client: Client, userName: string): Promise<boolean> {
  return ((await client.query(USER_OID, [userName])).rowCount ?? 0) > 0;
}

/**
 * Creates or updates a login role so that it has exactly the rights of `spec`, in one
 * transaction: on any error nothing of it remains (PostgreSQL's DDL and GRANTs are transactional).
 * An IAM user has no password and is a member of `iamRole`; a password user has the password (as
 * a SCRAM verifier) and is not a member of it.
 */
export async function applyPostgresUser(client: Client, spec: UserSpec, iamRole: string, auth: UserAuthentication): Promise<UserOutcome> {
  return inTransaction(client, async () => {
    const before = await postgresUserFingerprint(client, spec.userName);
    const user = pgIdent(spec.userName);
    const existing = await client.query(
      'select rolsuper or rolcreaterole or rolcreatedb or rolreplication or rolbypassrls as privileged from pg_roles where rolname = $1',
      [spec.userName]);
    if (existing.rows[0]?.privileged) {
      throw new Error(`role ${user} already exists with administrative attributes; it is not a consumer user and is left alone`);
    }
    // IAM: no password, the role logs in with IAM tokens only. A password already in place is kept
    // (a new verifier would differ only in its salt).
    const setsPassword = auth.method === 'password' && !auth.alreadySet;
    const password = auth.method === 'iam' ? 'PASSWORD NULL' : setsPassword ? `PASSWORD ${passwordLiteral(client, auth.password)}` : '';
    const attributes = ['LOGIN NOCREATEDB NOCREATEROLE', password, `CONNECTION LIMIT ${spec.connectionLimit}`].filter(Boolean).join(' ');
    await client.query(existing.rowCount === 0 ? `CREATE ROLE ${user} ${attributes}` : `ALTER ROLE ${user} ${attributes}`);
    if (auth.method === 'iam') {
      await client.query(`GRANT ${pgIdent(iamRole)} TO ${user}`);
    } else if (await isMemberOf(client, spec.userName, iamRole)) {
      // A member of the IAM role may only log in with IAM tokens (RDS): a password user is not one.
      await client.query(`REVOKE ${pgIdent(iamRole)} FROM ${user}`);
    }
    await client.query(`GRANT CONNECT ON DATABASE ${pgIdent(spec.database)} TO ${user}`);
    await revokeSchemaRights(client, spec.userName);
    await grantRights(client, spec);
    const after = await postgresUserFingerprint(client, spec.userName);
    // The password itself is not in the fingerprint (only a superuser may read it).
    return { changed: setsPassword || before.join('\n') !== after.join('\n') };
  });
}

/**
 * Sets the password of an existing password user, and nothing else (secret rotation): its
 * attributes, connection limit, memberships and grants stay. Refuses a role that does not exist,
 * has administrative attributes, or logs in with IAM (a member of `iamRole`).
 */
export async function setPostgresPassword(client: Client, userName: string, password: string, iamRole: string): Promise<void> {
  await inTransaction(client, async () => {
    const user = pgIdent(userName);
    const existing = await client.query(
      'select rolsuper or rolcreaterole or rolcreatedb or rolreplication or rolbypassrls as privileged from pg_roles where rolname = $1',
      [userName]);
    if (existing.rowCount === 0) {
      throw new Error(`role ${user} does not exist: its password cannot be set`);
    }
    if (existing.rows[0].privileged) {
      throw new Error(`role ${user} has administrative attributes; it is not a consumer user and its password is not set`);
    }
    if (await isMemberOf(client, userName, iamRole)) {
      throw new Error(`role ${user} logs in with IAM (member of ${pgIdent(iamRole)}); only the password of a password user is rotated`);
    }
    await client.query(`ALTER ROLE ${user} PASSWORD ${passwordLiteral(client, password)}`);
  });
}

/** The password as a quoted SCRAM verifier: what the server stores, never the plaintext. */
function passwordLiteral(client: Client, password: string): string {
  return client.escapeLiteral(scramSha256Verifier(password));
}

/** Whether `userName` is a direct member of `role`. */
async function isMemberOf(client: Client, userName: string, role: string): Promise<boolean> {
  const result = await client.query(
    `select 1 from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member
     where r.rolname = $1 and u.rolname = $2`, [role, userName]);
  return (result.rowCount ?? 0) > 0;
}

/** Revokes the user's rights in this database and drops it; succeeds when it is already gone. */
export async function dropPostgresUser(client: Client, userName: string, database: string): Promise<UserOutcome> {
  return inTransaction(client, async () => {
    const existing = await client.query('select rolsuper or rolcreaterole as privileged from pg_roles where rolname = $1', [userName]);
    if (existing.rowCount === 0) return { changed: false };
    if (existing.rows[0].privileged) {
      throw new Error(`role ${pgIdent(userName)} has administrative attributes; it is not a consumer user and is not dropped`);
    }
    await revokeSchemaRights(client, userName);
    await client.query(`REVOKE ALL ON DATABASE ${pgIdent(database)} FROM ${pgIdent(userName)}`);
    await client.query(`DROP ROLE ${pgIdent(userName)}`);
    return { changed: true };
  });
}

async function inTransaction<T>(client: Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(LOCK);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Starts from nothing in every schema where the user has rights; the grants that follow restore what is wanted. */
async function revokeSchemaRights(client: Client, userName: string): Promise<void> {
  const user = pgIdent(userName);
  const schemas = (await client.query<{ nspname: string }>(SCHEMAS_WITH_RIGHTS, [userName])).rows.map((r) => pgIdent(r.nspname));
  for (const schema of schemas) {
    await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${user}`);
    await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schema} FROM ${user}`);
    await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${user}`);
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} REVOKE ALL ON TABLES FROM ${user}`);
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} REVOKE ALL ON SEQUENCES FROM ${user}`);
  }
}

const READ_WRITE = 'SELECT, INSERT, UPDATE, DELETE';

async function grantRights(client: Client, spec: UserSpec): Promise<void> {
  const user = pgIdent(spec.userName);
  const schemaWide = async (schemaName: string, tablePrivileges: string, sequencePrivileges?: string) => {
    const schema = pgIdent(schemaName);
    await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${user}`);
    await client.query(`GRANT ${tablePrivileges} ON ALL TABLES IN SCHEMA ${schema} TO ${user}`);
    // Tables the master creates later (migrations) are covered too.
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT ${tablePrivileges} ON TABLES TO ${user}`);
    if (sequencePrivileges) {
      await client.query(`GRANT ${sequencePrivileges} ON ALL SEQUENCES IN SCHEMA ${schema} TO ${user}`);
      await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT ${sequencePrivileges} ON SEQUENCES TO ${user}`);
    }
  };
  for (const schema of spec.readOnlySchemas) await schemaWide(schema, 'SELECT');
  for (const schema of spec.readWriteSchemas) await schemaWide(schema, READ_WRITE, 'USAGE, SELECT, UPDATE');
  for (const grant of spec.privileges) {
    // Privilege names come from the allow-list in user-spec.ts, never from the request text.
    const privileges = grant.privileges.join(', ');
    if (grant.table === undefined) {
      await schemaWide(grant.schema, privileges);
    } else {
      await client.query(`GRANT USAGE ON SCHEMA ${pgIdent(grant.schema)} TO ${user}`);
      await client.query(`GRANT ${privileges} ON TABLE ${pgIdent(grant.schema)}.${pgIdent(grant.table)} TO ${user}`);
    }
  }
}
