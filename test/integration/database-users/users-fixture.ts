import type { HandlerDependencies } from '../../../lib/handlers/database-users';
import type { UserEvents } from './user-events';

/** A connection of one user, whatever the engine: the rows a statement returns, and the end. */
export interface Session {
  query(sql: string): Promise<any[]>;
  end(): Promise<void>;
}

/**
 * A real database server with the master user and the database `users_db`, started for one suite
 * (postgres-users-fixture.ts, mysql-users-fixture.ts); what the suites and the shared cases of
 * both engines use of it.
 */
export interface UsersFixture {
  readonly engine: 'postgresql' | 'mysql';
  /** `engine` of a secret in the RDS format. */
  readonly secretEngine: 'postgres' | 'mysql';
  readonly host: string;
  readonly port: number;
  /** A database the master may create users in: `users_db`. */
  readonly database: string;
  readonly masterUser: string;
  /** Handler dependencies this server needs (TLS against its test CA, IAM stand-ins). */
  readonly deps: Partial<HandlerDependencies>;
  /** Custom resource events for `database` on this server. */
  readonly events: UserEvents;
  /** The master's login as the server has it now. */
  master(): { user: string; password: string };
  /** The master secret's value in the RDS format. */
  masterSecret(): { username: string; password: string; engine: string };
  /**
   * Logs in to `database` as `user` over verified TLS, with `password`, or without one as a user
   * logging in with IAM (the engine's stand-in); kept open until ended or the suite ends.
   */
  session(user: string, password?: string): Promise<Session>;
  /** Sets the master's password on the server (as its superuser), as the master secret's rotation does. */
  setMasterPassword(password: string): Promise<void>;
  /** Whether `user` logs in with `password` (false when the password is refused). */
  logsIn(user: string, password: string): Promise<boolean>;
  userExists(user: string): Promise<boolean>;
  /** Ends every connection the suite left open, then stops the server. */
  stop(): Promise<void>;
}
