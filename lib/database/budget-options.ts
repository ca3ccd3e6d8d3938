/**
 * How a database's connection budget is shared out: headroom kept free, and the Lambda account
 * the functions reserve concurrency from. Every database kind takes these.
 */
export interface ConnectionBudgetOptions {
  /**
   * Connections left free for administrators, secret rotation and the proxy's health checks.
   *
   * @default - 5% of max_connections, at least 5
   */
  readonly adminHeadroom?: number;

  /**
   * The account's Lambda "Concurrent executions" quota in this region: caps the concurrency
   * functions may reserve.
   *
   * @default 1000
   */
  readonly accountConcurrencyLimit?: number;

  /**
   * Concurrency Lambda keeps unreserved in the account (100 for most accounts).
   *
   * @default 100
   */
  readonly unreservedConcurrencyMinimum?: number;

  /**
   * Share of the proxy's pool (`MaxConnectionsPercent` of `max_connections`) kept free of
   * allocations. AWS recommends setting `MaxConnectionsPercent` at least 30% above the peak the
   * proxy needs: the proxy spreads its quota over its nodes, keeps connections for monitoring and
   * opens new connections before it closes old ones during scaling and failover. Lower it only
   * when you have measured the proxy's peak.
   *
   * @default 30
   */
  readonly proxyHeadroomPercent?: number;

  /**
   * How much of the account's remaining reservable concurrency the functions without their own
   * reserved concurrency may take together, in percent. Each such function gets an equal part of
   * it (counted over every database of the app in the same account and region), and no more than
   * its equal part of the proxy's allocatable connections; the rest of the account stays free for
   * the account's other functions.
   *
   * @default 50
   */
  readonly sharedConcurrencyPercent?: number;
}
