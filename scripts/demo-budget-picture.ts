/**
 * Writes the demo's budget picture to docs/ (the README shows it): synthesizes the demo app
 * and copies the SVG the database writes beside its budget JSON.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { DemoStack } from '../bin/demo-stack';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'budget-picture-'));
try {
  const app = new App({ outdir });
  new DemoStack(app, 'ServerlessRdsDemo');
  app.synth();
  const svg = fs.readdirSync(outdir).find(f => f.endsWith('.connection-budget.svg'));
  if (!svg) {
    throw new Error('The demo wrote no .connection-budget.svg');
  }
  const target = path.join(__dirname, '..', 'docs', 'demo-connection-budget.svg');
  fs.copyFileSync(path.join(outdir, svg), target);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
} finally {
  fs.rmSync(outdir, { recursive: true, force: true });
}
