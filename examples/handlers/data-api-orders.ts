import { createDataApiClient } from 'cdk-serverless-rds/runtime/data-api';

/**
 * Example Data API handler: no VPC and no connection to hold; each statement is an HTTPS call to
 * the RDS Data API, which runs it on the writer. A paused cluster's resume error and throttling
 * are retried by the client; the transaction commits both statements together.
 */
const db = createDataApiClient();

export const handler = async (event: { customer: string; amountCents: number }): Promise<{ ordersOfCustomer: number }> => {
  return db.transaction(async (execute) => {
    await execute('INSERT INTO orders (customer, amount_cents) VALUES (:customer, :amount)', [
      { name: 'customer', value: { stringValue: event.customer } },
      { name: 'amount', value: { longValue: event.amountCents } },
    ]);
    const { rows } = await execute('SELECT COUNT(*) AS n FROM orders WHERE customer = :customer', [
      { name: 'customer', value: { stringValue: event.customer } },
    ]);
    return { ordersOfCustomer: Number(rows[0].n) };
  });
};
