import { ConnectionBudget, ConnectionPath, DatabaseEngineFamily } from '../../lib';

/** The line of `table` that names `consumer`, split into its cells. */
function rowOf(table: string, consumer: string): string[] {
  const lines = table.split('\n').filter(l => [`function ${consumer} `, `reserve ${consumer} `].some(p => l.trim().startsWith(p)));
  expect(lines).toHaveLength(1);
  return lines[0].trim().split(/\s{2,}/);
}

/** A PostgreSQL db.t4g.medium budget with every kind of consumer. */
function fullBudget(): ConnectionBudget {
  const budget = new ConnectionBudget({ engine: DatabaseEngineFamily.POSTGRESQL, maxConnections: 394, maxConnectionsSource: 'db.t4g.medium' });
  budget.allocateFunction('Stack/Api', { reservedConcurrency: 50, connectionsPerInvocation: 2 });
  budget.allocateFunction('Stack/Worker');
  budget.reserve('migrations', 20);
  budget.reserve('ecs-service', 10, { path: ConnectionPath.PROXY });
  return budget;
}

describe('ConnectionBudget.toTable', () => {
  test('shows the title, the engine and the arithmetic from max_connections to the proxy pool', () => {
    // WHEN
    const table = fullBudget().toTable('Stack/Db');
    // THEN
    expect(table.split('\n')[0]).toBe('Connection budget of Stack/Db (PostgreSQL)');
    expect(table).toMatch(/max_connections \(db\.t4g\.medium\)\s+394\n/);
    expect(table).toMatch(/reserved by the engine.*\s-9\n/);
    expect(table).toMatch(/admin headroom \(adminHeadroom\)\s+-20\n/);
    expect(table).toMatch(/= capacity\s+365\n/);
    expect(table).toMatch(/direct consumers.*\s-20\n/);
    // 365 - 20 = 345 -> floor(100 x 345 / 394) = 87 -> floor(394 x 0.87) = 342
    expect(table).toMatch(/= proxy pool \(MaxConnectionsPercent 87\)\s+342\n/);
  });

  test('lists each allocation with its path, concurrency, connections per environment and connections', () => {
    const table = fullBudget().toTable('Stack/Db');
    expect(rowOf(table, 'Stack/Api')).toEqual(['function Stack/Api', 'proxy', '50', '2', '100']);
    // (342 - 100 - 10) / 1 = 232
    expect(rowOf(table, 'Stack/Worker')).toEqual(['function Stack/Worker', 'proxy', '232 (share)', '1', '232']);
    expect(rowOf(table, 'migrations')).toEqual(['reserve migrations', 'direct', '-', '-', '20']);
    expect(rowOf(table, 'ecs-service')).toEqual(['reserve ecs-service', 'proxy', '-', '-', '10']);
  });

  test('marks only computed shares with (share)', () => {
    const table = fullBudget().toTable('Stack/Db');
    expect(table.match(/\(share\)/g)).toHaveLength(1);
    expect(rowOf(table, 'Stack/Api').join(' ')).not.toContain('(share)');
  });

  test('sums what goes through the proxy and the reserved concurrency', () => {
    const table = fullBudget().toTable('Stack/Db');
    expect(table).toContain('through the proxy: 342 of 342 connections allocated');
    expect(table).toContain('reserved Lambda concurrency: 282 of 900 the account can reserve');
  });

  test('has no Problems section when the budget fits', () => {
    // GIVEN
    const budget = fullBudget();
    // THEN
    expect(budget.plan().problems).toEqual([]);
    expect(budget.toTable('Stack/Db')).not.toContain('Problems');
  });

  test('lists every problem under a Problems section when the budget is over-committed', () => {
    // GIVEN
    const budget = new ConnectionBudget({ engine: DatabaseEngineFamily.MYSQL, maxConnections: 298 });
    budget.allocateFunction('big', { reservedConcurrency: 400 });
    budget.allocateFunction('starved');
    // WHEN
    const table = budget.toTable('Stack/MySql');
    // THEN
    const problems = budget.plan().problems;
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(table).toContain('(MySQL)');
    expect(table).toMatch(/max_connections \(maxConnections\)\s+298\n/);
    expect(table).toContain('MaxConnectionsPercent 93');
    expect(table).toContain('through the proxy: 400 of 277 connections allocated');
    expect(rowOf(table, 'starved')).toEqual(['function starved', 'proxy', '0 (share)', '1', '0']);
    const section = table.slice(table.indexOf('\n  Problems:\n'));
    expect(table.indexOf('\n  Problems:\n')).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(section).toContain(`  - ${problem}`);
    }
    expect(section).toMatch(/need 400 connections but the proxy may open 277/);
  });

  test('says so when there are no consumers', () => {
    const table = new ConnectionBudget({ engine: DatabaseEngineFamily.MYSQL, maxConnections: 298 }).toTable('Empty');
    expect(table).toContain('(no consumers yet)');
    expect(table).toContain('through the proxy: 0 of 277 connections allocated');
    expect(table).not.toContain('Problems');
  });
});
