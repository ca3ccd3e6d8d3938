/** What the helper reports about its connections. Never carries a password or token. */
export type RuntimeEvent =
  | { readonly type: 'connected'; readonly engine: string; readonly elapsedMs: number }
  | { readonly type: 'retry'; readonly engine: string; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'replaced-dead-connection'; readonly engine: string; readonly reason: string }
  | { readonly type: 'idle-connection-closed'; readonly engine: string; readonly reason: string }
  | { readonly type: 'credentials-refused'; readonly engine: string };

/** Receives the helper's events. */
export type RuntimeEventListener = (event: RuntimeEvent) => void;

/**
 * Default listener: retries and replacements are worth a line in the function's log (they mean a
 * failover, a restart or a proxy closing idle clients); routine connects are not.
 */
export const logNotableEvents: RuntimeEventListener = (event) => {
  if (event.type !== 'connected') console.warn(JSON.stringify({ source: 'cdk-serverless-rds', ...event }));
};

/** A short, credential-free description of an error for events and logs. */
export function describeError(error: unknown): string {
  const e = (error ?? {}) as { code?: unknown; errno?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : typeof e.errno === 'number' ? String(e.errno) : undefined;
  const message = typeof e.message === 'string' ? e.message : String(error);
  return code ? `${code}: ${message}` : message;
}
