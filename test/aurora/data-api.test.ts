import { Template } from 'aws-cdk-lib/assertions';
import { AURORA_MYSQL, newCluster } from './aurora-helpers';
import { inlineFunctionProps } from '../helpers';
import { budgetArtifact, synthOk } from '../verify/verify-test-utils';

describe('the Data API path', () => {
  const build = () => {
    const built = newCluster({ engine: AURORA_MYSQL, minCapacity: 0, maxCapacity: 8, rdsProxy: false, dataApi: true });
    const fn = built.db.addDataApiFunction('Orders', { ...inlineFunctionProps(), reservedConcurrentExecutions: 50 });
    return { ...built, fn, template: Template.fromStack(built.stack) };
  };

  test('a pausing cluster (0 ACU) with the Data API and no proxy', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      EnableHttpEndpoint: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 8 },
    });
    template.resourceCountIs('AWS::RDS::DBProxy', 0);
  });

  test('the function runs outside the VPC, with the cluster ARN and its own user\'s secret (not the master\'s) in its environment', () => {
    const { template, stack, db } = build();
    const fns = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter(f => f.Properties.Environment?.Variables?.SERVERLESS_RDS_DATA_API_RESOURCE_ARN);
    expect(fns).toHaveLength(1);
    expect(fns[0].Properties.VpcConfig).toBeUndefined();
    expect(fns[0].Properties.ReservedConcurrentExecutions).toBe(50);
    expect(stack.resolve(fns[0].Properties.Environment.Variables.SERVERLESS_RDS_DATA_API_RESOURCE_ARN)).toEqual(stack.resolve(db.cluster.clusterArn));
    const secretArn = fns[0].Properties.Environment.Variables.SERVERLESS_RDS_SECRET_ARN;
    expect(secretArn).not.toEqual(stack.resolve(db.secret.secretArn));
    expect(template.findResources('AWS::SecretsManager::Secret')[secretArn.Ref].Properties.Description).toMatch(/^Login of database user orders /);
    expect(fns[0].Properties.Environment.Variables.SERVERLESS_RDS_USER).toBe('orders');
  });

  test('rds-data permissions on the one cluster; the shared Data API policy reads no secret (each function reads its user\'s)', () => {
    const { template, stack, db } = build();
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .find(p => /RDS Data API/.test(p.Properties.Description))!;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements[0]).toEqual({
      Effect: 'Allow',
      Action: ['rds-data:ExecuteStatement', 'rds-data:BatchExecuteStatement', 'rds-data:BeginTransaction', 'rds-data:CommitTransaction', 'rds-data:RollbackTransaction'],
      Resource: stack.resolve(db.cluster.clusterArn),
    });
    expect(statements[1].Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(statements).toHaveLength(2);
    expect(JSON.stringify(statements)).not.toContain('secretsmanager:');
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });

  test('the Data API\'s connections are a direct reservation on the writer: reserved concurrency x statements per invocation', () => {
    const { app, stack, db } = build();
    // Aurora MySQL Serverless v2 with 8 ACU: max_connections 1000 (AWS's table).
    expect(db.maxConnections).toBe(1000);
    const plan = db.budget.plan();
    // The database-users handler, which creates the function's user, holds one more.
    expect(plan.allocations.map(a => [a.name, a.path, a.connections])).toEqual([['Data API: Db/DataApiFunctions/Orders', 'DIRECT', 50], ['Database users (custom resource)', 'DIRECT', 1]]);
    synthOk(app);
    expect(budgetArtifact(app, stack).allocations[0].connections).toBe(50);
  });

  test('without a proxy, a function wired by network is refused with the way out', () => {
    const { db } = newCluster({ engine: AURORA_MYSQL, minCapacity: 0, rdsProxy: false, dataApi: true });
    expect(() => db.addFunction('Api', inlineFunctionProps())).toThrow(/TestStack\/Db has no RDS Proxy \(`rdsProxy: false`\), so no function is wired by network: create it with addDataApiFunction\(\)/);
  });

  test('errors: no Data API, no reserved concurrency, a VPC', () => {
    const { db, vpc } = newCluster({ minCapacity: 1 });
    expect(() => db.addDataApiFunction('X', { ...inlineFunctionProps(), reservedConcurrentExecutions: 1 })).toThrow(/Data API functions need the Data API: set `dataApi: true`/);
    const { db: withApi } = newCluster({ minCapacity: 1, dataApi: true }, 'Other');
    expect(() => withApi.addDataApiFunction('X', inlineFunctionProps())).toThrow(/`reservedConcurrentExecutions` is required/);
    expect(() => withApi.addDataApiFunction('Y', { ...inlineFunctionProps(), reservedConcurrentExecutions: 1, vpc })).toThrow(/`vpc` must be left unset/);
  });
});
