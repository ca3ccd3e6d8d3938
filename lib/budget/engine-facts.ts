import { DatabaseEngineFamily } from './engine-family';

/** What the budget needs to know of an engine: its default formula and the slots it keeps. */
export interface EngineConnectionFacts {
  /** Human name for messages and tables. */
  readonly displayName: string;
  /** Bytes of DBInstanceClassMemory per connection in the engine's default formula. */
  readonly bytesPerConnection: number;
  /** Upper bound the default formula applies, if any. */
  readonly ceiling?: number;
  /** Connection slots an ordinary login can never use. */
  readonly reservedConnections: number;
  /** The engine's (and RDS Proxy's) port. */
  readonly port: number;
}

/**
 * Sources: AWS RDS User Guide, "Maximum number of database connections"
 * (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections).
 */
const FACTS: Record<DatabaseEngineFamily, EngineConnectionFacts> = {
  [DatabaseEngineFamily.POSTGRESQL]: {
    displayName: 'PostgreSQL',
    // Default parameter: LEAST({DBInstanceClassMemory/9531392}, 5000)
    bytesPerConnection: 9531392,
    ceiling: 5000,
    // superuser_reserved_connections (3) plus the slots RDS keeps for rds_superuser, the
    // rds_reserved role (16.5+/17.1+) and rdsadmin: an ordinary role loses 7 to 9 in practice.
    reservedConnections: 9,
    port: 5432,
  },
  [DatabaseEngineFamily.MYSQL]: {
    displayName: 'MySQL',
    // Default parameter: {DBInstanceClassMemory/12582880}
    bytesPerConnection: 12582880,
    // rdsadmin's monitoring sessions count against max_connections (the extra +1 slot MySQL
    // keeps for CONNECTION_ADMIN is not counted, so the model stays on the safe side).
    reservedConnections: 3,
    port: 3306,
  },
};

/** The connection facts of an engine family. */
export function engineFacts(family: DatabaseEngineFamily): EngineConnectionFacts {
  return FACTS[family];
}
