import { ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The operating-system account a server process runs as. */
export interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

let cachedPostgresUser: OsUser | undefined;

/**
 * The account PostgreSQL and PgBouncer run as. Both refuse to start as root, and the tests run as
 * root in CI, so there we drop to Debian's `postgres` system user (created by the postgresql
 * package). As anyone else, `undefined`: they run as the current user.
 */
export function postgresOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (!cachedPostgresUser) {
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      cachedPostgresUser = { uid: id('-u'), gid: id('-g') };
    } catch {
      throw new Error('Running as root needs the `postgres` system user to run PostgreSQL/PgBouncer (apt-get install postgresql)');
    }
  }
  return cachedPostgresUser;
}

/** The absolute path of a program; /usr/sbin is searched too because it is not on every PATH. */
export function findExecutable(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here, keep looking
    }
  }
  throw new Error(`${name} is not installed (looked in ${dirs.join(', ')})`);
}

/** A random password without characters that need quoting in SQL, config files or URLs. */
export function randomPassword(): string {
  return crypto.randomBytes(18).toString('base64url');
}

/** A fresh private directory under the OS temp dir, owned by the server's account. */
export function makeTempDir(prefix: string, owner?: OsUser): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** Writes a file only the server's account can read (passwords, keys). */
export function writePrivateFile(file: string, content: string, owner?: OsUser): void {
  fs.writeFileSync(file, content, { mode: 0o600 });
  fs.chmodSync(file, 0o600); // the mode option is ignored when the file already exists
  if (owner) fs.chownSync(file, owner.uid, owner.gid);
}

/** Runs a program to completion; the error carries its output, which is where servers explain failures. */
export function runCommand(file: string, args: string[], options: { user?: OsUser; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        uid: options.user?.uid,
        gid: options.user?.gid,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
        // A C locale keeps server messages in English and initdb independent of the host's locales.
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/**
 * Starts a long-running server in the foreground as our child. Its output goes straight to a log
 * file (a pipe nobody reads would eventually block it). The child is unref'd so a test that forgets
 * stop() does not hang Jest; the leak guard below still kills it.
 */
export function spawnServer(file: string, args: string[], options: { user?: OsUser; cwd: string; logFile: string }): ChildProcess {
  const log = fs.openSync(options.logFile, 'a');
  try {
    const child = spawn(file, args, {
      cwd: options.cwd,
      uid: options.user?.uid,
      gid: options.user?.gid,
      stdio: ['ignore', log, log],
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    });
    child.on('error', () => {
      // reported by waitFor() via the exit code / log instead of crashing the test process
    });
    child.unref();
    return child;
  } finally {
    fs.closeSync(log);
  }
}

/** Signals a child and waits for it to exit, escalating to SIGKILL. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  await new Promise<void>((resolve) => {
    // A ref'd timer keeps the event loop alive while we wait for the (unref'd) child.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `probe` until it returns a value other than undefined. `failFast` returns a reason to give up
 * early (e.g. the server process exited); the last probe error is included in the timeout message.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; failFast?: () => string | undefined } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    const reason = options.failFast?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message ?? lastError}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/**
 * Kills the process whose pid is the first line of $1 with signal $2, waits up to ~10 s for it to go
 * (then SIGKILL), and removes directory $3. Shared by stop(), the exit hook and the watchdog.
 */
const CLEANUP_SCRIPT = `
pid=$(head -n 1 "$1" 2>/dev/null)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill -"$2" "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
  kill -KILL "$pid" 2>/dev/null
fi
rm -rf "$3"
`;

/** Waits for process $4 (the test process) to die, then cleans up like CLEANUP_SCRIPT. */
const WATCHDOG_SCRIPT = `
while kill -0 "$4" 2>/dev/null; do sleep 1; done
${CLEANUP_SCRIPT}`;

/** Makes sure a server is killed and its directory removed, even if the test process never calls stop(). */
export interface LeakGuard {
  /** Kills the server (if still running), removes its directory and disarms the guard. */
  cleanup(): Promise<void>;
}

/**
 * Arms two best-effort safety nets for a server whose pid will be in `pidFile`:
 * - a `process.on('exit')` hook. Note that it does NOT fire inside Jest: Jest gives each test file
 *   a copy of `process`, whose 'exit' event is never emitted. It helps when the fixtures are used
 *   from a plain Node script;
 * - a detached shell watchdog that polls our pid and cleans up once we are gone. This is what
 *   covers Jest, crashes, and even SIGKILL of the test process (at most ~1 s later).
 */
export function guardAgainstLeaks(options: { pidFile: string; signal: 'QUIT' | 'TERM' | 'KILL'; dir: string }): LeakGuard {
  const scriptArgs = [options.pidFile, options.signal, options.dir];
  const watchdog = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'server-watchdog', ...scriptArgs, String(process.pid)], {
    detached: true, // own process group: survives a Ctrl-C aimed at the test run
    stdio: 'ignore',
  });
  watchdog.on('error', () => {
    // no sh: only the exit hook and stop() are left
  });
  watchdog.unref();

  const onExit = () => {
    spawnSync('sh', ['-c', CLEANUP_SCRIPT, 'server-cleanup', ...scriptArgs], { stdio: 'ignore' });
  };
  process.on('exit', onExit);

  let done: Promise<void> | undefined;
  return {
    cleanup() {
      done ??= (async () => {
        process.removeListener('exit', onExit);
        if (watchdog.pid !== undefined) {
          try {
            process.kill(-watchdog.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await runCommand('sh', ['-c', CLEANUP_SCRIPT, 'server-cleanup', ...scriptArgs]);
      })();
      return done;
    },
  };
}
