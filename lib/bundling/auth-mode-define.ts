import { Token } from 'aws-cdk-lib';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { DatabaseEnvironmentVariables } from '../functions/environment-variables';

/** The expression the runtime helper tests to load only its mode's AWS SDK client. */
export const BUNDLED_AUTH_EXPRESSION = 'process.env.SERVERLESS_RDS_BUNDLED_AUTH';

/**
 * Tells esbuild the function's auth mode (`iam` or `secret`, from its wired environment), so the
 * runtime helper's branch for the other mode is dead code and its AWS SDK client (the Secrets
 * Manager client or the RDS signer) stays out of the bundle. A define of the user's wins.
 */
export function defineAuthMode(bundling: nodejs.BundlingOptions, environment: Record<string, string> | undefined): nodejs.BundlingOptions {
  const auth = environment?.[DatabaseEnvironmentVariables.AUTH];
  if (auth === undefined || Token.isUnresolved(auth) || bundling.define?.[BUNDLED_AUTH_EXPRESSION] !== undefined) return bundling;
  return { ...bundling, define: { ...bundling.define, [BUNDLED_AUTH_EXPRESSION]: JSON.stringify(auth) } };
}
