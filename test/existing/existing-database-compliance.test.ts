import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { applyCompliancePacks } from '../../bin/compliance';
import { IsolatedVpc } from '../../bin/isolated-vpc';
import { BudgetMonitoring, DatabaseEngineFamily, ExistingDatabase } from '../../lib';
import { addNonCompliantControl, synthesizeWithFindings } from '../compliance-report';
import { inlineFunctionProps } from '../helpers';

test('an existing database with its guard, functions and monitoring stays clean under the five cdk-nag packs', () => {
  // GIVEN the demo's isolated network and an imported proxy
  const app = new App();
  const stack = new Stack(app, 'Existing', { env: { account: '123456789012', region: 'eu-west-1' } });
  const network = new IsolatedVpc(stack, 'Network');
  const proxySecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'ProxySg', 'sg-0123456789abcdef0');
  const proxy = rds.DatabaseProxy.fromDatabaseProxyAttributes(stack, 'Proxy', {
    dbProxyName: 'orders-proxy', dbProxyArn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
    endpoint: 'orders-proxy.proxy-abc.eu-west-1.rds.amazonaws.com', securityGroups: [proxySecurityGroup],
  });

  // WHEN functions are wired to it and it is monitored
  const db = new ExistingDatabase(stack, 'Orders', {
    vpc: network.vpc, engine: DatabaseEngineFamily.POSTGRESQL, instanceIdentifier: 'orders', maxConnections: 394,
    proxy, proxySecurityGroup, proxyMaxConnectionsPercent: 90, databaseName: 'app', username: 'app_user', encryptionKey: network.key,
  });
  const api = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 40, tracing: lambda.Tracing.ACTIVE, memorySize: 512, timeout: Duration.seconds(10),
  });
  for (const id of ['Serverless-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ']) {
    Validations.of(api).acknowledge({ id, reason: 'Invoked synchronously: the caller receives the error, so there is no asynchronous event to dead-letter.' });
  }
  BudgetMonitoring.forExistingDatabase(db);
  applyCompliancePacks(app);
  addNonCompliantControl(stack); // proves the packs run: only these resources may be reported
  const result = synthesizeWithFindings(app);

  // THEN only the control is reported
  expect(new Set(result.findings.map(f => f.plugin))).toEqual(new Set([
    'AwsSolutions', 'Serverless', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'CloudFormation Validate',
  ]));
  expect(result.findings.filter(f => f.paths.some(p => !p.includes('/Control')))).toEqual([]);
  const template = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(result.outdir, 'Existing.template.json'), 'utf8')));
  template.resourceCountIs('Custom::ConnectionBudgetGuard', 1);
});
