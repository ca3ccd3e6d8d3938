import { masterLoginCases } from './master-login-cases';
import { MysqlUsersFixture, startMysqlUsers } from './mysql-users-fixture';

/**
 * The master login of the database-users handler while the master secret rotates, against a real
 * MariaDB that requires TLS, the master holding the privileges of the RDS master.
 */
describe('master login during the master secret\'s rotation on MySQL (real MariaDB server)', () => {
  let fx: MysqlUsersFixture;

  beforeAll(async () => {
    fx = await startMysqlUsers();
  });

  afterAll(async () => {
    await fx?.stop();
  });

  masterLoginCases(() => fx);
});
