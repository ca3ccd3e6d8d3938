import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * How the user logs in. `iam`: with IAM tokens only, no password. `password`: with `password`;
 * `alreadySet` when the user already logs in with exactly it, so it is left as it is.
 */
export type UserAuthentication =
  | { readonly method: 'iam' }
  | { readonly method: 'password'; readonly password: string; readonly alreadySet: boolean };

/** Iterations of the SCRAM verifiers written (PostgreSQL's default, `scram_iterations`). */
const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677):
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, all base64. Setting a role's
 * password to it means the plaintext never reaches the server, nor its statement log. Passwords
 * are printable ASCII (see requirePassword), which SASLprep leaves as they are.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]{1,1024}$/;

/** `value` if it is a usable password (1 to 1024 printable ASCII characters); the error names `where`, never the value. */
export function requirePassword(value: unknown, where: string): string {
  if (typeof value !== 'string' || !PRINTABLE_ASCII.test(value)) {
    throw new Error(`the password in ${where} must be 1 to 1024 printable ASCII characters`);
  }
  return value;
}

/** The JSON object a secret version holds; errors name the secret, never its value. */
export function parseSecretJson(secretString: string | undefined, where: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString ?? '');
  } catch {
    // The parser's message quotes the text: never pass it on.
    throw new Error(`${where} does not hold a JSON SecretString`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${where} does not hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * The password of a password user, from its secret's AWSCURRENT version, which must be written
 * for exactly this user (`username`): a secret of another user is never applied to this one.
 */
export async function readUserPassword(client: SecretsManagerClient, secretArn: string, userName: string): Promise<string> {
  const where = `the password secret ${secretArn}`;
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const value = parseSecretJson(result.SecretString, where);
  if (value.username !== userName) {
    throw new Error(`${where} is not for user "${userName}": its username must be exactly that`);
  }
  return requirePassword(value.password, where);
}

/** `text` with every occurrence of each secret replaced, for messages that may quote a statement. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((t, s) => t.split(s).join('[redacted]'), text);
}
