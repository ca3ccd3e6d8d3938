import { Template } from 'aws-cdk-lib/assertions';
import { countByType } from './function-test-utils';
import { inlineFunctionProps, newDatabase } from '../helpers';

/** CloudFormation's limit of resources per stack. */
const STACK_RESOURCE_LIMIT = 500;

/** A synthesized stack with one database and `count` inline functions wired to it. */
function templateWithFunctions(count: number): Template {
  const { stack, db } = newDatabase();
  for (let i = 0; i < count; i++) {
    db.addFunction(`Fn${i}`, inlineFunctionProps());
  }
  return Template.fromStack(stack);
}

function resourceCount(template: Template): number {
  return Object.keys(template.toJSON().Resources).length;
}

describe('resources added per wired function', () => {
  let one: Template;
  let fifty: Template;

  beforeAll(() => {
    // GIVEN one database, in two separate stacks
    // WHEN 1 function and then 50 functions are wired to it
    one = templateWithFunctions(1);
    fifty = templateWithFunctions(50);
  });

  test('each function adds at most 2 resources', () => {
    // THEN
    const increment = (resourceCount(fifty) - resourceCount(one)) / 49;
    expect(increment).toBeLessThanOrEqual(2);
  });

  test('the 49 extra functions add only AWS::Lambda::Function and AWS::IAM::Role resources', () => {
    // THEN
    const before = countByType(one);
    const after = countByType(fifty);
    const added: Record<string, number> = {};
    for (const type of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const difference = (after[type] ?? 0) - (before[type] ?? 0);
      if (difference !== 0) {
        added[type] = difference;
      }
    }
    expect(added).toEqual({ 'AWS::Lambda::Function': 49, 'AWS::IAM::Role': 49 });
  });

  test('200 functions keep the stack under the 500-resource limit (projected from the increment)', () => {
    // THEN
    const increment = (resourceCount(fifty) - resourceCount(one)) / 49;
    expect(resourceCount(one) + 199 * increment).toBeLessThan(STACK_RESOURCE_LIMIT);
  });

  test('200 functions keep the stack under the 500-resource limit (synthesized)', () => {
    // GIVEN / WHEN
    const twoHundred = templateWithFunctions(200);

    // THEN
    expect(resourceCount(twoHundred)).toBeLessThan(STACK_RESOURCE_LIMIT);
    // The 200 wired functions, and the database-users handler with its Provider framework.
    expect(countByType(twoHundred)['AWS::Lambda::Function']).toBe(202);
    expect(countByType(twoHundred)['Custom::DatabaseUsers']).toBe(1);
  });
});
