import { Duration, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PgBouncerOptions } from './pooler';
import { RestartOnRotation } from './restart-on-rotation';
import { secretReadStatements } from '../database/access-policies';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { PgBouncerConfig, pgBouncerConfig } from './pgbouncer-config';

/** Where the start command writes PgBouncer's files inside the container. */
const RUN_DIR = '/tmp/pgbouncer';

/**
 * The container's start command: writes the files PgBouncer reads from the environment ECS filled
 * in (the configuration) and the secrets it injected (password, certificate), then replaces itself
 * with PgBouncer, which runs in the foreground and logs to stderr.
 *
 * @param runDir the directory the configuration's file names point into
 */
export function pgBouncerStartScript(runDir: string): string {
  return [
    'set -eu',
    'umask 077',
    `mkdir -p ${runDir}`,
    `printf '%s\\n' "$PGBOUNCER_INI" > ${runDir}/pgbouncer.ini`,
    `printf '"%s" "%s"\\n' "$DB_USER" "$DB_PASSWORD" > ${runDir}/userlist.txt`,
    `printf '%s\\n' "$TLS_CERTIFICATE" > ${runDir}/client.crt`,
    `printf '%s\\n' "$TLS_PRIVATE_KEY" > ${runDir}/client.key`,
    `printf '%s\\n' "$SERVER_CA_BUNDLE" > ${runDir}/server-ca.pem`,
    'unset DB_PASSWORD TLS_PRIVATE_KEY',
    `exec pgbouncer ${runDir}/pgbouncer.ini`,
  ].join('\n');
}

/** The files the start script writes, as the configuration names them. */
export function pgBouncerRunFiles(runDir: string): { authFile: string; clientTlsCertFile: string; clientTlsKeyFile: string; serverTlsCaFile: string } {
  return {
    authFile: `${runDir}/userlist.txt`,
    clientTlsCertFile: `${runDir}/client.crt`,
    clientTlsKeyFile: `${runDir}/client.key`,
    serverTlsCaFile: `${runDir}/server-ca.pem`,
  };
}

/** @internal */
export interface PgBouncerServiceProps {
  readonly options: PgBouncerOptions;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly port: number;
  readonly databaseName: string;
  readonly instanceEndpoint: string;
  /** The database secret: `username` and `password` fields. */
  readonly secret: secretsmanager.ISecret;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Whether the secret is rotated: the tasks are then replaced after each rotation. */
  readonly rotation: boolean;
  /** Whether the load balancer refuses deletion, like the instance. */
  readonly deletionProtection: boolean;
  /** Server and client connections, read from the budget when the task definition is rendered. */
  readonly pool: () => { serverConnections: number; clientConnections: number };
}

/**
 * PgBouncer as a small highly available service: Fargate tasks on ARM in two or more
 * Availability Zones behind an internal Network Load Balancer, configured from the budget.
 *
 * @internal
 */
export class PgBouncerService extends Construct {
  /** The load balancer's DNS name: the host functions connect to. */
  public readonly endpoint: string;
  /** The load balancer's security group: the door clients pass. */
  public readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** The tasks' security group: the only source the database admits besides rotation. */
  public readonly serviceSecurityGroup: ec2.SecurityGroup;
  public readonly service: ecs.FargateService;
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** The configuration as rendered for the template (after the budget is complete). */
  public config?: PgBouncerConfig;

  constructor(scope: Construct, id: string, props: PgBouncerServiceProps) {
    super(scope, id);
    const tasks = props.options.tasks ?? 2;
    if (!Number.isInteger(tasks) || tasks < 2) {
      throw new Error(`${this.node.path}: PgBouncer needs at least 2 tasks to stay available (tasks: ${tasks})`);
    }
    const path = scope.node.path;

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `PgBouncer load balancer of ${path}: reachable from wired functions only`,
    });
    this.serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      // Out to the database (rule added by the database) and to the image registry and logs over HTTPS.
      vpc: props.vpc, allowAllOutbound: false, description: `PgBouncer tasks of ${path}: reachable from their load balancer only`,
    });
    this.serviceSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Image registry, Secrets Manager and CloudWatch Logs over HTTPS');
    this.serviceSecurityGroup.addIngressRule(this.loadBalancerSecurityGroup, ec2.Port.tcp(props.port), 'Clients through the load balancer');
    this.loadBalancerSecurityGroup.addEgressRule(this.serviceSecurityGroup, ec2.Port.tcp(props.port), 'To the PgBouncer tasks');

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention, encryptionKey: props.encryptionKey, removalPolicy: props.removalPolicy,
    });
    // The grants aws-cdk-lib writes for the image, the logs and the secrets go to a customer-managed
    // policy rather than an inline one.
    const executionPolicy = new iam.ManagedPolicy(this, 'ExecutionPolicy', {
      description: `Lets ECS start the PgBouncer tasks of ${path}: image pull, logs, the password and the certificate`,
      // Written here, not granted by the secret: a grant would name the role in the key policy and
      // close a dependency cycle through the secret (as for the proxy's role).
      statements: secretReadStatements(this, props.secret, props.encryptionKey),
    });
    // The secret by its ARN only: ECS's grant then adds no key-policy statement.
    const databaseSecret = secretsmanager.Secret.fromSecretCompleteArn(this, 'DatabaseSecret', props.secret.secretArn);
    const executionRole = new ManagedPolicyRole(this, 'ExecutionRole', executionPolicy, {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Starts the PgBouncer tasks of ${path}`,
    });
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `PgBouncer tasks of ${path}: no AWS permissions`,
    });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      executionRole,
      taskRole,
      cpu: props.options.cpu ?? 256,
      memoryLimitMiB: props.options.memoryLimitMiB ?? 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const ini = (): string => {
      const pool = props.pool();
      this.config = pgBouncerConfig({
        databaseName: props.databaseName,
        serverHost: props.instanceEndpoint,
        serverPort: props.port,
        listenPort: props.port,
        serverConnections: pool.serverConnections,
        clientConnections: pool.clientConnections,
        tasks,
        ...pgBouncerRunFiles(RUN_DIR),
      });
      return this.config.ini; // the instance endpoint inside stays a token CloudFormation fills in
    };
    taskDefinition.addContainer('PgBouncer', {
      image: props.options.image,
      entryPoint: ['/bin/sh', '-c'],
      command: [pgBouncerStartScript(RUN_DIR)],
      essential: true,
      portMappings: [{ containerPort: props.port, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'pgbouncer' }),
      environment: {
        // Rendered lazily: the budget is complete only when every function is wired.
        PGBOUNCER_INI: Lazy.string({ produce: ini }),
        SERVER_CA_BUNDLE: props.options.serverCaBundle,
      },
      secrets: {
        DB_USER: ecs.Secret.fromSecretsManager(databaseSecret, 'username'),
        DB_PASSWORD: ecs.Secret.fromSecretsManager(databaseSecret, 'password'),
        TLS_CERTIFICATE: ecs.Secret.fromSecretsManager(props.options.tlsCertificate, 'certificate'),
        TLS_PRIVATE_KEY: ecs.Secret.fromSecretsManager(props.options.tlsCertificate, 'privateKey'),
      },
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition,
      desiredCount: tasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      assignPublicIp: false,
      vpcSubnets: props.subnets,
      securityGroups: [this.serviceSecurityGroup],
      circuitBreaker: { rollback: true },
    });

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [this.loadBalancerSecurityGroup],
      deletionProtection: props.deletionProtection,
    });
    const listener = this.loadBalancer.addListener('Listener', { port: props.port, protocol: elbv2.Protocol.TCP });
    listener.addTargets('Tasks', {
      port: props.port,
      protocol: elbv2.Protocol.TCP,
      targets: [this.service],
      // A task that stops accepting TCP on the port leaves the rotation within 30 s.
      healthCheck: { protocol: elbv2.Protocol.TCP, interval: Duration.seconds(10), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
      deregistrationDelay: Duration.seconds(30),
    });
    this.endpoint = this.loadBalancer.loadBalancerDnsName;
    for (const endpoint of props.options.interfaceEndpoints ?? []) {
      endpoint.connections.allowDefaultPortFrom(this.serviceSecurityGroup, 'PgBouncer tasks: image, logs');
    }
    if (props.rotation) {
      // ECS injects the password when a task starts: after a rotation only new tasks know it.
      new RestartOnRotation(this, 'RestartOnRotation', {
        cluster, service: this.service, secret: props.secret, encryptionKey: props.encryptionKey,
        logRetention: props.logRetention, removalPolicy: props.removalPolicy,
      });
    }
    acknowledgePgBouncerDecisions(taskDefinition, this.loadBalancer, listener, executionPolicy);
  }
}

/** Findings the service's design answers, with the reason. */
function acknowledgePgBouncerDecisions(
  taskDefinition: ecs.TaskDefinition, loadBalancer: elbv2.NetworkLoadBalancer, listener: elbv2.NetworkListener, executionPolicy: iam.ManagedPolicy,
): void {
  for (const id of ['HIPAA.Security-ELBv2ACMCertificateRequired', 'NIST.800.53.R5-ELBv2ACMCertificateRequired', 'PCI.DSS.321-ELBv2ACMCertificateRequired']) {
    Validations.of(listener).acknowledge({
      id,
      reason: 'PostgreSQL negotiates TLS inside its own protocol (SSLRequest), which a TLS listener cannot carry; PgBouncer ends TLS with its certificate and requires it (client_tls_sslmode require).',
    });
  }
  Validations.of(executionPolicy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ecr:GetAuthorizationToken supports no resource-level permissions (the statement aws-cdk-lib writes for pulling an ECR image); the other actions name their resources.',
  });
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason: 'The environment holds only the non-secret pgbouncer.ini generated from the budget and the public RDS CA bundle; the password and the private key are injected from Secrets Manager.',
  });
  for (const id of ['AwsSolutions-ELB2', 'NIST.800.53.R5-ELBLoggingEnabled', 'HIPAA.Security-ELBLoggingEnabled', 'PCI.DSS.321-ELBLoggingEnabled']) {
    Validations.of(loadBalancer).acknowledge({
      id,
      reason: 'Network Load Balancer access logs exist only for TLS listeners; this TCP listener carries PostgreSQL\'s own TLS, ended by PgBouncer, which logs to CloudWatch Logs.',
    });
  }
}

