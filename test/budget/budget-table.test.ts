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
  test('shows the title, the engine and the arithmetic from max_connections to what the proxy may allocate', () => {
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
    // floor(342 x 70 / 100) = 239 allocatable; 342 - 239 = 103 kept free
    expect(table).toMatch(/- proxy headroom \(30%, AWS guidance\)\s+-103\n/);
    expect(table).toMatch(/= allocatable through the proxy\s+239\n/);
  });

  test('lists each allocation with its path, concurrency, connections per environment and connections', () => {
    const table = fullBudget().toTable('Stack/Db');
    expect(rowOf(table, 'Stack/Api')).toEqual(['function Stack/Api', 'proxy', '50 reserved', '2', '100']);
    // min(floor((239 - 100 - 10) / 1), floor((900 - 50) x 50 / 100 / 1)) = min(129, 425) = 129
    expect(rowOf(table, 'Stack/Worker')).toEqual(['function Stack/Worker', 'proxy', '129 reserved (share)', '1', '129']);
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
    // 100 + 129 + 10 = 239 of 239; 50 + 129 = 179 reserved
    expect(table).toContain('through the proxy: 239 of 239 allocatable connections allocated');
    expect(table).toContain('reserved Lambda concurrency: 179 of 900 the account can reserve');
  });

  test('shows the concurrency other functions of the account reserve', () => {
    // the share stays min(129, floor((900 - 50 - 100) x 50 / 100)) = min(129, 375) = 129
    const table = fullBudget().toTable('Stack/Db', { reservedElsewhere: 100 });
    expect(table).toContain('reserved Lambda concurrency: 179 (+100 by other functions of the account) of 900 the account can reserve');
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
    // capacity 298 - 3 - 15 = 280; floor(100 x 280 / 298) = 93; pool floor(298 x 93 / 100) = 277; floor(277 x 70 / 100) = 193
    expect(table).toContain('MaxConnectionsPercent 93');
    expect(table).toContain('through the proxy: 400 of 193 allocatable connections allocated');
    // connections: max(0, 193 - 400) = 0
    expect(rowOf(table, 'starved')).toEqual(['function starved', 'proxy', '0 reserved (share)', '1', '0']);
    const section = table.slice(table.indexOf('\n  Problems:\n'));
    expect(table.indexOf('\n  Problems:\n')).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(section).toContain(`  - ${problem}`);
    }
    expect(section).toMatch(/need 400 connections but 193 may be allocated \(the proxy pool of 277 less its 30% headroom\)/);
    // account: floor((900 - 400) x 50 / 100 / 1) = 250
    expect(section).toMatch(/Function 'starved' has no cap of its own .*\(0 connections and 250 concurrency per consumer without a cap\)/);
  });

  test('says so when there are no consumers', () => {
    const table = new ConnectionBudget({ engine: DatabaseEngineFamily.MYSQL, maxConnections: 298 }).toTable('Empty');
    expect(table).toContain('(no consumers yet)');
    // pool 277, floor(277 x 70 / 100) = 193 allocatable, 84 kept free
    expect(table).toMatch(/- proxy headroom \(30%, AWS guidance\)\s+-84\n/);
    expect(table).toContain('through the proxy: 0 of 193 allocatable connections allocated');
    expect(table).not.toContain('Problems');
  });
});
