import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType, DockerImage, FeatureFlags, ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { LAMBDA_NODEJS_SDK_V3_EXCLUDE_SMITHY_PACKAGES } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { IncrementalEsbuild } from './incremental-esbuild';

/**
 * Bundling options this module reproduces with esbuild's JavaScript API. Any other option
 * (command hooks, node modules, pre-compilation, Docker settings, raw esbuild arguments) needs
 * NodejsFunction's own bundling, which runs esbuild through the package manager per function.
 */
const SUPPORTED_OPTIONS = new Set<string>([
  'minify', 'sourceMap', 'sourceMapMode', 'sourcesContent', 'target', 'loader', 'define', 'logLevel', 'keepNames',
  'tsconfig', 'metafile', 'banner', 'footer', 'mainFields', 'inject', 'format', 'externalModules', 'bundleAwsSDK', 'charset',
]);

const LOCK_FILES = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', 'package-lock.json'];

/** What `addNodejsFunction` knows when it asks for the code. */
export interface InProcessBundleRequest {
  readonly entry?: string;
  readonly projectRoot?: string;
  readonly depsLockFilePath?: string;
  readonly handler?: string;
  readonly runtime: lambda.Runtime;
  readonly bundling: nodejs.BundlingOptions;
}

/** The code and handler to give NodejsFunction instead of letting it bundle. */
export interface InProcessBundle {
  readonly code: lambda.Code;
  readonly handler: string;
}

/** The part of esbuild's JavaScript API used here. */
interface EsbuildApi {
  readonly version: string;
  /** Where it was loaded from (not part of esbuild's API). */
  readonly modulePath: string;
  buildSync(options: Record<string, unknown>): { errors: unknown[] };
}

/**
 * Bundles a function's entry with esbuild's JavaScript API inside the synth process, instead of
 * NodejsFunction's default of one `npx esbuild` process per function: most of that cost is
 * starting the package manager's launcher, not bundling. esbuild is found once, in the user's
 * project. Functions with the same entry and options share one build: the asset cache keys on
 * this bundler's fields. Returns undefined when the options or the project need NodejsFunction's
 * own bundling (it then bundles exactly as before).
 */
export function bundleInProcess(scope: Construct, id: string, request: InProcessBundleRequest): InProcessBundle | undefined {
  const constructPath = `${scope.node.path}/${id}`;
  const { bundling } = request;
  if (request.entry === undefined) return undefined;
  const unsupported = Object.entries(bundling).some(([key, value]) => value !== undefined && !SUPPORTED_OPTIONS.has(key));
  if (unsupported) return undefined;
  const projectRoot = path.resolve(request.projectRoot ?? path.dirname(request.depsLockFilePath ?? findUp(LOCK_FILES, process.cwd()) ?? '.'));
  const esbuild = loadEsbuild(projectRoot);
  if (!esbuild) return undefined;

  const format = bundling.format ?? nodejs.OutputFormat.CJS;
  const outfileName = format === nodejs.OutputFormat.ESM ? 'index.mjs' : 'index.js';
  const sourcemap = bundling.sourceMapMode ?? (bundling.sourceMap ? nodejs.SourceMapMode.DEFAULT : undefined);
  const options: Record<string, unknown> = {
    entryPoints: [path.resolve(request.entry)],
    absWorkingDir: projectRoot,
    bundle: true,
    treeShaking: true,
    platform: 'node',
    target: bundling.target ?? nodeTarget(constructPath, request.runtime),
    format,
    minify: bundling.minify ?? true,
    sourcemap: sourcemap === nodejs.SourceMapMode.DEFAULT ? true : sourcemap,
    sourcesContent: bundling.sourcesContent ?? true,
    external: bundling.externalModules ?? defaultExternals(scope, bundling),
    loader: bundling.loader,
    define: bundling.define,
    logLevel: bundling.logLevel ?? 'warning',
    keepNames: bundling.keepNames,
    tsconfig: bundling.tsconfig === undefined ? undefined : path.resolve(bundling.tsconfig),
    metafile: bundling.metafile,
    banner: bundling.banner === undefined ? undefined : { js: bundling.banner },
    footer: bundling.footer === undefined ? undefined : { js: bundling.footer },
    mainFields: bundling.mainFields,
    inject: bundling.inject,
    charset: bundling.charset,
  };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];

  const handler = request.handler ?? 'handler';
  return {
    code: lambda.Code.fromAsset(projectRoot, {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never used: local bundling always succeeds or throws.
        image: DockerImage.fromRegistry('dummy'),
        local: new EsbuildLocalBundling(esbuild, options, outfileName, constructPath),
      },
    }),
    handler: handler.includes('.') ? handler : `index.${handler}`,
  };
}

/** One in-process esbuild build. Its enumerable fields form the asset cache key. */
class EsbuildLocalBundling implements ILocalBundling {
  public readonly esbuildVersion: string;

  constructor(
    private readonly esbuild: EsbuildApi,
    public readonly buildOptions: Record<string, unknown>,
    public readonly outfileName: string,
    private readonly constructPath: string,
  ) {
    this.esbuildVersion = esbuild.version;
    // Not part of the cache key: functions with equal options share the build.
    Object.defineProperty(this, 'esbuild', { enumerable: false });
    Object.defineProperty(this, 'constructPath', { enumerable: false });
  }

  public tryBundle(outputDir: string): boolean {
    try {
      const { metafile, entryPoints, ...rest } = this.buildOptions;
      const entry = (entryPoints as string[])[0];
      const options = { ...rest, metafile: metafile === true };
      // Incremental builds in a worker share the parsing of common modules between functions;
      // without worker threads, one plain build per function.
      const result = canBlockOnWorkers()
        ? IncrementalEsbuild.forInstallation(this.esbuild.modulePath).build(entry, options, outputDir, this.outfileName)
        : this.esbuild.buildSync({ ...options, entryPoints, outfile: path.join(outputDir, this.outfileName) }) as { metafile?: unknown };
      if (metafile === true && result.metafile) fs.writeFileSync(path.join(outputDir, 'index.meta.json'), JSON.stringify(result.metafile));
    } catch (error) {
      throw new Error(`${this.constructPath}: esbuild could not bundle ${String((this.buildOptions.entryPoints as string[])[0])}: ${(error as Error).message}`, { cause: error });
    }
    return true;
  }
}

/** esbuild from the user's project, or undefined (NodejsFunction then looks for it itself). */
function loadEsbuild(projectRoot: string): EsbuildApi | undefined {
  try {
    const modulePath = require.resolve('esbuild', { paths: [projectRoot] });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's esbuild, found at synth time
    const esbuild = require(modulePath) as Omit<EsbuildApi, 'modulePath'>;
    return typeof esbuild.buildSync === 'function' && esbuild.version.startsWith('0.') ? { ...esbuild, modulePath } : undefined;
  } catch {
    return undefined;
  }
}

/** Atomics.wait is allowed on Node's main thread; SharedArrayBuffer may be switched off by flags. */
function canBlockOnWorkers(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics.wait === 'function';
}

function defaultExternals(scope: Construct, bundling: nodejs.BundlingOptions): string[] {
  if (bundling.bundleAwsSDK) return [];
  return FeatureFlags.of(scope).isEnabled(LAMBDA_NODEJS_SDK_V3_EXCLUDE_SMITHY_PACKAGES) ? ['@aws-sdk/*', '@smithy/*'] : ['@aws-sdk/*'];
}

function nodeTarget(constructPath: string, runtime: lambda.Runtime): string {
  const match = runtime.name.match(/nodejs(\d+)/);
  if (!match) throw new Error(`${constructPath}: cannot tell the Node.js version of runtime ${runtime.name}`);
  return `node${match[1]}`;
}

function findUp(names: string[], from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const found = names.map((name) => path.join(dir, name)).find((file) => fs.existsSync(file));
    if (found) return found;
    if (path.dirname(dir) === dir) return undefined;
  }
}
