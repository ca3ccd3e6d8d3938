import { createConnection } from 'mysql2/promise';
import { masterLoginCases, MasterLoginDatabase } from './master-login-cases';
import { MariaDbServer, startMariaDb } from '../servers';

/**
 * The master login of the database-users handler while the master secret rotates, against a real
 * MariaDB that requires TLS, the master holding the privileges of the RDS master.
 */
describe('master login during the master secret\'s rotation on MySQL (real MariaDB server)', () => {
  let server: MariaDbServer;
  const masterUser = 'master_admin';
  let database: MasterLoginDatabase;

  beforeAll(async () => {
    server = await startMariaDb();
    await server.adminQuery(`create user ?@'%' identified by ? require ssl`, [masterUser, 'initial-Pa55word']);
    await server.adminQuery(`grant select, insert, update, delete, create, drop, reload, process, references, index, alter,
      show databases, create temporary tables, lock tables, execute, replication slave, replication client, create view,
      show view, create routine, alter routine, create user, event, trigger on *.* to ?@'%' with grant option`, [masterUser]);
    await server.adminQuery('create database users_db');
    const [{ hash }] = await server.adminQuery<{ hash: string }>('select password(?) as hash', ['stand-in-iam-token']);
    database = {
      engine: 'mysql', secretEngine: 'mysql', host: server.host, port: server.port, database: 'users_db', masterUser,
      deps: { tls: () => ({ ca: server.caPem }), mysqlIamAuth: { plugin: 'mysql_native_password', authenticationString: hash } },
      setMasterPassword: async (password) => void await server.adminQuery(`alter user ?@'%' identified by ?`, [masterUser, password]),
      logsIn: async (user, password) => {
        try {
          const c = await createConnection({
            host: server.host, port: server.port, user, password, connectTimeout: 10_000, ssl: { ca: server.caPem, rejectUnauthorized: true },
          });
          await c.end();
          return true;
        } catch (error) {
          if ((error as { errno?: number }).errno === 1045) return false;
          throw error;
        }
      },
      userExists: async (user) => (await server.adminQuery(`select 1 from mysql.user where user = ? and host = '%'`, [user])).length === 1,
    };
  });

  afterAll(async () => {
    await server?.stop();
  });

  masterLoginCases(() => database);
});
