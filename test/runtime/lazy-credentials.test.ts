import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSync } from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Which AWS SDK clients a cold start evaluates, per auth mode. The helper is bundled the way a
 * wired function is, but with the AWS SDK left external so Node's module cache shows which
 * clients the bundle actually required while it created its pool.
 */
describe('the runtime helper loads only the AWS SDK client its auth mode uses', () => {
  let dir: string;
  let bundle: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-credentials-'));
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, [
      "import { ServerlessPostgresPool } from 'cdk-serverless-rds/runtime/postgres';",
      "import { ServerlessMysqlPool } from 'cdk-serverless-rds/runtime/mysql';",
      'export { ServerlessPostgresPool, ServerlessMysqlPool };',
    ].join('\n'));
    bundle = path.join(dir, 'bundle.js');
    buildSync({
      entryPoints: [entry], bundle: true, platform: 'node', target: 'node22', format: 'cjs', outfile: bundle, minify: true,
      external: ['@aws-sdk/*', '@smithy/*'], tsconfig: path.join(ROOT, 'tsconfig.json'), nodePaths: [path.join(ROOT, 'node_modules')], logLevel: 'error',
    });
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Creates a pool in a fresh process and lists the AWS SDK packages Node loaded. */
  function sdkPackagesLoaded(poolClass: string, env: Record<string, string>): string[] {
    const script = [
      `const { ${poolClass} } = require(${JSON.stringify(bundle)});`,
      `new ${poolClass}();`,
      'const names = Object.keys(require.cache).map((file) => (file.match(/node_modules\\/(@aws-sdk\\/[^/]+)\\//) || [])[1]).filter(Boolean);',
      'console.log(JSON.stringify([...new Set(names)].sort()));',
    ].join('\n');
    const output = execFileSync(process.execPath, ['-e', script], {
      cwd: ROOT, encoding: 'utf8',
      env: { PATH: process.env.PATH, NODE_PATH: path.join(ROOT, 'node_modules'), SERVERLESS_RDS_HOST: 'db.example.com', SERVERLESS_RDS_DATABASE: 'app', SERVERLESS_RDS_USER: 'app', SERVERLESS_RDS_REGION: 'eu-west-1', ...env },
    });
    return JSON.parse(output.trim().split('\n').pop()!);
  }

  const SECRET = { SERVERLESS_RDS_AUTH: 'secret', SERVERLESS_RDS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf' };

  test.each(['ServerlessPostgresPool', 'ServerlessMysqlPool'])('%s in IAM mode loads the RDS signer and not the Secrets Manager client', (poolClass) => {
    const loaded = sdkPackagesLoaded(poolClass, { SERVERLESS_RDS_AUTH: 'iam' });
    expect(loaded).toContain('@aws-sdk/rds-signer');
    expect(loaded).not.toContain('@aws-sdk/client-secrets-manager');
  });

  test.each(['ServerlessPostgresPool', 'ServerlessMysqlPool'])('%s in secret mode loads the Secrets Manager client and not the RDS signer', (poolClass) => {
    const loaded = sdkPackagesLoaded(poolClass, SECRET);
    expect(loaded).toContain('@aws-sdk/client-secrets-manager');
    expect(loaded).not.toContain('@aws-sdk/rds-signer');
  });
});
