import { Template } from 'aws-cdk-lib/assertions';
import { logicalIdOf } from './template-helpers';
import { ServerlessDatabase } from '../../lib';
import { MYSQL_8_0, newDatabase } from '../helpers';

/**
 * Logical IDs of the stateful resources of `new ServerlessDatabase(stack, 'Db', ...)`.
 *
 * CloudFormation replaces a resource whose logical ID changes: a new instance with an empty
 * database, a new key (data under the old one unreadable once it is gone), a new secret with a new
 * password. Renaming or moving a construct in lib/ changes these IDs. A change to this table must
 * come with a stated reason and a migration note in the changelog; never update it just to make
 * the test pass.
 */
const PINNED_IDS: Array<[string, string]> = [
  ['AWS::RDS::DBInstance', 'DbInstanceD710EDDF'],
  ['AWS::RDS::DBParameterGroup', 'DbParameters8822AC2B'],
  ['AWS::RDS::DBSubnetGroup', 'DbInstanceSubnetGroupD2385C7C'],
  // DatabaseSecret's ID is derived from the stack name and a hash of the password criteria
  // (excludeCharacters): changing PASSWORD_EXCLUDED_CHARACTERS also replaces the secret.
  ['AWS::SecretsManager::Secret', 'TestStackDbInstanceSecret10291BE33fdaad7efa858a3daf9490cf0a702aeb'],
  ['AWS::SecretsManager::SecretTargetAttachment', 'DbInstanceSecretAttachmentCDEAF4EB'],
  ['AWS::KMS::Key', 'DbEncryptionKey9438ECC4'],
  ['AWS::RDS::DBProxy', 'DbProxy8FB1B91A'],
  ['AWS::RDS::DBProxyTargetGroup', 'DbProxyProxyTargetGroup7F38655A'],
  ['AWS::Logs::LogGroup', 'DbFunctionLogsA0F93C9D'],
];

describe('logical IDs of stateful resources (PostgreSQL)', () => {
  let template: Template;
  let db: ServerlessDatabase;

  beforeAll(() => {
    // GIVEN the database of the README in a stack named TestStack
    const built = newDatabase();
    db = built.db;
    // WHEN it is synthesized
    template = Template.fromStack(built.stack);
  });

  test.each(PINNED_IDS)('%s keeps the logical ID %s', (type, id) => {
    // THEN exactly one resource of the type exists, under the pinned ID
    expect(Object.keys(template.findResources(type))).toEqual([id]);
  });

  test('the public properties point at the pinned resources', () => {
    // THEN
    expect(logicalIdOf(db.instance)).toBe('DbInstanceD710EDDF');
    expect(logicalIdOf(db.parameterGroup)).toBe('DbParameters8822AC2B');
    expect(logicalIdOf(db.encryptionKey)).toBe('DbEncryptionKey9438ECC4');
    expect(logicalIdOf(db.proxy)).toBe('DbProxy8FB1B91A');
    expect(logicalIdOf(db.secret)).toBe('DbInstanceSecretAttachmentCDEAF4EB');
  });
});

describe('logical IDs of stateful resources (MySQL)', () => {
  test('the MySQL option group and the shared resources keep their logical IDs', () => {
    // GIVEN / WHEN
    const { stack } = newDatabase({ engine: MYSQL_8_0 });
    const template = Template.fromStack(stack);
    // THEN (changing the option group replaces it and reboots the instance)
    expect(Object.keys(template.findResources('AWS::RDS::OptionGroup'))).toEqual(['DbAuditOptions00BEB92F']);
    expect(Object.keys(template.findResources('AWS::RDS::DBInstance'))).toEqual(['DbInstanceD710EDDF']);
    expect(Object.keys(template.findResources('AWS::RDS::DBParameterGroup'))).toEqual(['DbParameters8822AC2B']);
  });
});
