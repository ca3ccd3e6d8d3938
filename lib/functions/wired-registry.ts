import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AllocationKind } from '../budget/allocation';
import { ConnectionBudget } from '../budget/connection-budget';

/** What the wiring recorded about a function: the template check compares it with the template. */
export interface WiredFunction {
  /** The budget the function draws from. */
  readonly budget: ConnectionBudget;
  /** Its allocation name in the budget. */
  readonly name: string;
  /** Function, queue consumer or managed-instances function. */
  readonly kind: AllocationKind;
  /** Whether its cap is a share computed by the budget. */
  readonly shared: boolean;
  /** Connections one execution environment holds, as declared. */
  readonly connectionsPerEnvironment: number;
}

/** Keyed by the L1 so that whoever holds a synthesized function can find its declaration. */
const WIRED_FUNCTIONS = new WeakMap<lambda.CfnFunction, WiredFunction>();

/** Records a wired function. */
export function recordWiredFunction(cfn: lambda.CfnFunction, wired: WiredFunction): void {
  WIRED_FUNCTIONS.set(cfn, wired);
}

/** What the wiring recorded about a function, or undefined for functions not wired. */
export function wiredFunctionInfo(cfn: lambda.CfnFunction): WiredFunction | undefined {
  return WIRED_FUNCTIONS.get(cfn);
}
