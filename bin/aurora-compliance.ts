import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ServerlessAuroraCluster } from '../lib';

/** Findings the Aurora examples answer by design, each with its reason (as acknowledgeDemoDecisions). */
export function acknowledgeAuroraDemoDecisions(database: ServerlessAuroraCluster, synchronousFunctions: IConstruct[]): void {
  for (const fn of synchronousFunctions) {
    for (const id of ['Serverless-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ']) {
      Validations.of(fn).acknowledge({
        id,
        reason: 'Invoked synchronously: the caller receives the error, so there is no asynchronous event to dead-letter.',
      });
    }
  }
  for (const id of ['NIST.800.53.R5-RDSInBackupPlan', 'HIPAA.Security-RDSInBackupPlan']) {
    Validations.of(database.cluster).acknowledge({
      id,
      reason: 'Automated backups (7 days, point-in-time recovery) and a final snapshot on deletion protect the demo data; AWS Backup plans are assigned per account by tag, outside this app.',
    });
  }
}
