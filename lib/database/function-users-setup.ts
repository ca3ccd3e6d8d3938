import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IDependable } from 'constructs';
import { secretReadStatements } from './access-policies';
import { DatabaseUsers, UserAuthentication } from './database-users';
import { ManagedDatabaseOptions } from './managed-database-options';
import { ConnectionBudget } from '../budget/connection-budget';
import { DatabaseEngineFamily } from '../budget/engine-family';

/** What an instance or a cluster hands its per-function users (the rest comes from its props). */
export interface FunctionUsersParts {
  readonly engineFamily: DatabaseEngineFamily;
  readonly iamAuthentication: boolean;
  /** The instance's endpoint, or the cluster's writer endpoint. */
  readonly endpointAddress: string;
  /** The instance's or the cluster's resource id, in the proxy's `rds-db:connect` ARNs. */
  readonly resourceId: string;
  readonly database: IDependable;
  readonly databaseConnections: ec2.Connections;
  readonly port: number;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly secret: secretsmanager.ISecret;
  readonly encryptionKey: kms.IKey;
  readonly functionSubnets: ec2.SubnetSelection;
  readonly budget: ConnectionBudget;
  readonly removalPolicy: RemovalPolicy;
}

/** The per-function users of an instance or a cluster (`Users`), from its props and its parts. */
export function createFunctionUsers(scope: Construct, props: ManagedDatabaseOptions, parts: FunctionUsersParts): DatabaseUsers {
  return new DatabaseUsers(scope, 'Users', {
    engineFamily: parts.engineFamily,
    authentication: parts.iamAuthentication ? UserAuthentication.IAM : UserAuthentication.PASSWORD,
    endpointAddress: parts.endpointAddress, resourceId: parts.resourceId,
    database: parts.database, databaseConnections: parts.databaseConnections, port: parts.port, databaseName: parts.databaseName,
    masterUsername: parts.masterUsername, secret: parts.secret, encryptionKey: parts.encryptionKey, vpc: props.vpc,
    subnets: parts.functionSubnets, secretsManagerEndpoint: props.secretsManagerEndpoint, budgets: [parts.budget],
    logRetention: props.functionLogRetention ?? logs.RetentionDays.ONE_YEAR, removalPolicy: parts.removalPolicy,
    rotationInterval: props.rotationInterval ?? Duration.days(30),
  });
}

/**
 * The proxy's role (`ProxyRole`), with customer-managed policies instead of inline ones: reading
 * the master secret (`ProxyPolicy`) without per-function users; with them the users add theirs
 * (rds-db:connect as each user, or reading their secrets).
 */
export function createProxyRole(scope: Construct, users: DatabaseUsers | undefined, secret: secretsmanager.ISecret, key: kms.IKey): iam.Role {
  const policy = users ? undefined : new iam.ManagedPolicy(scope, 'ProxyPolicy', {
    description: `Lets the RDS Proxy of ${scope.node.path} read the database credentials`,
    statements: secretReadStatements(scope, secret, key),
  });
  return new iam.Role(scope, 'ProxyRole', {
    assumedBy: new iam.ServicePrincipal('rds.amazonaws.com'),
    description: `RDS Proxy of ${scope.node.path}`,
    managedPolicies: policy ? [policy] : undefined,
  });
}

/**
 * How the proxy logs in to the database: with IAM users, IAM from end to end and no secret at
 * all; otherwise the master secret (`ProxySecret`), which password users replace in the proxy's
 * `Auth` (DatabaseUsers.useProxy). The secret is passed without its key, so the proxy adds no
 * key-policy grant: the role's policies hold the permissions, and a grant naming the role in the
 * key policy would close a dependency cycle through the secret.
 */
export function proxyLogin(scope: Construct, users: DatabaseUsers | undefined, secret: secretsmanager.ISecret): Pick<rds.DatabaseProxyProps, 'secrets' | 'defaultAuthScheme'> {
  if (users?.authentication === UserAuthentication.IAM) {
    return { secrets: undefined, defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH };
  }
  return { secrets: [secretsmanager.Secret.fromSecretCompleteArn(scope, 'ProxySecret', secret.secretArn)], defaultAuthScheme: undefined };
}
