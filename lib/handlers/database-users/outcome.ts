import { redact } from './passwords';

/** What applying or dropping a user did; `changed` is false when the database already matched. */
export interface UserOutcome {
  readonly changed: boolean;
}

/** A database error with the parts that explain it (PostgreSQL adds detail and hint). */
export function describeDatabaseError(error: unknown): string {
  const e = error as { message?: string; detail?: string; hint?: string; code?: string };
  const parts = [e.message ?? String(error)];
  if (e.detail) parts.push(e.detail);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  return parts.join(' — ');
}

/**
 * A copy of a database error that keeps what explains it (message, code, errno, detail, hint) but
 * not the statement text the MySQL driver attaches, with `secrets` redacted from the message: for
 * statements that carry a password.
 */
export function scrubDatabaseError(error: unknown, secrets: readonly string[]): Error {
  const e = error as { message?: string; code?: string; errno?: number; sqlState?: string; detail?: string; hint?: string };
  const redacted = (text: string | undefined) => text === undefined ? undefined : redact(text, secrets);
  return Object.assign(new Error(redacted(e.message ?? String(error))), {
    code: e.code, errno: e.errno, sqlState: e.sqlState, detail: redacted(e.detail), hint: redacted(e.hint),
  });
}
