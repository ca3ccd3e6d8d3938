import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';

/** The logical ID of a construct's CloudFormation resource (its default child, or itself). */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

/** The logical ID of a security group. */
export function securityGroupId(sg: ec2.ISecurityGroup): string {
  return logicalIdOf(sg);
}

/** `{ 'Fn::GetAtt': [id, 'GroupId'] }`, how rules refer to a security group of the stack. */
export function groupIdRef(logicalId: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId, 'GroupId'] };
}

/** A rule of a security group, inline or standalone, in a comparable shape. */
export interface Rule {
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  /** Logical ID of the peer security group, when the peer is a group of this stack. */
  readonly peerGroup?: string;
  readonly cidr?: string;
}

/**
 * Every ingress (or egress) rule of the security group `logicalId`: the inline ones in its
 * `SecurityGroupIngress`/`SecurityGroupEgress` and the standalone AWS::EC2::SecurityGroup{Ingress,Egress}.
 */
export function rulesOf(template: Template, logicalId: string, direction: 'ingress' | 'egress'): Rule[] {
  const inlineKey = direction === 'ingress' ? 'SecurityGroupIngress' : 'SecurityGroupEgress';
  const standaloneType = direction === 'ingress' ? 'AWS::EC2::SecurityGroupIngress' : 'AWS::EC2::SecurityGroupEgress';
  const peerKey = direction === 'ingress' ? 'SourceSecurityGroupId' : 'DestinationSecurityGroupId';
  const group = template.findResources('AWS::EC2::SecurityGroup')[logicalId];
  if (!group) {
    throw new Error(`No security group ${logicalId} in the template`);
  }
  const inline: any[] = group.Properties[inlineKey] ?? [];
  const standalone = Object.values(template.findResources(standaloneType))
    .map(r => r.Properties)
    .filter(p => p.GroupId?.['Fn::GetAtt']?.[0] === logicalId);
  return [...inline, ...standalone].map(toRule(peerKey));
}

function toRule(peerKey: string) {
  return (p: any): Rule => ({
    protocol: p.IpProtocol,
    fromPort: p.FromPort,
    toPort: p.ToPort,
    peerGroup: p[peerKey]?.['Fn::GetAtt']?.[0],
    cidr: p.CidrIp ?? p.CidrIpv6,
  });
}

/** The whole template as one string, to check that something appears nowhere in it. */
export function templateJson(template: Template): string {
  return JSON.stringify(template.toJSON());
}

/**
 * `{ Ref }` of the customer-managed policy that lets a role log in as the database user its tag
 * names (per-function users), after checking that some role of the template is tagged with
 * `userName`: `rds-db:connect` for that user (IAM), or reading its secret (password).
 */
export function userLoginPolicyRef(template: Template, userName: string): { Ref: string } {
  const found = Object.entries(template.findResources('AWS::IAM::ManagedPolicy'))
    .filter(([, p]) => /the role's tag (serverless-rds-user-[0-9a-f]{8}) names$/.test(String(p.Properties.Description)));
  if (found.length !== 1) {
    throw new Error(`expected one shared login policy of the database users, found ${found.length}`);
  }
  const tagKey = /tag (serverless-rds-user-[0-9a-f]{8})/.exec(found[0][1].Properties.Description)![1];
  const tagged = Object.values(template.findResources('AWS::IAM::Role'))
    .filter(r => (r.Properties.Tags ?? []).some((t: { Key: string; Value: string }) => t.Key === tagKey && t.Value === userName));
  if (tagged.length === 0) {
    throw new Error(`no role is tagged ${tagKey}=${userName}`);
  }
  return { Ref: found[0][0] };
}
