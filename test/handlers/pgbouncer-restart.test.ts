import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../lib/handlers/pgbouncer-restart';

const ecs = mockClient(ECSClient);
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';

describe('PgBouncer restart after rotation', () => {
  beforeEach(() => {
    ecs.reset();
    ecs.on(UpdateServiceCommand).resolves({});
    process.env.CLUSTER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:cluster/pgbouncer';
    process.env.SERVICE_NAME = 'pgbouncer-service';
  });

  test('RotationSucceeded forces a new deployment of the service', async () => {
    const result = await handler({ 'detail-type': 'AWS Service Event via CloudTrail', 'detail': { eventName: 'RotationSucceeded', additionalEventData: { SecretId: SECRET } } });
    expect(result).toEqual({ restarted: true });
    expect(ecs.commandCalls(UpdateServiceCommand).map(c => c.args[0].input)).toEqual([
      { cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/pgbouncer', service: 'pgbouncer-service', forceNewDeployment: true },
    ]);
  });

  test('other events restart nothing', async () => {
    expect(await handler({ detail: { eventName: 'RotationStarted' } })).toEqual({ restarted: false });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  test('an ECS error fails the invocation, so EventBridge retries and then dead-letters it', async () => {
    ecs.on(UpdateServiceCommand).rejects(new Error('ServiceNotActiveException'));
    await expect(handler({ detail: { eventName: 'RotationSucceeded' } })).rejects.toThrow(/ServiceNotActive/);
  });
});
