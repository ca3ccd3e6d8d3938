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
