import { randomBytes } from 'crypto';
import { inspect } from 'util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import type { UsersResourceEvent } from '../../../lib/handlers/database-users';

export const MASTER_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-master-AbCdEf';

/** The ARN of the password secret of user `name`. */
export const userSecretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-user-${name}-AbCdEf`;

/** A fresh password (base64url: nothing to escape in a literal). */
export const newPassword = () => `Pw-${randomBytes(15).toString('base64url')}`;

/** A Secrets Manager client whose GetSecretValue returns the test server's master login (AWS is mocked, the database is not). */
export function masterSecretsManager(master: { user: string; password: string }): { client: SecretsManagerClient; calls: () => string[] } {
  const client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  const mock = mockClient(client);
  mock.on(GetSecretValueCommand, { SecretId: MASTER_SECRET_ARN })
    .resolves({ SecretString: JSON.stringify({ username: master.user, password: master.password, engine: 'test' }) });
  return { client, calls: () => mock.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId ?? '') };
}

/** One entry of `Users`: UserName, ConnectionLimit, ReadOnlySchemas, ReadWriteSchemas, Privileges, PasswordSecretArn. */
export type UserFields = Record<string, unknown>;

/**
 * Custom resource events as CloudFormation sends them (every scalar a string): the shared
 * properties (the base, then `shared`) and `Users`, the list given, or the one user given.
 */
export class UserEvents {
  constructor(private readonly base: Record<string, unknown>) {}

  /** The resource's physical id: the same whatever its users or database. */
  public physicalId(): string {
    return 'database-users';
  }

  public properties(users: UserFields | UserFields[], shared: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider', ...this.base, MasterSecretArn: MASTER_SECRET_ARN, ...shared,
      Users: Array.isArray(users) ? users : [users],
    };
  }

  public create(users: UserFields | UserFields[], shared: Record<string, unknown> = {}): UsersResourceEvent {
    return { RequestType: 'Create', ResourceProperties: this.properties(users, shared) };
  }

  /** An update from `old` to `users`; `options.oldShared` are the old shared properties (a moved database). */
  public update(
    users: UserFields | UserFields[], old: UserFields | UserFields[],
    options: { physicalId?: string; shared?: Record<string, unknown>; oldShared?: Record<string, unknown> } = {},
  ): UsersResourceEvent {
    return {
      RequestType: 'Update', PhysicalResourceId: options.physicalId ?? this.physicalId(),
      ResourceProperties: this.properties(users, options.shared), OldResourceProperties: this.properties(old, options.oldShared),
    };
  }

  public delete(users: UserFields | UserFields[], physicalId: string = this.physicalId()): UsersResourceEvent {
    return { RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: this.properties(users) };
  }
}

/** The fields an entry of `Users` may have (the shared ones are given once, next to `Users`). */
const USER_FIELDS = ['UserName', 'ConnectionLimit', 'ReadOnlySchemas', 'ReadWriteSchemas', 'Privileges', 'PasswordSecretArn'];

/**
 * The database users resource of a synthesized template, checked against the handler's contract:
 * exactly one `Custom::DatabaseUsers` (the template's only database) and no one-user resource of
 * the previous contract; the shared properties given once; every entry of `Users` made of the
 * per-user fields only, with a connection limit CloudFormation sends as a string.
 */
export function synthesizedUsersResource(template: Template): { Engine: string; Database: string; Users: UserFields[] } {
  expect(Object.keys(template.findResources('Custom::DatabaseUser'))).toEqual([]);
  const resources = Object.values(template.findResources('Custom::DatabaseUsers'));
  expect(resources).toHaveLength(1);
  const properties = resources[0].Properties;
  expect(Object.keys(properties).sort()).toEqual(['Database', 'Engine', 'Host', 'MasterSecretArn', 'Port', 'ServiceToken', 'Users']);
  expect(Array.isArray(properties.Users)).toBe(true);
  for (const user of properties.Users as UserFields[]) {
    expect(USER_FIELDS).toEqual(expect.arrayContaining(Object.keys(user)));
    expect(user).toEqual(expect.objectContaining({ UserName: expect.any(String), ConnectionLimit: expect.stringMatching(/^[1-9]\d*$/) }));
  }
  return { Engine: properties.Engine, Database: properties.Database, Users: properties.Users };
}

/** Names that try to break out of an identifier or a privilege list. */
export const INJECTION_ATTEMPTS = {
  userNames: ['x"; DROP ROLE master_admin; --', "x'@'%'; DROP USER master_admin; --", 'x` ; drop database users_db; --', 'a b', '', 'ü', '1abc', 'x'.repeat(70)],
  schemas: ['sales; DROP SCHEMA sales', 'sales"."orders', 'users_db`.*; --'],
  privileges: ['SELECT; DROP TABLE x', 'ALL', 'ALL PRIVILEGES', 'SUPER', 'GRANT OPTION'],
};

/**
 * How `promise` failed (the test fails if it does not): its message, and the error rendered with
 * its whole cause chain and every property a driver attached (such as a statement's text), to
 * assert that no password is anywhere in it.
 */
export async function failureOf(promise: Promise<unknown>): Promise<{ message: string; everything: string }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (error === undefined) throw new Error('expected a failure, but it succeeded');
  return { message: (error as Error).message, everything: inspect(error, { depth: 10 }) };
}
