import {
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeDBProxyTargetGroupsCommand,
  DescribeDBProxyTargetsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { resolveMaxConnections } from './max-connections-value';
import { ActualDatabase } from './budget-fit';
import { engineFacts } from '../../budget/engine-facts';
import { DatabaseEngineFamily } from '../../budget/engine-family';
import { MaxConnections } from '../../budget/max-connections';
import { instanceMemoryGib } from '../../budget/instance-memory';

/** What to read. */
export interface DatabaseReference {
  readonly instanceIdentifier: string;
  readonly engine: DatabaseEngineFamily;
  /** Undefined: no proxy is checked. */
  readonly proxyName?: string;
}

/** How throttled calls are retried; tests shorten the delay. */
export const retryPolicy = {
  attempts: 6,
  baseDelayMs: 250,
  sleep: (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)),
};

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled']);

/**
 * Calls `send`, retrying throttled calls with exponential backoff and jitter. The SDK retries
 * too, but a deployment of many stacks can exhaust its few attempts on the RDS Describe quota.
 */
export async function withThrottlingRetry<T>(what: string, send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      const error = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      const throttled = THROTTLING.has(error.name ?? '') || error.$metadata?.httpStatusCode === 429;
      if (!throttled) {
        throw e;
      }
      if (attempt >= retryPolicy.attempts) {
        throw new Error(`${what} was throttled by the RDS API ${attempt} times in a row; deploy again when fewer deployments run at once`, { cause: e });
      }
      const delay = retryPolicy.baseDelayMs * 2 ** (attempt - 1);
      await retryPolicy.sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}

/** Reads the instance, its `max_connections` and the proxy's pool setting. */
export async function readDatabase(client: RDSClient, ref: DatabaseReference): Promise<ActualDatabase> {
  const instance = await describeInstance(client, ref.instanceIdentifier);
  const instanceClass = instance.DBInstanceClass ?? 'unknown';
  const parameterGroup = instance.DBParameterGroups?.[0]?.DBParameterGroupName;
  if (!parameterGroup) {
    throw new Error(`The database instance '${ref.instanceIdentifier}' reports no parameter group`);
  }
  const value = await maxConnectionsParameter(client, parameterGroup) ?? defaultFormula(ref.engine);
  const memoryGib = instanceMemoryGib(instanceClass);
  const maxConnections = resolveMaxConnections(value, memoryGib === undefined ? undefined : MaxConnections.usableMemoryBytes(memoryGib));
  let proxyMaxConnectionsPercent: number | undefined;
  if (ref.proxyName) {
    proxyMaxConnectionsPercent = await proxyPoolPercent(client, ref.proxyName, ref.instanceIdentifier);
  }
  return { instanceClass, parameterGroup, maxConnectionsValue: value, maxConnections, proxyMaxConnectionsPercent };
}

async function describeInstance(client: RDSClient, identifier: string) {
  try {
    const result = await withThrottlingRetry('DescribeDBInstances', () =>
      client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })));
    const instance = result.DBInstances?.[0];
    if (!instance) {
      throw notFound('database instance', identifier);
    }
    return instance;
  } catch (e) {
    if ((e as Error).name === 'DBInstanceNotFoundFault') {
      throw notFound('database instance', identifier);
    }
    throw e;
  }
}

/** The parameter's value, or undefined when the group leaves it to the engine default. Pages through the group. */
async function maxConnectionsParameter(client: RDSClient, group: string): Promise<string | undefined> {
  let marker: string | undefined;
  do {
    const page = await withThrottlingRetry('DescribeDBParameters', () =>
      client.send(new DescribeDBParametersCommand({ DBParameterGroupName: group, Marker: marker })))
      .catch(e => {
        throw (e as Error).name === 'DBParameterGroupNotFoundFault' ? notFound('parameter group', group) : e;
      });
    const parameter = page.Parameters?.find(p => p.ParameterName === 'max_connections');
    if (parameter) {
      return parameter.ParameterValue;
    }
    marker = page.Marker;
  } while (marker);
  return undefined;
}

/** The proxy's MaxConnectionsPercent, after checking that the proxy targets the instance. */
async function proxyPoolPercent(client: RDSClient, proxyName: string, instanceIdentifier: string): Promise<number> {
  const groups = await withThrottlingRetry('DescribeDBProxyTargetGroups', () =>
    client.send(new DescribeDBProxyTargetGroupsCommand({ DBProxyName: proxyName, TargetGroupName: 'default' })))
    .catch(e => {
      throw (e as Error).name === 'DBProxyNotFoundFault' || (e as Error).name === 'DBProxyTargetGroupNotFoundFault' ? notFound('proxy', proxyName) : e;
    });
  const config = groups.TargetGroups?.[0]?.ConnectionPoolConfig;
  if (!config) {
    throw notFound('proxy', proxyName);
  }
  let marker: string | undefined;
  let targets: string[] = [];
  do {
    const page = await withThrottlingRetry('DescribeDBProxyTargets', () =>
      client.send(new DescribeDBProxyTargetsCommand({ DBProxyName: proxyName, TargetGroupName: 'default', Marker: marker })));
    targets = targets.concat((page.Targets ?? []).filter(t => t.Type === 'RDS_INSTANCE').map(t => t.RdsResourceId ?? ''));
    marker = page.Marker;
  } while (marker);
  if (!targets.includes(instanceIdentifier)) {
    throw new Error(`The proxy '${proxyName}' does not target the database instance '${instanceIdentifier}' (its targets: ${targets.join(', ') || 'none'})`);
  }
  // RDS applies 100 when the proxy was created without the setting.
  return config.MaxConnectionsPercent ?? 100;
}

function defaultFormula(engine: DatabaseEngineFamily): string {
  const facts = engineFacts(engine);
  const term = `{DBInstanceClassMemory/${facts.bytesPerConnection}}`;
  return facts.ceiling === undefined ? term : `LEAST(${term},${facts.ceiling})`;
}

function notFound(kind: string, name: string): Error {
  return new Error(`The ${kind} '${name}' does not exist in this account and region (or the guard may not describe it)`);
}
