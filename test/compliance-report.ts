import * as fs from 'fs';
import * as path from 'path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

/** One finding of a validation plugin (a cdk-nag pack or CDK's CloudFormation validation). */
export interface Finding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly paths: string[];
}

/**
 * Synthesizes `app` and returns the findings of every registered validation plugin, read from
 * the report CDK writes into the cloud assembly. Synthesis throws when a plugin fails, so the
 * report is read from the error path too.
 */
export function synthesizeWithFindings(app: App): { findings: Finding[]; plugins: string[]; outdir: string } {
  const outdir = app.outdir;
  let failure: unknown;
  try {
    app.synth();
  } catch (e) {
    failure = e;
  }
  const reportFile = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(reportFile)) {
    if (failure) {
      throw failure;
    }
    return { findings: [], plugins: [], outdir };
  }
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  const findings: Finding[] = [];
  const plugins: string[] = [];
  for (const plugin of report.pluginReports ?? []) {
    plugins.push(plugin.pluginName);
    for (const v of plugin.violations ?? []) {
      findings.push({
        plugin: plugin.pluginName,
        rule: v.ruleName,
        severity: v.severity,
        paths: (v.violatingConstructs ?? []).map((c: { constructPath: string }) => c.constructPath),
      });
    }
  }
  if (failure && findings.length === 0) {
    throw failure;
  }
  return { findings, plugins, outdir };
}

/** Every acknowledgment recorded in the construct tree, with its reason. */
export function acknowledgments(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  const result: Array<{ path: string; id: string; reason: string }> = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        // Recorded as { '<plugin>::<rule id>': '<reason>' }.
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          result.push({ path: c.node.path, id, reason });
        }
      }
    }
  }
  return result;
}

/** Replaces asset hashes, which change with every handler edit, so snapshots show structure. */
export function normalizeTemplate(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

/**
 * Adds resources that break rules of every pack and of CloudFormation validation, so a test can
 * show the packs are really active (a report with no findings proves nothing on its own).
 */
export function addNonCompliantControl(stack: Stack): void {
  new s3.Bucket(stack, 'ControlBucket');
  new lambda.Function(stack, 'ControlFunction', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => 1;'),
  });
  new CfnResource(stack, 'ControlQueue', { type: 'AWS::SQS::Queue', properties: { NotAQueueProperty: 1 } });
}
