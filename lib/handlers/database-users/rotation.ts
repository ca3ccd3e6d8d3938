/**
 * Secrets Manager rotation of a password user's secret, single user with the master's help: the
 * user keeps its name (so its connection limit and grants stay) and only its password changes.
 * Every step is idempotent, because Secrets Manager retries steps.
 */
import {
  DescribeSecretCommand, DescribeSecretCommandOutput, GetRandomPasswordCommand, GetSecretValueCommand,
  PutSecretValueCommand, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { PASSWORD_EXCLUDED_CHARACTERS, PASSWORD_LENGTH } from '../../private/password-policy';
import { Engine, InvalidIdentifierError, requireIdentifier, requireUserName } from '../../private/sql-identifiers';
import { DatabaseTarget, describeTarget } from './connections';
import { HandlerDependencies } from './dependencies';
import { withMasterLogin } from './master-login';
import { setMysqlPassword } from './mysql-users';
import { describeDatabaseError } from './outcome';
import { parseSecretJson, redact, requirePassword } from './passwords';
import { setPostgresPassword } from './postgres-users';
import { logInAsUser } from './user-login';
import { requireString, wholeNumber } from './user-spec';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = typeof ROTATION_STEPS[number];

/**
 * The step as Secrets Manager names it: `createSecret` in AWS's rotation function templates,
 * `create_secret` in one page of its user guide; both are taken.
 */
function stepOf(value: unknown): RotationStep {
  const name = typeof value === 'string' ? value.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) : value;
  return name as RotationStep;
}

/** The event Secrets Manager invokes a rotation function with. */
export interface SecretRotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

/** A user secret in the RDS secret format, validated. */
interface UserSecret extends DatabaseTarget {
  readonly userName: string;
  readonly password: string;
  readonly masterSecretArn: string;
}

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';

/** Secret `engine` values (the RDS secret format) and the engine family each one means. */
const ENGINES: Record<string, Engine> = { postgres: 'postgresql', mysql: 'mysql', mariadb: 'mysql' };

/** Runs one rotation step; a failure says which step of which secret failed and why, never a password. */
export async function rotateSecret(deps: HandlerDependencies, event: SecretRotationEvent): Promise<void> {
  const { SecretId: secretId, ClientRequestToken: token } = event;
  const step = stepOf(event.Step);
  if (typeof secretId !== 'string' || secretId === '' || typeof token !== 'string' || token === '' || !ROTATION_STEPS.includes(step)) {
    throw new Error(`Not a rotation event: SecretId, ClientRequestToken and Step (one of ${ROTATION_STEPS.join(', ')}) are required`);
  }
  const passwords: string[] = [];
  try {
    const metadata = await deps.secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
    if (!metadata.RotationEnabled) {
      throw new Error('rotation is not enabled for this secret');
    }
    const versions = metadata.VersionIdsToStages ?? {};
    const stages = Object.hasOwn(versions, token) ? versions[token] : undefined;
    if (stages === undefined) {
      throw new Error(`version ${token} is not a version of this secret`);
    }
    if (stages.includes(CURRENT)) {
      return; // this version is already current: the rotation is complete
    }
    if (step !== 'finishSecret' && !stages.includes(PENDING)) {
      throw new Error(`version ${token} is not staged ${PENDING}`);
    }
    const steps = new RotationSteps(deps, secretId, token, passwords);
    switch (step) {
      case 'createSecret': return await steps.createSecret();
      case 'setSecret': return await steps.setSecret();
      case 'testSecret': return await steps.testSecret();
      case 'finishSecret': return await steps.finishSecret(metadata);
    }
  } catch (error) {
    throw new Error(`Rotation step ${step} of secret ${secretId} failed: ${redact(describeDatabaseError(error), passwords)}`, { cause: error });
  }
}

class RotationSteps {
  constructor(
    private readonly deps: HandlerDependencies,
    private readonly secretId: string,
    private readonly token: string,
    /** Every password read, so that no message repeats one. */
    private readonly passwords: string[],
  ) {}

  /** Puts a new version staged AWSPENDING: the current value with a new random password (once per token). */
  public async createSecret(): Promise<void> {
    const current = await this.read(CURRENT);
    if (await this.read(PENDING).then(() => true, notFound)) {
      return; // created by an earlier try of this step
    }
    const generated = await this.deps.secretsManager.send(new GetRandomPasswordCommand({
      PasswordLength: PASSWORD_LENGTH, ExcludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
    }));
    const password = requirePassword(generated.RandomPassword, 'the generated password');
    this.passwords.push(password);
    await this.deps.secretsManager.send(new PutSecretValueCommand({
      SecretId: this.secretId, ClientRequestToken: this.token, VersionStages: [PENDING],
      SecretString: JSON.stringify({ ...current.value, password }),
    }));
  }

  /**
   * Logs in as the master (with the pending password of the master secret too while that secret
   * rotates) and sets the user's password to the pending one; nothing else changes.
   */
  public async setSecret(): Promise<void> {
    const pending = await this.read(PENDING);
    const current = await this.read(CURRENT);
    // The pending version was made from the current one: anything but the password differing means
    // it was not, and it must not point the master's login at another user, database or server.
    const differing = (['engine', 'host', 'port', 'database', 'userName', 'masterSecretArn'] as const)
      .filter((field) => pending.secret[field] !== current.secret[field]);
    if (differing.length > 0) {
      throw new Error(`the ${PENDING} version differs from the ${CURRENT} one in more than the password (${differing.join(', ')}); rotation changes only the password`);
    }
    const user = pending.secret;
    // Refusing the master is the reason itself, not a failure of setting the password.
    let masterRefused: Error | undefined;
    const refuseMaster = (masterUserName: string) => {
      if (masterUserName.toLowerCase() === user.userName.toLowerCase()) {
        masterRefused = new InvalidIdentifierError(`"${user.userName}" is the master user: rotation sets the password of a consumer user only`);
        throw masterRefused;
      }
    };
    try {
      await withMasterLogin(this.deps, {
        target: user, tls: this.deps.tls(user), masterSecretArn: user.masterSecretArn, secrets: this.passwords, checkUsername: refuseMaster,
      }, (master) => master.engine === 'postgresql'
        ? setPostgresPassword(master.client, user.userName, user.password, this.deps.postgresIamRole)
        : setMysqlPassword(master.connection, user.userName, user.password, this.deps.mysqlIamAuth));
    } catch (error) {
      if (error === masterRefused) throw error;
      throw new Error(`setting the password of "${user.userName}" on ${describeTarget(user)} failed: ${describeDatabaseError(error)}`, { cause: error });
    }
  }

  /** Logs in as the user with the pending password. */
  public async testSecret(): Promise<void> {
    const user = (await this.read(PENDING)).secret;
    try {
      await logInAsUser(user, this.deps.tls(user), user.userName, user.password);
    } catch (error) {
      throw new Error(`logging in as "${user.userName}" to ${describeTarget(user)} with the ${PENDING} password failed: ${describeDatabaseError(error)}`, { cause: error });
    }
  }

  /** Moves AWSCURRENT to the new version (Secrets Manager moves AWSPREVIOUS along). */
  public async finishSecret(metadata: DescribeSecretCommandOutput): Promise<void> {
    const currentVersion = Object.entries(metadata.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes(CURRENT))?.[0];
    if (currentVersion === this.token) return;
    await this.deps.secretsManager.send(new UpdateSecretVersionStageCommand({
      SecretId: this.secretId, VersionStage: CURRENT, MoveToVersionId: this.token, RemoveFromVersionId: currentVersion,
    }));
  }

  /** A version of the secret (AWSCURRENT, or this token's AWSPENDING one), validated. */
  private async read(stage: typeof CURRENT | typeof PENDING): Promise<{ value: Record<string, unknown>; secret: UserSecret }> {
    const result = await this.deps.secretsManager.send(new GetSecretValueCommand(stage === CURRENT
      ? { SecretId: this.secretId, VersionStage: CURRENT }
      : { SecretId: this.secretId, VersionId: this.token, VersionStage: PENDING }));
    const where = `the ${stage} version of secret ${this.secretId}`;
    const value = parseSecretJson(result.SecretString, where);
    const secret = parseUserSecret(value, where);
    this.passwords.push(secret.password);
    return { value, secret };
  }
}

/** The connection, user and master of a user secret; every name checked as the custom resource checks it. */
function parseUserSecret(value: Record<string, unknown>, where: string): UserSecret {
  const engine = typeof value.engine === 'string' ? ENGINES[value.engine] : undefined;
  if (engine === undefined) {
    throw new InvalidIdentifierError(`${where}: engine must be one of ${Object.keys(ENGINES).join(', ')}`);
  }
  const field = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      throw new InvalidIdentifierError(`${where}: ${(error as Error).message}`);
    }
  };
  return {
    engine,
    host: field(() => requireString(value.host, 'host')),
    port: field(() => wholeNumber(value.port, 'port', 1, 65535)),
    database: field(() => requireIdentifier(engine, 'object', 'dbname', value.dbname)),
    userName: field(() => requireUserName(engine, value.username)),
    password: requirePassword(value.password, where),
    masterSecretArn: field(() => requireString(value.masterarn, 'masterarn')),
  };
}

/** `false` for Secrets Manager's "no such version" (AWSPENDING not written yet); other errors are rethrown. */
function notFound(error: unknown): false {
  if ((error as { name?: string }).name === 'ResourceNotFoundException') return false;
  throw error;
}
