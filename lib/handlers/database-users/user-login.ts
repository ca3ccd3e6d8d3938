import { connectMysql, connectPostgres, DatabaseTarget } from './connections';
import { DatabaseTls } from './tls';

/** How a login as the user itself went (a refusal for any other reason throws the database's error). */
export interface UserLogin {
  /** `at-connection-limit`: the database accepted the password, then refused because the user holds all its connections. */
  readonly result: 'logged-in' | 'at-connection-limit';
  /**
   * Whether the server asked for the password at all. A PostgreSQL pg_hba line may let the user in
   * without one (`trust`), which proves nothing about the password. MySQL always authenticates.
   */
  readonly passwordAsked: boolean;
}

/**
 * Logs in as `user` with `password` over verified TLS, runs `select 1`, and disconnects. A refusal
 * because the user is at its connection limit counts as a login: PostgreSQL (SQLSTATE 53300 "too
 * many connections for role") and MySQL/MariaDB (errno 1203 ER_TOO_MANY_USER_CONNECTIONS, 1226
 * ER_USER_LIMIT_REACHED) both check the password first and the user's connection count only after
 * it was accepted, so that refusal proves the password. (The server-wide limit, "too many clients"
 * / ER_CON_COUNT_ERROR, is checked before the password and does not count.)
 */
export async function logInAsUser(target: DatabaseTarget, tls: DatabaseTls, user: string, password: string): Promise<UserLogin> {
  if (target.engine === 'postgresql') {
    let passwordAsked = false;
    try {
      const client = await connectPostgres(target, tls, user, () => {
        passwordAsked = true;
        return password;
      });
      try {
        await client.query('select 1');
      } finally {
        await client.end().catch(() => undefined);
      }
      return { result: 'logged-in', passwordAsked };
    } catch (error) {
      const e = error as { code?: string; message?: string };
      if (e.code === '53300' && /too many connections for role/.test(e.message ?? '')) {
        return { result: 'at-connection-limit', passwordAsked };
      }
      throw error;
    }
  }
  try {
    // No default database: only the password is checked, and the user may hold rights elsewhere only.
    const connection = await connectMysql(target, tls, user, password, false);
    try {
      await connection.query('select 1');
    } finally {
      await connection.end().catch(() => undefined);
    }
    return { result: 'logged-in', passwordAsked: true };
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    if (errno === 1203 || errno === 1226) return { result: 'at-connection-limit', passwordAsked: true };
    throw error;
  }
}
