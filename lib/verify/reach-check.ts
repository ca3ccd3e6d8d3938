import { DatabaseFacts } from './database-facts';
import { asList, ResourceRef, StackTemplate, TemplateSet, CfnJson } from './template-set';

/** A security group as a function lists it: a resource of the app, or an id known only as text. */
interface GroupId {
  readonly ref?: ResourceRef;
  readonly literal?: string;
}

/**
 * Whether a function with these security groups can open a TCP connection to the database's
 * proxy or instance: an ingress rule of the target's group admits one of the function's groups
 * (or CfnJson address range) on the port, and the function's groups let the traffic out.
 * Returns what it reaches, or undefined.
 */
export function reachedDoor(templates: TemplateSet, facts: DatabaseFacts, template: StackTemplate, vpcConfig: CfnJson): string | undefined {
  if (!vpcConfig || vpcConfig.SecurityGroupIds === undefined) {
    return undefined;
  }
  const own = asList(vpcConfig.SecurityGroupIds).map(v => groupId(templates, template, v));
  const doors: Array<[string, ResourceRef[]]> = [['proxy', facts.proxySecurityGroups], ['instance', facts.instanceSecurityGroups]];
  for (const [door, groups] of doors) {
    for (const target of groups) {
      if (admits(templates, target, own, facts.port) && own.some(g => letsOut(templates, g, target, facts.port))) {
        return door;
      }
    }
  }
  return undefined;
}

function groupId(templates: TemplateSet, template: StackTemplate, value: CfnJson): GroupId {
  return { ref: templates.target(template, value), literal: templates.literal(template, value) };
}

function sameGroup(a: GroupId, b: GroupId): boolean {
  return TemplateSet.same(a.ref, b.ref) || (a.literal !== undefined && a.literal === b.literal);
}

/** Ingress rules of `target`: inline ones and `AWS::EC2::SecurityGroupIngress` resources. */
function admits(templates: TemplateSet, target: ResourceRef, sources: GroupId[], port?: number): boolean {
  const rules = [
    ...asList(templates.props(target).SecurityGroupIngress).map(rule => ({ template: target.template, rule })),
    ...templates.resourcesOfType('AWS::EC2::SecurityGroupIngress')
      .filter(r => TemplateSet.same(templates.target(r.template, templates.props(r).GroupId), target))
      .map(r => ({ template: r.template, rule: templates.props(r) })),
  ];
  return rules.some(({ template, rule }) => {
    if (!coversPort(templates, template, rule, port)) {
      return false;
    }
    if (rule.SourceSecurityGroupId === undefined) {
      return true; // an address range or a prefix list: CfnJson client in the network
    }
    const source = groupId(templates, template, rule.SourceSecurityGroupId);
    return sources.some(s => sameGroup(s, source));
  });
}

/** Egress of one of the function's groups toward `target`. A group the app does not define is assumed open. */
function letsOut(templates: TemplateSet, group: GroupId, target: ResourceRef, port?: number): boolean {
  if (!group.ref || templates.resource(group.ref).Type !== 'AWS::EC2::SecurityGroup') {
    return true;
  }
  const inline = asList(templates.props(group.ref).SecurityGroupEgress);
  if (inline.length === 0) {
    return true; // CloudFormation keeps the default allow-all egress rule
  }
  const rules = [
    ...inline.map(rule => ({ template: group.ref!.template, rule })),
    ...templates.resourcesOfType('AWS::EC2::SecurityGroupEgress')
      .filter(r => TemplateSet.same(templates.target(r.template, templates.props(r).GroupId), group.ref))
      .map(r => ({ template: r.template, rule: templates.props(r) })),
  ];
  return rules.some(({ template, rule }) => {
    if (!coversPort(templates, template, rule, port)) {
      return false;
    }
    if (rule.DestinationSecurityGroupId === undefined) {
      return true;
    }
    return sameGroup(groupId(templates, template, rule.DestinationSecurityGroupId), { ref: target });
  });
}

function coversPort(templates: TemplateSet, template: StackTemplate, rule: CfnJson, port?: number): boolean {
  const protocol = String(templates.literal(template, rule.IpProtocol) ?? '-1').toLowerCase();
  if (protocol === '-1' || protocol === 'all') {
    return true;
  }
  if (protocol !== 'tcp' && protocol !== '6') {
    return false;
  }
  if (port === undefined) {
    return true;
  }
  const from = templates.number(template, rule.FromPort) ?? 0;
  const to = templates.number(template, rule.ToPort) ?? 65535;
  return from <= port && port <= to;
}
