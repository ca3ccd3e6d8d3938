import { getPostgresPool } from 'cdk-serverless-rds/runtime/postgres';

/**
 * Demo queue consumer: each record is a job written to the database; a failed record is reported
 * alone (batchItemFailures), so SQS retries only it.
 */
const pool = getPostgresPool();

interface SqsEvent {
  readonly Records: Array<{ readonly messageId: string; readonly body: string }>;
}

export const handler = async (event: SqsEvent): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> => {
  const batchItemFailures: Array<{ itemIdentifier: string }> = [];
  for (const record of event.Records) {
    try {
      await pool.query('INSERT INTO jobs (message_id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [record.messageId, record.body]);
    } catch {
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
