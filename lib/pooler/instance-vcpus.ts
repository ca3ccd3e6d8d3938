/**
 * vCPUs of RDS DB instance classes, which RDS Proxy is billed by.
 *
 * Source: AWS RDS User Guide, "Hardware specifications for DB instance classes"
 * (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html):
 * the burstable classes have 2 vCPUs up to large, 4 at xlarge and 8 at 2xlarge; the other
 * families double from 2 vCPUs at large.
 */
const BURSTABLE: Record<string, number> = { 'micro': 2, 'small': 2, 'medium': 2, 'large': 2, 'xlarge': 4, '2xlarge': 8 };
const BY_SIZE: Record<string, number> = {
  'large': 2, 'xlarge': 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32, '12xlarge': 48, '16xlarge': 64, '24xlarge': 96, '32xlarge': 128,
};

/** The vCPUs of `db.<family>.<size>`, or undefined for a class this table does not know. */
export function instanceClassVcpus(instanceClass: string): number | undefined {
  const match = /^db\.([a-z0-9-]+)\.([a-z0-9]+)$/.exec(instanceClass);
  if (!match) {
    return undefined;
  }
  const [, family, size] = match;
  return /^t\d/.test(family) ? BURSTABLE[size] : BY_SIZE[size];
}
