import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSync } from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The runtime helper as users get it: the package tarball (`npm test` compiles first), unpacked
 * into a project's node_modules, imported by its published entry points and bundled by esbuild.
 */
describe('runtime helper entry points of the published package', () => {
  let consumer: string;

  beforeAll(() => {
    consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-'));
    const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', consumer], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const modules = path.join(consumer, 'node_modules');
    fs.mkdirSync(modules);
    execFileSync('tar', ['-xzf', path.join(consumer, filename), '-C', modules]);
    fs.renameSync(path.join(modules, 'package'), path.join(modules, 'cdk-serverless-rds'));
    fs.writeFileSync(path.join(consumer, 'handler.js'), [
      "const { getPostgresPool, ServerlessPostgresPool } = require('cdk-serverless-rds/runtime/postgres');",
      "const { getMysqlPool, ServerlessMysqlPool } = require('cdk-serverless-rds/runtime/mysql');",
      "const { createDataApiClient } = require('cdk-serverless-rds/runtime/data-api');",
      'module.exports = { getPostgresPool, ServerlessPostgresPool, getMysqlPool, ServerlessMysqlPool, createDataApiClient };',
    ].join('\n'));
  });

  afterAll(() => {
    fs.rmSync(consumer, { recursive: true, force: true });
  });

  test('ship compiled JavaScript with type declarations, and no TypeScript sources', () => {
    const runtime = path.join(consumer, 'node_modules', 'cdk-serverless-rds', 'runtime');
    const files = fs.readdirSync(runtime);
    expect(files).toEqual(expect.arrayContaining(['postgres.js', 'postgres.d.ts', 'mysql.js', 'mysql.d.ts', 'data-api.js', 'data-api.d.ts']));
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  test('bundle with esbuild into one file that exports working pools', () => {
    const outfile = path.join(consumer, 'bundle.js');
    // The drivers and AWS SDK pieces come from the user's project; here, this repository's node_modules.
    buildSync({ entryPoints: [path.join(consumer, 'handler.js')], bundle: true, platform: 'node', target: 'node22', outfile, nodePaths: [path.join(ROOT, 'node_modules')], logLevel: 'error' });
    const bundled = require(outfile);
    const pool = new bundled.ServerlessPostgresPool({ host: 'localhost', database: 'app', user: 'app', password: 'pw', connections: 2 });
    expect(pool.options.max).toBe(2);
    expect(typeof bundled.getMysqlPool).toBe('function');
    const dataApi = bundled.createDataApiClient({ resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:db', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db', database: 'app', region: 'eu-west-1' });
    expect(typeof dataApi.execute).toBe('function');
  });
});
