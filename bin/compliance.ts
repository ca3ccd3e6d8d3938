import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ServerlessAuroraCluster, ServerlessDatabase } from '../lib';

/** The five cdk-nag packs the demo and the examples are held to. */
export function applyCompliancePacks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new ServerlessChecks(app),
    new HIPAASecurityChecks(app),
    new NIST80053R5Checks(app),
    new PCIDSS321Checks(app),
  );
}

/**
 * Findings of a queue consumer answered by its queue: failed records go back to the queue and,
 * after its maxReceiveCount, to the queue's dead-letter queue.
 */
export function acknowledgeQueueConsumer(consumer: IConstruct, deadLetterQueue: IConstruct): void {
  for (const id of ['Serverless-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ']) {
    Validations.of(consumer).acknowledge({
      id,
      reason: 'Fed by an SQS event source: a function dead-letter queue applies to asynchronous invocations only; failed records go to the source queue\'s dead-letter queue.',
    });
  }
  Validations.of(consumer).acknowledge({
    id: 'Serverless-LambdaEventSourceMappingDestination',
    reason: 'SQS event source mappings take no on-failure destination; the source queue\'s redrive policy sends failed records to its dead-letter queue.',
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: 'This queue is the dead-letter queue: its messages are kept 14 days for inspection, not redriven further.',
  });
}

/** Findings the demo and examples answer by design, each with its reason. */
export function acknowledgeDemoDecisions(database: ServerlessDatabase | ServerlessAuroraCluster, synchronousFunctions: IConstruct[]): void {
  for (const fn of synchronousFunctions) {
    for (const id of ['Serverless-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ']) {
      Validations.of(fn).acknowledge({
        id,
        reason: 'Invoked synchronously: the caller receives the error, so there is no asynchronous event to dead-letter.',
      });
    }
  }
  for (const id of ['NIST.800.53.R5-RDSInBackupPlan', 'HIPAA.Security-RDSInBackupPlan']) {
    Validations.of(database instanceof ServerlessAuroraCluster ? database.cluster : database.instance).acknowledge({
      id,
      reason: 'Automated backups (7 days, point-in-time recovery) and a final snapshot on deletion protect the demo data; AWS Backup plans are assigned per account by tag, outside this app.',
    });
  }
}
