import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The fields of an RDS credentials secret the helper uses. */
export interface DatabaseCredentials {
  readonly username: string;
  readonly password: string;
}

/** Options of the secret cache. */
export interface SecretCredentialsOptions {
  readonly secretArn: string;
  readonly region?: string;
  /** @default a SecretsManagerClient for `region` */
  readonly client?: SecretsManagerClient;
}

/**
 * Reads the credentials secret once per execution environment and again only after the server
 * refused the password (the secret was rotated), instead of calling Secrets Manager per connect.
 */
export class SecretCredentials {
  private cached?: Promise<DatabaseCredentials>;
  private readonly client: SecretsManagerClient;

  constructor(private readonly options: SecretCredentialsOptions) {
    this.client = options.client ?? new SecretsManagerClient(options.region ? { region: options.region } : {});
  }

  public get(): Promise<DatabaseCredentials> {
    if (!this.cached) {
      this.cached = this.fetch();
      this.cached.catch(() => { this.cached = undefined; });
    }
    return this.cached;
  }

  /** Drop the cached value; the next `get()` reads the secret again. */
  public invalidate(): void {
    this.cached = undefined;
  }

  private async fetch(): Promise<DatabaseCredentials> {
    const response = await this.client.send(new GetSecretValueCommand({ SecretId: this.options.secretArn }));
    if (response.SecretString === undefined) {
      throw new Error(`Secret ${this.options.secretArn} has no SecretString`);
    }
    let parsed: { username?: unknown; password?: unknown };
    try {
      parsed = JSON.parse(response.SecretString);
    } catch {
      // The secret's text is a credential: never echo it.
      throw new Error(`Secret ${this.options.secretArn} is not a JSON object with username and password`);
    }
    if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string') {
      throw new Error(`Secret ${this.options.secretArn} has no string username and password fields`);
    }
    return { username: parsed.username, password: parsed.password };
  }
}
