import { Template } from 'aws-cdk-lib/assertions';
import { newCluster } from './aurora-helpers';

/**
 * Logical IDs of the stateful resources of `new ServerlessAuroraCluster(stack, 'Db', { readers: 1, ... })`.
 * CloudFormation replaces a resource whose logical ID changes: a new cluster with an empty
 * database, a new key, a new secret. A change to this table needs a stated reason and a
 * migration note; never update it just to make the test pass.
 */
const PINNED_IDS: Array<[string, string[]]> = [
  ['AWS::RDS::DBCluster', ['DbClusterA0CF0968']],
  ['AWS::RDS::DBInstance', ['DbClusterWriter04F49224', 'DbClusterReader1FA584AB2']],
  ['AWS::RDS::DBClusterParameterGroup', ['DbParameters8822AC2B']],
  ['AWS::RDS::DBParameterGroup', ['DbInstanceParameters4D4DD89C']],
  ['AWS::RDS::DBSubnetGroup', ['DbClusterSubnets16951D21']],
  ['AWS::SecretsManager::SecretTargetAttachment', ['DbClusterSecretAttachmentE8C77AF7']],
  ['AWS::KMS::Key', ['DbEncryptionKey9438ECC4']],
  ['AWS::RDS::DBProxy', ['DbProxy8FB1B91A']],
  ['AWS::RDS::DBProxyTargetGroup', ['DbProxyProxyTargetGroup7F38655A']],
  ['AWS::RDS::DBProxyEndpoint', ['DbProxyReadOnly1C2C066C']],
  ['AWS::Logs::LogGroup', ['DbFunctionLogsA0F93C9D']],
];

describe('logical IDs of the stateful resources of an Aurora cluster', () => {
  const template = Template.fromStack(newCluster({ minCapacity: 1, maxCapacity: 16, readers: 1 }).stack);

  test.each(PINNED_IDS)('%s keeps the logical IDs %j', (type, ids) => {
    expect(Object.keys(template.findResources(type))).toEqual(ids);
  });

  test('the generated secret keeps its ID (derived from the stack name and the password criteria)', () => {
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret'))).toEqual(['TestStackDbClusterSecret725096003fdaad7efa858a3daf9490cf0a702aeb']);
  });
});
