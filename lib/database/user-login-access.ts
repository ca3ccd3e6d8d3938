import { createHash } from 'crypto';
import { Lazy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { kmsViaSecretsManager, proxyUserArn, userSecretReadStatements } from './access-policies';

/** What a role needs to log in as one database user. */
export interface UserLogin {
  readonly name: string;
  /** The user's own secret (password users); IAM users have none. */
  readonly secret?: secretsmanager.ISecret;
}

export interface UserLoginAccessProps {
  /** The proxy IAM users log in through (asked for only when an IAM user is allowed). */
  readonly proxy: () => rds.IDatabaseProxy;
  readonly encryptionKey: kms.IKey;
  /** Every password user's secret (none with IAM users only). */
  readonly userSecretArns: () => string[];
  /** The construct scope of one user's resources. */
  readonly scopeOf: (userName: string) => Construct;
}

/**
 * Lets each function's role log in as its own database user and no other, without a resource per
 * function: the role carries the user's name in a tag, and one shared policy allows
 * `rds-db:connect` only for the user its principal tag names (or, with passwords, reading only
 * the secret tagged with that user). A role that cannot carry the tag (imported, or already
 * tagged with another user of this database) gets a policy naming its user instead.
 */
export class UserLoginAccess {
  /** The principal tag that names a role's database user; one key per database. */
  public readonly tagKey: string;
  private connectPolicy?: iam.ManagedPolicy;
  private secretPolicy?: iam.ManagedPolicy;
  private readonly roleUsers = new Map<iam.IRole, string>();
  private readonly namedPolicies = new Map<string, iam.ManagedPolicy>();

  constructor(private readonly scope: Construct, private readonly props: UserLoginAccessProps) {
    const database = scope.node.scope!.node.path;
    this.tagKey = `serverless-rds-user-${createHash('sha256').update(database).digest('hex').slice(0, 8)}`;
  }

  /** Lets `role` log in as `user`. */
  public allow(role: iam.IRole, user: UserLogin): void {
    const tagged = this.roleUsers.get(role);
    if (tagged === user.name) return;
    const cfnRole = role instanceof iam.Role ? role.node.defaultChild : undefined;
    if (tagged === undefined && cfnRole instanceof iam.CfnRole) {
      cfnRole.tags.setTag(this.tagKey, user.name);
      this.roleUsers.set(role, user.name);
      role.addManagedPolicy(user.secret ? this.sharedSecretPolicy() : this.sharedConnectPolicy());
      return;
    }
    role.addManagedPolicy(this.named(user));
  }

  /** The tag a user's secret carries, matched against the principal tag of the role reading it. */
  public tagSecret(secret: secretsmanager.Secret, userName: string): void {
    (secret.node.defaultChild as secretsmanager.CfnSecret).tags.setTag(this.tagKey, userName);
  }

  /** `rds-db:connect` through the proxy as the user the role's tag names. */
  private sharedConnectPolicy(): iam.ManagedPolicy {
    if (!this.connectPolicy) {
      const principalUser = `\${aws:PrincipalTag/${this.tagKey}}`;
      this.connectPolicy = new iam.ManagedPolicy(this.scope, 'LoginPolicy', {
        description: `Logs in through the proxy of ${this.scope.node.scope!.node.path} as the database user that the role's tag ${this.tagKey} names`,
        statements: [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [proxyUserArn(this.scope, this.props.proxy().dbProxyArn, principalUser)] })],
      });
    }
    return this.connectPolicy;
  }

  /** Reading the secret tagged with the user the role's tag names; decrypting only users' secrets. */
  private sharedSecretPolicy(): iam.ManagedPolicy {
    if (!this.secretPolicy) {
      const principalUser = `\${aws:PrincipalTag/${this.tagKey}}`;
      this.secretPolicy = new iam.ManagedPolicy(this.scope, 'SecretLoginPolicy', {
        description: `Reads the secret of the database user of ${this.scope.node.scope!.node.path} that the role's tag ${this.tagKey} names`,
        statements: [
          new iam.PolicyStatement({
            actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            resources: Lazy.list({ produce: this.props.userSecretArns }),
            conditions: { StringEquals: { [`aws:ResourceTag/${this.tagKey}`]: principalUser } },
          }),
          // Decrypting only the users' secrets, never the master secret that shares the key.
          kmsViaSecretsManager(this.scope, this.props.encryptionKey, ['kms:Decrypt'], {
            'kms:EncryptionContext:SecretARN': Lazy.list({ produce: this.props.userSecretArns }),
          }),
        ],
      });
    }
    return this.secretPolicy;
  }

  private named(user: UserLogin): iam.ManagedPolicy {
    let policy = this.namedPolicies.get(user.name);
    if (!policy) {
      const where = this.scope.node.scope!.node.path;
      policy = new iam.ManagedPolicy(this.props.scopeOf(user.name), 'LoginPolicy', {
        description: user.secret
          ? `Reads the secret of database user ${user.name} of ${where} (its login through the proxy)`
          : `Logs in through the proxy of ${where} as database user ${user.name}`,
        statements: user.secret
          ? userSecretReadStatements(this.scope, user.secret, this.props.encryptionKey)
          : [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [proxyUserArn(this.scope, this.props.proxy().dbProxyArn, user.name)] })],
      });
      this.namedPolicies.set(user.name, policy);
    }
    return policy;
  }
}

