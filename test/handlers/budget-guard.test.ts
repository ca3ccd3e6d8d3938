import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import {
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeDBProxyTargetGroupsCommand,
  DescribeDBProxyTargetsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { DatabaseEngineFamily, MaxConnections } from '../../lib';
import { guard, handler } from '../../lib/handlers/budget-guard';
import { resolveMaxConnections } from '../../lib/handlers/budget-guard/max-connections-value';
import { retryPolicy } from '../../lib/handlers/budget-guard/read-database';

const rds = mockClient(RDSClient);
const POSTGRES_DEFAULT = 'LEAST({DBInstanceClassMemory/9531392},5000)';

/** The properties the construct writes for a db.t4g.medium budget: 394 connections, proxy at 91%, 300 through it. */
function properties(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DatabasePath: 'TestStack/Orders',
    InstanceIdentifier: 'orders',
    ProxyName: 'orders-proxy',
    Engine: DatabaseEngineFamily.POSTGRESQL,
    MaxConnections: '394',
    ProxyMaxConnectionsPercent: '91',
    ReservedConnections: '9',
    AdminHeadroom: '20',
    DirectConnections: '5',
    ProxyConnectionsNeeded: '300',
    BudgetTable: 'Connection budget of TestStack/Orders (PostgreSQL) ...',
    ...overrides,
  };
}

function named(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

/** A db.t4g.medium instance in parameter group `app-pg` whose max_connections is `value`, behind a proxy at `percent`. */
function givenDatabase(options: { instanceClass?: string; value?: string; percent?: number } = {}): void {
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders' }).resolves({
    DBInstances: [{ DBInstanceIdentifier: 'orders', DBInstanceClass: options.instanceClass ?? 'db.t4g.medium', DBParameterGroups: [{ DBParameterGroupName: 'app-pg' }] }],
  });
  rds.on(DescribeDBParametersCommand).resolves({
    Parameters: [{ ParameterName: 'max_wal_size', ParameterValue: '2048' }, { ParameterName: 'max_connections', ParameterValue: options.value ?? POSTGRES_DEFAULT }],
  });
  rds.on(DescribeDBProxyTargetGroupsCommand).resolves({
    TargetGroups: [{ TargetGroupName: 'default', ConnectionPoolConfig: { MaxConnectionsPercent: options.percent ?? 91 } }],
  });
  rds.on(DescribeDBProxyTargetsCommand).resolves({ Targets: [{ Type: 'RDS_INSTANCE', RdsResourceId: 'orders' }] });
}

beforeEach(() => {
  rds.reset();
  retryPolicy.sleep = async () => undefined;
  // The handler logs the table for the function's log; keep the test output readable.
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('max_connections values', () => {
  test.each([
    ['500', 500],
    [POSTGRES_DEFAULT, MaxConnections.forInstanceClass(DatabaseEngineFamily.POSTGRESQL, 'db.t4g.medium')],
    ['{DBInstanceClassMemory/12582880}', MaxConnections.forInstanceClass(DatabaseEngineFamily.MYSQL, 'db.t4g.medium')],
    ['GREATEST({DBInstanceClassMemory/9531392}, 1000)', 1000],
    ['SUM({DBInstanceClassMemory*2/9531392},10)', 2 * MaxConnections.forInstanceClass(DatabaseEngineFamily.POSTGRESQL, 'db.t4g.medium') + 10],
  ])('%s on db.t4g.medium is %d', (value, expected) => {
    expect(resolveMaxConnections(value, MaxConnections.usableMemoryBytes(4))).toBe(expected);
  });

  test('the PostgreSQL default formula gives 394 on db.t4g.medium and is capped at 5000', () => {
    expect(resolveMaxConnections(POSTGRES_DEFAULT, MaxConnections.usableMemoryBytes(4))).toBe(394);
    expect(resolveMaxConnections(POSTGRES_DEFAULT, MaxConnections.usableMemoryBytes(256))).toBe(5000);
  });

  test('unknown formulas and classes are errors', () => {
    expect(() => resolveMaxConnections('{DBInstanceVCPU*10}', 1)).toThrow(/Cannot evaluate the max_connections formula '\{DBInstanceVCPU\*10\}': unknown term 'DBInstanceVCPU'/);
    expect(() => resolveMaxConnections('LEAST(1,2', 1)).toThrow(/expected '\)'/);
    expect(() => resolveMaxConnections(POSTGRES_DEFAULT, undefined)).toThrow(/not in the library's memory table/);
  });
});

describe('deploy-time budget guard', () => {
  test('a budget that fits the formula value of the parameter group passes', async () => {
    // GIVEN the PostgreSQL default formula on db.t4g.medium: 394
    givenDatabase();

    // WHEN
    const result = await guard(properties(), new RDSClient({ region: 'eu-west-1' }));

    // THEN
    expect(result.fits).toBe(true);
    expect(result.data).toEqual({ InstanceClass: 'db.t4g.medium', MaxConnections: '394', ProxyMaxConnectionsPercent: '91' });
    expect(result.report).toMatch(/max_connections \(app-pg\)\s+394\s+394/);
    expect(rds.commandCalls(DescribeDBParametersCommand)[0].args[0].input).toEqual({ DBParameterGroupName: 'app-pg', Marker: undefined });
    expect(rds.commandCalls(DescribeDBProxyTargetGroupsCommand)[0].args[0].input).toEqual({ DBProxyName: 'orders-proxy', TargetGroupName: 'default' });
  });

  test('a changed instance class fails with the budget table', async () => {
    // GIVEN the instance was scaled down to db.t4g.small since the budget was declared
    givenDatabase({ instanceClass: 'db.t4g.small' });
    const small = MaxConnections.forInstanceClass(DatabaseEngineFamily.POSTGRESQL, 'db.t4g.small');

    // WHEN
    const result = await guard(properties(), new RDSClient({ region: 'eu-west-1' }));

    // THEN
    expect(result.fits).toBe(false);
    expect(result.problems).toEqual([
      `The consumers going through the proxy need 300 connections, but with max_connections ${small} and MaxConnectionsPercent 91 the proxy may give them ${Math.floor((small * 91) / 100)}.`,
      expect.stringMatching(/^The proxy may open \d+ connections and direct consumers hold 5: more than the \d+ left/),
      `max_connections is ${small} on the instance (db.t4g.small), less than the 394 the budget was declared with.`,
    ]);
    expect(result.report).toMatch(/instance class\s+-\s+db.t4g.small/);
    expect(result.report).toContain('Connection budget of TestStack/Orders (PostgreSQL) ...');
  });

  test('a proxy whose MaxConnectionsPercent is higher than declared would take the admin slots', async () => {
    givenDatabase({ percent: 100 });
    const result = await guard(properties(), new RDSClient({ region: 'eu-west-1' }));
    expect(result.fits).toBe(false);
    expect(result.problems).toEqual([
      'The proxy may open 394 connections and direct consumers hold 5: more than the 365 left after 9 engine-reserved slots and 20 of admin headroom (max_connections 394); lower the proxy\'s MaxConnectionsPercent.',
    ]);
  });

  test('an integer value and a proxy headroom are taken as they are', async () => {
    givenDatabase({ value: '1000', percent: 50 });
    // pool 500, 30% kept free: 350 allocatable
    expect((await guard(properties({ ProxyHeadroomPercent: '30', ProxyConnectionsNeeded: '350' }), new RDSClient({}))).fits).toBe(true);
    expect((await guard(properties({ ProxyHeadroomPercent: '30', ProxyConnectionsNeeded: '351' }), new RDSClient({}))).fits).toBe(false);
  });

  test('pages through the parameter group and the proxy targets', async () => {
    // GIVEN max_connections on the second page of the group, the instance on the second page of targets
    givenDatabase();
    rds.on(DescribeDBParametersCommand)
      .resolvesOnce({ Parameters: [{ ParameterName: 'autovacuum', ParameterValue: '1' }], Marker: 'page-2' })
      .resolvesOnce({ Parameters: [{ ParameterName: 'max_connections', ParameterValue: '450' }] });
    rds.on(DescribeDBProxyTargetsCommand)
      .resolvesOnce({ Targets: [{ Type: 'TRACKED_CLUSTER', RdsResourceId: 'other' }], Marker: 't-2' })
      .resolvesOnce({ Targets: [{ Type: 'RDS_INSTANCE', RdsResourceId: 'orders' }] });

    // WHEN
    const result = await guard(properties(), new RDSClient({}));

    // THEN
    expect(result.data.MaxConnections).toBe('450');
    expect(rds.commandCalls(DescribeDBParametersCommand).map(c => c.args[0].input.Marker)).toEqual([undefined, 'page-2']);
    expect(rds.commandCalls(DescribeDBProxyTargetsCommand).map(c => c.args[0].input.Marker)).toEqual([undefined, 't-2']);
  });

  test('a group that leaves max_connections to the engine default gets the engine formula', async () => {
    givenDatabase();
    rds.on(DescribeDBParametersCommand).resolves({ Parameters: [{ ParameterName: 'max_connections' }] });
    const mysql = await guard(properties({ Engine: DatabaseEngineFamily.MYSQL, MaxConnections: '300', ProxyMaxConnectionsPercent: '80', ProxyConnectionsNeeded: '100' }), new RDSClient({}));
    expect(mysql.data.MaxConnections).toBe(String(MaxConnections.forInstanceClass(DatabaseEngineFamily.MYSQL, 'db.t4g.medium')));
    expect(mysql.report).toContain('parameter value: {DBInstanceClassMemory/12582880}');
  });

  test('retries throttled calls, then gives up with a clear error', async () => {
    // GIVEN the Describe quota is exhausted twice, then answers
    givenDatabase();
    rds.on(DescribeDBInstancesCommand)
      .rejectsOnce(named('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(Object.assign(new Error('Too many'), { name: 'Whatever', $metadata: { httpStatusCode: 429 } }))
      .resolves({ DBInstances: [{ DBInstanceClass: 'db.t4g.medium', DBParameterGroups: [{ DBParameterGroupName: 'app-pg' }] }] });
    const delays: number[] = [];
    retryPolicy.sleep = async (ms: number) => { delays.push(ms); };

    // WHEN / THEN
    expect((await guard(properties(), new RDSClient({}))).fits).toBe(true);
    expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThanOrEqual(250); // backoff doubles: 250..500 then 125..250 for the first

    rds.on(DescribeDBParametersCommand).rejects(named('Throttling'));
    await expect(guard(properties(), new RDSClient({}))).rejects.toThrow(/DescribeDBParameters was throttled by the RDS API 6 times in a row/);
  });

  test.each([
    ['instance', DescribeDBInstancesCommand, 'DBInstanceNotFoundFault', /The database instance 'orders' does not exist/],
    ['parameter group', DescribeDBParametersCommand, 'DBParameterGroupNotFoundFault', /The parameter group 'app-pg' does not exist/],
    ['proxy', DescribeDBProxyTargetGroupsCommand, 'DBProxyNotFoundFault', /The proxy 'orders-proxy' does not exist/],
  ])('a missing %s is named', async (_kind, command, fault, message) => {
    givenDatabase();
    rds.on(command as any).rejects(named(fault));
    await expect(guard(properties(), new RDSClient({}))).rejects.toThrow(message);
  });

  test('a proxy that targets another instance is an error; other errors pass through', async () => {
    givenDatabase();
    rds.on(DescribeDBProxyTargetsCommand).resolves({ Targets: [{ Type: 'RDS_INSTANCE', RdsResourceId: 'billing' }] });
    await expect(guard(properties(), new RDSClient({}))).rejects.toThrow("The proxy 'orders-proxy' does not target the database instance 'orders' (its targets: billing)");
    rds.on(DescribeDBInstancesCommand).rejects(named('AccessDenied', 'not authorized to perform rds:DescribeDBInstances'));
    await expect(guard(properties(), new RDSClient({}))).rejects.toThrow(/not authorized/);
  });

  test('without a proxy name only the instance is read', async () => {
    givenDatabase();
    const result = await guard(properties({ ProxyName: '' }), new RDSClient({}));
    expect(result.fits).toBe(true);
    expect(rds.commandCalls(DescribeDBProxyTargetGroupsCommand)).toHaveLength(0);
  });
});

describe('custom resource responses', () => {
  let server: http.Server;
  let received: Array<{ method?: string; body: any }>;
  let url: string;

  beforeAll(async () => {
    // A local stand-in for the pre-signed S3 URL CloudFormation waits on.
    server = http.createServer((request, response) => {
      let body = '';
      request.on('data', chunk => { body += chunk; });
      request.on('end', () => {
        received.push({ method: request.method, body: JSON.parse(body) });
        response.end();
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
  });
  afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));
  beforeEach(() => { received = []; });

  function event(requestType: 'Create' | 'Update' | 'Delete', props = properties()) {
    return { RequestType: requestType, ResponseURL: url, StackId: 'stack', RequestId: 'r1', LogicalResourceId: 'Guard', ResourceProperties: props };
  }

  test('a budget that fits answers SUCCESS with what was read', async () => {
    givenDatabase();
    await handler(event('Create'));
    expect(received).toEqual([{ method: 'PUT', body: expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'budget-guard-orders', Data: { InstanceClass: 'db.t4g.medium', MaxConnections: '394', ProxyMaxConnectionsPercent: '91' } }) }]);
  });

  test('a budget that does not fit answers FAILED with the table, which fails the deployment', async () => {
    givenDatabase({ instanceClass: 'db.t4g.small' });
    await handler(event('Update'));
    expect(received[0].body.Status).toBe('FAILED');
    expect(received[0].body.Reason).toMatch(/^The connection budget does not fit the database.\nDeploy-time check of the connection budget of TestStack\/Orders/);
    expect(received[0].body.Reason).toContain('Problems:');
  });

  test('the bundle built with the package (SDK included) loads and answers CloudFormation', async () => {

    const bundled = require(path.join(__dirname, '..', '..', 'lib', 'handlers', 'budget-guard', 'bundle', 'index.js'));
    await bundled.handler(event('Delete'));
    expect(received).toEqual([{ method: 'PUT', body: expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'budget-guard-orders' }) }]);
    // an unknown engine fails before any AWS call
    await bundled.handler(event('Create', properties({ Engine: 'ORACLE' })));
    expect(received[1].body).toMatchObject({ Status: 'FAILED', Reason: "Budget guard of TestStack/Orders: Unknown engine 'ORACLE'" });
  });

  test('errors answer FAILED naming the database; Delete reads nothing', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(named('DBInstanceNotFoundFault'));
    await handler(event('Create'));
    expect(received[0].body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^Budget guard of TestStack\/Orders: The database instance 'orders' does not exist/) });
    await handler(event('Delete'));
    expect(received[1].body.Status).toBe('SUCCESS');
    expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
  });
});
