import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { acknowledgments, normalizeTemplate, synthesizeWithFindings } from './compliance-report';
import { applyCompliancePacks } from '../bin/compliance';
import { BringYourOwnFunctionStack } from '../examples/bring-your-own-function';
import { DrizzleOrdersStack } from '../examples/drizzle-orders';
import { ExplicitMaxConnectionsStack } from '../examples/explicit-max-connections';
import { MysqlWorkerPoolStack } from '../examples/mysql-worker-pool';
import { PgBouncerPoolerStack } from '../examples/pgbouncer-pooler';
import { PythonPsycopg2Stack } from '../examples/python-psycopg2';
import { ServerlessDatabase } from '../lib';

type ExampleStack = Stack & { readonly database: ServerlessDatabase };

const EXAMPLES: Array<[string, (app: App) => ExampleStack]> = [
  ['mysql-worker-pool', app => new MysqlWorkerPoolStack(app, 'MysqlWorkerPool')],
  ['bring-your-own-function', app => new BringYourOwnFunctionStack(app, 'BringYourOwnFunction')],
  ['explicit-max-connections', app => new ExplicitMaxConnectionsStack(app, 'ExplicitMaxConnections')],
  ['drizzle-orders', app => new DrizzleOrdersStack(app, 'DrizzleOrders')],
  ['python-psycopg2', app => new PythonPsycopg2Stack(app, 'PythonPsycopg2')],
  ['pgbouncer-pooler', app => new PgBouncerPoolerStack(app, 'PgBouncerPooler')],
];

describe.each(EXAMPLES)('example %s', (_name, build) => {
  let app: App;
  let stack: ExampleStack;
  let result: ReturnType<typeof synthesizeWithFindings>;

  beforeAll(() => {
    app = new App();
    stack = build(app);
    applyCompliancePacks(app);
    result = synthesizeWithFindings(app);
  });

  test('synthesizes with no unacknowledged cdk-nag or CloudFormation validation finding', () => {
    // The packs' activity is shown by the control test of test/demo.test.ts (same helper).
    expect(result.findings).toEqual([]);
  });

  test('acknowledges only with reasons', () => {
    for (const ack of acknowledgments(app)) {
      expect(ack.reason.length).toBeGreaterThan(20);
    }
  });

  test('fits its connection budget', () => {
    expect(stack.database.budget.plan().problems).toEqual([]);
  });

  test('matches the snapshot (structure; asset hashes normalized)', () => {
    expect(normalizeTemplate(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});

describe('example specifics', () => {
  test('mysql-worker-pool counts a pool of four per environment and the service through the proxy', () => {
    const stack = new MysqlWorkerPoolStack(new App(), 'MysqlWorkerPool');
    const plan = stack.database.budget.plan();
    expect(plan.allocations.find(a => a.name === 'Db/Functions/Worker')?.connections).toBe(400);
    expect(plan.proxyConnectionsAllocated).toBe(600);
  });

  test('explicit-max-connections writes the given max_connections', () => {
    const stack = new ExplicitMaxConnectionsStack(new App(), 'ExplicitMaxConnections');
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: { max_connections: '2000' },
    });
  });
});
