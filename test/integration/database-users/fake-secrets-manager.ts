import { randomInt, randomUUID } from 'crypto';
import {
  DescribeSecretCommand, GetRandomPasswordCommand, GetSecretValueCommand, InvalidParameterException, PutSecretValueCommand,
  ResourceExistsException, ResourceNotFoundException, SecretsManagerClient, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { createHandler } from '../../../lib/handlers/database-users';

interface Version {
  secretString?: string;
  readonly stages: Set<string>;
}

interface Secret {
  rotationEnabled: boolean;
  readonly versions: Map<string, Version>;
}

const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });

/**
 * Secrets Manager in memory, behind aws-sdk-client-mock: secrets with versions and staging labels,
 * enough of the API for the handler and for rotation as Secrets Manager drives it. A staging label
 * is on one version at a time; GetSecretValue of a version without a value (or not carrying the
 * asked stage) is ResourceNotFoundException; PutSecretValue is idempotent per ClientRequestToken;
 * moving AWSCURRENT moves AWSPREVIOUS to the version it left.
 */
export class FakeSecretsManager {
  public readonly client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  private readonly secrets = new Map<string, Secret>();
  private readonly mock = mockClient(this.client);
  /** Every password this fake handed out or was given: none may ever appear in a message. */
  public readonly passwords = new Set<string>();
  /**
   * Called after each GetSecretValue the fake answered with a value: a test may change the secrets
   * there, as a rotation running meanwhile would.
   */
  public afterRead?: (read: { secretId: string; versionId: string; stage?: string }) => void;

  constructor() {
    this.mock.on(GetSecretValueCommand).callsFake((input) => this.getSecretValue(input));
    this.mock.on(DescribeSecretCommand).callsFake((input) => this.describeSecret(input));
    this.mock.on(GetRandomPasswordCommand).callsFake((input) => this.getRandomPassword(input));
    this.mock.on(PutSecretValueCommand).callsFake((input) => this.putSecretValue(input));
    this.mock.on(UpdateSecretVersionStageCommand).callsFake((input) => this.updateSecretVersionStage(input));
  }

  /** Creates (or replaces) a secret whose only version, AWSCURRENT, holds `value` (JSON unless a string); returns that version's id. */
  public create(secretId: string, value: Record<string, unknown> | string, options: { rotationEnabled?: boolean } = {}): string {
    this.secrets.set(secretId, { rotationEnabled: options.rotationEnabled ?? false, versions: new Map() });
    return this.putVersion(secretId, value, ['AWSCURRENT']);
  }

  /** Adds a version holding `value` with `stages` (taking them from other versions); returns its id. */
  public putVersion(secretId: string, value: Record<string, unknown> | string, stages: string[], versionId: string = randomUUID()): string {
    const secret = this.secret(secretId);
    const version = secret.versions.get(versionId) ?? { stages: new Set<string>() };
    version.secretString = typeof value === 'string' ? value : JSON.stringify(value);
    if (typeof value !== 'string' && typeof value.password === 'string') this.passwords.add(value.password);
    secret.versions.set(versionId, version);
    for (const stage of stages) this.moveStage(secret, stage, versionId);
    return versionId;
  }

  /** What Secrets Manager does when rotation starts: a new version id, staged AWSPENDING, without a value yet. */
  public startRotation(secretId: string): string {
    const secret = this.secret(secretId);
    const token = randomUUID();
    secret.versions.set(token, { stages: new Set() });
    this.moveStage(secret, 'AWSPENDING', token);
    return token;
  }

  /** The parsed value of the version carrying `stage`, or of `versionId`. */
  public value(secretId: string, which: { stage?: string; versionId?: string } = { stage: 'AWSCURRENT' }): Record<string, any> {
    const version = which.versionId !== undefined
      ? this.secret(secretId).versions.get(which.versionId)
      : [...this.secret(secretId).versions.values()].find((v) => v.stages.has(which.stage!));
    if (version?.secretString === undefined) throw new Error(`no such version of ${secretId}`);
    return JSON.parse(version.secretString);
  }

  /** Version id → staging labels, as DescribeSecret reports them. */
  public stages(secretId: string): Record<string, string[]> {
    const entries = [...this.secret(secretId).versions.entries()].filter(([, v]) => v.stages.size > 0);
    return Object.fromEntries(entries.map(([id, v]) => [id, [...v.stages].sort()]));
  }

  /** How often the handler sent each kind of command. */
  public count(command: 'GetRandomPassword' | 'PutSecretValue' | 'UpdateSecretVersionStage' | 'DescribeSecret' | 'GetSecretValue'): number {
    const types = {
      GetRandomPassword: GetRandomPasswordCommand, PutSecretValue: PutSecretValueCommand, UpdateSecretVersionStage: UpdateSecretVersionStageCommand,
      DescribeSecret: DescribeSecretCommand, GetSecretValue: GetSecretValueCommand,
    };
    return this.mock.commandCalls(types[command] as any).length;
  }

  /**
   * What the handler asked GetSecretValue of `secretId`, in order: the staging label it named
   * (AWSCURRENT when it named none), or `version <id>` when it named only a version.
   */
  public reads(secretId: string): string[] {
    return this.mock.commandCalls(GetSecretValueCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.SecretId === secretId)
      .map((input) => input.VersionStage ?? (input.VersionId === undefined ? 'AWSCURRENT' : `version ${input.VersionId}`));
  }

  /** Runs a whole rotation as Secrets Manager does (new token, the four steps in order); returns the token. */
  public async rotate(handler: ReturnType<typeof createHandler>, secretId: string): Promise<string> {
    const token = this.startRotation(secretId);
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await handler({ SecretId: secretId, ClientRequestToken: token, Step });
    }
    return token;
  }

  private secret(secretId: string): Secret {
    const secret = this.secrets.get(secretId);
    if (!secret) throw notFound(`Secrets Manager can't find the specified secret ${secretId}.`);
    return secret;
  }

  private moveStage(secret: Secret, stage: string, versionId: string): void {
    for (const version of secret.versions.values()) version.stages.delete(stage);
    secret.versions.get(versionId)!.stages.add(stage);
  }

  private getSecretValue(input: { SecretId?: string; VersionId?: string; VersionStage?: string }) {
    const secret = this.secret(input.SecretId!);
    const stage = input.VersionStage ?? (input.VersionId === undefined ? 'AWSCURRENT' : undefined);
    const entry = [...secret.versions.entries()].find(([id, v]) =>
      (input.VersionId === undefined || id === input.VersionId) && (stage === undefined || v.stages.has(stage)));
    if (!entry || entry[1].secretString === undefined) {
      throw notFound(`Secrets Manager can't find the specified secret value for VersionId: ${input.VersionId} and staging label: ${stage}`);
    }
    const answer = { ARN: input.SecretId, VersionId: entry[0], SecretString: entry[1].secretString, VersionStages: [...entry[1].stages] };
    this.afterRead?.({ secretId: input.SecretId!, versionId: entry[0], stage });
    return answer;
  }

  private describeSecret(input: { SecretId?: string }) {
    const secret = this.secret(input.SecretId!);
    return { ARN: input.SecretId, RotationEnabled: secret.rotationEnabled, VersionIdsToStages: this.stages(input.SecretId!) };
  }

  private getRandomPassword(input: { PasswordLength?: number; ExcludeCharacters?: string }) {
    const alphabet = [...Array(95)].map((_, i) => String.fromCharCode(32 + i)).filter((c) => !(input.ExcludeCharacters ?? '').includes(c));
    const password = [...Array(input.PasswordLength ?? 32)].map(() => alphabet[randomInt(alphabet.length)]).join('');
    this.passwords.add(password);
    return { RandomPassword: password };
  }

  private putSecretValue(input: { SecretId?: string; ClientRequestToken?: string; SecretString?: string; VersionStages?: string[] }) {
    const secret = this.secret(input.SecretId!);
    const versionId = input.ClientRequestToken ?? randomUUID();
    const existing = secret.versions.get(versionId);
    if (existing?.secretString !== undefined) {
      if (existing.secretString !== input.SecretString) {
        throw new ResourceExistsException({ message: `A version with VersionId ${versionId} already exists with another value`, $metadata: {} });
      }
      return { ARN: input.SecretId, VersionId: versionId, VersionStages: [...existing.stages] };
    }
    secret.versions.set(versionId, { secretString: input.SecretString, stages: existing?.stages ?? new Set() });
    for (const stage of input.VersionStages ?? ['AWSCURRENT']) this.moveStage(secret, stage, versionId);
    return { ARN: input.SecretId, VersionId: versionId, VersionStages: [...secret.versions.get(versionId)!.stages] };
  }

  private updateSecretVersionStage(input: { SecretId?: string; VersionStage?: string; MoveToVersionId?: string; RemoveFromVersionId?: string }) {
    const secret = this.secret(input.SecretId!);
    const stage = input.VersionStage!;
    const holder = [...secret.versions.entries()].find(([, v]) => v.stages.has(stage))?.[0];
    if (holder !== undefined && holder !== input.MoveToVersionId && holder !== input.RemoveFromVersionId) {
      throw new InvalidParameterException({ message: `The staging label ${stage} is on version ${holder}: name it in RemoveFromVersionId`, $metadata: {} });
    }
    if (!input.MoveToVersionId || !secret.versions.has(input.MoveToVersionId)) throw notFound(`No version ${input.MoveToVersionId}`);
    this.moveStage(secret, stage, input.MoveToVersionId);
    if (stage === 'AWSCURRENT' && holder !== undefined && holder !== input.MoveToVersionId) this.moveStage(secret, 'AWSPREVIOUS', holder);
    return { ARN: input.SecretId, VersionId: input.MoveToVersionId };
  }
}
