import * as fs from 'fs';
import * as path from 'path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'worker_threads';

/** What one build returns to the synth process. */
interface BuildReply {
  readonly files?: Array<{ readonly name: string; readonly contents: Uint8Array }>;
  readonly metafile?: unknown;
  readonly error?: string;
}

/**
 * Runs in a worker thread: one esbuild context per set of build options (the entry aside), whose
 * single entry is a virtual module re-exporting the function's entry. A rebuild for the next
 * entry re-reads only what changed, so the modules functions share (the database driver, the
 * AWS SDK) are parsed once per synth instead of once per function.
 */
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const path = require('path');
const esbuild = require(workerData.esbuildPath);
const { port, signal } = workerData;
const contexts = new Map();
let currentEntry;
const virtualEntry = {
  name: 'serverless-rds-entry',
  setup(build) {
    build.onResolve({ filter: /^serverless-rds-entry$/ }, () => ({ path: 'entry', namespace: 'serverless-rds-entry' }));
    build.onLoad({ filter: /.*/, namespace: 'serverless-rds-entry' }, () => ({
      contents: 'export * from ' + JSON.stringify(currentEntry) + ';',
      resolveDir: path.dirname(currentEntry),
      loader: 'js',
    }));
  },
};
port.on('message', async ({ entry, options }) => {
  let reply;
  try {
    const key = JSON.stringify(options);
    let context = contexts.get(key);
    if (!context) {
      context = await esbuild.context({ ...options, entryPoints: ['serverless-rds-entry'], write: false, plugins: [virtualEntry] });
      contexts.set(key, context);
    }
    currentEntry = entry;
    const result = await context.rebuild();
    reply = { files: result.outputFiles.map((file) => ({ name: path.basename(file.path), contents: file.contents })), metafile: result.metafile };
  } catch (error) {
    reply = { error: error && error.message ? error.message : String(error) };
  }
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

/**
 * esbuild's incremental builds, made synchronous for CDK's local bundling (`tryBundle` cannot
 * wait on a promise): the worker thread builds while the synth thread blocks on a shared flag,
 * the way esbuild's own `buildSync` works.
 */
export class IncrementalEsbuild {
  private static readonly instances = new Map<string, IncrementalEsbuild>();

  /** One per esbuild installation, for the whole synth. */
  public static forInstallation(esbuildPath: string): IncrementalEsbuild {
    let instance = IncrementalEsbuild.instances.get(esbuildPath);
    if (!instance) {
      instance = new IncrementalEsbuild(esbuildPath);
      IncrementalEsbuild.instances.set(esbuildPath, instance);
    }
    return instance;
  }

  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly port;
  private readonly worker: Worker;

  private constructor(esbuildPath: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { esbuildPath, port: port2, signal: this.signal }, transferList: [port2] });
    // Neither keeps the synth process alive once it is done.
    this.worker.unref();
    this.port.unref();
  }

  /**
   * Bundles `entry` with `options` (everything but the entry and the output file) and writes the
   * output files into `outputDir` under the names esbuild gives them for `outfileName`.
   */
  public build(entry: string, options: Record<string, unknown>, outputDir: string, outfileName: string): { metafile?: unknown } {
    Atomics.store(this.signal, 0, 0);
    // Source maps name sources relative to the output file: place it at the project's root.
    const outfile = path.join(String(options.absWorkingDir ?? process.cwd()), outfileName);
    this.port.postMessage({ entry, options: { ...options, outfile } });
    Atomics.wait(this.signal, 0, 0);
    const reply = receiveMessageOnPort(this.port)?.message as BuildReply | undefined;
    if (!reply) throw new Error('the esbuild worker did not answer');
    if (reply.error !== undefined) throw new Error(reply.error);
    for (const file of reply.files ?? []) fs.writeFileSync(path.join(outputDir, file.name), file.contents);
    return { metafile: reply.metafile };
  }
}
