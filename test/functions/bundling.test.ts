import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { newDatabase } from '../helpers';

/** A handler that uses the runtime helper, as users' handlers do. */
const HELPER_HANDLER = path.join(__dirname, '..', 'fixtures', 'invocations-handler.ts');

/** The bundled index.js of a Node.js function, from the synthesized assembly. */
function bundledCode(stack: Stack, fn: lambda.Function): string {
  const assembly = stack.node.root as unknown as { synth(): { directory: string } };
  const outdir = assembly.synth().directory;
  const asset = fn.node.findChild('Code') as s3assets.Asset;
  return fs.readFileSync(path.join(outdir, asset.assetPath, 'index.js'), 'utf8');
}

describe('addNodejsFunction bundling', () => {
  test('bundles the runtime helper and the AWS SDK modules it imports (the IAM token signer)', () => {
    // GIVEN
    const { stack, db } = newDatabase();

    // WHEN
    const fn = db.addNodejsFunction('Api', { entry: HELPER_HANDLER, reservedConcurrentExecutions: 5 });

    // THEN
    const code = bundledCode(stack, fn);
    expect(code).toMatch(/ServerlessPostgresPool = class extends/);
    expect(code).toContain('node_modules/@aws-sdk/rds-signer/');
    expect(code).not.toContain('require("@aws-sdk/rds-signer")');
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
});
