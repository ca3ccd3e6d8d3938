import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';

/**
 * Synthesizes the whole app, as `cdk synth` does, and returns the template check's report text
 * when it fails (undefined when synth succeeds).
 */
export function synthFailure(app: App): string | undefined {
  try {
    app.synth({ force: true });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Synthesizes and expects success; returns the assembly directory. */
export function synthOk(app: App): string {
  const failure = synthFailure(app);
  if (failure !== undefined) {
    throw new Error(`Expected synth to succeed, it failed:\n${failure}`);
  }
  return app.outdir;
}

/** The budget artifact the template check wrote for the databases of a stack. */
export function budgetArtifact(app: App, stack: Stack): any {
  const file = fs.readdirSync(app.outdir).find(f => f.startsWith(`${stack.artifactId}.`) && f.endsWith('.connection-budget.json'));
  if (!file) {
    throw new Error(`No budget artifact for ${stack.node.path} in ${app.outdir}`);
  }
  return JSON.parse(fs.readFileSync(path.join(app.outdir, file), 'utf8'));
}

/** The synthesized template of a stack (after synth). */
export function templateOf(app: App, stack: Stack): any {
  return JSON.parse(fs.readFileSync(path.join(app.outdir, stack.templateFile), 'utf8'));
}
