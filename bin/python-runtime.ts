import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The newest Python runtime the installed aws-cdk-lib knows. cdk-nag's AwsSolutions-L1 asks for
 * the latest runtime of a family, and the demo and examples synthesize on every aws-cdk-lib from
 * the peer dependency's floor to the pinned version, whose newest Python runtimes differ.
 */
export function newestPythonRuntime(): lambda.Runtime {
  const minorOf = (runtime: lambda.Runtime) => Number(/^python3\.(\d+)$/.exec(runtime.name)?.[1] ?? -1);
  const python = lambda.Runtime.ALL.filter(runtime => minorOf(runtime) >= 0);
  return python.reduce((newest, runtime) => (minorOf(runtime) > minorOf(newest) ? runtime : newest));
}
