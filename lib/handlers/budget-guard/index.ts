import { RDSClient } from '@aws-sdk/client-rds';
import { checkBudgetFit, DeclaredBudget } from './budget-fit';
import { CustomResourceEvent, sendResponse } from './cfn-response';
import { readDatabase } from './read-database';
import { DatabaseEngineFamily } from '../../budget/engine-family';

let client: RDSClient | undefined;

/**
 * Custom resource of the deploy-time budget guard: on create and update it reads the database
 * and its proxy through the RDS API and fails the deployment, with the budget table, when the
 * declared budget does not fit. Delete does nothing.
 */
export async function handler(event: CustomResourceEvent): Promise<void> {
  const p = event.ResourceProperties;
  const physicalId = event.PhysicalResourceId ?? `budget-guard-${p.InstanceIdentifier}`;
  if (event.RequestType === 'Delete') {
    await sendResponse(event, physicalId, 'SUCCESS', 'Nothing to delete');
    return;
  }
  try {
    const result = await guard(p, client ??= new RDSClient({}));
    console.log(result.report);
    if (!result.fits) {
      await sendResponse(event, physicalId, 'FAILED', `The connection budget does not fit the database.\n${result.report}`);
      return;
    }
    await sendResponse(event, physicalId, 'SUCCESS', 'The connection budget fits', result.data);
  } catch (e) {
    const message = `Budget guard of ${p.DatabasePath}: ${(e as Error).message}`;
    console.error(message);
    await sendResponse(event, physicalId, 'FAILED', message);
  }
}

/** Reads the database and compares it with the declared budget. */
export async function guard(p: Record<string, string>, rds: RDSClient) {
  const engine = p.Engine as DatabaseEngineFamily;
  if (engine !== DatabaseEngineFamily.POSTGRESQL && engine !== DatabaseEngineFamily.MYSQL) {
    throw new Error(`Unknown engine '${p.Engine}'`);
  }
  const declared: DeclaredBudget = {
    databasePath: p.DatabasePath,
    maxConnections: whole(p, 'MaxConnections'),
    proxyMaxConnectionsPercent: whole(p, 'ProxyMaxConnectionsPercent'),
    reservedConnections: whole(p, 'ReservedConnections'),
    adminHeadroom: whole(p, 'AdminHeadroom'),
    directConnections: whole(p, 'DirectConnections'),
    proxyConnectionsNeeded: whole(p, 'ProxyConnectionsNeeded'),
    proxyHeadroomPercent: p.ProxyHeadroomPercent === undefined ? 0 : whole(p, 'ProxyHeadroomPercent'),
    table: p.BudgetTable ?? '',
  };
  const actual = await readDatabase(rds, { instanceIdentifier: p.InstanceIdentifier, engine, proxyName: p.ProxyName || undefined });
  const fit = checkBudgetFit(declared, actual);
  return {
    ...fit,
    data: {
      InstanceClass: actual.instanceClass,
      MaxConnections: String(actual.maxConnections),
      ProxyMaxConnectionsPercent: String(actual.proxyMaxConnectionsPercent ?? ''),
    },
  };
}

/** Custom resource properties arrive as strings. */
function whole(p: Record<string, string>, name: string): number {
  const value = Number(p[name]);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`Property ${name} must be a whole number, got: ${p[name]}`);
  }
  return value;
}
