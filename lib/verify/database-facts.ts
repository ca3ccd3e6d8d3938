import { readClusterFacts } from './cluster-facts';
import { asList, ResourceRef, TemplateSet } from './template-set';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { MaxConnections } from '../budget/max-connections';

/** What the templates say about one database: the figures the budget rests on and its network. */
export interface DatabaseFacts {
  readonly instance: ResourceRef;
  readonly proxy?: ResourceRef;
  /** The Aurora cluster of the instance, and whether its Data API (HTTP endpoint) is on. */
  readonly cluster?: ResourceRef;
  readonly dataApi?: boolean;
  /** `max_connections` as deployed, or undefined when the template does not say. */
  readonly maxConnections?: number;
  /** Where `maxConnections` comes from, for the table. */
  readonly maxConnectionsSource: string;
  /** The proxy target group's `MaxConnectionsPercent` (100 when the template leaves it out). */
  readonly proxyMaxConnectionsPercent?: number;
  readonly proxyMaxIdleConnectionsPercent?: number;
  /** Security groups of the instance and of the proxy: the doors a client must pass. */
  readonly instanceSecurityGroups: ResourceRef[];
  readonly proxySecurityGroups: ResourceRef[];
  readonly port?: number;
  /** The VPC of the database, taken from its security groups. */
  readonly vpc?: ResourceRef;
  readonly vpcLiteral?: string;
  /** Secrets holding the database's credentials. */
  readonly secrets: ResourceRef[];
  /** What could not be read, stated in the report. */
  readonly unknowns: string[];
}

/** Reads a database's facts from the templates, starting from its instance and proxy. */
export function readDatabaseFacts(
  templates: TemplateSet, engine: DatabaseEngineFamily, instance: ResourceRef, proxy: ResourceRef | undefined,
  proxyEndpoint?: ResourceRef,
): DatabaseFacts {
  const unknowns: string[] = [];
  const t = instance.template;
  const instanceProps = templates.props(instance);
  const instanceClass = templates.literal(t, instanceProps.DBInstanceClass);
  // An Aurora instance: its network, port, secret and default max_connections come from its cluster.
  const cluster = readClusterFacts(templates, engine, instance);

  let maxConnections: number | undefined;
  let maxConnectionsSource = 'template';
  const parameterGroup = templates.target(t, instanceProps.DBParameterGroupName);
  const parameter = parameterGroup ? templates.props(parameterGroup).Parameters?.max_connections : undefined;
  const explicit = parameter !== undefined ? templates.number(parameterGroup!.template, parameter) : undefined;
  if (explicit !== undefined) {
    maxConnections = explicit;
    maxConnectionsSource = 'template: parameter group';
  } else if (cluster) {
    maxConnections = cluster.maxConnections;
    maxConnectionsSource = cluster.maxConnectionsSource ?? maxConnectionsSource;
    unknowns.push(...cluster.unknowns);
    if (maxConnections === undefined && cluster.unknowns.length === 0) {
      unknowns.push(`max_connections cannot be read from the template (Aurora instance class ${instanceClass ?? 'unknown'}, no explicit parameter)`);
    }
  } else if (instanceClass && MaxConnections.isKnownInstanceClass(instanceClass)) {
    maxConnections = MaxConnections.forInstanceClass(engine, instanceClass);
    maxConnectionsSource = `template: default formula for ${instanceClass}`;
    if (parameter !== undefined) {
      unknowns.push(`max_connections in the parameter group is not a number (${JSON.stringify(parameter)}); the default formula for ${instanceClass} was used`);
    }
  } else {
    unknowns.push(`max_connections cannot be read from the template (instance class ${instanceClass ?? 'unknown'}, no explicit parameter)`);
  }

  let proxyMaxConnectionsPercent: number | undefined;
  let proxyMaxIdleConnectionsPercent: number | undefined;
  if (proxy) {
    const group = templates.resourcesOfType('AWS::RDS::DBProxyTargetGroup')
      .find(g => TemplateSet.same(templates.target(g.template, templates.props(g).DBProxyName), proxy));
    const pool = group ? templates.props(group).ConnectionPoolConfigurationInfo ?? {} : {};
    proxyMaxConnectionsPercent = pool.MaxConnectionsPercent === undefined ? 100 : templates.number(group!.template, pool.MaxConnectionsPercent);
    proxyMaxIdleConnectionsPercent = pool.MaxIdleConnectionsPercent === undefined ? undefined : templates.number(group!.template, pool.MaxIdleConnectionsPercent);
    if (proxyMaxConnectionsPercent === undefined) {
      unknowns.push('the proxy\'s MaxConnectionsPercent is not a number in the template');
    }
  }

  const groupsOf = (ref: ResourceRef | undefined, key: string): ResourceRef[] => ref
    ? asList(templates.props(ref)[key]).map(v => templates.target(ref.template, v)).filter((g): g is ResourceRef => g !== undefined)
    : [];
  const instanceSecurityGroups = cluster
    ? cluster.securityGroupValues.map(v => templates.target(cluster.cluster.template, v)).filter((g): g is ResourceRef => g !== undefined)
    : groupsOf(instance, 'VPCSecurityGroups');
  // Clients of a proxy endpoint pass the endpoint's security groups, not the proxy's.
  const proxySecurityGroups = proxyEndpoint ? groupsOf(proxyEndpoint, 'VpcSecurityGroupIds') : groupsOf(proxy, 'VpcSecurityGroupIds');
  const vpcOf = (groups: ResourceRef[]) => groups.map(g => ({ g, vpc: templates.props(g).VpcId })).find(x => x.vpc !== undefined);
  const vpcSource = vpcOf(instanceSecurityGroups) ?? vpcOf(proxySecurityGroups);

  const secrets = templates.resourcesOfType('AWS::SecretsManager::SecretTargetAttachment')
    .filter(a => TemplateSet.same(templates.target(a.template, templates.props(a).TargetId), cluster?.cluster ?? instance))
    .flatMap(a => [a, ...templates.references(a.template, templates.props(a).SecretId)]);
  // Every secret the proxy accepts logins for (per-user secrets too): reading one is a login.
  if (proxy) {
    for (const auth of asList(templates.props(proxy).Auth)) {
      secrets.push(...templates.references(proxy.template, auth?.SecretArn));
    }
  }
  // The password users' secrets of a users resource that administers this database (its master
  // secret is one of the database's): each one is a login, through the proxy or the Data API.
  for (const users of templates.resourcesOfType('Custom::DatabaseUsers')) {
    const props = templates.props(users);
    const master = templates.references(users.template, props.MasterSecretArn);
    if (!master.some(m => secrets.some(s => TemplateSet.same(s, m)))) continue;
    for (const user of asList(props.Users)) {
      secrets.push(...templates.references(users.template, user?.PasswordSecretArn));
    }
  }

  return {
    instance,
    proxy,
    cluster: cluster?.cluster,
    // The Data API runs on the writer only: a budget served by a read-only endpoint (the readers) never sees it.
    dataApi: cluster && !proxyEndpoint ? templates.props(cluster.cluster).EnableHttpEndpoint === true : undefined,
    maxConnections,
    maxConnectionsSource,
    proxyMaxConnectionsPercent,
    proxyMaxIdleConnectionsPercent,
    instanceSecurityGroups,
    proxySecurityGroups,
    port: cluster ? cluster.port : templates.number(t, instanceProps.Port),
    vpc: vpcSource ? templates.target(vpcSource.g.template, vpcSource.vpc) : undefined,
    vpcLiteral: vpcSource ? templates.literal(vpcSource.g.template, vpcSource.vpc) : undefined,
    secrets,
    unknowns,
  };
}

/** The VPC a security group belongs to, as a comparable key. */
export function vpcKeyOfGroup(templates: TemplateSet, group: ResourceRef): string | undefined {
  const vpc = templates.props(group).VpcId;
  const target = templates.target(group.template, vpc);
  return target ? `${target.template.templatePath}#${target.logicalId}` : templates.literal(group.template, vpc);
}

/** The database's VPC, as the same kind of key. */
export function vpcKeyOfDatabase(facts: DatabaseFacts): string | undefined {
  return facts.vpc ? `${facts.vpc.template.templatePath}#${facts.vpc.logicalId}` : facts.vpcLiteral;
}
