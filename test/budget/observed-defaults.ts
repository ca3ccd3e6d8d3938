import { DatabaseEngineFamily } from '../../lib';

/**
 * A default `max_connections` someone read off a real RDS instance (SHOW max_connections /
 * SHOW VARIABLES), with the nominal memory of its class and where it was published.
 *
 * These are the ground truth the library's DBInstanceClassMemory model is checked against: the
 * library's table has no t2/m4 classes, so tests compare through
 * `MaxConnections.forMemory(engine, memoryGib)`.
 */
export interface ObservedDefault {
  /** The engine the value was observed on. */
  readonly engine: DatabaseEngineFamily;
  /** The DB instance class. */
  readonly instanceClass: string;
  /** Nominal memory of the class, in GiB (AWS's published instance specification). */
  readonly memoryGib: number;
  /** The default `max_connections` observed on an instance of that class. */
  readonly observedMaxConnections: number;
  /** Where the observation was published. */
  readonly source: string;
}

const PG_GIST = 'https://gist.github.com/guizmaii/1cacffef793c2ba9645083c3e18b3d8c';
const PG_RDS_PROXY_GUIDE = 'https://docs.aws.amazon.com/prescriptive-guidance/latest/amazon-rds-proxy/targeted-business-outcomes.html';
const MYSQL_TRITONECO = 'http://tritoneco.com/2015/11/23/max_connections-at-aws-rds-mysql-instance-sizes/';
const MYSQL_SERVERFAULT = 'https://serverfault.com/questions/862387/aws-rds-connection-limits';
const MYSQL_SOURCES = `${MYSQL_TRITONECO} (also quoted in ${MYSQL_SERVERFAULT})`;

const { POSTGRESQL, MYSQL } = DatabaseEngineFamily;

/** Defaults observed on real RDS instances. */
export const OBSERVED_DEFAULTS: readonly ObservedDefault[] = [
  // PostgreSQL: LEAST({DBInstanceClassMemory/9531392}, 5000)
  { engine: POSTGRESQL, instanceClass: 'db.t2.small', memoryGib: 2, observedMaxConnections: 198, source: PG_GIST },
  { engine: POSTGRESQL, instanceClass: 'db.t2.medium', memoryGib: 4, observedMaxConnections: 413, source: PG_GIST },
  { engine: POSTGRESQL, instanceClass: 'db.t2.large', memoryGib: 8, observedMaxConnections: 856, source: PG_GIST },
  { engine: POSTGRESQL, instanceClass: 'db.m4.large', memoryGib: 8, observedMaxConnections: 856, source: PG_GIST },
  { engine: POSTGRESQL, instanceClass: 'db.t3.small', memoryGib: 2, observedMaxConnections: 187, source: PG_RDS_PROXY_GUIDE },
  // MySQL: {DBInstanceClassMemory/12582880}
  { engine: MYSQL, instanceClass: 'db.t2.micro', memoryGib: 1, observedMaxConnections: 66, source: MYSQL_SOURCES },
  { engine: MYSQL, instanceClass: 'db.t2.small', memoryGib: 2, observedMaxConnections: 150, source: MYSQL_SOURCES },
  { engine: MYSQL, instanceClass: 'db.t2.medium', memoryGib: 4, observedMaxConnections: 312, source: MYSQL_SOURCES },
  { engine: MYSQL, instanceClass: 'db.t2.large', memoryGib: 8, observedMaxConnections: 648, source: MYSQL_SOURCES },
  { engine: MYSQL, instanceClass: 'db.m4.large', memoryGib: 8, observedMaxConnections: 648, source: MYSQL_SOURCES },
  { engine: MYSQL, instanceClass: 'db.m4.xlarge', memoryGib: 16, observedMaxConnections: 1320, source: MYSQL_SOURCES },
];
