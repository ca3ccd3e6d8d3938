import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ServerlessDatabaseProps } from './serverless-database-props';
import { requireKnownNumber, requireWholeNumber, requireWholeNumberBetween } from '../private/validate';

/**
 * Checks the props that need no other resource, before anything is created, so a mistake is
 * reported in the user's words instead of failing later at deploy.
 */
export function validateDatabaseProps(scope: IConstruct, props: ServerlessDatabaseProps): void {
  try {
    validateProps(props);
  } catch (e) {
    throw new Error(`${scope.node.path}: ${(e as Error).message}`, { cause: e });
  }
}

function validateProps(props: ServerlessDatabaseProps): void {
  if (!props.vpc || !props.engine || !props.instanceType) {
    throw new Error('`vpc`, `engine` and `instanceType` are required');
  }
  validateInstanceType(props);
  if (props.maxConnections !== undefined) {
    requireWholeNumber(props.maxConnections, 'maxConnections');
  }
  if (props.parameters && 'max_connections' in props.parameters) {
    throw new Error('Set `maxConnections` instead of parameters.max_connections: the connection budget is computed from it');
  }
  if (!props.vpcSubnets && props.vpc.isolatedSubnets.length === 0) {
    throw new Error('ServerlessDatabase places the instance and proxy in private isolated subnets and the VPC has none: add isolated subnets or set `vpcSubnets`');
  }
  validateProxyOptions(props);
  if (props.monitoringInterval) {
    validateMonitoringInterval(props.monitoringInterval);
  }
}

function validateProxyOptions(props: ServerlessDatabaseProps): void {
  const percent = props.proxy?.maxConnectionsPercent;
  if (percent !== undefined) {
    requireWholeNumberBetween(percent, 'proxy.maxConnectionsPercent', 1, 100);
  }
  const idle = props.proxy?.maxIdleConnectionsPercent;
  if (idle !== undefined) {
    requireKnownNumber(idle, 'proxy.maxIdleConnectionsPercent');
    requireWholeNumberBetween(idle, 'proxy.maxIdleConnectionsPercent', 0, props.proxy?.maxConnectionsPercent ?? 100);
  }
  const borrow = props.proxy?.borrowTimeout;
  if (borrow && !Token.isUnresolved(borrow.toSeconds()) && (borrow.toSeconds() < 1 || borrow.toSeconds() > 3600)) {
    throw new Error(`\`proxy.borrowTimeout\` must be between 1 second and 1 hour, got: ${borrow.toHumanString()}`);
  }
}

/**
 * `ec2.InstanceType` names the class without RDS's `db.` prefix, which the construct adds; and
 * the budget needs the class at synth time unless `maxConnections` is given.
 */
function validateInstanceType(props: ServerlessDatabaseProps): void {
  const name = props.instanceType.toString();
  if (Token.isUnresolved(name)) {
    if (props.maxConnections === undefined) {
      throw new Error(
        '`instanceType` is a token, unknown until deployment, so the connection budget cannot compute max_connections: ' +
        'pass a literal instance type, or set `maxConnections` to the value of the class you deploy',
      );
    }
    return;
  }
  if (name.startsWith('db.')) {
    throw new Error(
      `\`instanceType\` is '${name}', but ec2.InstanceType takes the class without RDS's 'db.' prefix (RDS would get ` +
      `'db.${name}'): use new ec2.InstanceType('${name.slice(3)}') or ec2.InstanceType.of(...)`,
    );
  }
}

/** Enhanced Monitoring offers these intervals only (0 turns it off). */
const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60];

function validateMonitoringInterval(interval: Duration): void {
  const seconds = interval.toSeconds();
  if (!Token.isUnresolved(seconds) && !MONITORING_INTERVALS.includes(seconds)) {
    throw new Error(`\`monitoringInterval\` must be one of ${MONITORING_INTERVALS.join(', ')} seconds, got: ${interval.toHumanString()}`);
  }
}

/** Storage in GiB: gp3 starts at 20; autoscaling needs a maximum above the allocation. */
export function storageSizes(props: ServerlessDatabaseProps): { allocated: number; maximum: number } {
  const allocated = props.allocatedStorage ?? 20;
  requireWholeNumberBetween(allocated, 'allocatedStorage', 20, 65536);
  const maximum = props.maxAllocatedStorage ?? Math.max(100, allocated * 2);
  requireWholeNumberBetween(maximum, 'maxAllocatedStorage', 21, 65536);
  if (maximum <= allocated) {
    throw new Error(`\`maxAllocatedStorage\` (${maximum}) must be larger than \`allocatedStorage\` (${allocated}) for storage autoscaling`);
  }
  return { allocated, maximum };
}
