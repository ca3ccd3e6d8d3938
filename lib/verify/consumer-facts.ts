import { vpcKeyOfGroup } from './database-facts';
import { asList, ResourceRef, TemplateSet, CfnJson } from './template-set';
import { DatabaseEnvironmentVariables } from '../functions/environment-variables';

/** What the template says one counted function may hold: environments x connections each. */
export interface ConsumerFacts {
  /** Execution environments the function may run at once, or undefined when nothing bounds them. */
  readonly environments?: number;
  /** Whether the environments come from a capacity provider's limits rather than reserved concurrency. */
  readonly managedInstances: boolean;
  /** Connections one environment may hold. */
  readonly connectionsPerEnvironment: number;
  /** What makes the function unsafe however the budget adds up. */
  readonly problems: string[];
}

/**
 * Reads a counted function's limits from the template: reserved concurrency (or, on Lambda
 * Managed Instances, its maximum execution environments), the connection-count variables the
 * runtime helper obeys, the event source mappings and provisioned concurrency that must fit
 * inside the reserved concurrency, and its network.
 */
export function readConsumerFacts(
  templates: TemplateSet, fn: ResourceRef, declaredConnectionsPerEnvironment: number, databaseVpc: string | undefined, databasePath: string,
  overHttp = false,
): ConsumerFacts {
  const props = templates.props(fn);
  const t = fn.template;
  const problems: string[] = [];
  const name = `Function ${TemplateSet.describe(fn)}`;
  const variables = props.Environment?.Variables ?? {};
  const variable = (key: string): number | undefined => {
    if (variables[key] === undefined) {
      return undefined;
    }
    const value = templates.number(t, variables[key]);
    if (value === undefined || !Number.isInteger(value) || value < 1) {
      problems.push(`${name}: ${key} is ${JSON.stringify(variables[key])}, not a positive whole number known at synth time.`);
      return undefined;
    }
    return value;
  };
  const perInvocation = variable(DatabaseEnvironmentVariables.CONNECTIONS_PER_INVOCATION);
  const perEnvironment = variable(DatabaseEnvironmentVariables.CONNECTIONS_PER_ENVIRONMENT);
  const versions = relatedResources(templates, fn, 'AWS::Lambda::Version');
  const aliases = relatedResources(templates, fn, 'AWS::Lambda::Alias');

  const capacity = props.CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig;
  let environments: number | undefined;
  let connectionsPerEnvironment: number;
  if (capacity) {
    const limits = [fn, ...versions]
      .map(r => templates.props(r).FunctionScalingConfig?.MaxExecutionEnvironments)
      .filter(v => v !== undefined)
      .map(v => templates.number(t, v));
    environments = limits.length > 0 && limits.every(v => v !== undefined) ? Math.max(...(limits as number[])) : undefined;
    if (environments === undefined) {
      problems.push(
        `${name} runs on Lambda Managed Instances without a maximum number of execution environments in the template ` +
        '(FunctionScalingConfig.MaxExecutionEnvironments), so its connections have no bound: pass `maxEnvironments` to connectFunction().',
      );
    }
    const perRequest = templates.number(t, capacity.PerExecutionEnvironmentMaxConcurrency) ?? 1;
    connectionsPerEnvironment = Math.max(declaredConnectionsPerEnvironment, perEnvironment ?? (perInvocation ?? 1) * perRequest);
  } else {
    environments = templates.number(t, props.ReservedConcurrentExecutions);
    if (environments === undefined && props.ReservedConcurrentExecutions !== undefined) {
      problems.push(
        `${name} has ReservedConcurrentExecutions ${JSON.stringify(props.ReservedConcurrentExecutions)} in the template, not a number ` +
        'known at synth time, so the budget cannot count it: give it a literal number.',
      );
    } else if (environments === undefined) {
      problems.push(
        `${name} has no ReservedConcurrentExecutions in the template, so nothing bounds its execution environments: ` +
        'leave the reserved concurrency the database wrote (do not remove it with an override or an Aspect), or set one.',
      );
    }
    connectionsPerEnvironment = Math.max(declaredConnectionsPerEnvironment, perInvocation ?? 0, perEnvironment ?? 0);
    if (environments !== undefined) {
      problems.push(...provisionedAboveReserved(templates, name, [...versions, ...aliases], environments));
      problems.push(...mappingsAboveReserved(templates, fn, [...versions, ...aliases], name, environments));
    }
  }
  if (!overHttp) {
    problems.push(...networkProblems(templates, fn, name, databaseVpc, databasePath));
  }
  return { environments, managedInstances: capacity !== undefined, connectionsPerEnvironment, problems };
}

/** The reserved concurrency a function holds in the template (0 when none). */
export function reservedConcurrencyOf(templates: TemplateSet, fn: ResourceRef): number {
  return templates.number(fn.template, templates.props(fn).ReservedConcurrentExecutions) ?? 0;
}

/** Versions or aliases of `fn`. */
function relatedResources(templates: TemplateSet, fn: ResourceRef, type: string): ResourceRef[] {
  return templates.resourcesOfType(type)
    .filter(r => TemplateSet.same(templates.target(r.template, templates.props(r).FunctionName), fn));
}

function provisionedAboveReserved(templates: TemplateSet, name: string, targets: ResourceRef[], reserved: number): string[] {
  const provisioned = targets
    .map(r => templates.number(r.template, templates.props(r).ProvisionedConcurrencyConfig?.ProvisionedConcurrentExecutions) ?? 0)
    .reduce((a, b) => a + b, 0);
  return provisioned > reserved
    ? [`${name} asks for ${provisioned} provisioned concurrency but reserves ${reserved}: Lambda cannot provision more environments than the function may run. Lower the provisioned concurrency to at most ${reserved}, or raise the reserved concurrency within the budget.`]
    : [];
}

function mappingsAboveReserved(templates: TemplateSet, fn: ResourceRef, targets: ResourceRef[], name: string, reserved: number): string[] {
  const problems: string[] = [];
  for (const mapping of templates.resourcesOfType('AWS::Lambda::EventSourceMapping')) {
    const props = templates.props(mapping);
    const target = templates.target(mapping.template, props.FunctionName);
    if (!TemplateSet.same(target, fn) && !targets.some(t => TemplateSet.same(t, target))) {
      continue;
    }
    const maximum = templates.number(mapping.template, props.ScalingConfig?.MaximumConcurrency);
    if (maximum !== undefined && maximum > reserved) {
      problems.push(
        `${name}: its event source mapping ${TemplateSet.describe(mapping)} has MaximumConcurrency ${maximum}, above the function's ` +
        `reserved concurrency ${reserved}: Lambda would throttle the batches it cannot run. Use db.addQueueConsumer() / ` +
        `db.connectQueueConsumer(), which keep both equal, or lower maxConcurrency to at most ${reserved}.`,
      );
    }
  }
  return problems;
}

/**
 * The network a function runs in: its own VPC configuration, or on Lambda Managed Instances its
 * capacity provider's. Returns the template the configuration's values belong to.
 */
export function functionNetwork(templates: TemplateSet, fn: ResourceRef): { template: ResourceRef['template']; vpcConfig: CfnJson } {
  const props = templates.props(fn);
  const arn = props.CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig?.CapacityProviderArn;
  const provider = arn !== undefined ? templates.target(fn.template, arn) : undefined;
  if (provider && templates.resource(provider).Type === 'AWS::Lambda::CapacityProvider') {
    return { template: provider.template, vpcConfig: templates.props(provider).VpcConfig };
  }
  return { template: fn.template, vpcConfig: props.VpcConfig };
}

/** A counted function must run in the database's VPC, or it cannot reach the proxy at all. */
function networkProblems(templates: TemplateSet, fn: ResourceRef, name: string, databaseVpc: string | undefined, databasePath: string): string[] {
  const network = functionNetwork(templates, fn);
  const vpcConfig = network.vpcConfig;
  if (!vpcConfig) {
    return [`${name} is counted in the budget of ${databasePath} but is not in a VPC, so it cannot reach the database's proxy: place it in db.vpc.`];
  }
  if (databaseVpc === undefined) {
    return [];
  }
  const problems: string[] = [];
  for (const value of asList(vpcConfig.SecurityGroupIds)) {
    const group = templates.target(network.template, value);
    if (group && templates.resource(group).Type === 'AWS::EC2::SecurityGroup' && vpcKeyOfGroup(templates, group) !== databaseVpc) {
      problems.push(`${name} uses the security group ${TemplateSet.describe(group)} of another VPC than ${databasePath}'s: a wired function must run in the database's VPC (db.vpc, db.functionSubnets).`);
    }
  }
  for (const value of asList(vpcConfig.SubnetIds)) {
    const subnet = templates.target(network.template, value);
    if (subnet && templates.resource(subnet).Type === 'AWS::EC2::Subnet') {
      const vpc = templates.target(subnet.template, templates.props(subnet).VpcId);
      const key = vpc ? `${vpc.template.templatePath}#${vpc.logicalId}` : templates.literal(subnet.template, templates.props(subnet).VpcId);
      if (key !== databaseVpc) {
        problems.push(`${name} is placed in the subnet ${TemplateSet.describe(subnet)} of another VPC than ${databasePath}'s: choose subnets of db.vpc (db.functionSubnets).`);
      }
    }
  }
  return problems;
}
