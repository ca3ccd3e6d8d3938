import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as rds from 'aws-cdk-lib/aws-rds';
import { budgetArtifact, synthFailure } from './verify-test-utils';
import { AURORA_MYSQL, newCluster, R6G_LARGE } from '../aurora/aurora-helpers';
import { inlineFunctionProps } from '../helpers';

/** The template check on Aurora clusters: what the synthesized templates deploy, read back. */
describe('the template check of an Aurora cluster behind the proxy', () => {
  const build = () => {
    const built = newCluster({ minCapacity: 1, maxCapacity: 16, readers: 1 });
    built.db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 100 });
    built.db.readers!.addFunction('Reports', { ...inlineFunctionProps(), reservedConcurrentExecutions: 50 });
    return built;
  };

  test('the template check reads the writer\'s max_connections from the template: an override is caught', () => {
    const { app, stack, db } = newCluster({ minCapacity: 1, maxCapacity: 16 });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 800 });
    const group = stack.node.findAll().find(c => c.node.id === 'InstanceParameters')!;
    const cfn = group.node.findAll().find(c => (c as any).cfnResourceType === 'AWS::RDS::DBParameterGroup') as any;
    cfn.addPropertyOverride('Parameters.max_connections', '1000');
    const failure = synthFailure(app);
    expect(failure).toContain('The synthesized templates do not fit the connection budget of TestStack/Db');
    expect(failure).toContain('max_connections is 1000 in the template (template: parameter group); the budget counted 3360');
  });
  test('without an explicit parameter the check takes AWS\'s Serverless v2 default from the cluster\'s capacity range: a lower maxCapacity is caught', () => {
    const { app, stack, db } = newCluster({ minCapacity: 1, maxCapacity: 16 });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const cfn = stack.node.findAll().find(c => (c as any).cfnResourceType === 'AWS::RDS::DBParameterGroup') as any;
    cfn.addPropertyDeletionOverride('Parameters.max_connections');
    const cluster = db.cluster.node.defaultChild as any;
    cluster.addPropertyOverride('ServerlessV2ScalingConfiguration.MaxCapacity', 8);
    const failure = synthFailure(app);
    // 1669 (AWS's default for 8 ACU) - 9 reserved - 168 headroom = 1492, less 1 direct (the
    // database-users handler) = 1491; the proxy's 94% of 1669 is 1568.
    expect(failure).toContain('max_connections (template: Aurora Serverless v2 default for 1-8 ACU)   1669');
    expect(failure).toContain('proxyMaxConnectionsPercent 94 lets the proxy open 1568 connections, but the budget leaves it 1491 (capacity 1492 - direct 1)');
    expect(budgetArtifact(app, stack).maxConnections).toBe(1669);
  });
  test('a function outside the budget that can reach the read-only endpoint and log in fails synth', () => {
    const { app, stack, db } = build();
    const rogue = new lambda.Function(stack, 'Rogue', {
      ...inlineFunctionProps(), vpc: db.vpc, securityGroups: [db.readers!.clientSecurityGroup],
    });
    rogue.role!.addManagedPolicy(db.connectPolicy);
    expect(synthFailure(app)).toMatch(/Function .*Rogue.* can reach the proxy of TestStack\/Db\/Readers and log in/);
  });
});

describe('each reader is checked in the templates', () => {
  test('the readers\' budget takes the smallest max_connections of the readers as synthesized', () => {
    const { app, db } = newCluster({ instanceType: R6G_LARGE, readers: 2 });
    db.readers!.addFunction('Reports', { ...inlineFunctionProps(), reservedConcurrentExecutions: 300 });
    const second = db.cluster.node.findChild('Reader2').node.defaultChild as rds.CfnDBInstance;
    second.addPropertyDeletionOverride('DBParameterGroupName');
    second.addPropertyOverride('DBInstanceClass', 'db.t4g.medium');
    const failure = synthFailure(app)!;
    // db.t4g.medium on Aurora PostgreSQL: LEAST(DBInstanceClassMemory/9531392, 5000) = 394 with the memory model.
    expect(failure).toContain('The synthesized templates do not fit the connection budget of TestStack/Db/Readers');
    expect(failure).toMatch(/max_connections \(template: Aurora default for db\.t4g\.medium of DbClusterReader2\w+\)\s+394/);
  });

  test('a provisioned instance without an explicit max_connections is checked against AWS\'s default for its class', () => {
    const { app, stack, db } = newCluster({ engine: AURORA_MYSQL, instanceType: R6G_LARGE });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const group = stack.node.findAll().find(c => (c as any).cfnResourceType === 'AWS::RDS::DBParameterGroup') as any;
    group.addPropertyDeletionOverride('Parameters.max_connections');
    synthFailure(app);
    expect(budgetArtifact(app, stack).maxConnectionsSource).toBe('template: Aurora default for db.r6g.large');
    expect(budgetArtifact(app, stack).maxConnections).toBe(1000);
  });

});

describe('the template check of the Data API path', () => {
  const build = () => {
    const built = newCluster({ engine: AURORA_MYSQL, minCapacity: 0, maxCapacity: 8, rdsProxy: false, dataApi: true });
    const fn = built.db.addDataApiFunction('Orders', { ...inlineFunctionProps(), reservedConcurrentExecutions: 50 });
    return { ...built, fn };
  };

  test('a reservation the Data API function outgrows in the template fails synth', () => {
    const { app, fn } = build();
    (fn.node.defaultChild as any).reservedConcurrentExecutions = 80;
    expect(synthFailure(app)).toContain("The functions behind the reservation 'Data API: Db/DataApiFunctions/Orders' may hold 80 connections");
  });
  test('a function outside the budget whose role may run statements through the Data API fails synth, with no VPC at all', () => {
    const { app, stack, db } = build();
    const rogue = new lambda.Function(stack, 'Rogue', inlineFunctionProps());
    const policy = db.node.findChild('DataApiPolicy') as iam.ManagedPolicy;
    rogue.role!.addManagedPolicy(policy);
    // The Data API logs in with a secret: here the secret of the Orders function's own database user.
    const userSecret = db.node.findAll().find((c): c is secretsmanager.Secret => c instanceof secretsmanager.Secret && c.node.path.endsWith('/Users/Members/orders/Secret'))!;
    userSecret.grantRead(rogue);
    expect(synthFailure(app)).toMatch(/Function .*Rogue.* can reach the Data API of TestStack\/Db and log in/);
  });

  test('statement rights without a secret to log in with are no client', () => {
    const { app, stack, db } = build();
    const rogue = new lambda.Function(stack, 'Rogue', inlineFunctionProps());
    rogue.role!.addManagedPolicy(db.node.findChild('DataApiPolicy') as iam.ManagedPolicy);
    expect(synthFailure(app)).toBeUndefined();
  });
  test('an AWS managed policy named for RDS counts as Data API access; other functions of the account do not', () => {
    const { app, stack } = build();
    const rogue = new lambda.Function(stack, 'Rogue', inlineFunctionProps());
    rogue.role!.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonRDSDataFullAccess'));
    // A plain function (AWSLambdaBasicExecutionRole only) is no client.
    new lambda.Function(stack, 'Plain', inlineFunctionProps());
    const failure = synthFailure(app)!;
    expect(failure).toMatch(/Function .*Rogue.* can reach the Data API of TestStack\/Db and log in \(its role has the managed policy 'AmazonRDSDataFullAccess'/);
    expect(failure).not.toMatch(/Function .*Plain/);
  });
  test('with readers and the proxy too, the proxy\'s one percentage is the smaller one and both budgets fit it in the templates', () => {
    const { app, stack, db } = newCluster({ minCapacity: 1, maxCapacity: 16, readers: 1, dataApi: true });
    db.addDataApiFunction('Orders', { ...inlineFunctionProps(), reservedConcurrentExecutions: 200 });
    db.readers!.addFunction('Reports', { ...inlineFunctionProps(), reservedConcurrentExecutions: 100 });
    // Writer: 3360 - 9 - 168 = 3183 capacity, 200 direct -> 2983 -> floor(298300 / 3360) = 88%; readers: 94%.
    expect(db.budget.proxyMaxConnectionsPercent).toBe(88);
    expect(db.readers!.budget.proxyMaxConnectionsPercent).toBe(94);
    expect(synthFailure(app)).toBeUndefined();
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBProxyTargetGroup', {
      ConnectionPoolConfigurationInfo: { ConnectionBorrowTimeout: 30, MaxConnectionsPercent: 88, MaxIdleConnectionsPercent: 44 },
    });
  });
});
