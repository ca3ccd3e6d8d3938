import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';

/**
 * Restarts the PgBouncer service after the database secret was rotated: ECS injects the password
 * into a task when it starts, so only new tasks know the new one. A rolling deployment (minimum
 * healthy 100%) replaces the tasks one after another.
 *
 * Environment: CLUSTER_ARN, SERVICE_NAME. Event: EventBridge's RotationSucceeded for the secret.
 */
const ecs = new ECSClient({});

export interface RotationEvent {
  readonly 'detail-type'?: string;
  readonly detail?: { readonly eventName?: string; readonly additionalEventData?: { readonly SecretId?: string } };
}

export const handler = async (event: RotationEvent): Promise<{ restarted: boolean }> => {
  const cluster = process.env.CLUSTER_ARN;
  const service = process.env.SERVICE_NAME;
  if (!cluster || !service) {
    throw new Error('CLUSTER_ARN and SERVICE_NAME must be set');
  }
  if (event.detail?.eventName !== 'RotationSucceeded') {
    console.log(JSON.stringify({ ignored: event.detail?.eventName ?? event['detail-type'] }));
    return { restarted: false };
  }
  await ecs.send(new UpdateServiceCommand({ cluster, service, forceNewDeployment: true }));
  console.log(JSON.stringify({ restarted: service, secret: event.detail.additionalEventData?.SecretId }));
  return { restarted: true };
};
