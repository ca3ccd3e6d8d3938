import { ConnectionBudget, DatabaseEngineFamily, MaxConnections } from '../../../lib';

/** What the library decides for one PostgreSQL instance class and one uncapped function. */
export interface ClassBudget {
  readonly instanceClass: string;
  /** The max_connections the library writes into the parameter group. */
  readonly maxConnections: number;
  /** The reserved concurrency it gives the function: the number of execution environments. */
  readonly concurrencyCap: number;
  readonly table: string;
}

/** Asks the library, as `ServerlessDatabase` does, for max_connections and the function's cap. */
export function budgetForClass(instanceClass: string, connectionsPerInvocation = 1): ClassBudget {
  const maxConnections = MaxConnections.forInstanceClass(DatabaseEngineFamily.POSTGRESQL, instanceClass);
  const budget = new ConnectionBudget({ engine: DatabaseEngineFamily.POSTGRESQL, maxConnections, maxConnectionsSource: instanceClass });
  budget.allocateFunction('Writer', { connectionsPerInvocation });
  return { instanceClass, maxConnections, concurrencyCap: budget.concurrencyOf('Writer'), table: budget.toTable(`the proof (${instanceClass})`) };
}
