/**
 * The database engines whose connection arithmetic the library knows.
 */
export enum DatabaseEngineFamily {
  /** RDS for PostgreSQL. */
  POSTGRESQL = 'POSTGRESQL',
  /** RDS for MySQL. */
  MYSQL = 'MYSQL',
}
