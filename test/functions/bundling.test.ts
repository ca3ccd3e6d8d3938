import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { FIXTURE_HANDLER, newDatabase } from '../helpers';

/** A handler that uses the runtime helper, as users' handlers do. */
const HELPER_HANDLER = path.join(__dirname, '..', 'fixtures', 'invocations-handler.ts');

/** The directory of a Node.js function's bundle in the synthesized assembly. */
function bundleDir(stack: Stack, fn: lambda.Function): string {
  const assembly = stack.node.root as unknown as { synth(): { directory: string } };
  const outdir = assembly.synth().directory;
  const asset = fn.node.findChild('Code') as s3assets.Asset;
  return path.join(outdir, asset.assetPath);
}

function bundledCode(stack: Stack, fn: lambda.Function): string {
  return fs.readFileSync(path.join(bundleDir(stack, fn), 'index.js'), 'utf8');
}

describe('addNodejsFunction bundling', () => {
  test('bundles the runtime helper and the AWS SDK modules it imports, minified, into one file that loads', () => {
    // GIVEN
    const { stack, db } = newDatabase();

    // WHEN
    const fn = db.addNodejsFunction('Api', { entry: HELPER_HANDLER, reservedConcurrentExecutions: 5 });

    // THEN
    const dir = bundleDir(stack, fn);
    const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
    expect(code).not.toMatch(/require\("@aws-sdk\/(rds-signer|client-secrets-manager)"\)/);
    expect(code).toContain('rds-db'); // the signer's signing service, bundled
    expect(code).not.toMatch(/ServerlessPostgresPool = class extends/); // minified: local names shortened
    expect(fs.readdirSync(dir)).toEqual(['index.js']); // no source map by default
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs24.x' });
    // The bundle loads on its own (the pool connects lazily, at the first query).
    const loaded = execFileSync(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(path.join(dir, 'index.js'))}).handler)`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, SERVERLESS_RDS_HOST: 'db.example.com', SERVERLESS_RDS_DATABASE: 'app', SERVERLESS_RDS_USER: 'app', SERVERLESS_RDS_REGION: 'eu-west-1' },
    });
    expect(loaded.trim()).toBe('function');
  });

  test('leaves the AWS SDK to the Lambda runtime when bundleAwsSDK is set to false', () => {
    // GIVEN
    const { stack, db } = newDatabase();

    // WHEN
    const fn = db.addNodejsFunction('Api', { entry: HELPER_HANDLER, reservedConcurrentExecutions: 5, bundling: { bundleAwsSDK: false } });

    // THEN
    const code = bundledCode(stack, fn);
    expect(code).toContain('require("@aws-sdk/rds-signer")');
  });

  test('writes a source map when asked, and keeps names readable when minify is turned off', () => {
    // GIVEN
    const { stack, db } = newDatabase();

    // WHEN
    const fn = db.addNodejsFunction('Api', { entry: HELPER_HANDLER, reservedConcurrentExecutions: 5, bundling: { sourceMap: true, minify: false } });

    // THEN
    const dir = bundleDir(stack, fn);
    expect(fs.readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map']);
    expect(fs.readFileSync(path.join(dir, 'index.js'), 'utf8')).toMatch(/ServerlessPostgresPool = class extends/);
  });

  test('functions with the same entry and options share one bundle; another entry gets its own', () => {
    // GIVEN
    const { stack, db } = newDatabase();

    // WHEN
    const functions = Array.from({ length: 4 }, (_, i) => db.addNodejsFunction(`Api${i}`, { entry: HELPER_HANDLER, reservedConcurrentExecutions: 2 }));
    const other = db.addNodejsFunction('Other', { entry: FIXTURE_HANDLER, reservedConcurrentExecutions: 2 });

    // THEN
    const dirs = new Set(functions.map((fn) => bundleDir(stack, fn)));
    expect(dirs.size).toBe(1);
    expect(bundleDir(stack, other)).not.toEqual([...dirs][0]);
    expect(bundledCode(stack, other)).not.toContain('rds-db');
  });

  test('options that need NodejsFunction\'s own bundling still get it', () => {
    // GIVEN
    const { stack, db } = newDatabase();

    // WHEN
    const fn = db.addNodejsFunction('Api', {
      entry: FIXTURE_HANDLER,
      reservedConcurrentExecutions: 2,
      bundling: { commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling: (_in: string, out: string) => [`echo hooked > ${out}/hook.txt`] } },
    });

    // THEN
    const dir = bundleDir(stack, fn);
    expect(fs.readFileSync(path.join(dir, 'hook.txt'), 'utf8').trim()).toBe('hooked');
    expect(fs.readFileSync(path.join(dir, 'index.js'), 'utf8')).toContain('SERVERLESS_RDS_HOST');
  });

  test.each([
    [true, 'the RDS signer', 'not the Secrets Manager client', 'rds-db', /GetSecretValue/],
    [false, 'the Secrets Manager client', 'not the RDS signer', 'GetSecretValue', /rds-db/],
  ])('with iamAuthentication %s, the bundle carries %s and %s', (iamAuthentication, _has, _hasNot, present, absent) => {
    // GIVEN
    const { stack, db } = newDatabase({ iamAuthentication });

    // WHEN
    const fn = db.addNodejsFunction('Api', { entry: HELPER_HANDLER, reservedConcurrentExecutions: 2 });

    // THEN
    const code = bundledCode(stack, fn);
    expect(code).toContain(present);
    expect(code).not.toMatch(absent);
  });
});
