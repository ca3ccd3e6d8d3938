import { Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { wiredFunctionInfo } from './wired-registry';
import { AccountConcurrencyUsage, ConnectionBudget } from '../budget/connection-budget';

/**
 * The account and region a stack deploys to, as a key. Stacks whose environment is not known at
 * synth time are all counted as one account: the safe assumption when nothing says otherwise.
 */
export function accountKey(stack: Stack): string {
  const account = Token.isUnresolved(stack.account) ? '(unresolved account)' : stack.account;
  const region = Token.isUnresolved(stack.region) ? '(unresolved region)' : stack.region;
  return `${account}/${region}`;
}

/** Whether the stack's account or region is unknown at synth time. */
export function hasUnresolvedEnvironment(stack: Stack): boolean {
  return Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region);
}

/**
 * What the other functions of the account take: explicit reservations outside `budget` in every
 * stack of the app that deploys to the same account and region, and how many functions of other
 * budgets take a computed share. Computed shares of other budgets are counted as functions, not
 * values, so no budget waits on another.
 */
export function accountUsage(scope: IConstruct, budget: ConnectionBudget): AccountConcurrencyUsage {
  const key = accountKey(Stack.of(scope));
  let reservedElsewhere = 0;
  let sharedFunctionsElsewhere = 0;
  for (const fn of scope.node.root.node.findAll()) {
    if (!(fn instanceof lambda.CfnFunction) || accountKey(Stack.of(fn)) !== key) {
      continue;
    }
    const wired = wiredFunctionInfo(fn);
    if (wired?.budget === budget) {
      continue;
    }
    if (wired?.shared) {
      sharedFunctionsElsewhere++;
    } else if (typeof fn.reservedConcurrentExecutions === 'number' && !Token.isUnresolved(fn.reservedConcurrentExecutions)) {
      reservedElsewhere += fn.reservedConcurrentExecutions;
    }
  }
  return { reservedElsewhere, sharedFunctionsElsewhere };
}
