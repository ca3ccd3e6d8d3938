import { App, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { budgetArtifact, synthFailure, synthOk } from './verify-test-utils';
import { ServerlessDatabase } from '../../lib';
import { inlineFunctionProps, POSTGRES_17, T4G_MEDIUM } from '../helpers';

const ENV = { account: '123456789012', region: 'eu-west-1' };

function database(stack: Stack, functionUsers?: boolean): ServerlessDatabase {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  return new ServerlessDatabase(stack, 'Db', {
    functionUsers, vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
  });
}

describe('the template check covers stages and nested stacks', () => {
  test('a database in a Stage is checked in the stage\'s assembly', () => {
    const app = new App();
    const stack = new Stack(new Stage(app, 'Prod', { env: ENV }), 'Data');
    const fn = database(stack).addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 500;
    expect(synthFailure(app)).toContain('The synthesized templates do not fit the connection budget of Prod/Data/Db');
  });

  test('functions in a nested stack are counted, and an uncounted client there is found through the stack parameters', () => {
    const app = new App();
    const stack = new Stack(app, 'Data', { env: ENV });
    // The rogue client gets the master login (grantConnect), which exists only without per-function users.
    const db = database(stack, false);
    const nested = new NestedStack(stack, 'Fns');
    const fn = new lambda.Function(nested, 'Own', { ...inlineFunctionProps(), vpc: db.vpc, securityGroups: [db.clientSecurityGroup], reservedConcurrentExecutions: 10 });
    db.connectFunction(fn);
    synthOk(app);

    const rogue = new lambda.Function(nested, 'Rogue', { ...inlineFunctionProps(), vpc: db.vpc, securityGroups: [db.clientSecurityGroup] });
    db.grantConnect(rogue);
    const failure = synthFailure(app);
    expect(failure).toMatch(/Function Data\/Fns\/Rogue[0-9A-F]+ can reach the proxy of Data\/Db and log in/);
    expect(failure).not.toMatch(/Fns\/Own[0-9A-F]+ can reach/);
  });
});

describe('the budget files in a cloud assembly that is synthesized again', () => {
  test('an app that forbids plugins to change the assembly synthesizes twice, and the files follow the second synth', () => {
    const app = new App({ confirmValidationPluginsDoNotMutate: true } as ConstructorParameters<typeof App>[0]);
    const stack = new Stack(app, 'Data', { env: ENV });
    const fn = database(stack).addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    synthOk(app);
    expect(budgetArtifact(app, stack).allocations[0].environments).toBe(10);
    (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 20;
    synthOk(app);
    expect(budgetArtifact(app, stack).allocations[0].environments).toBe(20);
  });
});
