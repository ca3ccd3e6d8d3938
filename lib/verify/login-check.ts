import { DatabaseFacts } from './database-facts';
import { asList, ResourceRef, StackTemplate, TemplateSet, CfnJson } from './template-set';

/**
 * AWS managed policies a Lambda function commonly carries that grant neither `rds-db:connect`
 * nor reading a secret. Any other managed policy the templates do not contain is assumed to let
 * its holder log in: the check cannot read it, and the budget must not miss a client.
 */
const HARMLESS_AWS_MANAGED_POLICIES = new Set([
  'service-role/AWSLambdaBasicExecutionRole',
  'service-role/AWSLambdaVPCAccessExecutionRole',
  'service-role/AWSLambdaSQSQueueExecutionRole',
  'service-role/AWSLambdaKinesisExecutionRole',
  'service-role/AWSLambdaDynamoDBExecutionRole',
  'service-role/AWSLambdaMSKExecutionRole',
  'service-role/AWSLambdaENIManagementAccess',
  'AWSXRayDaemonWriteAccess',
  'AWSXrayWriteOnlyAccess',
  'CloudWatchLambdaInsightsExecutionRolePolicy',
  'CloudWatchLambdaApplicationSignalsExecutionRolePolicy',
]);

/** The actions that let a principal log in: IAM authentication, or reading the password. */
const LOGIN_ACTIONS = ['rds-db:connect', 'secretsmanager:GetSecretValue'];

/** Why a role may log in to the database, or undefined when it cannot. */
export function loginGrant(templates: TemplateSet, facts: DatabaseFacts, template: StackTemplate, roleValue: CfnJson): string | undefined {
  const role = templates.target(template, roleValue);
  if (!role || templates.resource(role).Type !== 'AWS::IAM::Role') {
    return roleValue === undefined ? undefined : 'its role is not defined in the app, so what it may do cannot be read';
  }
  for (const document of policyDocuments(templates, role)) {
    if (typeof document === 'string') {
      return document;
    }
    const reason = documentGrantsLogin(templates, facts, document.template, document.body);
    if (reason) {
      return reason;
    }
  }
  return undefined;
}

/** Managed policies whose name says they may reach the Data API. */
const WIDE_MANAGED_POLICY = /RDS|Administrator|PowerUser/i;

/** The Data API actions that run SQL. */
const DATA_API_ACTIONS = ['rds-data:ExecuteStatement', 'rds-data:BatchExecuteStatement', 'rds-data:BeginTransaction'];

/**
 * Why a role may run statements on the database's cluster through the Data API (needing no
 * network path), or undefined when it cannot.
 */
export function dataApiGrant(templates: TemplateSet, facts: DatabaseFacts, template: StackTemplate, roleValue: CfnJson): string | undefined {
  const role = templates.target(template, roleValue);
  if (!role || templates.resource(role).Type !== 'AWS::IAM::Role') {
    return undefined;
  }
  for (const document of policyDocuments(templates, role)) {
    if (typeof document === 'string') {
      // Any function may call the Data API, so an unreadable policy counts only when its name says
      // it may (AmazonRDSDataFullAccess, AdministratorAccess, ...): otherwise every function of
      // the account with a managed policy would be a client.
      if (WIDE_MANAGED_POLICY.test(document)) {
        return document;
      }
      continue;
    }
    const reason = documentGrants(templates, facts, document.template, document.body, DATA_API_ACTIONS);
    if (reason) {
      return reason;
    }
  }
  return undefined;
}

type PolicySource = string | { template: StackTemplate; body: CfnJson };

/** Every policy document attached to the role, or a reason string when one cannot be read. */
function policyDocuments(templates: TemplateSet, role: ResourceRef): PolicySource[] {
  const props = templates.props(role);
  const documents: PolicySource[] = asList(props.Policies).map(p => ({ template: role.template, body: p.PolicyDocument }));
  for (const arn of asList(props.ManagedPolicyArns)) {
    const managed = templates.target(role.template, arn);
    if (managed && templates.resource(managed).Type === 'AWS::IAM::ManagedPolicy') {
      documents.push({ template: managed.template, body: templates.props(managed).PolicyDocument });
      continue;
    }
    const name = awsManagedPolicyName(templates, role.template, arn);
    if (name === undefined || !HARMLESS_AWS_MANAGED_POLICIES.has(name)) {
      documents.push(`its role has the managed policy ${name ? `'${name}'` : JSON.stringify(arn)}, whose statements are not in the app`);
    }
  }
  const attached = (ref: ResourceRef, key: string) => asList(templates.props(ref)[key])
    .some(v => TemplateSet.same(templates.target(ref.template, v), role));
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const policy of templates.resourcesOfType(type)) {
      if (attached(policy, 'Roles')) {
        documents.push({ template: policy.template, body: templates.props(policy).PolicyDocument });
      }
    }
  }
  for (const policy of templates.resourcesOfType('AWS::IAM::RolePolicy')) {
    if (attached(policy, 'RoleName')) {
      documents.push({ template: policy.template, body: templates.props(policy).PolicyDocument });
    }
  }
  return documents;
}

/** `service-role/AWSLambdaBasicExecutionRole` for the ARN of an AWS managed policy, else undefined. */
function awsManagedPolicyName(templates: TemplateSet, template: StackTemplate, arn: CfnJson): string | undefined {
  const parts: string[] = [];
  const flatten = (v: CfnJson) => {
    if (typeof v === 'string') {
      parts.push(v);
    } else if (v && typeof v === 'object' && Array.isArray(v['Fn::Join'])) {
      asList(v['Fn::Join'][1]).forEach(flatten);
    } else if (v && typeof v === 'object' && v.Ref === 'AWS::Partition') {
      parts.push('aws');
    } else {
      const text = templates.literal(template, v);
      parts.push(text ?? '\uFFFF');
    }
  };
  flatten(arn);
  const match = /^arn:[^:]+:iam::aws:policy\/([^\uFFFF]+)$/.exec(parts.join(''));
  return match ? match[1] : undefined;
}

function documentGrantsLogin(templates: TemplateSet, facts: DatabaseFacts, template: StackTemplate, document: CfnJson): string | undefined {
  return documentGrants(templates, facts, template, document, LOGIN_ACTIONS);
}

function documentGrants(templates: TemplateSet, facts: DatabaseFacts, template: StackTemplate, document: CfnJson, actions: string[]): string | undefined {
  for (const statement of asList(document?.Statement)) {
    if (statement?.Effect !== 'Allow') {
      continue;
    }
    for (const action of actions) {
      if (!allowsAction(statement, action)) {
        continue;
      }
      const resources = statement.NotResource !== undefined ? ['*'] : asList(statement.Resource);
      const hit = resources.find(r => resourceMayBeDatabase(templates, facts, template, r, action));
      if (hit !== undefined) {
        return `its role allows ${action} on ${typeof hit === 'string' ? hit : 'the database'}`;
      }
    }
  }
  return undefined;
}

function allowsAction(statement: CfnJson, action: string): boolean {
  if (statement.NotAction !== undefined) {
    return !asList(statement.NotAction).some(a => typeof a === 'string' && wildcardMatch(a, action));
  }
  return asList(statement.Action).some(a => typeof a !== 'string' || wildcardMatch(a, action));
}

/**
 * A resource may be the database's when it refers to its proxy, instance or secret, or is a
 * literal the check cannot tell apart (a wildcard, or an ARN of the same service).
 */
function resourceMayBeDatabase(templates: TemplateSet, facts: DatabaseFacts, template: StackTemplate, resource: CfnJson, action: string): boolean {
  const literal = templates.literal(template, resource);
  if (literal !== undefined) {
    const service = action.split(':')[0];
    return literal.includes('*') || literal.includes(`:${service}:`);
  }
  const refs = templates.references(template, resource);
  const own = [facts.instance, ...(facts.proxy ? [facts.proxy] : []), ...(facts.cluster ? [facts.cluster] : []), ...facts.secrets];
  if (refs.some(r => own.some(o => TemplateSet.same(o, r)))) {
    return true;
  }
  // A value built from pseudo parameters and literals only (no resource): judge its text.
  if (refs.length === 0) {
    const text = JSON.stringify(resource);
    return text.includes('*') || text.includes(`:${action.split(':')[0]}:`);
  }
  return false;
}

function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp('^' + pattern.split('*').map(p => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\?/g, '.')).join('.*') + '$', 'i');
  return regex.test(value);
}
