import { DatabaseEngineFamily } from '../budget/engine-family';

/**
 * The parameters a serverless workload needs on top of the engine defaults, each with its reason.
 * `max_connections` is always an explicit integer: the budget is computed from it, and formula
 * strings accepted by the console have been rejected through the API.
 */
export function tunedParameters(family: DatabaseEngineFamily, maxConnections: number): Record<string, string> {
  if (family === DatabaseEngineFamily.POSTGRESQL) {
    return {
      'max_connections': String(maxConnections),
      // Every connection, including direct admin sessions, must use TLS.
      'rds.force_ssl': '1',
      // A function frozen or killed inside a transaction must not keep its locks and connection.
      'idle_in_transaction_session_timeout': '60000',
      // Reclaim backends of vanished clients (a frozen environment, a failed-over proxy) within
      // about two minutes instead of the kernel's two hours.
      'tcp_keepalives_idle': '60',
      'tcp_keepalives_interval': '10',
      'tcp_keepalives_count': '6',
      // Statements slower than a second hold a pooled connection long enough to matter: log them.
      'log_min_duration_statement': '1000',
    };
  }
  return {
    'max_connections': String(maxConnections),
    // Every connection, including direct admin sessions, must use TLS.
    'require_secure_transport': '1',
    // Close connections of frozen execution environments after 15 minutes (the longest a Lambda
    // invocation runs) instead of eight hours.
    'wait_timeout': '900',
    'interactive_timeout': '900',
    // All clients arrive from the proxy's few addresses: the default of 100 aborted handshakes
    // would block the proxy host for everyone.
    'max_connect_errors': '100000',
    // Slow statements hold a pooled connection long enough to matter: log them (exported).
    'slow_query_log': '1',
    'long_query_time': '1',
    'log_output': 'FILE',
  };
}
