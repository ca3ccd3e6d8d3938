import {
  BeginTransactionCommand, CommitTransactionCommand, DatabaseResumingException, ExecuteStatementCommand,
  RDSDataClient, RollbackTransactionCommand, BadRequestException,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { createDataApiClient, dataApiSettings, isRetriableDataApiError } from '../../runtime/data-api';

const ENV = {
  SERVERLESS_RDS_DATA_API_RESOURCE_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:db',
  SERVERLESS_RDS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
  SERVERLESS_RDS_DATABASE: 'app',
  SERVERLESS_RDS_REGION: 'eu-west-1',
};

const resuming = () => new DatabaseResumingException({ message: 'The Aurora DB instance db-1 is resuming after being auto-paused. Please wait a few seconds and try again.', $metadata: { httpStatusCode: 400 } });
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });

describe('the Data API runtime entry point', () => {
  const rdsData = mockClient(RDSDataClient);
  const saved = { ...process.env };
  const sleeps: number[] = [];
  const retry = { sleep: async (ms: number) => { sleeps.push(ms); }, random: () => 0.5 };

  beforeEach(() => {
    rdsData.reset();
    sleeps.length = 0;
    Object.assign(process.env, ENV);
  });
  afterAll(() => {
    process.env = saved;
    rdsData.restore();
  });

  test('runs a statement on the cluster of its environment and parses the JSON records', async () => {
    rdsData.on(ExecuteStatementCommand).resolves({ formattedRecords: '[{"id":1,"name":"a"}]', numberOfRecordsUpdated: 0 });
    const db = createDataApiClient({ client: new RDSDataClient({ region: 'eu-west-1' }), retry });
    const result = await db.execute('SELECT id, name FROM orders WHERE id = :id', [{ name: 'id', value: { longValue: 1 } }]);
    expect(result.rows).toEqual([{ id: 1, name: 'a' }]);
    expect(rdsData.commandCalls(ExecuteStatementCommand)[0].args[0].input).toEqual({
      resourceArn: ENV.SERVERLESS_RDS_DATA_API_RESOURCE_ARN,
      secretArn: ENV.SERVERLESS_RDS_SECRET_ARN,
      database: 'app',
      sql: 'SELECT id, name FROM orders WHERE id = :id',
      parameters: [{ name: 'id', value: { longValue: 1 } }],
      transactionId: undefined,
      formatRecordsAs: 'JSON',
    });
  });

  test('a paused cluster\'s resume error is retried until the cluster answers, waiting seconds, not milliseconds', async () => {
    rdsData.on(ExecuteStatementCommand)
      .rejectsOnce(resuming()).rejectsOnce(resuming()).rejectsOnce(resuming())
      .resolves({ numberOfRecordsUpdated: 1 });
    const db = createDataApiClient({ client: new RDSDataClient({ region: 'eu-west-1' }), retry });
    const result = await db.execute('UPDATE orders SET state = 1');
    expect(result.numberOfRecordsUpdated).toBe(1);
    expect(rdsData.commandCalls(ExecuteStatementCommand)).toHaveLength(4);
    // Resume steps 1000, 2000, 4000 ms; a resuming cluster waits at least half a step (random 0.5 -> 3/4).
    expect(sleeps).toEqual([750, 1500, 3000]);
  });

  test('throttling is retried with jittered back-off', async () => {
    rdsData.on(ExecuteStatementCommand).rejectsOnce(throttled()).resolves({ numberOfRecordsUpdated: 0 });
    const db = createDataApiClient({ client: new RDSDataClient({ region: 'eu-west-1' }), retry });
    await db.execute('SELECT 1');
    expect(rdsData.commandCalls(ExecuteStatementCommand)).toHaveLength(2);
    expect(sleeps).toEqual([125]);
  });

  test('the retries are bounded: the last resume error is thrown', async () => {
    rdsData.on(ExecuteStatementCommand).rejects(resuming());
    const db = createDataApiClient({ client: new RDSDataClient({ region: 'eu-west-1' }), retry: { ...retry, attempts: 3 } });
    await expect(db.execute('SELECT 1')).rejects.toThrow(/resuming after being auto-paused/);
    expect(rdsData.commandCalls(ExecuteStatementCommand)).toHaveLength(3);
  });

  test('a SQL error is thrown at once (the statement may have run)', async () => {
    rdsData.on(ExecuteStatementCommand).rejects(new BadRequestException({ message: 'ERROR: relation "nope" does not exist', $metadata: {} }));
    const db = createDataApiClient({ client: new RDSDataClient({ region: 'eu-west-1' }), retry });
    await expect(db.execute('SELECT * FROM nope')).rejects.toThrow(/relation "nope"/);
    expect(rdsData.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
  });

  test('a transaction commits when the work resolves and rolls back when it throws', async () => {
    rdsData.on(BeginTransactionCommand).resolves({ transactionId: 'tx-1' });
    rdsData.on(ExecuteStatementCommand).resolves({ numberOfRecordsUpdated: 1 });
    rdsData.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed' });
    rdsData.on(RollbackTransactionCommand).resolves({ transactionStatus: 'Rollback Complete' });
    const db = createDataApiClient({ client: new RDSDataClient({ region: 'eu-west-1' }), retry });
    await db.transaction(async run => run('INSERT INTO orders VALUES (1)'));
    expect(rdsData.commandCalls(ExecuteStatementCommand)[0].args[0].input.transactionId).toBe('tx-1');
    expect(rdsData.commandCalls(CommitTransactionCommand)).toHaveLength(1);
    await expect(db.transaction(async () => { throw new Error('business rule'); })).rejects.toThrow('business rule');
    expect(rdsData.commandCalls(RollbackTransactionCommand)[0].args[0].input.transactionId).toBe('tx-1');
  });

  test('a missing variable is named with the fix', () => {
    expect(() => dataApiSettings({}, {})).toThrow(/SERVERLESS_RDS_DATA_API_RESOURCE_ARN is not set: create the function with addDataApiFunction\(\)/);
  });

  test('only errors returned before the statement runs are retriable', () => {
    expect(isRetriableDataApiError(resuming())).toBe(true);
    expect(isRetriableDataApiError(throttled())).toBe(true);
    expect(isRetriableDataApiError(new BadRequestException({ message: 'x', $metadata: {} }))).toBe(false);
    expect(isRetriableDataApiError(Object.assign(new Error('timeout'), { name: 'StatementTimeoutException' }))).toBe(false);
  });
});
