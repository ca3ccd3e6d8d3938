import { ChildProcess, fork } from 'child_process';
import * as path from 'path';

/** What an invocation returned: the handler's result or its error. */
export type InvocationOutcome<T> = { ok: true; result: T } | { ok: false; error: { message: string; code?: string } };

/**
 * A simulated Lambda execution environment in its own process: the handler's module scope lives
 * as long as the process, invocations run one at a time, and `freeze()`/`thaw()` stop and resume
 * the whole process (SIGSTOP/SIGCONT) the way Lambda freezes an idle environment, so sockets the
 * server closes meanwhile are only noticed after the thaw.
 */
export class ExecutionEnvironment {
  public static async start(bundle: string, env: NodeJS.ProcessEnv): Promise<ExecutionEnvironment> {
    const child = fork(path.join(__dirname, 'environment-runner.js'), [bundle], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const environment = new ExecutionEnvironment(child);
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`environment exited with ${code} before it was ready: ${environment.output()}`)));
    });
    return environment;
  }

  private nextId = 0;
  private readonly pending = new Map<number, (outcome: InvocationOutcome<any>) => void>();
  private readonly log: string[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: any) => {
      const settle = this.pending.get(message.id);
      if (!settle) return;
      this.pending.delete(message.id);
      settle(message.error ? { ok: false, error: message.error } : { ok: true, result: message.result });
    });
    child.stdout!.on('data', (chunk) => this.log.push(String(chunk)));
    child.stderr!.on('data', (chunk) => this.log.push(String(chunk)));
  }

  /** Runs one invocation; `timeoutMs` gives the handler a context whose remaining time counts down from it. */
  public invoke<T = any>(event: unknown = {}, timeoutMs?: number): Promise<InvocationOutcome<T>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, event, timeoutMs });
    });
  }

  /** Everything the environment wrote to stdout and stderr (the function's log). */
  public output(): string {
    return this.log.join('');
  }

  public freeze(): void {
    this.child.kill('SIGSTOP');
  }

  public thaw(): void {
    this.child.kill('SIGCONT');
  }

  public async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
    await exited;
  }
}
