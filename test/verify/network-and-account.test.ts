import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as fs from 'fs';
import * as path from 'path';
import { synthFailure, synthOk, templateOf } from './verify-test-utils';
import { IServerlessDatabase, ServerlessDatabase } from '../../lib';
import { inlineFunctionProps, newDatabase, newVpc, POSTGRES_17, R6G_LARGE, T4G_MEDIUM } from '../helpers';

/** Without per-function users: the users handler would add its own reservation (1 concurrency, 1 connection) to the figures below, which are of the functions alone. */
const FUNCTIONS_ONLY = { functionUsers: false } as const;

const ENV = { account: '123456789012', region: 'eu-west-1' };

const vpcOf = newVpc;

describe('a wired function runs in the database\'s VPC', () => {
  test('vpcSubnets of another VPC are refused when the function is created', () => {
    const { stack, db } = newDatabase(FUNCTIONS_ONLY);
    const other = vpcOf(stack, 'Other');
    expect(() => db.addFunction('Api', { ...inlineFunctionProps(), vpcSubnets: { subnets: other.privateSubnets } }))
      .toThrow("`vpcSubnets` names 2 subnet(s) outside the database's VPC");
  });

  test('connectFunction() on a function of another VPC fails synth naming the VPC', () => {
    const { app, stack, db } = newDatabase(FUNCTIONS_ONLY);
    const other = vpcOf(stack, 'Other');
    const fn = new lambda.Function(stack, 'Elsewhere', { ...inlineFunctionProps(), vpc: other });
    db.connectFunction(fn);
    const failure = synthFailure(app);
    expect(failure).toMatch(/Function TestStack\/Elsewhere[0-9A-F]+ uses the security group TestStack\/ElsewhereSecurityGroup[0-9A-F]+ of another VPC than TestStack\/Db's/);
    expect(failure).toMatch(/is placed in the subnet TestStack\/OtherPrivateSubnet1Subnet[0-9A-F]+ of another VPC/);
  });

  test('an isolated-only VPC without a Secrets Manager endpoint is refused: rotation could never run', () => {
    const app = new App();
    const stack = new Stack(app, 'Isolated', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    new ServerlessDatabase(stack, 'Db', { ...FUNCTIONS_ONLY, vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM });
    const failure = synthFailure(app);
    expect(failure).toContain('The rotation function of Isolated/Db runs in isolated subnets (no route out) and the VPC has no Secrets Manager endpoint');
    expect(failure).toContain('`secretsManagerEndpoint`');
  });

  test('with an endpoint in the VPC, or rotation off, the isolated VPC works', () => {
    const app = new App();
    const stack = new Stack(app, 'Isolated', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const endpoint = vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
    new ServerlessDatabase(stack, 'Db', { ...FUNCTIONS_ONLY, vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, secretsManagerEndpoint: endpoint });
    new ServerlessDatabase(stack, 'NoRotation', { ...FUNCTIONS_ONLY, vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, rotation: false });
    synthOk(app);
  });
});

describe('the account is one budget', () => {
  test('two stacks of the same account and region cannot reserve more than the account together', () => {
    const app = new App();
    const one = new Stack(app, 'One', { env: ENV });
    const db = new ServerlessDatabase(one, 'Db', { ...FUNCTIONS_ONLY, vpc: vpcOf(one), engine: POSTGRES_17, instanceType: R6G_LARGE });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 450 });
    const two = new Stack(app, 'Two', { env: ENV });
    new lambda.Function(two, 'Busy', { ...inlineFunctionProps(), reservedConcurrentExecutions: 450 });
    new lambda.Function(two, 'Busier', { ...inlineFunctionProps(), reservedConcurrentExecutions: 450 });

    const failure = synthFailure(app);
    expect(failure).toContain('The functions reserve 1350 concurrency (450 here, 900 by other functions of the account) but the account can reserve 900');
  });

  test('the same stacks in another region do not share the account budget', () => {
    const app = new App();
    const one = new Stack(app, 'One', { env: ENV });
    const db = new ServerlessDatabase(one, 'Db', { ...FUNCTIONS_ONLY, vpc: vpcOf(one), engine: POSTGRES_17, instanceType: R6G_LARGE });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 450 });
    const two = new Stack(app, 'Two', { env: { ...ENV, region: 'us-east-1' } });
    new lambda.Function(two, 'Busy', { ...inlineFunctionProps(), reservedConcurrentExecutions: 800 });
    synthOk(app);
  });

  test('two databases of one account: both budgets see each other\'s functions', () => {
    const app = new App();
    const dbs = ['One', 'Two'].map(id => {
      const stack = new Stack(app, id, { env: ENV });
      return new ServerlessDatabase(stack, 'Db', { ...FUNCTIONS_ONLY, vpc: vpcOf(stack), engine: POSTGRES_17, instanceType: R6G_LARGE });
    });
    dbs[0].addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 500 });
    dbs[1].addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 500 });
    expect(synthFailure(app)).toContain('The functions reserve 1000 concurrency (500 here, 500 by other functions of the account)');
  });

  test('a function without its own concurrency takes a bounded share, not the whole account', () => {
    const app = new App();
    const stack = new Stack(app, 'One', { env: ENV });
    const db = new ServerlessDatabase(stack, 'Db', { ...FUNCTIONS_ONLY, vpc: vpcOf(stack), engine: POSTGRES_17, instanceType: R6G_LARGE });
    db.addFunction('Api', inlineFunctionProps());
    const other = new Stack(app, 'Other', { env: ENV });
    new lambda.Function(other, 'Busy', { ...inlineFunctionProps(), reservedConcurrentExecutions: 300 });
    synthOk(app);
    const api = Object.entries<any>(templateOf(app, stack).Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.includes('Api'))![1];
    // (900 reservable - 300 elsewhere) x 50% for functions without their own cap
    expect(api.Properties.ReservedConcurrentExecutions).toBe(300);
  });

  test('stacks without an explicit environment are checked as one account, with a warning saying so', () => {
    const app = new App();
    const one = new Stack(app, 'One');
    new ServerlessDatabase(one, 'Db', { ...FUNCTIONS_ONLY, vpc: vpcOf(one), engine: POSTGRES_17, instanceType: T4G_MEDIUM }).addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const two = new Stack(app, 'Two');
    new lambda.Function(two, 'Busy', { ...inlineFunctionProps(), reservedConcurrentExecutions: 895 });
    expect(synthFailure(app)).toContain('The functions reserve 905 concurrency (10 here, 895 by other functions of the account)');

    const calm = new App();
    const a = new Stack(calm, 'One');
    new ServerlessDatabase(a, 'Db', { ...FUNCTIONS_ONLY, vpc: vpcOf(a), engine: POSTGRES_17, instanceType: T4G_MEDIUM });
    new Stack(calm, 'Two');
    const outdir = synthOk(calm);
    const report = fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8');
    expect(report).toContain('2 stacks have no explicit account or region (One, Two)');
  });
});

describe('functions in other stacks', () => {
  function twoStacks() {
    const app = new App();
    const dataStack = new Stack(app, 'Data', { env: ENV });
    const db: IServerlessDatabase = new ServerlessDatabase(dataStack, 'Db', { ...FUNCTIONS_ONLY, vpc: vpcOf(dataStack), engine: POSTGRES_17, instanceType: T4G_MEDIUM });
    const apiStack = new Stack(app, 'Api', { env: ENV });
    const fn = new lambda.Function(apiStack, 'Handler', {
      ...inlineFunctionProps(), vpc: db.vpc, vpcSubnets: db.functionSubnets, securityGroups: [db.clientSecurityGroup], reservedConcurrentExecutions: 20,
    });
    db.connectFunction(fn);
    return { app, dataStack, apiStack, db, fn };
  }

  test('connectFunction() through IServerlessDatabase wires a function of another stack without a cycle', () => {
    const { app, dataStack, apiStack } = twoStacks();
    synthOk(app);
    expect(apiStack.dependencies).toContain(dataStack);
    expect(dataStack.dependencies).toEqual([]);
    const budget = fs.readdirSync(app.outdir).find(f => f.startsWith('Data.') && f.endsWith('.connection-budget.json'))!;
    const plan = JSON.parse(fs.readFileSync(path.join(app.outdir, budget), 'utf8'));
    expect(plan.allocations.map((a: any) => a.name)).toEqual(['Api/Handler']);
  });

  test('the function in the other stack is checked in its own template', () => {
    const { app, fn } = twoStacks();
    (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 400;
    expect(synthFailure(app)).toMatch(/function Api\/Handler\s+proxy\s+400 reserved/);
  });
});
