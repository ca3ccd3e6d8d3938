/**
 * Custom resource handler (Provider framework `onEvent`) that creates, updates and drops one
 * least-privilege database login user: IAM authentication, a connection limit, and grants.
 * Bundled at package build; runs in the database's VPC and logs in with the master secret.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as mysql from 'mysql2/promise';
import { Client } from 'pg';
import { InvalidIdentifierError } from '../../private/sql-identifiers';
import { readMasterCredentials } from './master-credentials';
import { applyMysqlUser, dropMysqlUser, MysqlIamAuth, RDS_MYSQL_IAM_AUTH } from './mysql-users';
import { describeDatabaseError, UserOutcome } from './outcome';
import { applyPostgresUser, dropPostgresUser } from './postgres-users';
import { DatabaseTls, rdsTls } from './tls';
import { parseUserSpec, UserSpec } from './user-spec';

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

/** What the handler talks to; tests replace what only exists on AWS. */
export interface HandlerDependencies {
  readonly secretsManager: SecretsManagerClient;
  /** TLS for a database connection (default: the RDS certificate authorities). */
  readonly tls: (spec: UserSpec) => DatabaseTls;
  /** The role granting IAM login on PostgreSQL (RDS: `rds_iam`). */
  readonly postgresIamRole: string;
  /** How MySQL accounts are identified for IAM login (RDS: AWSAuthenticationPlugin). */
  readonly mysqlIamAuth: MysqlIamAuth;
}

export function createHandler(overrides: Partial<HandlerDependencies> = {}): (event: UserResourceEvent) => Promise<UserResourceResponse> {
  const deps: HandlerDependencies = {
    secretsManager: overrides.secretsManager ?? new SecretsManagerClient({}),
    tls: overrides.tls ?? rdsTls,
    postgresIamRole: overrides.postgresIamRole ?? 'rds_iam',
    mysqlIamAuth: overrides.mysqlIamAuth ?? RDS_MYSQL_IAM_AUTH,
  };
  return async (event) => {
    if (event.RequestType === 'Delete') {
      return onDelete(deps, event);
    }
    const spec = parseUserSpec(event.ResourceProperties);
    const verb = event.RequestType === 'Create' ? 'Creating' : 'Updating';
    const outcome = await withDatabase(deps, spec, `${verb} database user "${spec.userName}"`, (db) =>
      db.apply(spec));
    return response(spec.userName, outcome);
  };
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

interface UserDatabase {
  apply(spec: UserSpec): Promise<UserOutcome>;
  drop(spec: UserSpec): Promise<UserOutcome>;
}

/** Opens a TLS connection as the master user, runs `work`, closes it; errors say what failed, where and why. */
async function withDatabase(deps: HandlerDependencies, spec: UserSpec, action: string, work: (db: UserDatabase) => Promise<UserOutcome>): Promise<UserOutcome> {
  const where = `${spec.engine} database "${spec.database}" at ${spec.host}:${spec.port}`;
  try {
    const master = await readMasterCredentials(deps.secretsManager, spec.masterSecretArn);
    if (master.username.toLowerCase() === spec.userName.toLowerCase()) {
      throw new InvalidIdentifierError(`"${spec.userName}" is the master user`);
    }
    const tls = deps.tls(spec);
    if (spec.engine === 'postgresql') {
      const client = new Client({
        host: spec.host, port: spec.port, database: spec.database, user: master.username, password: master.password,
        ssl: { ca: tls.ca, servername: tls.servername ?? spec.host, rejectUnauthorized: true },
        connectionTimeoutMillis: 20_000, statement_timeout: 60_000, application_name: 'cdk-serverless-rds database users',
      });
      client.on('error', () => undefined); // a dropped connection rejects the pending query instead
      await client.connect();
      try {
        return await work({
          apply: (s) => applyPostgresUser(client, s, deps.postgresIamRole),
          drop: (s) => dropPostgresUser(client, s.userName, s.database),
        });
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    const connection = await mysql.createConnection({
      host: spec.host, port: spec.port, database: spec.database, user: master.username, password: master.password,
      ssl: { ca: tls.ca, rejectUnauthorized: true }, connectTimeout: 20_000, multipleStatements: false,
    });
    connection.on('error', () => undefined);
    try {
      return await work({
        apply: (s) => applyMysqlUser(connection, s, deps.mysqlIamAuth),
        drop: (s) => dropMysqlUser(connection, s.userName),
      });
    } finally {
      await connection.end().catch(() => undefined);
    }
  } catch (error) {
    // CloudFormation shows this message as the resource's failure reason.
    throw new Error(`${action} on ${where} failed: ${describeDatabaseError(error)}`, { cause: error });
  }
}

export const handler = createHandler();
