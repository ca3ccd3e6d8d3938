import { FakeSecretsManager } from './fake-secrets-manager';
import { masterLoginCases } from './master-login-cases';
import { PostgresUsersFixture, startPostgresUsers } from './postgres-users-fixture';
import { failureOf, MASTER_SECRET_ARN, UserEvents } from './user-events';
import { createHandler } from '../../../lib/handlers/database-users';
import { isPasswordRefusal } from '../../../lib/handlers/database-users/master-login';

/**
 * The master login of the database-users handler while the master secret rotates, against a real
 * PostgreSQL that requires TLS and SCRAM. The master is a non-superuser with CREATEROLE, like the
 * RDS master; pg_hba rejects every connection to database `rejecting`.
 */
describe('master login during the master secret\'s rotation on PostgreSQL (real server)', () => {
  let fx: PostgresUsersFixture;

  beforeAll(async () => {
    fx = await startPostgresUsers({ extraHba: ['hostssl rejecting all 127.0.0.1/32 reject'], databases: ['rejecting'] });
  });

  afterAll(async () => {
    await fx?.stop();
  });

  masterLoginCases(() => fx);

  test('a pg_hba line rejecting the master (SQLSTATE 28000, not about the password) fails at once', async () => {
    const fake = new FakeSecretsManager();
    fake.create(MASTER_SECRET_ARN, { username: fx.masterUser, password: 'not-the-password', engine: 'postgres' });
    fake.putVersion(MASTER_SECRET_ARN, { username: fx.masterUser, password: 'nor-this-one', engine: 'postgres' }, ['AWSPENDING']);
    const handler = createHandler({ ...fx.deps, secretsManager: fake.client, masterLoginRetryDelaysMs: [60_000] });
    const events = new UserEvents({ Engine: 'postgresql', Host: fx.host, Port: String(fx.port), Database: 'rejecting' });
    const start = Date.now();
    const { message, everything } = await failureOf(handler(events.create({ UserName: 'nobody', ConnectionLimit: '1' })));
    expect(message).toMatch(/failed: pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "master_admin", database "rejecting"/);
    expect(everything).toContain("code: '28000'");
    expect(fake.reads(MASTER_SECRET_ARN)).toEqual(['AWSCURRENT']);
    expect(Date.now() - start).toBeLessThan(10_000);
    for (const password of fake.passwords) expect(everything).not.toContain(password);
  });

  test('what counts as a refused password: 28P01, 28000 only saying password authentication failed, errno 1045', () => {
    expect(isPasswordRefusal({ code: '28P01', message: 'password authentication failed for user "master_admin"' })).toBe(true);
    expect(isPasswordRefusal({ code: '28000', message: 'password authentication failed for user "master_admin"' })).toBe(true);
    expect(isPasswordRefusal({ code: '28000', message: 'pg_hba.conf rejects connection for host "10.0.0.1"' })).toBe(false);
    expect(isPasswordRefusal({ code: '28000', message: 'no pg_hba.conf entry for host "10.0.0.1"' })).toBe(false);
    expect(isPasswordRefusal({ code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, message: "Access denied for user 'admin'@'10.0.0.1' (using password: YES)" })).toBe(true);
    for (const other of [
      { code: 'ECONNREFUSED', errno: -111 }, { code: 'ENOTFOUND', errno: -3008 }, { code: '3D000', message: 'database "x" does not exist' },
      { code: 'ER_BAD_DB_ERROR', errno: 1049 }, { code: 'ER_DBACCESS_DENIED_ERROR', errno: 1044 }, new Error('self-signed certificate'), undefined, null, 'text',
    ]) {
      expect(isPasswordRefusal(other)).toBe(false);
    }
  });
});
