/**
 * One Lambda handler for two callers. As the custom resource handler (Provider framework
 * `onEvent`), it creates, updates and drops one least-privilege database login user: IAM
 * authentication or a password from a secret, a connection limit, and grants. As the rotation
 * function of a password user's secret (Secrets Manager), it rotates that password.
 * Bundled at package build; runs in the database's VPC and logs in with the master secret.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidIdentifierError } from '../../private/sql-identifiers';
import { connectMysql, connectPostgres, describeTarget } from './connections';
import { HandlerDependencies } from './dependencies';
import { readMasterCredentials } from './master-credentials';
import { applyMysqlUser, dropMysqlUser, RDS_MYSQL_IAM_AUTH } from './mysql-users';
import { describeDatabaseError, UserOutcome } from './outcome';
import { readUserPassword, redact, UserAuthentication } from './passwords';
import { applyPostgresUser, dropPostgresUser } from './postgres-users';
import { rotateSecret, SecretRotationEvent } from './rotation';
import { DatabaseTls, rdsTls } from './tls';
import { logInAsUser } from './user-login';
import { parseUserSpec, UserSpec } from './user-spec';

export type { HandlerDependencies } from './dependencies';
export type { RotationStep, SecretRotationEvent } from './rotation';

/** The parts of a CloudFormation custom resource event the handler reads. */
export interface UserResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
  readonly PhysicalResourceId?: string;
}

export interface UserResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly UserName: string; readonly Changed: string };
}

/** Either caller's event: told apart by `RequestType` (CloudFormation) and `Step` (Secrets Manager). */
export type DatabaseUsersEvent = UserResourceEvent | SecretRotationEvent;

export interface DatabaseUsersHandler {
  (event: UserResourceEvent): Promise<UserResourceResponse>;
  (event: SecretRotationEvent): Promise<void>;
  (event: DatabaseUsersEvent): Promise<UserResourceResponse | void>;
}

export function createHandler(overrides: Partial<HandlerDependencies> = {}): DatabaseUsersHandler {
  const deps: HandlerDependencies = {
    secretsManager: overrides.secretsManager ?? new SecretsManagerClient({}),
    tls: overrides.tls ?? rdsTls,
    postgresIamRole: overrides.postgresIamRole ?? 'rds_iam',
    mysqlIamAuth: overrides.mysqlIamAuth ?? RDS_MYSQL_IAM_AUTH,
  };
  const handle = async (event: DatabaseUsersEvent): Promise<UserResourceResponse | void> => {
    const fields = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
    if ('RequestType' in fields && !('Step' in fields)) {
      return onResourceEvent(deps, event as UserResourceEvent);
    }
    if ('Step' in fields && !('RequestType' in fields)) {
      return rotateSecret(deps, event as SecretRotationEvent);
    }
    throw new Error('Unknown event: expected a CloudFormation custom resource event (RequestType) or a Secrets Manager rotation event (Step)');
  };
  return handle as DatabaseUsersHandler;
}

async function onResourceEvent(deps: HandlerDependencies, event: UserResourceEvent): Promise<UserResourceResponse> {
  if (event.RequestType === 'Delete') {
    return onDelete(deps, event);
  }
  const spec = parseUserSpec(event.ResourceProperties);
  const verb = event.RequestType === 'Create' ? 'Creating' : 'Updating';
  const outcome = await withDatabase(deps, spec, `${verb} database user "${spec.userName}"`, async (db, tls, secrets) => {
    const auth = await authenticationOf(deps, spec, tls, secrets);
    return db.apply(spec, auth);
  });
  return response(spec.userName, outcome);
}

async function onDelete(deps: HandlerDependencies, event: UserResourceEvent): Promise<UserResourceResponse> {
  let spec: UserSpec;
  try {
    spec = parseUserSpec(event.ResourceProperties);
  } catch (error) {
    // Properties that never validated never created a user: nothing to drop.
    if (error instanceof InvalidIdentifierError) return response(event.PhysicalResourceId ?? 'none', { changed: false });
    throw error;
  }
  if (event.PhysicalResourceId !== spec.userName) {
    // A failed create reports another id; this resource never owned a user of that name.
    return response(event.PhysicalResourceId ?? 'none', { changed: false });
  }
  const outcome = await withDatabase(deps, spec, `Dropping database user "${spec.userName}"`, (db) => db.drop(spec));
  return response(spec.userName, outcome);
}

function response(userName: string, outcome: UserOutcome): UserResourceResponse {
  return { PhysicalResourceId: userName, Data: { UserName: userName, Changed: String(outcome.changed) } };
}

/**
 * IAM without a password secret. With one: its password, and whether the user already logs in
 * with it, found out by logging in as the user (only a superuser could read the stored password,
 * and the RDS master is none). The login must have been asked for the password: a pg_hba `trust`
 * line proves nothing. Any refusal (no such user yet, another password, IAM only) means it is set.
 */
async function authenticationOf(deps: HandlerDependencies, spec: UserSpec, tls: DatabaseTls, secrets: string[]): Promise<UserAuthentication> {
  if (spec.passwordSecretArn === undefined) return { method: 'iam' };
  const password = await readUserPassword(deps.secretsManager, spec.passwordSecretArn, spec.userName);
  secrets.push(password);
  const alreadySet = await logInAsUser(spec, tls, spec.userName, password).then((login) => login.passwordAsked, () => false);
  return { method: 'password', password, alreadySet };
}

interface UserDatabase {
  apply(spec: UserSpec, auth: UserAuthentication): Promise<UserOutcome>;
  drop(spec: UserSpec): Promise<UserOutcome>;
}

/**
 * Opens a TLS connection as the master user, runs `work`, closes it; errors say what failed, where
 * and why, with every password `work` adds to `secrets` (and the master's) redacted.
 */
async function withDatabase(
  deps: HandlerDependencies, spec: UserSpec, action: string,
  work: (db: UserDatabase, tls: DatabaseTls, secrets: string[]) => Promise<UserOutcome>,
): Promise<UserOutcome> {
  const secrets: string[] = [];
  try {
    const master = await readMasterCredentials(deps.secretsManager, spec.masterSecretArn);
    secrets.push(master.password);
    if (master.username.toLowerCase() === spec.userName.toLowerCase()) {
      throw new InvalidIdentifierError(`"${spec.userName}" is the master user`);
    }
    const tls = deps.tls(spec);
    if (spec.engine === 'postgresql') {
      const client = await connectPostgres(spec, tls, master.username, master.password);
      try {
        return await work({
          apply: (s, auth) => applyPostgresUser(client, s, deps.postgresIamRole, auth),
          drop: (s) => dropPostgresUser(client, s.userName, s.database),
        }, tls, secrets);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    const connection = await connectMysql(spec, tls, master.username, master.password);
    try {
      return await work({
        apply: (s, auth) => applyMysqlUser(connection, s, deps.mysqlIamAuth, auth),
        drop: (s) => dropMysqlUser(connection, s.userName),
      }, tls, secrets);
    } finally {
      await connection.end().catch(() => undefined);
    }
  } catch (error) {
    // CloudFormation shows this message as the resource's failure reason.
    throw new Error(`${action} on ${describeTarget(spec)} failed: ${redact(describeDatabaseError(error), secrets)}`, { cause: error });
  }
}

export const handler = createHandler();
