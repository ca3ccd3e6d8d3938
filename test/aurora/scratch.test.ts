import { Template } from 'aws-cdk-lib/assertions';
import { newCluster } from './aurora-helpers';
import { inlineFunctionProps } from '../helpers';
import { synthOk, templateOf } from '../verify/verify-test-utils';

test('scratch', () => {
  const { app, stack, db } = newCluster({ minCapacity: 1, maxCapacity: 16, readers: 1 });
  db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 100 });
  db.readers!.addFunction('Reports', { ...inlineFunctionProps(), reservedConcurrentExecutions: 50 });
  synthOk(app);
  const t = templateOf(app, stack);
  for (const [id, r] of Object.entries<any>(t.Resources)) {
    if (/RDS/.test(r.Type)) console.log(id, r.Type, JSON.stringify(r.Properties).slice(0, 600));
  }
  Template.fromStack(stack);
});
