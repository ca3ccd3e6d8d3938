import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as IamTokenModule from './iam-token';
import type * as SecretCredentialsModule from './secret-credentials';
import { ConnectionSettings } from './settings';

/** What a driver asks for when it opens a connection. */
export interface CredentialSource {
  /** The password or IAM token for the next connection. */
  password(): Promise<string>;
  /** The server refused the credentials: fetch fresh ones for the next attempt. */
  refused(): void;
}

/** Ways to replace the AWS calls, for tests and for users with their own clients. */
export interface CredentialOverrides {
  /** Signs an IAM token (iam mode). @default `@aws-sdk/rds-signer` with the default credential chain */
  readonly signToken?: () => Promise<string>;
  /** Renew the IAM token this long after signing. @default 10 minutes */
  readonly tokenRenewAfterMs?: number;
  /** Secrets Manager client (secret mode). @default a new client for the region */
  readonly secretsManager?: SecretsManagerClient;
}

/**
 * The credential source for the settings' auth mode. Each mode loads its AWS SDK client only in
 * its own branch (a `require` there, not an import at the top), so a cold start evaluates only
 * the one it uses, the RDS signer or the Secrets Manager client. `addNodejsFunction` also tells
 * esbuild the function's mode (it defines `process.env.SERVERLESS_RDS_BUNDLED_AUTH`), which makes
 * the other branch dead code: the other client is then not even in the bundle.
 */
export function credentialSource(settings: ConnectionSettings, overrides: CredentialOverrides = {}): CredentialSource {
  switch (settings.auth) {
    case 'iam': {
      if (process.env.SERVERLESS_RDS_BUNDLED_AUTH !== 'secret') {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only in IAM mode (cold start)
        const { IamTokenCache } = require('./iam-token') as typeof IamTokenModule;
        const tokens = new IamTokenCache({
          host: settings.host, port: settings.port, user: settings.user, region: settings.region!,
          sign: overrides.signToken, renewAfterMs: overrides.tokenRenewAfterMs,
        });
        return { password: () => tokens.get(), refused: () => tokens.invalidate() };
      }
      throw bundledForOtherMode('iam', 'secret');
    }
    case 'secret': {
      if (process.env.SERVERLESS_RDS_BUNDLED_AUTH !== 'iam') {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only in secret mode (cold start)
        const { SecretCredentials } = require('./secret-credentials') as typeof SecretCredentialsModule;
        const secret = new SecretCredentials({ secretArn: settings.secretArn!, region: settings.region, client: overrides.secretsManager });
        // The user stays SERVERLESS_RDS_USER: single-user rotation changes only the password.
        return { password: async () => (await secret.get()).password, refused: () => secret.invalidate() };
      }
      throw bundledForOtherMode('secret', 'iam');
    }
    case 'password':
      return { password: async () => settings.password!, refused: () => undefined };
  }
}

function bundledForOtherMode(wanted: string, bundled: string): Error {
  return new Error(
    `auth '${wanted}' was asked for, but this bundle was built for the function's '${bundled}' mode and leaves that ` +
    "mode's AWS SDK client out: remove the auth option, or define process.env.SERVERLESS_RDS_BUNDLED_AUTH as '\"\"' in bundling.define",
  );
}
