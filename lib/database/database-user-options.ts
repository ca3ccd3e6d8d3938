/**
 * Privileges on one table, or on every table of a schema (present and future) when `table` is
 * not given.
 */
export interface DatabasePrivilegeGrant {
  /**
   * Privilege names. PostgreSQL: SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER.
   * MySQL: SELECT, INSERT, UPDATE, DELETE, and EXECUTE (on a schema only).
   */
  readonly privileges: string[];

  /**
   * The schema (on MySQL: the database).
   *
   * @default - `public` on PostgreSQL, the database's own name on MySQL
   */
  readonly schema?: string;

  /**
   * The table.
   *
   * @default - every table of the schema, including tables created later
   */
  readonly table?: string;
}

/**
 * The database login user of a wired function (when the database has `functionUsers` on). The
 * user logs in with IAM only, may hold as many connections as the function's budget allocation,
 * and has exactly the grants given here.
 *
 * Names: 1 to 32 letters, digits or underscores, not starting with a digit; names reserved by the
 * engine or RDS (`pg_*`, `rds*`, `root`...) and the master user are refused.
 */
export interface DatabaseUserOptions {
  /**
   * The user's name. Functions that give the same name share one user, whose connection limit
   * is the sum of their allocations; they must then ask for the same grants.
   *
   * @default - derived from the function's construct id (lowercase, `_` for other characters)
   */
  readonly userName?: string;

  /**
   * Schemas (MySQL: databases) whose tables the user may read.
   *
   * @default - none
   */
  readonly readOnlySchemas?: string[];

  /**
   * Schemas (MySQL: databases) whose tables the user may read and write (SELECT, INSERT, UPDATE,
   * DELETE; on PostgreSQL also the schema's sequences). No DDL.
   *
   * @default - the default schema (`public` on PostgreSQL, the database on MySQL) when neither
   * `readOnlySchemas` nor `privileges` is given, otherwise none
   */
  readonly readWriteSchemas?: string[];

  /**
   * Explicit privileges on tables or schemas.
   *
   * @default - none
   */
  readonly privileges?: DatabasePrivilegeGrant[];
}
