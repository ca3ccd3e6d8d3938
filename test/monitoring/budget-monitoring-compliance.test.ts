import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { applyCompliancePacks } from '../../bin/compliance';
import { DemoStack } from '../../bin/demo-stack';
import { BudgetMonitoring } from '../../lib';
import { addNonCompliantControl, synthesizeWithFindings } from '../compliance-report';

test('the demo with budget monitoring stays clean under the five cdk-nag packs', () => {
  // GIVEN the demo app
  const app = new App();
  const stack = new DemoStack(app, 'ServerlessRdsDemo');
  applyCompliancePacks(app);

  // WHEN it is monitored
  BudgetMonitoring.forDatabase(stack.database);
  addNonCompliantControl(stack); // proves the packs run: only these resources may be reported
  const result = synthesizeWithFindings(app);

  // THEN only the control is reported, and the monitoring is there: 4 budget alarms, 2 for each of 3 functions
  expect(new Set(result.findings.map(f => f.plugin))).toEqual(new Set([
    'AwsSolutions', 'Serverless', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'CloudFormation Validate',
  ]));
  expect(result.findings.flatMap(f => f.paths).filter(p => !p.includes('/Control'))).toEqual([]);
  const template = JSON.parse(fs.readFileSync(path.join(result.outdir, 'ServerlessRdsDemo.template.json'), 'utf8'));
  Template.fromJSON(template).resourceCountIs('AWS::CloudWatch::Alarm', 4 + 2 * 4); // 4 budget alarms, 2 per wired function (Api, Worker, Report, JobConsumer)
});
