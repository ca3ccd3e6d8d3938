import { Token } from 'aws-cdk-lib';

/**
 * Throws unless `value` is a number known at synth time: the connection budget is arithmetic
 * done before deployment, so a CloudFormation token cannot stand in for it.
 */
export function requireKnownNumber(value: number, prop: string): void {
  if (Token.isUnresolved(value)) {
    throw new Error(`\`${prop}\` must be a number known at synth time, got an unresolved token; pass a literal number`);
  }
  if (typeof value === 'string') {
    throw new Error(`\`${prop}\` must be a number, got the string '${value}': pass ${Number.isNaN(Number(value)) ? 'a number' : `${Number(value)}, not '${value}'`}`);
  }
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new Error(`\`${prop}\` must be a number, got: ${String(value)} (${typeof value})`);
  }
}

/** Throws unless `value` is a whole number of at least `min` (1 unless said otherwise). */
export function requireWholeNumber(value: number, prop: string, min: number = 1): void {
  requireKnownNumber(value, prop);
  if (!Number.isInteger(value) || value < min) {
    const kind = min === 1 ? 'a positive whole number' : `a whole number of at least ${min}`;
    throw new Error(`\`${prop}\` must be ${kind}, got: ${value}`);
  }
}

/** Throws unless `value` is a whole number between `min` and `max`, both included. */
export function requireWholeNumberBetween(value: number, prop: string, min: number, max: number): void {
  requireKnownNumber(value, prop);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`\`${prop}\` must be a whole number between ${min} and ${max}, got: ${value}`);
  }
}
