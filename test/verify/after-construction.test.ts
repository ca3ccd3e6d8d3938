import { Aspects, CfnParameter, IAspect } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { IConstruct } from 'constructs';
import { budgetArtifact, synthFailure, synthOk, templateOf } from './verify-test-utils';
import { DatabaseEnvironmentVariables } from '../../lib';
import { inlineFunctionProps, newDatabase } from '../helpers';

// PostgreSQL 17 on db.t4g.medium: max_connections 394, capacity 365, proxy pool 362 (92%),
// 30% headroom 109, so 253 connections may be allocated through the proxy.

describe('what a CDK app changes after construction is checked in the synthesized templates', () => {
  test('an escape hatch raising reserved concurrency fails synth with the table as deployed', () => {
    const { app, db } = newDatabase();
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 500;

    const failure = synthFailure(app);
    expect(failure).toContain('The synthesized templates do not fit the connection budget of TestStack/Db');
    expect(failure).toMatch(/function Db\/Functions\/Api\s+proxy\s+500 reserved\s+1\s+500/);
    expect(failure).toContain('need 500 connections but 253 may be allocated');
    expect(failure).toContain('Db/Functions/Api: 500 execution environments in the template; the budget counted 10');
  });

  test('an Aspect that rewrites every function is checked too', () => {
    const { app, db } = newDatabase();
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    class RaiseConcurrency implements IAspect {
      public visit(node: IConstruct): void {
        if (node instanceof lambda.CfnFunction) {
          node.addPropertyOverride('ReservedConcurrentExecutions', 300);
        }
      }
    }
    Aspects.of(app).add(new RaiseConcurrency());
    expect(synthFailure(app)).toMatch(/function Db\/Functions\/Api\s+proxy\s+300 reserved/);
  });

  test('a raw override deleting the reserved concurrency leaves the function unbounded: synth fails', () => {
    const { app, db } = newDatabase();
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyDeletionOverride('ReservedConcurrentExecutions');
    expect(synthFailure(app)).toContain('has no ReservedConcurrentExecutions in the template, so nothing bounds its execution environments');
  });

  test('a change that still fits is reported as a warning, and the artifact holds what is deployed', () => {
    const { app, stack, db } = newDatabase();
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 20;
    synthOk(app);
    const artifact = budgetArtifact(app, stack);
    expect(artifact.source).toBe('synthesized templates');
    expect(artifact.allocations.find((a: any) => a.name === 'Db/Functions/Api').reservedConcurrency).toBe(20);
    expect(artifact.drift).toEqual(['Db/Functions/Api: 20 execution environments in the template; the budget counted 10']);
  });

  test('max_connections lowered through the parameter group fails synth with the template value', () => {
    const { app, db } = newDatabase();
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 40 });
    (db.parameterGroup as rds.ParameterGroup).addParameter('max_connections', '50');

    const failure = synthFailure(app);
    expect(failure).toMatch(/max_connections \(template: parameter group\)\s+50/);
    expect(failure).toContain('max_connections is 50 in the template (template: parameter group); the budget counted 394');
    expect(failure).toContain('need 40 connections but');
  });

  test('a connections-per-invocation variable raised after wiring is counted', () => {
    const { app, db } = newDatabase();
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 40 });
    fn.addEnvironment(DatabaseEnvironmentVariables.CONNECTIONS_PER_INVOCATION, '10');

    const failure = synthFailure(app);
    expect(failure).toMatch(/function Db\/Functions\/Api\s+proxy\s+40 reserved\s+10\s+400/);
    expect(failure).toContain('Db/Functions/Api: 10 connections per environment in the template; the budget counted 1');
  });

  test('a connections variable that is not a whole number fails synth naming it', () => {
    const { app, db } = newDatabase();
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 4 });
    fn.addEnvironment(DatabaseEnvironmentVariables.CONNECTIONS_PER_INVOCATION, 'many');
    expect(synthFailure(app)).toContain(`${DatabaseEnvironmentVariables.CONNECTIONS_PER_INVOCATION} is "many", not a positive whole number`);
  });

  test('the proxy pool raised by an override beyond the capacity fails synth', () => {
    const { app, stack, db } = newDatabase();
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 4 });
    const group = db.proxy.node.findAll().find(c => c instanceof rds.CfnDBProxyTargetGroup) as rds.CfnDBProxyTargetGroup;
    group.addPropertyOverride('ConnectionPoolConfigurationInfo.MaxConnectionsPercent', 100);

    const failure = synthFailure(app);
    expect(failure).toContain('proxyMaxConnectionsPercent 100 lets the proxy open 394 connections');
    expect(templateOf(app, stack)).toBeDefined();
  });

  test('an idle percentage above the pool percentage, set by override, fails synth', () => {
    const { app, db } = newDatabase();
    const group = db.proxy.node.findAll().find(c => c instanceof rds.CfnDBProxyTargetGroup) as rds.CfnDBProxyTargetGroup;
    group.addPropertyOverride('ConnectionPoolConfigurationInfo.MaxIdleConnectionsPercent', 95);
    expect(synthFailure(app)).toContain("The proxy's MaxIdleConnectionsPercent (95) exceeds its MaxConnectionsPercent (92)");
  });
});

describe('figures the template check cannot read are errors, not guesses', () => {
  test('a reserved concurrency that is a deploy-time parameter', () => {
    const { app, stack, db } = newDatabase();
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const limit = new CfnParameter(stack, 'Limit', { type: 'Number', default: 10 });
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('ReservedConcurrentExecutions', limit.valueAsNumber);
    expect(synthFailure(app)).toMatch(/has ReservedConcurrentExecutions \{"Ref":"Limit"\} in the template, not a number known at synth time/);
  });

  test('a reserved concurrency written as a string is read as its number', () => {
    const { app, db } = newDatabase();
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('ReservedConcurrentExecutions', '400');
    expect(synthFailure(app)).toMatch(/function Db\/Functions\/Api\s+proxy\s+400 reserved/);
  });
});
