import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DatabaseTarget } from './connections';
import type { MysqlIamAuth } from './mysql-users';
import type { DatabaseTls } from './tls';

/** What the handler talks to; tests replace what only exists on AWS. */
export interface HandlerDependencies {
  readonly secretsManager: SecretsManagerClient;
  /** TLS for a database connection (default: the RDS certificate authorities). */
  readonly tls: (target: DatabaseTarget) => DatabaseTls;
  /** The role granting IAM login on PostgreSQL (RDS: `rds_iam`). */
  readonly postgresIamRole: string;
  /** How MySQL accounts are identified for IAM login (RDS: AWSAuthenticationPlugin). */
  readonly mysqlIamAuth: MysqlIamAuth;
  /**
   * The waits, in milliseconds, before each new attempt to log in as the master when the database
   * refuses the password of the master secret (it may be rotating): one attempt, then one per wait.
   */
  readonly masterLoginRetryDelaysMs: readonly number[];
}
