import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { logicalIdOf } from './template-helpers';
import { ServerlessDatabase, ServerlessDatabaseProps } from '../../lib';
import { newDatabase } from '../helpers';

/** A database and a role to grant to, synthesized after `grantConnect`. */
function grantToRole(overrides: Partial<ServerlessDatabaseProps> = {}) {
  // grantConnect() hands out the master login, which the proxy accepts only without per-function users.
  const { stack, db } = newDatabase({ functionUsers: false, ...overrides });
  const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  const grant = db.grantConnect(role);
  return { stack, db, role, grant, template: Template.fromStack(stack) };
}

/** `arn:<partition>:rds-db:<region>:<account>:dbuser:<prx-id>/<user>` as the template writes it. */
function proxyUserArn(db: ServerlessDatabase, user: string) {
  return {
    'Fn::Join': ['', [
      'arn:', { Ref: 'AWS::Partition' }, ':rds-db:eu-west-1:123456789012:dbuser:',
      { 'Fn::Select': [6, { 'Fn::Split': [':', { 'Fn::GetAtt': [logicalIdOf(db.proxy), 'DBProxyArn'] }] }] },
      `/${user}`,
    ]],
  };
}

/** The statements of the inline policy of `role`. */
function roleStatements(template: Template, stack: Stack, role: iam.Role): any[] {
  const roleRef = stack.resolve(role.roleName);
  const policies = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter(p => JSON.stringify(p.Properties.Roles) === JSON.stringify([roleRef]));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

describe('grantConnect with IAM authentication (default)', () => {
  let built: ReturnType<typeof grantToRole>;

  beforeAll(() => {
    // GIVEN a database with IAM authentication / WHEN a role is granted connect
    built = grantToRole();
  });

  test('adds rds-db:connect for dbadmin on the proxy resource id to the grantee policy, and nothing else', () => {
    // THEN
    const { template, stack, role, db } = built;
    expect(roleStatements(template, stack, role)).toEqual([
      { Effect: 'Allow', Action: 'rds-db:connect', Resource: proxyUserArn(db, 'dbadmin') },
    ]);
  });

  test('succeeds as an identity grant', () => {
    // THEN
    expect(built.grant.success).toBe(true);
  });

  test('adds nothing to the key policy', () => {
    // THEN
    const key = Object.values(built.template.findResources('AWS::KMS::Key'))[0];
    expect(JSON.stringify(key.Properties.KeyPolicy)).not.toContain(logicalIdOf(built.role));
  });

  test('opens no network path (no security group rule mentions anything new)', () => {
    // THEN same rule count as without the grant: db<-proxy, db<-rotation, proxy<-client; proxy->db, client->proxy
    built.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 3);
    built.template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 2);
  });
});

describe('grantConnect variants', () => {
  test('uses the configured username in the dbuser ARN', () => {
    // GIVEN / WHEN
    const { template, stack, role, db } = grantToRole({ username: 'appuser' });
    // THEN
    expect(roleStatements(template, stack, role)).toEqual([
      { Effect: 'Allow', Action: 'rds-db:connect', Resource: proxyUserArn(db, 'appuser') },
    ]);
  });

  test('with iamAuthentication false grants reading the secret instead of rds-db:connect', () => {
    // GIVEN / WHEN
    const { template, stack, role, db } = grantToRole({ iamAuthentication: false });
    // THEN the role may read the secret
    const statements = roleStatements(template, stack, role);
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: logicalIdOf(db.secret) } },
    ]);
    expect(JSON.stringify(statements)).not.toContain('rds-db:connect');
    // AND the key lets the role decrypt through Secrets Manager only
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Principal: { AWS: { 'Fn::GetAtt': [logicalIdOf(role), 'Arn'] } },
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
        }]),
      },
    });
  });

  test('can be called for several grantees, each getting its own statement', () => {
    // GIVEN
    const { stack, db } = newDatabase({ functionUsers: false });
    const first = new iam.Role(stack, 'First', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const second = new iam.Role(stack, 'Second', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // WHEN
    db.grantConnect(first);
    db.grantConnect(second);
    const template = Template.fromStack(stack);
    // THEN
    for (const role of [first, second]) {
      expect(roleStatements(template, stack, role)).toEqual([
        { Effect: 'Allow', Action: 'rds-db:connect', Resource: proxyUserArn(db, 'dbadmin') },
      ]);
    }
  });
});
