import { Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { wiredFunctionInfo } from './function-wiring';
import { ConnectionBudget } from '../budget/connection-budget';

/**
 * Lambda refuses a deploy whose reserved concurrency leaves less than the unreserved minimum in
 * the account. Functions of the same stack share one account and region, so their reservations
 * (wired or not) are added up here; functions in other stacks cannot be known at synth time.
 */
export function reservedConcurrencyProblems(stack: Stack, reservable: number, budgetTotal: number): string[] {
  if (budgetTotal > reservable) {
    return []; // the budget reports this one itself
  }
  const reservations = functionsOf(stack)
    .map(fn => ({ path: fn.node.path, concurrency: stack.resolve(fn.reservedConcurrentExecutions) }))
    .filter(r => typeof r.concurrency === 'number' && r.concurrency > 0);
  const total = reservations.reduce((a, r) => a + r.concurrency, 0);
  if (total <= reservable) {
    return [];
  }
  const list = reservations.map(r => `  ${r.path}: ${r.concurrency}`).join('\n');
  return [
    `The functions of stack ${stack.stackName} reserve ${total} concurrency but the account can reserve ${reservable} ` +
    '(accountConcurrencyLimit less unreservedConcurrencyMinimum): Lambda would reject the deploy. Lower ' +
    `reservedConcurrentExecutions, or raise the quota and set accountConcurrencyLimit.\n${list}`,
  ];
}

/**
 * What the other functions of the stack take from the account: explicit reservations outside
 * `budget`, and how many functions of other budgets also take a computed share. Computed shares
 * of other budgets are counted as functions, not values, so no budget waits on another.
 */
export function concurrencyElsewhere(stack: Stack, budget: ConnectionBudget): { reserved: number; sharedFunctions: number } {
  let reserved = 0;
  let sharedFunctions = 0;
  for (const fn of functionsOf(stack)) {
    const wired = wiredFunctionInfo(fn);
    if (wired?.budget === budget) {
      continue;
    }
    if (wired?.shared) {
      sharedFunctions++;
    } else if (typeof fn.reservedConcurrentExecutions === 'number' && !Token.isUnresolved(fn.reservedConcurrentExecutions)) {
      reserved += fn.reservedConcurrentExecutions;
    }
  }
  return { reserved, sharedFunctions };
}

function functionsOf(stack: Stack): lambda.CfnFunction[] {
  return stack.node.findAll().filter((c: IConstruct): c is lambda.CfnFunction => c instanceof lambda.CfnFunction);
}
