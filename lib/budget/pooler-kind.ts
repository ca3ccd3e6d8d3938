/**
 * What stands between the budget's consumers and the database.
 */
export enum PoolerKind {
  /**
   * RDS Proxy: its pool is `MaxConnectionsPercent` of `max_connections`, and 30% of it is kept
   * free by default (AWS guidance: the proxy spreads its quota over its nodes).
   */
  RDS_PROXY = 'RDS_PROXY',
  /**
   * PgBouncer in transaction mode: its pool is an exact limit (`max_db_connections`, split between
   * its tasks), so no headroom is kept by default.
   */
  PGBOUNCER = 'PGBOUNCER',
  /**
   * No pooler: consumers connect to the instance directly. The pool is simply the capacity left
   * after direct reservations, and every consumer's connections count against it.
   */
  NONE = 'NONE',
}
