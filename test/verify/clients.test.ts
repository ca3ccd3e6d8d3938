import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { synthFailure, synthOk } from './verify-test-utils';
import { ConnectionPath } from '../../lib';
import { inlineFunctionProps, newDatabase } from '../helpers';

/** grantConnect() hands out the master login, which the proxy accepts only without per-function users. */
const MASTER_LOGIN = { functionUsers: false };

/** A function the user builds beside the database, in its VPC. */
function ownFunction(scope: ec2.Vpc['stack'], id: string, vpc: ec2.IVpc, securityGroups: ec2.ISecurityGroup[], extra: Partial<lambda.FunctionProps> = {}) {
  return new lambda.Function(scope, id, { ...inlineFunctionProps(), vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, securityGroups, ...extra });
}

describe('every function that can log in and reach the database is counted', () => {
  test('db.grantConnect() on a function in the client security group fails synth naming the fix', () => {
    const { app, stack, vpc, db } = newDatabase(MASTER_LOGIN);
    const fn = ownFunction(stack, 'Reporting', vpc, [db.clientSecurityGroup]);
    db.grantConnect(fn);

    const failure = synthFailure(app);
    expect(failure).toMatch(/Function TestStack\/Reporting[0-9A-F]+ can reach the proxy of TestStack\/Db and log in \(its role allows rds-db:connect/);
    expect(failure).toContain('wire it with db.connectFunction(fn)');
    expect(failure).toContain("db.budget.reserve('name', connections, { consumers: [fn] })");
  });

  test('db.proxy.grantConnect() is caught the same way', () => {
    const { app, stack, vpc, db } = newDatabase(MASTER_LOGIN);
    const fn = ownFunction(stack, 'Reporting', vpc, [db.clientSecurityGroup]);
    db.proxy.grantConnect(fn, 'dbadmin');
    expect(synthFailure(app)).toMatch(/Reporting[0-9A-F]+ can reach the proxy/);
  });

  test('reading the secret is a login too, and reaching the instance directly is a path too', () => {
    const { app, stack, vpc, db } = newDatabase(MASTER_LOGIN);
    const group = new ec2.SecurityGroup(stack, 'Direct', { vpc });
    db.instance.connections.allowFrom(group, ec2.Port.tcp(5432));
    const fn = ownFunction(stack, 'Migrate', vpc, [group]);
    db.secret.grantRead(fn);
    expect(synthFailure(app)).toMatch(/Migrate[0-9A-F]+ can reach the instance of TestStack\/Db and log in \(its role allows secretsmanager:GetSecretValue/);
  });

  test('a broad managed policy the check cannot read counts as a login', () => {
    const { app, stack, vpc, db } = newDatabase(MASTER_LOGIN);
    const fn = ownFunction(stack, 'Admin', vpc, [db.clientSecurityGroup]);
    fn.role!.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess'));
    expect(synthFailure(app)).toContain("its role has the managed policy 'AdministratorAccess'");
  });

  test('a wildcard statement counts as a login', () => {
    const { app, stack, vpc, db } = newDatabase(MASTER_LOGIN);
    const fn = ownFunction(stack, 'Wild', vpc, [db.clientSecurityGroup]);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['rds-db:*'], resources: ['*'] }));
    expect(synthFailure(app)).toContain('its role allows rds-db:connect on *');
  });

  test('a proxy opened to an address range lets every function of the VPC in: those that can log in are caught', () => {
    const { app, stack, vpc, db } = newDatabase(MASTER_LOGIN);
    db.proxy.connections.allowFrom(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(5432));
    const fn = ownFunction(stack, 'Anywhere', vpc, []);
    db.grantConnect(fn);
    expect(synthFailure(app)).toMatch(/Anywhere[0-9A-F]+ can reach the proxy/);
  });

  test('a function that can log in but has no network path, or a path but no login, is no client', () => {
    const { app, stack, vpc, db } = newDatabase(MASTER_LOGIN);
    const unreachable = ownFunction(stack, 'NoPath', vpc, [new ec2.SecurityGroup(stack, 'Other', { vpc })]);
    db.grantConnect(unreachable);
    ownFunction(stack, 'NoLogin', vpc, [db.clientSecurityGroup]);
    synthOk(app);
  });

  test('a function closed by its own egress rules cannot reach the proxy', () => {
    const { app, stack, vpc, db } = newDatabase(MASTER_LOGIN);
    const closed = new ec2.SecurityGroup(stack, 'Closed', { vpc, allowAllOutbound: false });
    // Ingress only: the function's own group keeps no egress rule toward the proxy.
    db.proxy.connections.securityGroups[0].addIngressRule(closed, ec2.Port.tcp(5432));
    const fn = ownFunction(stack, 'Egressless', vpc, [closed]);
    db.grantConnect(fn);
    synthOk(app);
  });

  test('a reservation naming its functions counts them, and fails when they can hold more than it reserves', () => {
    const fits = newDatabase(MASTER_LOGIN);
    const migrate = ownFunction(fits.stack, 'Migrate', fits.vpc, [fits.db.clientSecurityGroup], { reservedConcurrentExecutions: 2 });
    fits.db.grantConnect(migrate);
    fits.db.budget.reserve('Migrations', 2, { path: ConnectionPath.PROXY, consumers: [migrate] });
    synthOk(fits.app);

    const over = newDatabase(MASTER_LOGIN);
    const many = ownFunction(over.stack, 'Migrate', over.vpc, [over.db.clientSecurityGroup], { reservedConcurrentExecutions: 5 });
    over.db.grantConnect(many);
    over.db.budget.reserve('Migrations', 2, { path: ConnectionPath.PROXY, consumers: [many] });
    expect(synthFailure(over.app)).toContain("The functions behind the reservation 'Migrations' may hold 5 connections");

    const unbounded = newDatabase(MASTER_LOGIN);
    const free = ownFunction(unbounded.stack, 'Migrate', unbounded.vpc, [unbounded.db.clientSecurityGroup]);
    unbounded.db.grantConnect(free);
    unbounded.db.budget.reserve('Migrations', 2, { path: ConnectionPath.PROXY, consumers: [free] });
    expect(synthFailure(unbounded.app)).toContain('has no ReservedConcurrentExecutions in the template');
  });

  test('wired functions pass: what the database creates and connects is counted', () => {
    const { app, stack, vpc, db } = newDatabase(MASTER_LOGIN);
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const own = ownFunction(stack, 'Own', vpc, [db.clientSecurityGroup]);
    db.connectFunction(own);
    synthOk(app);
  });
});
