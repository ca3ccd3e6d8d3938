import { Fn, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { synthFailure } from './verify-test-utils';
import { inlineFunctionProps, newDatabase } from '../helpers';

describe('mistakes get messages that name the cause and the fix', () => {
  test('an instance type written with RDS\'s db. prefix', () => {
    expect(() => newDatabase({ instanceType: new ec2.InstanceType('db.t4g.medium') }))
      .toThrow("TestStack/Db: `instanceType` is 'db.t4g.medium', but ec2.InstanceType takes the class without RDS's 'db.' prefix (RDS would get 'db.db.t4g.medium'): use new ec2.InstanceType('t4g.medium')");
  });

  test('an instance class from a token, without maxConnections', () => {
    const instanceType = new ec2.InstanceType(Token.asString(Fn.ref('InstanceClass')));
    expect(() => newDatabase({ instanceType })).toThrow('TestStack/Db: `instanceType` is a token, unknown until deployment');
    expect(() => newDatabase({ instanceType, maxConnections: 400 })).not.toThrow();
  });

  test('the same function id twice', () => {
    const { db } = newDatabase();
    db.addFunction('Api', inlineFunctionProps());
    expect(() => db.addFunction('Api', inlineFunctionProps())).toThrow("TestStack/Db already has a function with the id 'Api': give each wired function its own id");
  });

  test('a string where a number is needed', () => {
    const { db } = newDatabase();
    expect(() => db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: '40' as unknown as number }))
      .toThrow("`reservedConcurrentExecutions of function 'Api'` must be a number, got the string '40': pass 40, not '40'");
    expect(() => newDatabase({ maxConnections: 'many' as unknown as number }))
      .toThrow("`maxConnections` must be a number, got the string 'many': pass a number");
  });

  test('a direct reservation larger than the capacity says so, with no negative figures', () => {
    const { app, db } = newDatabase();
    db.budget.reserve('Warehouse', 10000);
    const failure = synthFailure(app)!;
    expect(failure).toContain('Direct reservations take 10000 connections but the capacity is 365, leaving nothing for the proxy');
    expect(failure).not.toMatch(/of -\d/);
  });

  test('an account quota below the unreserved minimum says so, with no negative figures', () => {
    const { app, db } = newDatabase({ accountConcurrencyLimit: 50 });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 60 });
    const failure = synthFailure(app)!;
    expect(failure).toContain("The account's concurrency quota (accountConcurrencyLimit 50) does not exceed the concurrency Lambda keeps unreserved (unreservedConcurrencyMinimum 100)");
    expect(failure).not.toMatch(/of -\d/);
  });
});

describe('the proxy keeps AWS\'s headroom', () => {
  test('30% by default, shown as its own line', () => {
    const { app, db } = newDatabase();
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 254 });
    const failure = synthFailure(app)!;
    expect(failure).toMatch(/= proxy pool \(MaxConnectionsPercent 92\)\s+362/);
    expect(failure).toMatch(/- proxy headroom \(30%, AWS guidance\)\s+-109/);
    expect(failure).toMatch(/= allocatable through the proxy\s+253/);
  });

  test('proxyHeadroomPercent changes it, within 0..90', () => {
    const { db } = newDatabase({ proxyHeadroomPercent: 10 });
    expect(db.budget.plan().proxyAllocatable).toBe(325);
    expect(() => newDatabase({ proxyHeadroomPercent: 95 })).toThrow('`proxyHeadroomPercent` must be a whole number between 0 and 90, got: 95');
  });
});
