import { Fn, Lazy, Token } from 'aws-cdk-lib';
import fc from 'fast-check';
import {
  AllocationKind,
  BudgetAllocation,
  ConnectionBudget,
  ConnectionBudgetProps,
  ConnectionPath,
  DatabaseEngineFamily,
} from '../../lib';

const { POSTGRESQL, MYSQL } = DatabaseEngineFamily;

/** PostgreSQL on db.t4g.medium: max_connections 394. */
function pg394(overrides: Partial<ConnectionBudgetProps> = {}): ConnectionBudget {
  return new ConnectionBudget({ engine: POSTGRESQL, maxConnections: 394, ...overrides });
}

/** A large MySQL instance, where the account's concurrency runs out before the connections. */
function mysql5000(overrides: Partial<ConnectionBudgetProps> = {}): ConnectionBudget {
  return new ConnectionBudget({ engine: MYSQL, maxConnections: 5000, ...overrides });
}

function allocation(budget: ConnectionBudget, name: string): BudgetAllocation {
  const found = budget.plan().allocations.find(a => a.name === name);
  if (!found) {
    throw new Error(`test setup: no allocation named ${name}`);
  }
  return found;
}

const aToken = () => Token.asNumber(Fn.ref('X'));
const aLazy = () => Lazy.number({ produce: () => 50 });

describe('capacity and the proxy share', () => {
  test('PostgreSQL keeps 9 engine slots and max(5, ceil(5%)) headroom by default', () => {
    // WHEN
    const budget = pg394();
    // THEN: 394 - 9 - ceil(19.7) = 365
    expect(budget.reservedConnections).toBe(9);
    expect(budget.adminHeadroom).toBe(20);
    expect(budget.capacity).toBe(365);
  });

  test('MySQL keeps 3 engine slots by default', () => {
    const budget = new ConnectionBudget({ engine: MYSQL, maxConnections: 298 });
    // 298 - 3 - ceil(14.9)
    expect(budget.reservedConnections).toBe(3);
    expect(budget.adminHeadroom).toBe(15);
    expect(budget.capacity).toBe(280);
  });

  test('the headroom is at least 5 on small databases', () => {
    const budget = new ConnectionBudget({ engine: POSTGRESQL, maxConnections: 60 });
    expect(budget.adminHeadroom).toBe(5);
    expect(budget.capacity).toBe(46);
  });

  test('reservedConnections and adminHeadroom can be overridden', () => {
    const budget = pg394({ reservedConnections: 4, adminHeadroom: 0 });
    expect(budget.capacity).toBe(390);
  });

  test('the percent is the largest whose connections fit in the capacity, and the limit is floor(max x pct / 100)', () => {
    // GIVEN
    const budget = pg394();
    // WHEN
    const plan = budget.plan();
    // THEN: floor(100 x 365 / 394) = 92; floor(394 x 92 / 100) = 362 <= 365
    expect(budget.proxyMaxConnectionsPercent).toBe(92);
    expect(plan.proxyMaxConnectionsPercent).toBe(92);
    expect(plan.proxyConnectionLimit).toBe(362);
    expect(plan.problems).toEqual([]);
  });

  test('direct reservations come out of the proxy share', () => {
    // GIVEN
    const budget = pg394();
    // WHEN
    budget.reserve('migrations', 20);
    const plan = budget.plan();
    // THEN: floor(100 x 345 / 394) = 87; floor(394 x 87 / 100) = 342 <= 345
    expect(plan.directConnections).toBe(20);
    expect(plan.proxyMaxConnectionsPercent).toBe(87);
    expect(plan.proxyConnectionLimit).toBe(342);
    expect(allocation(budget, 'migrations')).toMatchObject({ kind: AllocationKind.RESERVATION, path: ConnectionPath.DIRECT, connections: 20 });
  });

  test('30% of the proxy pool is kept as headroom by default; the rest may be allocated', () => {
    // WHEN
    const plan = pg394().plan();
    // THEN: pool min(362, 365 - 0) = 362; allocatable floor(362 x 70 / 100) = floor(253.4) = 253; headroom 362 - 253 = 109
    expect(plan.proxyHeadroomPercent).toBe(30);
    expect(plan.proxyAllocatable).toBe(253);
    expect(plan.proxyHeadroom).toBe(109);
  });

  test('proxyHeadroomPercent changes the headroom', () => {
    // pool 362; 0%: allocatable 362, headroom 0; 90%: allocatable floor(362 x 10 / 100) = 36, headroom 326
    expect(pg394({ proxyHeadroomPercent: 0 }).plan()).toMatchObject({ proxyAllocatable: 362, proxyHeadroom: 0 });
    expect(pg394({ proxyHeadroomPercent: 90 }).plan()).toMatchObject({ proxyAllocatable: 36, proxyHeadroom: 326 });
  });

  test('proxy reservations do not lower the percent, they count against the proxy', () => {
    const budget = pg394();
    budget.reserve('worker', 30, { path: ConnectionPath.PROXY });
    const plan = budget.plan();
    expect(plan.directConnections).toBe(0);
    expect(plan.proxyMaxConnectionsPercent).toBe(92);
    expect(plan.proxyConnectionsAllocated).toBe(30);
  });

  test.each([
    [POSTGRESQL, 20], [POSTGRESQL, 99], [POSTGRESQL, 394], [POSTGRESQL, 1661], [POSTGRESQL, 5000],
    [MYSQL, 20], [MYSQL, 58], [MYSQL, 298], [MYSQL, 4999], [MYSQL, 81898],
  ])('%s with max_connections %i: the proxy limit never exceeds the capacity', (engine, maxConnections) => {
    const budget = new ConnectionBudget({ engine, maxConnections });
    const plan = budget.plan();
    expect(plan.proxyConnectionLimit).toBe(Math.floor((maxConnections * plan.proxyMaxConnectionsPercent) / 100));
    expect(plan.proxyConnectionLimit).toBeLessThanOrEqual(budget.capacity);
    expect(plan.proxyMaxConnectionsPercent).toBe(Math.floor((100 * budget.capacity) / maxConnections));
  });
});

describe('function allocations', () => {
  test('an explicit allocation holds reservedConcurrency x connectionsPerInvocation through the proxy', () => {
    // GIVEN
    const budget = pg394();
    // WHEN
    budget.allocateFunction('api', { reservedConcurrency: 50, connectionsPerInvocation: 2 });
    // THEN
    expect(allocation(budget, 'api')).toEqual({
      name: 'api',
      kind: AllocationKind.FUNCTION,
      path: ConnectionPath.PROXY,
      connections: 100,
      reservedConcurrency: 50,
      connectionsPerInvocation: 2,
      computedShare: false,
      environments: 50,
    });
    expect(budget.concurrencyOf('api')).toBe(50);
    expect(budget.plan().proxyConnectionsAllocated).toBe(100);
    expect(budget.plan().reservedConcurrency).toBe(50);
  });

  test('functions without reservedConcurrency share the allocatable connections equally', () => {
    const budget = pg394();
    budget.allocateFunction('a');
    budget.allocateFunction('b');
    // connections: floor(253 / 2) = 126; account: floor(900 x 50 / 100 / 2) = 225; min(126, 225) = 126
    expect(budget.concurrencyOf('a')).toBe(126);
    expect(budget.concurrencyOf('b')).toBe(126);
    expect(allocation(budget, 'a')).toMatchObject({ computedShare: true, connections: 126, connectionsPerInvocation: 1, environments: 126 });
    expect(budget.plan().problems).toEqual([]);
  });

  test('shares are what explicit allocations and proxy reservations leave', () => {
    // GIVEN
    const budget = pg394();
    budget.allocateFunction('explicit', { reservedConcurrency: 50, connectionsPerInvocation: 2 });
    budget.reserve('worker', 30, { path: ConnectionPath.PROXY });
    // WHEN
    budget.allocateFunction('a');
    budget.allocateFunction('b', { connectionsPerInvocation: 3 });
    // THEN: floor((253 - 100 - 30) / 2) = 61 connections each; account: floor((900 - 50) x 50 / 100 / 2) = 212
    expect(budget.concurrencyOf('a')).toBe(61); // min(61, 212)
    expect(budget.concurrencyOf('b')).toBe(20); // min(floor(61 / 3), 212)
    expect(allocation(budget, 'b').connections).toBe(60);
    const plan = budget.plan();
    expect(plan.proxyConnectionsAllocated).toBe(100 + 30 + 61 + 60); // 251 <= 253
    expect(plan.problems).toEqual([]);
  });

  test('direct reservations shrink the shares', () => {
    const budget = pg394();
    budget.reserve('migrations', 20);
    budget.allocateFunction('a');
    // pool min(342, 345) = 342; allocatable floor(342 x 70 / 100) = 239; account floor(900 x 50 / 100) = 450
    expect(budget.concurrencyOf('a')).toBe(239);
  });

  test('a share is bounded by half the account concurrency that can be reserved ((1000 - 100) x 50% by default)', () => {
    // GIVEN a database whose allocatable proxy connections outnumber the account's concurrency
    const budget = mysql5000();
    // WHEN
    budget.allocateFunction('a');
    // THEN: capacity 5000 - 3 - 250 = 4747; percent 94, limit 4700; allocatable floor(4700 x 70 / 100) = 3290
    expect(budget.plan().proxyConnectionLimit).toBe(4700);
    expect(budget.plan().proxyAllocatable).toBe(3290);
    // min(3290, floor(900 x 50 / 100 / 1)) = 450
    expect(budget.concurrencyOf('a')).toBe(450);
    expect(budget.plan().reservableConcurrency).toBe(900);
    expect(budget.plan().problems).toEqual([]);
  });

  test('the account concurrency left by explicit allocations is split between shared functions', () => {
    const budget = mysql5000();
    budget.allocateFunction('explicit', { reservedConcurrency: 100 });
    budget.allocateFunction('a');
    budget.allocateFunction('b');
    // account left 900 - 100 = 800; floor(800 x 50 / 100 / 2) = 200; connections floor((3290 - 100) / 2) = 1595
    expect(budget.concurrencyOf('a')).toBe(200);
    expect(budget.concurrencyOf('b')).toBe(200);
    expect(budget.plan().reservedConcurrency).toBe(500); // 100 + 200 + 200
    expect(budget.plan().problems).toEqual([]);
  });

  // Half of the reservable concurrency, all below the 3290 allocatable connections:
  test.each([
    [{ accountConcurrencyLimit: 3000 }, 1450], // (3000 - 100) x 50 / 100
    [{ unreservedConcurrencyMinimum: 500 }, 250], // (1000 - 500) x 50 / 100
    [{ accountConcurrencyLimit: 2000, unreservedConcurrencyMinimum: 0 }, 1000], // (2000 - 0) x 50 / 100
    [{ sharedConcurrencyPercent: 100 }, 900], // (1000 - 100) x 100 / 100
  ])('with %p a single shared function gets %i', (props, expected) => {
    const budget = mysql5000(props);
    budget.allocateFunction('a');
    expect(budget.concurrencyOf('a')).toBe(expected);
  });

  test('concurrencyOf throws for a name that is not an allocated function', () => {
    const budget = pg394();
    budget.reserve('migrations', 5);
    expect(() => budget.concurrencyOf('nope')).toThrow(/No function named 'nope'/);
    expect(() => budget.concurrencyOf('migrations')).toThrow(/No function named 'migrations'/);
  });
});

describe('over-commitment is reported in plan().problems', () => {
  test('an empty budget has no problems', () => {
    expect(pg394().plan().problems).toEqual([]);
  });

  test('explicit allocations exceeding what the proxy may allocate', () => {
    const budget = pg394();
    budget.allocateFunction('api', { reservedConcurrency: 400 });
    const problems = budget.plan().problems;
    expect(problems).toHaveLength(1);
    // pool 362, allocatable floor(362 x 70 / 100) = 253
    expect(problems[0]).toMatch(/need 400 connections but 253 may be allocated \(the proxy pool of 362 less its 30% headroom\)/);
  });

  test('an allocation inside the proxy pool but inside its headroom is a problem', () => {
    const budget = pg394();
    budget.allocateFunction('api', { reservedConcurrency: 300 }); // 253 < 300 <= 362
    expect(budget.plan().problems.join('\n')).toMatch(/need 300 connections but 253 may be allocated \(the proxy pool of 362 less its 30% headroom\)/);
  });

  test('proxy reservations and functions exceeding what the proxy may allocate together', () => {
    const budget = pg394();
    // each fits alone; 200 + 54 = 254 = allocatable 253 + 1
    budget.allocateFunction('api', { reservedConcurrency: 200 });
    budget.reserve('worker', 54, { path: ConnectionPath.PROXY });
    expect(budget.plan().problems.join('\n')).toMatch(/need 254 connections but 253 may be allocated/);
  });

  test('an allocation that exactly fills what the proxy may allocate is fine', () => {
    const budget = pg394();
    // 23 x 11 = 253 = floor(362 x 70 / 100)
    budget.allocateFunction('api', { reservedConcurrency: 23, connectionsPerInvocation: 11 });
    const plan = budget.plan();
    expect(plan.proxyConnectionsAllocated).toBe(253);
    expect(plan.proxyAllocatable).toBe(253);
    expect(plan.problems).toEqual([]);
  });

  test('direct reservations that eat the whole capacity', () => {
    const budget = pg394();
    budget.reserve('bi', 365);
    const plan = budget.plan();
    expect(plan.problems.join('\n')).toMatch(/Direct reservations take 365 connections but the capacity is 365, leaving nothing for the proxy/);
  });

  test('direct reservations that leave the proxy less than 1% of max_connections', () => {
    // GIVEN capacity 5000 - 9 - 250 = 4741
    const budget = new ConnectionBudget({ engine: POSTGRESQL, maxConnections: 5000 });
    // WHEN
    budget.reserve('bi', 4711);
    // THEN the proxy cannot be given 30 connections: 1% is 50
    const plan = budget.plan();
    expect(plan.proxyMaxConnectionsPercent).toBe(1);
    expect(plan.problems.join('\n')).toMatch(/leave the proxy 30 connections, less than 1% of maxConnections \(5000\)/);
  });

  test('a shared function whose share is less than 1', () => {
    // GIVEN explicit allocations take every allocatable connection (253)
    const budget = pg394();
    budget.allocateFunction('api', { reservedConcurrency: 253 });
    // WHEN
    budget.allocateFunction('cron');
    // THEN: connections floor((253 - 253) / 1) = 0; account floor((900 - 253) x 50 / 100 / 1) = floor(323.5) = 323
    expect(budget.concurrencyOf('cron')).toBe(0);
    const problems = budget.plan().problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/Function 'cron' has no cap of its own and the budget has too little left to share with it \(0 connections and 323 concurrency per consumer without a cap\)/);
  });

  test('a shared function needing more connections per invocation than its share', () => {
    const budget = new ConnectionBudget({ engine: POSTGRESQL, maxConnections: 20 });
    budget.allocateFunction('a', { connectionsPerInvocation: 10 });
    expect(budget.concurrencyOf('a')).toBe(0);
    expect(budget.plan().problems.join('\n')).toMatch(/Function 'a'/);
  });

  test('reserved concurrency over what the account can reserve', () => {
    const budget = mysql5000();
    budget.allocateFunction('api', { reservedConcurrency: 950 });
    expect(budget.plan().problems.join('\n')).toMatch(/reserve 950 concurrency but the account can reserve 900/);
  });

  test('reserved concurrency exactly at what the account can reserve is fine', () => {
    const budget = mysql5000();
    budget.allocateFunction('api', { reservedConcurrency: 900 });
    expect(budget.plan().problems).toEqual([]);
  });

  test.each([10, 100])('an account limit of %i, not above the unreserved minimum, leaves nothing to reserve', limit => {
    // GIVEN
    const budget = pg394({ accountConcurrencyLimit: limit });
    // WHEN
    budget.allocateFunction('a');
    // THEN
    expect(budget.concurrencyOf('a')).toBe(0);
    expect(budget.plan().problems.join('\n')).toMatch(new RegExp(
      `accountConcurrencyLimit ${limit}\\) does not exceed the concurrency Lambda keeps unreserved \\(unreservedConcurrencyMinimum 100\\), so no function can reserve any`));
  });

  // A new account (limit 10) can still hold a database whose consumers are not functions.
  test.each([
    ['only a direct reservation', (b: ConnectionBudget) => b.reserve('migrations', 5)],
    ['no consumers at all', (_b: ConnectionBudget) => undefined],
  ])('a low account limit is no problem while no function is allocated (%s)', (_case, setup) => {
    const budget = pg394({ accountConcurrencyLimit: 10 });
    setup(budget);
    expect(budget.plan().problems).toEqual([]);
  });

  test('a low account limit is no problem while no function is allocated and the limit is above the minimum', () => {
    const budget = pg394({ accountConcurrencyLimit: 101 });
    budget.reserve('migrations', 5);
    expect(budget.plan().problems).toEqual([]);
  });
});

describe('proxyMaxConnectionsPercent override', () => {
  test('is used when it fits in the proxy share', () => {
    const budget = pg394({ proxyMaxConnectionsPercent: 50 });
    budget.allocateFunction('a');
    const plan = budget.plan();
    expect(plan.proxyMaxConnectionsPercent).toBe(50);
    expect(plan.proxyConnectionLimit).toBe(197); // floor(394 x 50 / 100)
    expect(plan.proxyAllocatable).toBe(137); // floor(197 x 70 / 100)
    expect(budget.concurrencyOf('a')).toBe(137); // min(137, floor(900 x 50 / 100))
    expect(plan.problems).toEqual([]);
  });

  test('the derived percent itself is accepted as an override', () => {
    expect(pg394({ proxyMaxConnectionsPercent: 92 }).plan().problems).toEqual([]);
  });

  test('is a problem when it lets the proxy exceed its share', () => {
    const plan = pg394({ proxyMaxConnectionsPercent: 93 }).plan();
    expect(plan.proxyMaxConnectionsPercent).toBe(93);
    expect(plan.problems.join('\n')).toMatch(/proxyMaxConnectionsPercent 93 lets the proxy open 366 connections, but the budget leaves it 365.*use at most 92/);
  });

  test('shares stay within the proxy share even when the override is too large', () => {
    const budget = pg394({ proxyMaxConnectionsPercent: 100 });
    budget.reserve('migrations', 65);
    budget.allocateFunction('a');
    // proxy share 365 - 65 = 300 although the override allows 394; allocatable floor(300 x 70 / 100) = 210
    expect(budget.plan().proxyAllocatable).toBe(210);
    expect(budget.concurrencyOf('a')).toBe(210);
    expect(budget.plan().problems).toHaveLength(1);
  });
});

describe('input validation', () => {
  test.each<[string, Partial<ConnectionBudgetProps>, RegExp]>([
    ['maxConnections 0', { maxConnections: 0 }, /`maxConnections` must be a positive whole number, got: 0/],
    ['maxConnections negative', { maxConnections: -5 }, /`maxConnections` must be a positive whole number, got: -5/],
    ['maxConnections fractional', { maxConnections: 100.5 }, /`maxConnections` must be a positive whole number, got: 100.5/],
    ['maxConnections NaN', { maxConnections: Number.NaN }, /`maxConnections` must be a number, got: NaN/],
    ['maxConnections token', { maxConnections: aToken() }, /`maxConnections` must be a number known at synth time/],
    ['maxConnections lazy', { maxConnections: aLazy() }, /`maxConnections` must be a number known at synth time/],
    ['adminHeadroom negative', { adminHeadroom: -1 }, /`adminHeadroom` must be a whole number of at least 0, got: -1/],
    ['adminHeadroom fractional', { adminHeadroom: 2.5 }, /`adminHeadroom` must be a whole number of at least 0, got: 2.5/],
    ['adminHeadroom token', { adminHeadroom: aToken() }, /`adminHeadroom` must be a number known at synth time/],
    ['reservedConnections negative', { reservedConnections: -1 }, /`reservedConnections` must be a whole number of at least 0, got: -1/],
    ['percent 0', { proxyMaxConnectionsPercent: 0 }, /`proxyMaxConnectionsPercent` must be a whole number between 1 and 100, got: 0/],
    ['percent 101', { proxyMaxConnectionsPercent: 101 }, /`proxyMaxConnectionsPercent` must be a whole number between 1 and 100, got: 101/],
    ['percent fractional', { proxyMaxConnectionsPercent: 50.5 }, /`proxyMaxConnectionsPercent` must be a whole number between 1 and 100, got: 50.5/],
    ['percent lazy', { proxyMaxConnectionsPercent: aLazy() }, /`proxyMaxConnectionsPercent` must be a number known at synth time/],
    ['accountConcurrencyLimit 0', { accountConcurrencyLimit: 0 }, /`accountConcurrencyLimit` must be a positive whole number, got: 0/],
    ['unreservedConcurrencyMinimum negative', { unreservedConcurrencyMinimum: -1 }, /`unreservedConcurrencyMinimum` must be a whole number of at least 0, got: -1/],
    ['proxyHeadroomPercent negative', { proxyHeadroomPercent: -1 }, /`proxyHeadroomPercent` must be a whole number between 0 and 90, got: -1/],
    ['proxyHeadroomPercent 91', { proxyHeadroomPercent: 91 }, /`proxyHeadroomPercent` must be a whole number between 0 and 90, got: 91/],
  ])('the constructor rejects %s', (_case, overrides, message) => {
    expect(() => pg394(overrides)).toThrow(message);
  });

  test.each<[string, number | undefined, number | undefined, RegExp]>([
    ['reservedConcurrency 0', 0, undefined, /`reservedConcurrentExecutions of function 'f'` must be a positive whole number, got: 0/],
    ['reservedConcurrency negative', -1, undefined, /`reservedConcurrentExecutions of function 'f'` must be a positive whole number, got: -1/],
    ['reservedConcurrency fractional', 1.5, undefined, /`reservedConcurrentExecutions of function 'f'` must be a positive whole number, got: 1.5/],
    ['reservedConcurrency token', aToken(), undefined, /`reservedConcurrentExecutions of function 'f'` must be a number known at synth time/],
    ['connectionsPerInvocation 0', undefined, 0, /`connectionsPerInvocation of function 'f'` must be a positive whole number, got: 0/],
    ['connectionsPerInvocation negative', 5, -2, /`connectionsPerInvocation of function 'f'` must be a positive whole number, got: -2/],
    ['connectionsPerInvocation fractional', undefined, 0.5, /`connectionsPerInvocation of function 'f'` must be a positive whole number, got: 0.5/],
    ['connectionsPerInvocation lazy', undefined, aLazy(), /`connectionsPerInvocation of function 'f'` must be a number known at synth time/],
  ])('allocateFunction rejects %s', (_case, reservedConcurrency, connectionsPerInvocation, message) => {
    const budget = pg394();
    expect(() => budget.allocateFunction('f', { reservedConcurrency, connectionsPerInvocation })).toThrow(message);
  });

  test.each<[string, number, RegExp]>([
    ['0', 0, /`connections of reservation 'r'` must be a positive whole number, got: 0/],
    ['negative', -3, /`connections of reservation 'r'` must be a positive whole number, got: -3/],
    ['fractional', 2.5, /`connections of reservation 'r'` must be a positive whole number, got: 2.5/],
    ['a token', aToken(), /`connections of reservation 'r'` must be a number known at synth time/],
  ])('reserve rejects %s connections', (_case, connections, message) => {
    expect(() => pg394().reserve('r', connections)).toThrow(message);
  });

  test('a rejected allocation leaves the budget unchanged', () => {
    const budget = pg394();
    expect(() => budget.allocateFunction('f', { reservedConcurrency: 0 })).toThrow();
    expect(budget.plan().allocations).toEqual([]);
  });

  test.each<[string, (b: ConnectionBudget) => void]>([
    ['function then function', b => { b.allocateFunction('a'); b.allocateFunction('a'); }],
    ['function then reservation', b => { b.allocateFunction('a'); b.reserve('a', 1); }],
    ['reservation then function', b => { b.reserve('a', 1); b.allocateFunction('a', { reservedConcurrency: 1 }); }],
    ['reservation then reservation', b => { b.reserve('a', 1); b.reserve('a', 2, { path: ConnectionPath.PROXY }); }],
  ])('duplicate names are rejected (%s)', (_case, act) => {
    expect(() => act(pg394())).toThrow(/already has an allocation named 'a'/);
  });

  test.each(['', '   '])('an empty name %p is rejected', name => {
    const budget = pg394();
    expect(() => budget.allocateFunction(name)).toThrow(/non-empty name/);
    expect(() => budget.reserve(name, 1)).toThrow(/non-empty name/);
  });

  test.each<[DatabaseEngineFamily, number, Partial<ConnectionBudgetProps>]>([
    [POSTGRESQL, 14, {}], // 14 - 9 - 5 = 0
    [MYSQL, 8, {}], // 8 - 3 - 5 = 0
    [POSTGRESQL, 9, { adminHeadroom: 0 }],
    [POSTGRESQL, 100, { adminHeadroom: 95 }],
  ])('%s with max_connections %i and %p leaves no capacity and throws', (engine, maxConnections, overrides) => {
    expect(() => new ConnectionBudget({ engine, maxConnections, ...overrides })).toThrow(/leaves no capacity/);
  });

  test.each<[DatabaseEngineFamily, number, Partial<ConnectionBudgetProps>]>([
    [POSTGRESQL, 15, {}],
    [MYSQL, 9, {}],
    [POSTGRESQL, 10, { adminHeadroom: 0 }],
  ])('%s with max_connections %i and %p leaves a capacity of 1', (engine, maxConnections, overrides) => {
    expect(new ConnectionBudget({ engine, maxConnections, ...overrides }).capacity).toBe(1);
  });
});

describe('properties: no silent over-commitment', () => {
  const functionArb = fc.record({
    reservedConcurrency: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
    connectionsPerInvocation: fc.integer({ min: 1, max: 3 }),
  });
  const reservationArb = fc.record({
    connections: fc.integer({ min: 1, max: 200 }),
    path: fc.constantFrom(ConnectionPath.DIRECT, ConnectionPath.PROXY),
  });
  const scenarioArb = fc.record({
    engine: fc.constantFrom(POSTGRESQL, MYSQL),
    maxConnections: fc.integer({ min: 20, max: 5000 }),
    functions: fc.array(functionArb, { maxLength: 6 }),
    reservations: fc.array(reservationArb, { maxLength: 3 }),
    proxyMaxConnectionsPercent: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined, freq: 4 }),
    accountConcurrencyLimit: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined, freq: 4 }),
    proxyHeadroomPercent: fc.option(fc.integer({ min: 0, max: 90 }), { nil: undefined, freq: 2 }),
  });

  test('a plan without problems fits; a plan that does not fit has problems', () => {
    let fitting = 0;
    let overCommitted = 0;
    fc.assert(fc.property(scenarioArb, s => {
      // GIVEN
      const budget = new ConnectionBudget({
        engine: s.engine,
        maxConnections: s.maxConnections,
        proxyMaxConnectionsPercent: s.proxyMaxConnectionsPercent,
        accountConcurrencyLimit: s.accountConcurrencyLimit,
        proxyHeadroomPercent: s.proxyHeadroomPercent,
      });
      s.functions.forEach((f, i) => budget.allocateFunction(`fn${i}`, f));
      s.reservations.forEach((r, i) => budget.reserve(`res${i}`, r.connections, { path: r.path }));

      // WHEN
      const plan = budget.plan();

      // THEN
      const proxyAllocated = plan.allocations.filter(a => a.path === ConnectionPath.PROXY).reduce((n, a) => n + a.connections, 0);
      const direct = plan.allocations.filter(a => a.path === ConnectionPath.DIRECT).reduce((n, a) => n + a.connections, 0);
      const reservedConcurrency = plan.allocations.reduce((n, a) => n + (a.reservedConcurrency ?? 0), 0);
      const overReserved = s.functions.length > 0 && reservedConcurrency > plan.reservableConcurrency!;
      // the pool is what the proxy may open within its share; the headroom (30% unless given) is never allocated
      const pool = Math.max(0, Math.min(plan.proxyConnectionLimit, plan.capacity - direct));
      const headroomPercent = s.proxyHeadroomPercent ?? 30;
      const allocatable = Math.floor((pool * (100 - headroomPercent)) / 100);
      expect(plan.proxyConnectionsAllocated).toBe(proxyAllocated);
      expect(plan.directConnections).toBe(direct);
      expect(plan.reservedConcurrency).toBe(reservedConcurrency);
      expect(plan.proxyConnectionLimit).toBe(Math.floor((s.maxConnections * plan.proxyMaxConnectionsPercent) / 100));
      expect(plan.proxyMaxConnectionsPercent).toBeGreaterThanOrEqual(1);
      expect(plan.proxyMaxConnectionsPercent).toBeLessThanOrEqual(100);
      expect(plan.proxyHeadroomPercent).toBe(headroomPercent);
      expect(plan.proxyAllocatable).toBe(allocatable);
      expect(plan.proxyHeadroom).toBe(pool - allocatable);
      // shared functions together take at most sharedConcurrencyPercent (50) of what the account can still reserve
      const explicitReserved = s.functions.reduce((n, f) => n + (f.reservedConcurrency ?? 0), 0);
      const sharedTotal = plan.allocations.filter(a => a.computedShare).reduce((n, a) => n + a.reservedConcurrency!, 0);
      expect(sharedTotal).toBeLessThanOrEqual(Math.floor(Math.max(0, plan.reservableConcurrency! - explicitReserved) * 50 / 100));
      for (const a of plan.allocations.filter(x => x.kind === AllocationKind.FUNCTION)) {
        expect(a.connections).toBe(a.reservedConcurrency! * a.connectionsPerInvocation!);
      }

      if (plan.problems.length === 0) {
        fitting++;
        expect(proxyAllocated).toBeLessThanOrEqual(plan.proxyAllocatable);
        expect(plan.proxyAllocatable + plan.proxyHeadroom).toBeLessThanOrEqual(plan.proxyConnectionLimit);
        expect(plan.proxyConnectionLimit).toBeLessThanOrEqual(plan.capacity - direct);
        expect(direct + proxyAllocated).toBeLessThanOrEqual(plan.capacity);
        expect(overReserved).toBe(false);
        for (const a of plan.allocations.filter(x => x.computedShare)) {
          expect(a.reservedConcurrency).toBeGreaterThanOrEqual(1);
        }
      }
      if (proxyAllocated > allocatable || plan.proxyConnectionLimit > plan.capacity - direct || direct >= plan.capacity
        || overReserved) {
        overCommitted++;
        expect(plan.problems.length).toBeGreaterThan(0);
      }
    }), { numRuns: 1000 });
    // both branches were exercised
    expect(fitting).toBeGreaterThan(50);
    expect(overCommitted).toBeGreaterThan(50);
  });

  test('without explicit allocations or reservations every shared function gets at least 1 when the database is big enough', () => {
    fc.assert(fc.property(
      fc.constantFrom(POSTGRESQL, MYSQL),
      fc.integer({ min: 20, max: 5000 }),
      fc.integer({ min: 1, max: 6 }),
      (engine, maxConnections, count) => {
        const budget = new ConnectionBudget({ engine, maxConnections });
        for (let i = 0; i < count; i++) {
          budget.allocateFunction(`fn${i}`);
        }
        const plan = budget.plan();
        // each gets min(floor(allocatable / count), floor(900 x 50 / 100 / count) >= 75): at least 1 when allocatable >= count
        if (plan.proxyAllocatable >= count) {
          expect(plan.problems).toEqual([]);
          for (let i = 0; i < count; i++) {
            expect(budget.concurrencyOf(`fn${i}`)).toBeGreaterThanOrEqual(1);
          }
        } else {
          expect(plan.problems.length).toBeGreaterThan(0);
        }
      },
    ), { numRuns: 300 });
  });
});
