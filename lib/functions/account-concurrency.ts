import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';

/**
 * Lambda refuses a deploy whose reserved concurrency leaves less than the unreserved minimum in
 * the account. Functions of the same stack share one account and region, so their reservations
 * (wired or not) are added up here; functions in other stacks cannot be known at synth time.
 */
export function reservedConcurrencyProblems(stack: Stack, reservable: number, budgetTotal: number): string[] {
  if (budgetTotal > reservable) {
    return []; // the budget reports this one itself
  }
  const reservations = stack.node.findAll()
    .filter((c: IConstruct): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)
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
