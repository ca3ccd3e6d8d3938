import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { applyCompliancePacks } from '../../bin/compliance';
import { PgBouncerPoolerStack } from '../../examples/pgbouncer-pooler';
import { acknowledgments, synthesizeWithFindings } from '../compliance-report';

test('the PgBouncer example synthesizes clean under the five cdk-nag packs and shows the cost of each pooler', () => {
  const app = new App();
  const stack = new PgBouncerPoolerStack(app, 'PgBouncerPooler');
  applyCompliancePacks(app);
  const result = synthesizeWithFindings(app);
  expect(result.findings).toEqual([]);
  for (const ack of acknowledgments(app)) {
    expect(ack.reason.length).toBeGreaterThan(20);
  }
  const info = Annotations.fromStack(stack).findInfo('/PgBouncerPooler/Db', Match.stringLikeRegexp('Pooler cost for db.t4g.medium'));
  expect(info).toHaveLength(1);
  console.log(info[0].entry.data);
});
