import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BudgetMonitoring, ServerlessDatabase } from '../../lib';
import { inlineFunctionProps, newDatabase } from '../helpers';

/** Every alarm of the template, keyed by the end of its logical id. */
function alarms(template: Template): Record<string, any> {
  return template.findResources('AWS::CloudWatch::Alarm');
}

function alarmNamed(template: Template, idPart: string): Record<string, any> {
  const found = Object.entries(alarms(template)).filter(([id]) => id.includes(idPart));
  expect(found).toHaveLength(1);
  return found[0][1].Properties;
}

describe('budget monitoring of a ServerlessDatabase', () => {
  let stack: Stack;
  let db: ServerlessDatabase;
  let template: Template;

  beforeAll(() => {
    // GIVEN the demo's budget: a capped function, one with a share of 2 connections, a direct reservation
    ({ stack, db } = newDatabase());
    BudgetMonitoring.forDatabase(db); // WHEN monitoring is asked for before the functions are wired
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 40 });
    db.addFunction('Worker', { ...inlineFunctionProps(), connectionsPerInvocation: 2 });
    db.budget.reserve('Migrations', 5);
    template = Template.fromStack(stack);
  });

  test('creates four budget alarms and two per wired function, each notifying the topic on alarm and OK', () => {
    const all = Object.values(alarms(template));
    expect(all).toHaveLength(4 + 2 * 2);
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topic).toHaveLength(1);
    for (const alarm of all) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic[0] }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic[0] }]);
      expect(alarm.Properties).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' });
    }
  });

  test('database connections alarm above the capacity, as a share of max_connections', () => {
    // capacity 394 - 9 - 20 = 365: 100 x 365 / 394 = 92.639.. rounded up to 92.64
    const alarm = alarmNamed(template, 'DatabaseConnectionsAlarm');
    expect(alarm).toMatchObject({ Threshold: 92.64, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarm.Metrics).toEqual(expect.arrayContaining([
      expect.objectContaining({ Expression: '100 * connections / 394' }),
      expect.objectContaining({
        Id: 'connections',
        ReturnData: false,
        MetricStat: expect.objectContaining({
          Metric: { Namespace: 'AWS/RDS', MetricName: 'DatabaseConnections', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: { Ref: expect.stringMatching(/^DbInstance/) } }] },
          Period: 60,
          Stat: 'Maximum',
        }),
      }),
    ]));
    expect(alarm.AlarmDescription).toMatch(/capacity of 365 = 394 - 9 engine-reserved - 20 admin headroom/);
  });

  test('proxy alarms: clients above the allocation, borrow latency, pinned sessions', () => {
    const share = db.budget.concurrencyOf('Db/Functions/Worker');
    const allocated = 40 + 2 * share;
    const proxyName = { Ref: expect.stringMatching(/^DbProxy[0-9A-F]{8}$/) };
    expect(alarmNamed(template, 'ProxyClientConnectionsAlarm')).toMatchObject({
      Namespace: 'AWS/RDS', MetricName: 'ClientConnections', Statistic: 'Sum', Period: 60,
      Dimensions: [{ Name: 'ProxyName', Value: proxyName }],
      Threshold: allocated, ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarmNamed(template, 'BorrowLatencyAlarm')).toMatchObject({
      MetricName: 'DatabaseConnectionsBorrowLatency', Statistic: 'Average', Threshold: 100000, ComparisonOperator: 'GreaterThanThreshold',
    });
    // the proxy may give out min(pool 358, capacity 365 - direct 5) = 358 (without a headroom in the plan); 80% rounded up
    const plan = db.budget.plan() as { proxyAllocatable?: number; proxyConnectionLimit: number };
    const allocatable = plan.proxyAllocatable ?? plan.proxyConnectionLimit;
    expect(alarmNamed(template, 'SessionsPinnedAlarm')).toMatchObject({
      MetricName: 'DatabaseConnectionsCurrentlySessionPinned', Statistic: 'Sum',
      Threshold: Math.ceil(allocatable * 0.8), ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('per function: throttles from the first one, concurrency at 90% of its cap', () => {
    const share = db.budget.concurrencyOf('Db/Functions/Worker');
    const functionRef = (name: string) => [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(new RegExp(`^DbFunctions${name}`)) } }];
    expect(alarmNamed(template, 'FunctionsDbFunctionsApiThrottlesAlarm')).toMatchObject({
      Namespace: 'AWS/Lambda', MetricName: 'Throttles', Statistic: 'Sum', Dimensions: functionRef('Api'),
      Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarmNamed(template, 'FunctionsDbFunctionsApiConcurrencyAlarm')).toMatchObject({
      MetricName: 'ConcurrentExecutions', Statistic: 'Maximum', Dimensions: functionRef('Api'), Threshold: 36,
    });
    expect(alarmNamed(template, 'FunctionsDbFunctionsWorkerConcurrencyAlarm')).toMatchObject({
      Dimensions: functionRef('Worker'), Threshold: Math.ceil(share * 0.9),
    });
  });

  test('dashboard draws the budget lines as horizontal annotations', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.parse(stack.resolve(dashboards[0].Properties.DashboardBody)['Fn::Join'][1]
      .map((part: unknown) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
    const annotations = body.widgets
      .flatMap((w: any) => w.properties?.annotations?.horizontal ?? [])
      .map((a: any) => `${a.label}=${a.value}`);
    const share = db.budget.concurrencyOf('Db/Functions/Worker');
    expect(annotations).toEqual(expect.arrayContaining([
      // direct: the reservations of the test and 1 of the database-users handler
      'max_connections 394=394', 'capacity 365 (alarm above)=365', 'proxy pool + direct 364=364',
      'proxy pool 358=358', `ClientConnections > ${40 + 2 * share} for 3 datapoints within 3 minutes=${40 + 2 * share}`,
      'cap 40=40', `cap ${share}=${share}`,
    ]));
    expect(body.widgets.filter((w: any) => w.type === 'alarm')).toHaveLength(1);
  });

  test('the topic created is encrypted with the database key, which CloudWatch may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbEncryptionKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      })]) },
    });
  });
});

describe('budget monitoring options and inputs', () => {
  test('a topic and thresholds given by the user', () => {
    // GIVEN
    const { stack, db } = newDatabase();
    const topic = new sns.Topic(stack, 'Pager');
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });

    // WHEN
    BudgetMonitoring.forDatabase(db, {
      alarmTopic: topic, concurrencyAlarmPercent: 50, pinnedSessionsAlarmPercent: 25,
      borrowLatencyThreshold: Duration.millis(20), evaluationPeriods: 5, dashboardName: 'budget',
    });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ConcurrentExecutions', Threshold: 5, EvaluationPeriods: 5, AlarmActions: [{ Ref: Match.stringLikeRegexp('^Pager') }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DatabaseConnectionsBorrowLatency', Threshold: 20000 });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'budget' });
  });

  test('an existing instance and proxy by attributes, with its own key', () => {
    // GIVEN a budget and a proxy that this stack does not create
    const { stack, db } = newDatabase();
    const proxy = rds.DatabaseProxy.fromDatabaseProxyAttributes(stack, 'OtherProxy', {
      dbProxyName: 'orders-proxy', dbProxyArn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-1', endpoint: 'orders-proxy.example', securityGroups: [],
    });

    // WHEN
    new BudgetMonitoring(stack, 'Watch', { budget: db.budget, instanceIdentifier: 'orders', proxy });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ClientConnections', Dimensions: [{ Name: 'ProxyName', Value: 'orders-proxy' }] });
    template.hasResourceProperties('AWS::KMS::Key', { Description: 'Encrypts the alarm topic of TestStack/Watch', EnableKeyRotation: true });
  });

  test.each([
    [{ concurrencyAlarmPercent: 0 }, /TestStack\/Db\/Monitoring: `concurrencyAlarmPercent` must be a whole number between 1 and 100, got: 0/],
    [{ pinnedSessionsAlarmPercent: 101 }, /`pinnedSessionsAlarmPercent` must be a whole number between 1 and 100, got: 101/],
    [{ evaluationPeriods: 1.5 }, /`evaluationPeriods` must be a whole number between 1 and 60, got: 1.5/],
    [{ borrowLatencyThreshold: Duration.millis(0) }, /TestStack\/Db\/Monitoring: `borrowLatencyThreshold` must be at least 1 microsecond/],
  ])('rejects %o', (options, message) => {
    const { db } = newDatabase();
    expect(() => BudgetMonitoring.forDatabase(db, options)).toThrow(message);
  });

  test('rejects a second monitoring of the same database and an empty instance identifier', () => {
    const { stack, db } = newDatabase();
    BudgetMonitoring.forDatabase(db);
    expect(() => BudgetMonitoring.forDatabase(db)).toThrow(/TestStack\/Db is already monitored/);
    expect(() => new BudgetMonitoring(stack, 'Watch', { budget: db.budget, instanceIdentifier: ' ', proxy: db.proxy }))
      .toThrow(/TestStack\/Watch: `instanceIdentifier` must not be empty/);
  });
});
