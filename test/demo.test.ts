import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { acknowledgments, addNonCompliantControl, normalizeTemplate, synthesizeWithFindings } from './compliance-report';
import { applyCompliancePacks } from '../bin/compliance';
import { DemoStack } from '../bin/demo-stack';

describe('demo app (bin/)', () => {
  let app: App;
  let stack: DemoStack;
  let result: ReturnType<typeof synthesizeWithFindings>;

  beforeAll(() => {
    app = new App();
    stack = new DemoStack(app, 'ServerlessRdsDemo');
    applyCompliancePacks(app);
    result = synthesizeWithFindings(app);
  });

  test('the five cdk-nag packs and CloudFormation validation are active (control with non-compliant resources)', () => {
    const controlApp = new App();
    addNonCompliantControl(new DemoStack(controlApp, 'ServerlessRdsDemo'));
    applyCompliancePacks(controlApp);
    const control = synthesizeWithFindings(controlApp);
    expect(new Set(control.findings.map(f => f.plugin))).toEqual(new Set([
      'AwsSolutions', 'Serverless', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'CloudFormation Validate',
    ]));
    // Only the control resources are reported: the demo itself stays clean.
    for (const finding of control.findings) {
      expect(finding.paths.every(p => p.includes('/Control'))).toBe(true);
    }
  });

  test('has no unacknowledged finding of any severity', () => {
    expect(result.findings).toEqual([]);
  });

  test('every acknowledgment carries a reason', () => {
    const acks = acknowledgments(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(20);
    }
  });

  test('shows the budget table at synth time and writes the budget as synthesized to the cloud assembly', () => {
    Annotations.fromStack(stack).hasInfo('/ServerlessRdsDemo/Db', Match.stringLikeRegexp('Connection budget of ServerlessRdsDemo/Db'));
    const file = fs.readdirSync(result.outdir).find(f => f.endsWith('.connection-budget.json'));
    const budget = JSON.parse(fs.readFileSync(path.join(result.outdir, file!), 'utf8'));
    expect(budget.source).toBe('synthesized templates');
    expect(budget.maxConnections).toBe(394);
    expect(budget.problems).toEqual([]);
    expect(budget.drift).toEqual([]);
    expect(budget.allocations.map((a: { name: string }) => a.name)).toEqual(
      // The handler that creates each function's database user holds one connection of its own.
      ['Db/Functions/Api', 'Db/Functions/Worker', 'Db/Functions/Report', 'Db/Functions/JobConsumer', 'Database users (custom resource)', 'Migrations']);
  });

  test('caps every function inside what the proxy may allocate, keeping its 30% headroom', () => {
    const template = Template.fromStack(stack);
    const percent = template.findResources('AWS::RDS::DBProxyTargetGroup');
    const maxPercent = Object.values(percent)[0].Properties.ConnectionPoolConfigurationInfo.MaxConnectionsPercent;
    // capacity 394 - 9 reserved - 20 admin = 365, less 5 direct (Migrations) = 360 for the proxy
    const proxyPool = Math.min(Math.floor((394 * maxPercent) / 100), 360);
    const allocatable = Math.floor((proxyPool * 70) / 100);
    const functions = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter(f => f.Properties.Environment?.Variables?.SERVERLESS_RDS_HOST);
    expect(functions).toHaveLength(4);
    const connections = functions.reduce((sum, f) =>
      sum + f.Properties.ReservedConcurrentExecutions * Number(f.Properties.Environment.Variables.SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION), 0);
    expect(connections).toBeLessThanOrEqual(allocatable);
    expect(connections).toBeGreaterThan(0.9 * allocatable); // the share hands out what is left
  });

  test('the queue consumer\'s event source is capped by the same number as its reserved concurrency', () => {
    const template = Template.fromStack(stack);
    const [mapping] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 20 });
    const consumer = template.toJSON().Resources[mapping.Properties.FunctionName.Ref];
    expect(consumer.Properties.ReservedConcurrentExecutions).toBe(20);
  });

  test('matches the snapshot (structure; asset hashes normalized)', () => {
    expect(normalizeTemplate(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
