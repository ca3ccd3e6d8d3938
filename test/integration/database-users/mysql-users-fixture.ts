import { Connection, createConnection } from 'mysql2/promise';
import { UserEvents } from './user-events';
import { UsersFixture } from './users-fixture';
import { MysqlIamAuth, mysqlUserFingerprint } from '../../../lib/handlers/database-users/mysql-users';
import { MariaDbServer, startMariaDb } from '../servers';

export interface MysqlUsersOptions {
  /**
   * Made by the server's root: table `users_db.orders` (amounts 10 and 20, a total of 30), database
   * `audit` with tables `log` and `secret_notes`.
   */
  readonly sampleData?: boolean;
}

export interface MysqlUsersFixture extends UsersFixture {
  readonly engine: 'mysql';
  readonly server: MariaDbServer;
  /** The IAM identity the handler gives IAM users here (see startMysqlUsers). */
  readonly iam: MysqlIamAuth;
  /** The password of that identity: the stand-in IAM token. */
  readonly iamToken: string;
  /** Runs `work` logged in as the master in users_db. */
  asMaster<T>(work: (c: Connection) => Promise<T>): Promise<T>;
  /**
   * Logs in as `user` with `password` (default: the stand-in IAM token) over verified TLS, or
   * without TLS, to users_db or another database; kept open until ended or the suite ends.
   */
  login(user: string, password?: string, options?: { tls?: boolean; database?: string }): Promise<Connection>;
  /** The account's identity, TLS requirement and connection limit (mysql.user); undefined when it does not exist. */
  account(user: string): Promise<any>;
  /** SHOW GRANTS of the account, sorted. */
  grants(user: string): Promise<string[]>;
  /** What the database says about the account and its rights (the handler's fingerprint, read as the master). */
  fingerprint(user: string): Promise<string[]>;
  /** The mysql_native_password hash of `password`. */
  nativeHash(password: string): Promise<string>;
}

/**
 * A real MariaDB that requires TLS (../servers), with the master holding the privileges of the RDS
 * for MySQL master (no SUPER) and the database `users_db`. MariaDB has no AWSAuthenticationPlugin,
 * so the IAM identity is injected as a plugin it has: mysql_native_password with the hash of a
 * stand-in token, which IAM users log in with.
 */
export async function startMysqlUsers(options: MysqlUsersOptions = {}): Promise<MysqlUsersFixture> {
  const server = await startMariaDb();
  const masterUser = 'master_admin';
  let masterPassword = 'master-Pa55word';
  const iamToken = 'stand-in-iam-token';
  const open: Connection[] = [];

  const connect = (user: string, password: string, tls: boolean, database: string | undefined) => createConnection({
    host: server.host, port: server.port, user, password, database, connectTimeout: 10_000,
    ssl: tls ? { ca: server.caPem, rejectUnauthorized: true } : undefined,
  });

  async function login(user: string, password = iamToken, { tls = true, database = 'users_db' } = {}): Promise<Connection> {
    const c = await connect(user, password, tls, database);
    c.on('error', () => undefined);
    open.push(c);
    return c;
  }

  async function asMaster<T>(work: (c: Connection) => Promise<T>): Promise<T> {
    const c = await login(masterUser, masterPassword);
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  }

  let iam: MysqlIamAuth;
  try {
    await server.adminQuery(`create user ?@'%' identified by ? require ssl`, [masterUser, masterPassword]);
    // The RDS for MySQL master's privileges: everything but SUPER and the file/shutdown ones.
    await server.adminQuery(`grant select, insert, update, delete, create, drop, reload, process, references, index, alter,
      show databases, create temporary tables, lock tables, execute, replication slave, replication client, create view,
      show view, create routine, alter routine, create user, event, trigger on *.* to ?@'%' with grant option`, [masterUser]);
    await server.adminQuery('create database users_db');
    if (options.sampleData) {
      await server.adminQuery('create table users_db.orders (id int auto_increment primary key, amount int not null)');
      await server.adminQuery('insert into users_db.orders (amount) values (10), (20)');
      await server.adminQuery('create database audit');
      await server.adminQuery('create table audit.log (entry text)');
      await server.adminQuery('create table audit.secret_notes (entry text)');
    }
    const [{ hash }] = await server.adminQuery<{ hash: string }>('select password(?) as hash', [iamToken]);
    iam = { plugin: 'mysql_native_password', authenticationString: hash };
  } catch (error) {
    await server.stop();
    throw error;
  }

  return {
    engine: 'mysql', secretEngine: 'mysql', host: server.host, port: server.port, database: 'users_db', masterUser, server, iam, iamToken,
    deps: { tls: () => ({ ca: server.caPem }), mysqlIamAuth: iam },
    events: new UserEvents({ Engine: 'mysql', Host: server.host, Port: String(server.port), Database: 'users_db' }),
    master: () => ({ user: masterUser, password: masterPassword }),
    masterSecret: () => ({ username: masterUser, password: masterPassword, engine: 'mysql' }),
    asMaster, login,
    session: async (user, password) => {
      const c = await login(user, password);
      return { query: async (sql) => (await c.query(sql))[0] as any[], end: () => c.end() };
    },
    account: async (user) => (await server.adminQuery(
      `select plugin, authentication_string, ssl_type, max_user_connections from mysql.user where user = ? and host = '%'`, [user]))[0],
    grants: async (user) => (await server.adminQuery(`show grants for ?@'%'`, [user])).map((r) => Object.values(r)[0] as string).sort(),
    fingerprint: (user) => asMaster((c) => mysqlUserFingerprint(c, user)),
    nativeHash: async (password) => (await server.adminQuery<{ hash: string }>('select password(?) as hash', [password]))[0].hash,
    setMasterPassword: async (password) => {
      await server.adminQuery(`alter user ?@'%' identified by ?`, [masterUser, password]);
      masterPassword = password;
    },
    logsIn: async (user, password) => {
      try {
        await (await connect(user, password, true, undefined)).end();
        return true;
      } catch (error) {
        if ((error as { errno?: number }).errno === 1045) return false;
        throw error;
      }
    },
    userExists: async (user) => (await server.adminQuery(`select 1 from mysql.user where user = ? and host = '%'`, [user])).length === 1,
    stop: async () => {
      await Promise.all(open.map((c) => c.end().catch(() => undefined)));
      await server.stop();
    },
  };
}
