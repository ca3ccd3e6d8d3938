import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AllocationKind, ConnectionPath, ServerlessDatabase } from '../../lib';
import { inlineFunctionProps, newDatabase } from '../helpers';

describe('budget report of a successful synth', () => {
  let app: App;
  let stack: Stack;
  let db: ServerlessDatabase;
  let directory: string;

  beforeAll(() => {
    // GIVEN a database with a capped and an uncapped function and a direct reservation
    ({ app, stack, db } = newDatabase());
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 40 });
    db.addFunction('Worker', { ...inlineFunctionProps(), connectionsPerInvocation: 2 });
    db.budget.reserve('Migrations', 5);

    // WHEN the app is synthesized
    directory = app.synth().directory;
  });

  test('the database carries an info annotation with the budget table', () => {
    // THEN
    const annotations = Annotations.fromStack(stack);
    annotations.hasInfo('/TestStack/Db', Match.stringLikeRegexp('Connection budget'));
    annotations.hasInfo('/TestStack/Db', Match.stringLikeRegexp('max_connections[\\s\\S]*function Db/Functions/Api[\\s\\S]*function Db/Functions/Worker[\\s\\S]*reserve Migrations'));
    expect(annotations.findInfo('/TestStack/Db', Match.stringLikeRegexp('Connection budget'))).toHaveLength(1);
    annotations.hasNoWarning('/TestStack/Db', Match.anyValue());
  });

  test('the cloud assembly holds a .connection-budget.json file with the plan, as the synthesized templates deploy it', () => {
    // THEN
    const files = fs.readdirSync(directory).filter(f => f.endsWith('.connection-budget.json'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^TestStack\./);
    const report = JSON.parse(fs.readFileSync(path.join(directory, files[0]), 'utf-8'));
    // capacity 394 - 9 - 20 = 365, less 6 direct (5 reserved, 1 for the database-users handler) = 359 for
    // the proxy: floor(100 x 359 / 394) = 91;
    // pool floor(394 x 91 / 100) = 358; allocatable floor(358 x 70 / 100) = 250, headroom 358 - 250 = 108.
    // Worker: connections floor((250 - 40) / 1) = 210, / 2 per invocation = 105; account floor((900 - 40) x 50 / 100 / 1) = 430;
    // min(105, 430) = 105
    const share = db.budget.concurrencyOf('Db/Functions/Worker');
    expect(share).toBe(105);
    expect(report).toMatchObject({
      database: 'TestStack/Db',
      source: 'synthesized templates',
      maxConnections: 394,
      maxConnectionsSource: 'template: parameter group',
      proxyMaxConnectionsPercent: db.budget.proxyMaxConnectionsPercent,
      directConnections: 6,
      proxyConnectionLimit: 358,
      proxyHeadroomPercent: 30,
      proxyHeadroom: 108,
      proxyAllocatable: 250,
      proxyConnectionsAllocated: 250, // 40 + 105 x 2
      reservedConcurrency: 145, // 40 + 105
      reservableConcurrency: 900,
      reservedConcurrencyElsewhere: 1, // the database-users handler's reserved concurrency of 1
      problems: [],
      drift: [],
    });
    expect(report.proxyMaxConnectionsPercent).toBe(91);
    // computedShare of the Worker is checked on its own below
    const allocations = report.allocations.map((a: any) => (a.name === 'Db/Functions/Worker' ? { ...a, computedShare: undefined } : a));
    expect(allocations).toEqual([
      {
        name: 'Db/Functions/Api', kind: AllocationKind.FUNCTION, path: ConnectionPath.PROXY,
        reservedConcurrency: 40, connectionsPerInvocation: 1, connections: 40, computedShare: false, environments: 40,
      },
      {
        name: 'Db/Functions/Worker', kind: AllocationKind.FUNCTION, path: ConnectionPath.PROXY,
        reservedConcurrency: share, connectionsPerInvocation: 2, connections: share * 2, environments: share,
      },
      // The handler that creates the functions' database users logs in as the master: 1 connection.
      { name: 'Database users (custom resource)', kind: AllocationKind.RESERVATION, path: ConnectionPath.DIRECT, connections: 1, computedShare: false },
      { name: 'Migrations', kind: AllocationKind.RESERVATION, path: ConnectionPath.DIRECT, connections: 5, computedShare: false },
    ]);
  });

  test('the .connection-budget.json file marks the computed share of an uncapped function as computedShare', () => {
    // THEN: Worker was wired without reservedConcurrentExecutions; its 105 is a computed share, as the synth-time table says
    const [file] = fs.readdirSync(directory).filter(f => f.endsWith('.connection-budget.json'));
    const report = JSON.parse(fs.readFileSync(path.join(directory, file), 'utf-8'));
    expect(db.budget.plan().allocations.find(a => a.name === 'Db/Functions/Worker')?.computedShare).toBe(true);
    expect(report.allocations.find((a: any) => a.name === 'Db/Functions/Worker').computedShare).toBe(true);
  });

  test('the cloud assembly holds the budget as an SVG picture beside the JSON file', () => {
    // THEN
    const files = fs.readdirSync(directory).filter(f => f.endsWith('.connection-budget.svg'));
    expect(files).toEqual(fs.readdirSync(directory).filter(f => f.endsWith('.connection-budget.json')).map(f => f.replace(/json$/, 'svg')));
    const svg = fs.readFileSync(path.join(directory, files[0]), 'utf-8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('Connection budget of TestStack/Db (PostgreSQL)');
    expect(svg).toContain('<title>Db/Functions/Api: 40</title>');
    expect(svg).toContain('<title>Migrations: 5</title>');
  });
});

describe('budget report of a failed synth', () => {
  test('an over-committed budget writes no .connection-budget.json file', () => {
    // GIVEN
    const { app, db } = newDatabase();
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 1000 });

    // WHEN
    expect(() => app.synth()).toThrow(/over-committed/);

    // THEN
    const files = fs.existsSync(app.outdir) ? fs.readdirSync(app.outdir) : [];
    expect(files.filter(f => f.endsWith('.connection-budget.json'))).toEqual([]);
  });
});
