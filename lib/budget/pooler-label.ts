import { PoolerKind } from './pooler-kind';

/** How the budget table and the artifact name each pooler. */
export function poolerLabel(kind: PoolerKind): string {
  switch (kind) {
    case PoolerKind.PGBOUNCER: return 'PgBouncer';
    case PoolerKind.NONE: return 'no pooler';
    default: return 'RDS Proxy';
  }
}
