import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

/** Debian's Python, which has python3-psycopg2 and python3-boto3 (not the first python3 on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export type PythonOutcome = { ok: true; result: any } | { ok: false; error: string };

/**
 * A Python handler in its own process, as one execution environment: the module is imported once
 * and invoked one event at a time (see invoke_handler.py). The process sees PATH and `env` only.
 */
export class PythonEnvironment {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(outcome: PythonOutcome) => void> = [];
  private errorOutput = '';
  private exited = false;

  constructor(handlerFile: string, env: Record<string, string>) {
    this.child = spawn(DEBIAN_PYTHON, [path.join(__dirname, 'invoke_handler.py'), handlerFile], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      let outcome: PythonOutcome;
      try {
        outcome = JSON.parse(line);
      } catch {
        outcome = { ok: false, error: `not an outcome line: ${line}` };
      }
      this.waiting.shift()?.(outcome);
    });
    this.child.stderr.on('data', (chunk) => { this.errorOutput += String(chunk); });
    this.child.stdin.on('error', () => undefined); // EPIPE after an exit: reported by the 'close' handler
    this.child.on('error', (error) => { this.errorOutput += `spawn failed: ${error.message}\n`; });
    this.child.on('close', () => {
      this.exited = true;
      for (const settle of this.waiting.splice(0)) settle({ ok: false, error: `python exited: ${this.errorOutput}` });
    });
  }

  /** Runs the handler on one event; resolves with its result or its error ("<type>: <message>"). */
  public invoke(event: object): Promise<PythonOutcome> {
    if (this.exited) return Promise.resolve({ ok: false, error: `python exited: ${this.errorOutput}` });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${JSON.stringify(event)}\n`);
    });
  }

  /** What the process wrote to stderr: the handler's log, and tracebacks of a crash. */
  public stderr(): string {
    return this.errorOutput;
  }

  /** Ends the environment: EOF on stdin lets Python exit; killed if it has not within 5 s. Idempotent. */
  public async stop(): Promise<void> {
    if (this.exited) return;
    const closed = new Promise((resolve) => this.child.once('close', resolve));
    this.child.stdin.end();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await closed;
    clearTimeout(killer);
  }
}
