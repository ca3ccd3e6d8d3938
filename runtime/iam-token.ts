import { Signer } from '@aws-sdk/rds-signer';

/** RDS IAM authentication tokens are valid for 15 minutes; only opening a connection needs one. */
export const IAM_TOKEN_LIFETIME_MS = 15 * 60 * 1000;

/** Options of the token cache; the defaults sign with the function's role. */
export interface IamTokenCacheOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly region: string;
  /**
   * Renew a token this long after it was signed, well inside its 15-minute life, so a connection
   * opened at the end of a long invocation never presents an expired token.
   * @default 10 minutes
   */
  readonly renewAfterMs?: number;
  /** Signs a new token. @default `Signer.getAuthToken()` of `@aws-sdk/rds-signer` */
  readonly sign?: () => Promise<string>;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * One token per execution environment, reused for every connection it opens until it is due for
 * renewal: signing on every connect is what gets throttled ("too many competing requests").
 * The token is a credential, so nothing here logs it or puts it in an error message.
 */
export class IamTokenCache {
  private token?: string;
  private signedAt = 0;
  private pending?: Promise<string>;
  private readonly renewAfterMs: number;
  private readonly sign: () => Promise<string>;
  private readonly now: () => number;

  constructor(options: IamTokenCacheOptions) {
    this.renewAfterMs = options.renewAfterMs ?? 10 * 60 * 1000;
    if (this.renewAfterMs <= 0 || this.renewAfterMs >= IAM_TOKEN_LIFETIME_MS) {
      throw new Error(`renewAfterMs must be between 0 and ${IAM_TOKEN_LIFETIME_MS} (the token's life), got ${this.renewAfterMs}`);
    }
    this.now = options.now ?? Date.now;
    const signer = options.sign ? undefined : new Signer({
      hostname: options.host, port: options.port, username: options.user, region: options.region,
    });
    this.sign = options.sign ?? (() => signer!.getAuthToken());
  }

  /** A token with at least `15 min - renewAfterMs` of life left; concurrent callers share one signing. */
  public async get(): Promise<string> {
    if (this.token !== undefined && this.now() - this.signedAt < this.renewAfterMs) {
      return this.token;
    }
    if (!this.pending) {
      const startedAt = this.now();
      this.pending = this.sign().then(
        (token) => { this.token = token; this.signedAt = startedAt; this.pending = undefined; return token; },
        (error: unknown) => { this.pending = undefined; throw signingError(error); },
      );
    }
    return this.pending;
  }

  /** Forget the token (the server refused it), so the next connection signs a new one. */
  public invalidate(): void {
    this.token = undefined;
  }
}

function signingError(error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`Could not sign an RDS IAM authentication token: ${reason}`, { cause: error });
}
