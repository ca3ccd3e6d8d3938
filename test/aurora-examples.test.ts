import { App } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { acknowledgments, synthesizeWithFindings } from './compliance-report';
import { budgetArtifact } from './verify/verify-test-utils';
import { applyCompliancePacks } from '../bin/compliance';
import { AuroraMysqlDataApiStack } from '../examples/aurora-mysql-data-api';
import { AuroraServerlessReaderStack } from '../examples/aurora-serverless-reader';

const EXAMPLES = [
  ['aurora-serverless-reader', (app: App) => new AuroraServerlessReaderStack(app, 'AuroraServerlessReader')],
  ['aurora-mysql-data-api', (app: App) => new AuroraMysqlDataApiStack(app, 'AuroraMysqlDataApi')],
] as const;

describe.each(EXAMPLES)('example %s', (_name, build) => {
  let app: App;
  let stack: ReturnType<typeof build>;
  let result: ReturnType<typeof synthesizeWithFindings>;

  beforeAll(() => {
    app = new App();
    stack = build(app);
    applyCompliancePacks(app);
    result = synthesizeWithFindings(app);
  });

  test('synthesizes with no unacknowledged finding of the five cdk-nag packs or of the budget check', () => {
    expect(result.findings).toEqual([]);
  });

  test('acknowledges only with reasons', () => {
    for (const ack of acknowledgments(app)) {
      expect(ack.reason.length).toBeGreaterThan(20);
    }
  });

  test('fits its connection budgets, as declared and as synthesized', () => {
    expect(stack.database.budget.plan().problems).toEqual([]);
    expect(stack.database.readers?.budget.plan().problems ?? []).toEqual([]);
    expect(budgetArtifact(app, stack).problems).toEqual([]);
  });

  test('prints its budget tables', () => {
    const tables = [stack.database.budget.toTable(`${stack.stackName}/Db (writer)`)];
    if (stack.database.readers) {
      tables.push(stack.database.readers.budget.toTable(`${stack.stackName}/Db (readers)`));
    }
    // The tables the closing note of the feature quotes.
    process.stdout.write(`\n${tables.join('\n\n')}\n`);
    expect(tables.join('')).toContain('max_connections');
  });
});

test('the five packs are active on the Aurora examples (control: the Data API example with its safeguards removed)', () => {
  const app = new App();
  const stack = new AuroraMysqlDataApiStack(app, 'AuroraMysqlDataApi');
  // The rule packs read the L1 attributes (not raw overrides).
  const cluster = stack.database.cluster.node.defaultChild as rds.CfnDBCluster;
  cluster.deletionProtection = false;
  cluster.storageEncrypted = false;
  const fn = stack.database.node.findChild('DataApiFunctions').node.findChild('Orders').node.defaultChild as lambda.CfnFunction;
  fn.tracingConfig = undefined;
  applyCompliancePacks(app);
  const control = synthesizeWithFindings(app);
  expect(new Set(control.findings.map(f => f.plugin))).toEqual(new Set(['AwsSolutions', 'Serverless', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321']));
  for (const finding of control.findings) {
    expect(finding.paths.every(p => p.endsWith('/Db/Cluster/Resource') || p.endsWith('/Db/DataApiFunctions/Orders/Resource'))).toBe(true);
  }
});
