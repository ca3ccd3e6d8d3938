import { DatabaseEnvironmentVariables as Env } from '../lib/functions/environment-variables';

/** How the helper authenticates: an IAM token signed with the function's role, a Secrets Manager secret, or a fixed password. */
export type AuthMode = 'iam' | 'secret' | 'password';

/** Where and as whom to connect; the environment of a wired function supplies every field. */
export interface ConnectionSettingsOptions {
  /** @default SERVERLESS_RDS_HOST (the proxy endpoint) */
  readonly host?: string;
  /** @default SERVERLESS_RDS_PORT */
  readonly port?: number;
  /** @default SERVERLESS_RDS_DATABASE */
  readonly database?: string;
  /** @default SERVERLESS_RDS_USER (in secret mode, the secret's `username` wins) */
  readonly user?: string;
  /** Region the IAM token is signed for. @default SERVERLESS_RDS_REGION, then AWS_REGION */
  readonly region?: string;
  /** @default SERVERLESS_RDS_AUTH, or 'password' when `password` is given */
  readonly auth?: AuthMode;
  /** @default SERVERLESS_RDS_SECRET_ARN */
  readonly secretArn?: string;
  /** A fixed password (local development, tests); implies auth 'password'. */
  readonly password?: string;
  /**
   * Connections this execution environment may hold at once: the pool's size.
   * @default SERVERLESS_RDS_CONNECTIONS_PER_ENVIRONMENT (functions on Lambda Managed Instances,
   * where one environment serves many requests at once), else SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION, else 1
   */
  readonly connections?: number;
}

/** Settings with every field resolved and checked. */
export interface ConnectionSettings {
  readonly engine: 'postgresql' | 'mysql';
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly region?: string;
  readonly auth: AuthMode;
  readonly secretArn?: string;
  readonly password?: string;
  readonly connections: number;
}

/**
 * Set by the library only for functions on Lambda Managed Instances: the connections one
 * environment may hold for all the requests it serves at once. It wins over the per-invocation
 * count, which there describes one request, not the environment's pool.
 */
export const CONNECTIONS_PER_ENVIRONMENT_VARIABLE = 'SERVERLESS_RDS_CONNECTIONS_PER_ENVIRONMENT';

const DEFAULT_PORTS = { postgresql: 5432, mysql: 3306 } as const;

/**
 * Resolves the settings from explicit options first, then the environment the construct gives a
 * wired function. Errors name the variable and the fix, since they surface in a cold start's log.
 */
export function resolveConnectionSettings(
  engine: 'postgresql' | 'mysql',
  options: ConnectionSettingsOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ConnectionSettings {
  const fromEnv = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const wiredEngine = fromEnv(Env.ENGINE);
  if (wiredEngine !== undefined && wiredEngine !== engine) {
    throw new Error(`${Env.ENGINE} is '${wiredEngine}' but the ${engine} helper was used: import the helper for '${wiredEngine}'`);
  }
  const host = options.host ?? required(fromEnv(Env.HOST), Env.HOST, 'host');
  const port = options.port ?? wholeNumber(fromEnv(Env.PORT), Env.PORT) ?? DEFAULT_PORTS[engine];
  const database = options.database ?? required(fromEnv(Env.DATABASE), Env.DATABASE, 'database');
  const user = options.user ?? required(fromEnv(Env.USER), Env.USER, 'user');
  const connections = options.connections
    ?? wholeNumber(fromEnv(CONNECTIONS_PER_ENVIRONMENT_VARIABLE), CONNECTIONS_PER_ENVIRONMENT_VARIABLE)
    ?? wholeNumber(fromEnv(Env.CONNECTIONS_PER_INVOCATION), Env.CONNECTIONS_PER_INVOCATION)
    ?? 1;
  if (!Number.isInteger(connections) || connections < 1) {
    throw new Error(`connections must be a whole number of at least 1, got ${connections}`);
  }
  const auth = options.auth ?? (options.password !== undefined ? 'password' : authMode(fromEnv(Env.AUTH)));
  const secretArn = options.secretArn ?? fromEnv(Env.SECRET_ARN);
  const region = options.region ?? fromEnv(Env.REGION) ?? fromEnv('AWS_REGION');
  if (auth === 'secret' && secretArn === undefined) {
    throw new Error(`Secret authentication needs ${Env.SECRET_ARN} (or the secretArn option)`);
  }
  if (auth === 'password' && options.password === undefined) {
    throw new Error("auth 'password' needs the password option");
  }
  if (auth === 'iam' && region === undefined) {
    throw new Error(`IAM authentication needs a region to sign tokens for: set ${Env.REGION} or AWS_REGION, or pass region`);
  }
  return { engine, host, port, database, user, region, auth, secretArn, password: options.password, connections };
}

function required(value: string | undefined, variable: string, option: string): string {
  if (value === undefined) {
    throw new Error(
      `${variable} is not set: wire the function with ServerlessDatabase (addFunction, addNodejsFunction or ` +
      `connectFunction), or pass the ${option} option`,
    );
  }
  return value;
}

function wholeNumber(value: string | undefined, variable: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new Error(`${variable} must be a whole number of at least 1, got '${value}'`);
  }
  return parsed;
}

function authMode(value: string | undefined): AuthMode {
  if (value === undefined || value === 'iam') return 'iam';
  if (value === 'secret') return 'secret';
  throw new Error(`${Env.AUTH} must be 'iam' or 'secret', got '${value}'`);
}
