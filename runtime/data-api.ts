import {
  BeginTransactionCommand, CommitTransactionCommand, ExecuteStatementCommand, ExecuteStatementCommandOutput,
  RDSDataClient, RollbackTransactionCommand, SqlParameter,
} from '@aws-sdk/client-rds-data';
import { DatabaseEnvironmentVariables as Env } from '../lib/functions/environment-variables';

/** The variable `addDataApiFunction()` sets (kept in step with lib/aurora/data-api.ts). */
const RESOURCE_ARN_VARIABLE = 'SERVERLESS_RDS_DATA_API_RESOURCE_ARN';

/** Where the Data API runs statements; a Data API function's environment supplies every field. */
export interface DataApiSettings {
  /** @default SERVERLESS_RDS_DATA_API_RESOURCE_ARN */
  readonly resourceArn?: string;
  /** @default SERVERLESS_RDS_SECRET_ARN */
  readonly secretArn?: string;
  /** @default SERVERLESS_RDS_DATABASE */
  readonly database?: string;
  /** @default SERVERLESS_RDS_REGION, then AWS_REGION */
  readonly region?: string;
}

/** First back-off step after a resume error: a paused cluster takes about 15 seconds to resume. */
const RESUME_BASE_DELAY_MS = 1000;

/** Bounded retries of the errors the Data API returns before it runs anything. */
export interface DataApiRetryOptions {
  /** Attempts in all, the first included. @default 6 */
  readonly attempts?: number;
  /** Upper bound of the first back-off, doubling each attempt. @default 250 */
  readonly baseDelayMs?: number;
  /**
   * Upper bound of one back-off. A paused Aurora Serverless v2 cluster takes about 15 seconds to
   * resume (longer after a day paused): resume errors back off from one second, and the default
   * attempts wait 12.5 to 25 seconds in all before the error is thrown.
   * @default 10000
   */
  readonly maxDelayMs?: number;
  /** Called before sleeping after a retried error. */
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
  /** For tests. @default Math.random */
  readonly random?: () => number;
  /** For tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Options of `createDataApiClient()`. */
export interface DataApiClientOptions extends DataApiSettings {
  /** An existing client (reused across invocations). @default a new RDSDataClient for the region */
  readonly client?: RDSDataClient;
  readonly retry?: DataApiRetryOptions;
}

/** A statement's result, as the Data API returns it with `formatRecordsAs: 'JSON'`. */
export interface DataApiResult {
  /** Rows of a query, parsed from the Data API's JSON records. */
  readonly rows: Array<Record<string, unknown>>;
  readonly numberOfRecordsUpdated: number;
  readonly raw: ExecuteStatementCommandOutput;
}

/** Runs statements through the RDS Data API, with the retries a serverless caller needs. */
export interface DataApiClient {
  /** Runs one statement (in `transactionId`'s transaction when given). */
  execute(sql: string, parameters?: SqlParameter[], transactionId?: string): Promise<DataApiResult>;
  /** Runs `work` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (execute: (sql: string, parameters?: SqlParameter[]) => Promise<DataApiResult>) => Promise<T>): Promise<T>;
}

/**
 * Errors the Data API returns without running the statement, so a retry cannot run it twice:
 * the cluster is resuming from a pause (`DatabaseResumingException`), or the request was
 * throttled. Everything else (a SQL error, a timeout that may have run) is thrown at once.
 */
export function isRetriableDataApiError(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  return e?.name === 'DatabaseResumingException'
    || e?.name === 'ThrottlingException'
    || e?.name === 'TooManyRequestsException'
    || e?.$retryable?.throttling === true
    || e?.$metadata?.httpStatusCode === 429;
}

/** The settings from explicit options first, then the function's environment; errors name the variable. */
export function dataApiSettings(options: DataApiSettings = {}, env: NodeJS.ProcessEnv = process.env): Required<DataApiSettings> {
  const pick = (value: string | undefined, variable: string): string => {
    const found = value ?? env[variable];
    if (!found) {
      throw new Error(`${variable} is not set: create the function with addDataApiFunction(), or pass the value explicitly`);
    }
    return found;
  };
  return {
    resourceArn: pick(options.resourceArn, RESOURCE_ARN_VARIABLE),
    secretArn: pick(options.secretArn, Env.SECRET_ARN),
    database: pick(options.database, Env.DATABASE),
    region: options.region ?? env[Env.REGION] ?? env.AWS_REGION ?? pick(undefined, Env.REGION),
  };
}

/** A Data API client bound to the cluster, secret and database of the function's environment. */
export function createDataApiClient(options: DataApiClientOptions = {}): DataApiClient {
  const settings = dataApiSettings(options);
  const client = options.client ?? new RDSDataClient({ region: settings.region });
  const target = { resourceArn: settings.resourceArn, secretArn: settings.secretArn, database: settings.database };
  const retry = options.retry ?? {};

  const execute = async (sql: string, parameters?: SqlParameter[], transactionId?: string): Promise<DataApiResult> => {
    const raw = await withDataApiRetries(() => client.send(new ExecuteStatementCommand({
      ...target, sql, parameters, transactionId, formatRecordsAs: 'JSON',
    })), retry);
    return {
      rows: raw.formattedRecords ? JSON.parse(raw.formattedRecords) : [],
      numberOfRecordsUpdated: raw.numberOfRecordsUpdated ?? 0,
      raw,
    };
  };

  return {
    execute,
    async transaction(work) {
      const begun = await withDataApiRetries(() => client.send(new BeginTransactionCommand(target)), retry);
      const transactionId = begun.transactionId!;
      try {
        const result = await work((sql, parameters) => execute(sql, parameters, transactionId));
        await client.send(new CommitTransactionCommand({ resourceArn: target.resourceArn, secretArn: target.secretArn, transactionId }));
        return result;
      } catch (error) {
        await client.send(new RollbackTransactionCommand({ resourceArn: target.resourceArn, secretArn: target.secretArn, transactionId }))
          .catch(() => undefined); // the transaction may already be gone; the original error matters
        throw error;
      }
    },
  };
}

/** Runs `call`, retrying the Data API's retriable errors with full-jitter back-off. */
export async function withDataApiRetries<T>(call: () => Promise<T>, options: DataApiRetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const base = options.baseDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 10000;
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error(`retry attempts must be a whole number of at least 1, got ${attempts}`);
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isRetriableDataApiError(error)) throw error;
      // A resuming cluster needs seconds whatever the jitter: its steps start at one second and it
      // waits at least half of each (the default six attempts wait 12.5 to 25 seconds in all).
      const resuming = (error as { name?: string }).name === 'DatabaseResumingException';
      const step = Math.min(cap, (resuming ? Math.max(base, RESUME_BASE_DELAY_MS) : base) * 2 ** (attempt - 1));
      const delayMs = Math.round(resuming ? step / 2 + random() * step / 2 : random() * step);
      options.onRetry?.(attempt, delayMs, error);
      if (delayMs > 0) await sleep(delayMs);
    }
  }
}
