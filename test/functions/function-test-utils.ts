import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { DatabaseEnvironmentVariables } from '../../lib';

/** A synthesized resource: type and properties. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, any>;
  readonly DependsOn?: string[];
}

/** The template resource of a construct (its L1, or the construct itself when it is one). */
export function resourceOf(template: Template, construct: IConstruct): TemplateResource {
  const element = (construct instanceof CfnElement ? construct : construct.node.defaultChild) as CfnElement;
  const logicalId = Stack.of(construct).getLogicalId(element);
  const resource = template.toJSON().Resources[logicalId];
  if (!resource) {
    throw new Error(`No resource ${logicalId} for ${construct.node.path} in the template`);
  }
  return resource;
}

/** The logical id of a construct's L1. */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct instanceof CfnElement ? construct : construct.node.defaultChild) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

/** The template's resources counted by type. */
export function countByType(template: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values<TemplateResource>(template.toJSON().Resources)) {
    counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  }
  return counts;
}

/** The template's Lambda functions. */
export function lambdaFunctions(template: Template): TemplateResource[] {
  return Object.values(template.findResources('AWS::Lambda::Function')) as TemplateResource[];
}

/** The proxy's MaxConnectionsPercent and the database's max_connections, as synthesized. */
export function synthesizedPool(template: Template): { maxConnections: number; maxConnectionsPercent: number; proxyConnections: number } {
  const [group] = Object.values(template.findResources('AWS::RDS::DBParameterGroup')) as TemplateResource[];
  const [target] = Object.values(template.findResources('AWS::RDS::DBProxyTargetGroup')) as TemplateResource[];
  const maxConnections = Number(group.Properties.Parameters.max_connections);
  const maxConnectionsPercent = Number(target.Properties.ConnectionPoolConfigurationInfo.MaxConnectionsPercent);
  return { maxConnections, maxConnectionsPercent, proxyConnections: Math.floor((maxConnections * maxConnectionsPercent) / 100) };
}

/** Connections a synthesized function may open at most: reserved concurrency x connections per invocation. */
export function connectionsOf(fn: TemplateResource): number {
  const perInvocation = Number(fn.Properties.Environment.Variables[DatabaseEnvironmentVariables.CONNECTIONS_PER_INVOCATION]);
  return fn.Properties.ReservedConcurrentExecutions * perInvocation;
}

/** The user-visible name of a wired function in the budget: its path inside the stack. */
export function budgetName(fn: lambda.IFunction): string {
  return fn.node.path.slice(Stack.of(fn).node.path.length + 1);
}
