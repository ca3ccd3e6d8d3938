import { asList, CfnJson, ResourceRef, TemplateSet } from './template-set';
import { AuroraMaxConnections } from '../budget/aurora-max-connections';
import { DatabaseEngineFamily } from '../budget/engine-family';

/**
 * What an Aurora instance takes from its cluster in the template: the security groups, the port,
 * the secret's target and, when the instance's own parameter group does not set it,
 * `max_connections` from the cluster parameter group or from AWS's default for the instance
 * class or the Serverless v2 capacity range.
 */
export interface ClusterFacts {
  readonly cluster: ResourceRef;
  readonly securityGroupValues: CfnJson[];
  readonly port?: number;
  readonly maxConnections?: number;
  readonly maxConnectionsSource?: string;
  readonly unknowns: string[];
}

/** The cluster of an `AWS::RDS::DBInstance` with a `DBClusterIdentifier`, or undefined for a standalone instance. */
export function readClusterFacts(templates: TemplateSet, engine: DatabaseEngineFamily, instance: ResourceRef): ClusterFacts | undefined {
  const instanceProps = templates.props(instance);
  if (instanceProps.DBClusterIdentifier === undefined) {
    return undefined;
  }
  const cluster = templates.target(instance.template, instanceProps.DBClusterIdentifier);
  if (!cluster || templates.resource(cluster).Type !== 'AWS::RDS::DBCluster') {
    return undefined;
  }
  const clusterProps = templates.props(cluster);
  const unknowns: string[] = [];
  let maxConnections: number | undefined;
  let maxConnectionsSource: string | undefined;
  const group = templates.target(cluster.template, clusterProps.DBClusterParameterGroupName);
  const parameter = group ? templates.props(group).Parameters?.max_connections : undefined;
  const explicit = parameter !== undefined ? templates.number(group!.template, parameter) : undefined;
  const instanceClass = templates.literal(instance.template, instanceProps.DBInstanceClass);
  if (explicit !== undefined) {
    maxConnections = explicit;
    maxConnectionsSource = 'template: cluster parameter group';
  } else if (instanceClass === 'db.serverless') {
    const scaling = clusterProps.ServerlessV2ScalingConfiguration ?? {};
    const min = templates.number(cluster.template, scaling.MinCapacity);
    const max = templates.number(cluster.template, scaling.MaxCapacity);
    if (min !== undefined && max !== undefined) {
      maxConnections = AuroraMaxConnections.forServerlessV2(engine, min, max);
      maxConnectionsSource = `template: Aurora Serverless v2 default for ${min}-${max} ACU`;
    } else {
      unknowns.push('the Serverless v2 capacity range of the cluster cannot be read from the template');
    }
  } else if (instanceClass && AuroraMaxConnections.isKnownInstanceClass(engine, instanceClass)) {
    maxConnections = AuroraMaxConnections.forInstanceClass(engine, instanceClass);
    maxConnectionsSource = `template: Aurora default for ${instanceClass}`;
  }
  return {
    cluster,
    securityGroupValues: asList(clusterProps.VpcSecurityGroupIds),
    port: templates.number(cluster.template, clusterProps.Port),
    maxConnections,
    maxConnectionsSource,
    unknowns,
  };
}
