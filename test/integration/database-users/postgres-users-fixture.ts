import { Client } from 'pg';
import { UserEvents } from './user-events';
import { UsersFixture } from './users-fixture';
import { postgresUserFingerprint } from '../../../lib/handlers/database-users/postgres-users';
import { PostgresServer, startPostgres } from '../servers';

export interface PostgresUsersOptions {
  /**
   * Members of the stand-in role `rds_iam` log in to users_db without a password (pg_hba
   * `+rds_iam trust`), standing in for IAM tokens: a user logs in without a password exactly when
   * the handler made it a member of rds_iam.
   */
  readonly iamTrust?: boolean;
  /** More pg_hba lines, after that one (the first line that matches wins). */
  readonly extraHba?: string[];
  /** More databases, owned by the master. */
  readonly databases?: string[];
  /**
   * Made by the master in users_db: schema `sales` with table `orders` (amounts 10 and 20, a total
   * of 30), schema `audit` with tables `log` and `secret_notes`.
   */
  readonly sampleData?: boolean;
}

/** A login kept open; whether the server asked for the password (not when pg_hba trusts the user) is on it, or on the error. */
export type PostgresLogin = Client & { passwordAsked: boolean };

export interface PostgresUsersFixture extends UsersFixture {
  readonly engine: 'postgresql';
  readonly server: PostgresServer;
  /** Runs `work` logged in as the master in users_db. */
  asMaster<T>(work: (c: Client) => Promise<T>): Promise<T>;
  /** Logs in to users_db as `user` over verified TLS (kept open until ended or the suite ends). */
  login(user: string, password?: string): Promise<PostgresLogin>;
  /** One statement as the superuser in users_db (the server's adminQuery opens database postgres). */
  inUsersDb<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The role's login, connection limit, whether it has a password and whether it is a member of rds_iam; undefined when it does not exist. */
  roleFacts(user: string): Promise<string | undefined>;
  /** What the database says about the user's rights (the handler's fingerprint, read as the master). */
  fingerprint(user: string): Promise<string[]>;
}

/**
 * A real PostgreSQL that requires TLS and SCRAM (../servers), with the master as on RDS: a
 * non-superuser with CREATEROLE, holding the stand-in role `rds_iam` with admin option, owning the
 * database `users_db`.
 */
export async function startPostgresUsers(options: PostgresUsersOptions = {}): Promise<PostgresUsersFixture> {
  const server = await startPostgres({
    extraHba: [...(options.iamTrust ? ['hostssl users_db +rds_iam 127.0.0.1/32 trust'] : []), ...(options.extraHba ?? [])],
  });
  const masterUser = 'master_admin';
  // The test passwords are base64url or fixed: nothing to escape in the literals.
  let masterPassword = 'master-Pa55word';
  const open: Client[] = [];

  async function asMaster<T>(work: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ ...server.clientConfig('superuser', 'users_db'), user: masterUser, password: masterPassword });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  }

  async function login(user: string, password?: string): Promise<PostgresLogin> {
    let passwordAsked = false;
    const c = new Client({
      ...server.clientConfig('superuser', 'users_db'), user,
      password: () => {
        passwordAsked = true;
        return password as string;
      },
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
    } catch (error) {
      throw Object.assign(error as Error, { passwordAsked });
    }
    open.push(c);
    return Object.assign(c, { passwordAsked });
  }

  async function inUsersDb<T = any>(sql: string, params?: unknown[]): Promise<T[]> {
    const c = new Client(server.clientConfig('superuser', 'users_db'));
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  try {
    await server.adminQuery('create role rds_iam nologin');
    await server.adminQuery(`create role ${masterUser} login createrole password '${masterPassword}'`);
    await server.adminQuery(`grant rds_iam to ${masterUser} with admin option`);
    for (const database of ['users_db', ...(options.databases ?? [])]) await server.adminQuery(`create database ${database} owner ${masterUser}`);
    if (options.sampleData) {
      await asMaster(async (c) => {
        await c.query('create schema sales');
        await c.query('create table sales.orders (id serial primary key, amount int not null)');
        await c.query('insert into sales.orders (amount) values (10), (20)');
        await c.query('create schema audit');
        await c.query('create table audit.log (entry text)');
        await c.query('create table audit.secret_notes (entry text)');
      });
    }
  } catch (error) {
    await server.stop();
    throw error;
  }

  return {
    engine: 'postgresql', secretEngine: 'postgres', host: server.host, port: server.port, database: 'users_db', masterUser, server,
    deps: { tls: () => ({ ca: server.caPem, servername: 'localhost' }) },
    events: new UserEvents({ Engine: 'postgresql', Host: server.host, Port: String(server.port), Database: 'users_db' }),
    master: () => ({ user: masterUser, password: masterPassword }),
    masterSecret: () => ({ username: masterUser, password: masterPassword, engine: 'postgres' }),
    asMaster, login, inUsersDb,
    session: async (user, password) => {
      const c = await login(user, password);
      return { query: async (sql) => (await c.query(sql)).rows, end: () => c.end() };
    },
    roleFacts: async (user) => (await server.adminQuery<{ fact: string }>(
      `select rolname || ' login=' || rolcanlogin || ' limit=' || rolconnlimit || ' password=' || (rolpassword is not null)
         || ' iam=' || pg_has_role(rolname, 'rds_iam', 'MEMBER') as fact from pg_authid where rolname = $1`, [user]))[0]?.fact,
    fingerprint: (user) => asMaster((c) => postgresUserFingerprint(c, user)),
    setMasterPassword: async (password) => {
      await server.adminQuery(`alter role ${masterUser} password '${password}'`);
      masterPassword = password;
    },
    logsIn: async (user, password) => {
      try {
        await (await login(user, password)).end();
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === '28P01') return false;
        throw error;
      }
    },
    userExists: async (user) => (await server.adminQuery('select 1 from pg_roles where rolname = $1', [user])).length === 1,
    stop: async () => {
      await Promise.all(open.map((c) => c.end().catch(() => undefined)));
      await server.stop();
    },
  };
}
