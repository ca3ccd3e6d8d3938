import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

/** Debian's Python, which has python3-psycopg2 and python3-boto3 (not the first python3 on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export type PythonOutcome = { ok: true; result: any } | { ok: false; error: string };

/** A Python handler in its own process, invoked one event at a time (see invoke_handler.py). */
export class PythonEnvironment {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(outcome: PythonOutcome) => void> = [];
  private errorOutput = '';

  constructor(handlerFile: string, env: Record<string, string>) {
    this.child = spawn(DEBIAN_PYTHON, [path.join(__dirname, 'invoke_handler.py'), handlerFile], { env: { PATH: process.env.PATH ?? '', ...env } });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line)));
    this.child.stderr.on('data', (chunk) => { this.errorOutput += String(chunk); });
    this.child.on('exit', () => {
      for (const settle of this.waiting.splice(0)) settle({ ok: false, error: `python exited: ${this.errorOutput}` });
    });
  }

  public invoke(event: object): Promise<PythonOutcome> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${JSON.stringify(event)}\n`);
    });
  }

  public stderr(): string {
    return this.errorOutput;
  }

  public async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}
