/**
 * Names of the environment variables a wired function receives. The runtime helper reads them;
 * handlers in other languages (Python, Java) can read them directly.
 */
export class DatabaseEnvironmentVariables {
  /** `postgresql` or `mysql`. */
  public static readonly ENGINE = 'SERVERLESS_RDS_ENGINE';
  /** Host name to connect to: the RDS Proxy endpoint. */
  public static readonly HOST = 'SERVERLESS_RDS_HOST';
  /** TCP port of the proxy (the engine's port). */
  public static readonly PORT = 'SERVERLESS_RDS_PORT';
  /** Name of the database to open. */
  public static readonly DATABASE = 'SERVERLESS_RDS_DATABASE';
  /** Database user to log in as. */
  public static readonly USER = 'SERVERLESS_RDS_USER';
  /** Region to sign IAM authentication tokens for. */
  public static readonly REGION = 'SERVERLESS_RDS_REGION';
  /** `iam` (sign a token with the function's role) or `secret` (read the password from SECRET_ARN). */
  public static readonly AUTH = 'SERVERLESS_RDS_AUTH';
  /** ARN of the credentials secret; set only when the proxy does not require IAM authentication. */
  public static readonly SECRET_ARN = 'SERVERLESS_RDS_SECRET_ARN';
  /** Connections one execution environment may open: the budget counted this many. */
  public static readonly CONNECTIONS_PER_INVOCATION = 'SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION';
  /**
   * Connections one execution environment may open in all, for functions on Lambda Managed
   * Instances (many requests at once per environment share this pool); set only for them.
   */
  public static readonly CONNECTIONS_PER_ENVIRONMENT = 'SERVERLESS_RDS_CONNECTIONS_PER_ENVIRONMENT';

  /** All names, to detect collisions with a user's own variables. */
  public static all(): string[] {
    const e = DatabaseEnvironmentVariables;
    return [e.ENGINE, e.HOST, e.PORT, e.DATABASE, e.USER, e.REGION, e.AUTH, e.SECRET_ARN, e.CONNECTIONS_PER_INVOCATION, e.CONNECTIONS_PER_ENVIRONMENT];
  }

  private constructor() {}
}
