import { Duration } from 'aws-cdk-lib';

/**
 * Connection pool settings of the RDS Proxy.
 */
export interface ProxyPoolOptions {
  /**
   * `MaxConnectionsPercent`: the share of `max_connections` the proxy may open.
   *
   * @default - derived from the connection budget: the largest percent that fits in the
   * capacity less direct consumers
   */
  readonly maxConnectionsPercent?: number;

  /**
   * `MaxIdleConnectionsPercent`: how many of those the proxy keeps open while idle, so a burst
   * of functions after a quiet spell does not open them all at once.
   *
   * @default - half of `maxConnectionsPercent` (RDS Proxy's own rule)
   */
  readonly maxIdleConnectionsPercent?: number;

  /**
   * How long a client waits for a pooled connection before it gets an error. Shorter than RDS
   * Proxy's 120 s so a function fails clearly before its own timeout.
   *
   * @default Duration.seconds(30)
   */
  readonly borrowTimeout?: Duration;

  /**
   * How long an idle client connection (a frozen execution environment's socket) stays open.
   *
   * @default Duration.minutes(30)
   */
  readonly idleClientTimeout?: Duration;
}
