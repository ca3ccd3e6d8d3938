import { getPostgresPool } from 'cdk-serverless-rds/runtime/postgres';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { orders } from './orders-schema';

/**
 * Example handler: Drizzle ORM on the runtime helper's pool. The pool is created here, outside the
 * handler, so every invocation of this execution environment reuses its connection; its size is
 * the connectionsPerInvocation the budget counted, and it logs in with the function's IAM token.
 */
const db = drizzle({ client: getPostgresPool() });

export interface PlaceOrder {
  readonly customer: string;
  readonly amountCents: number;
}

export const handler = async (event: PlaceOrder): Promise<{ orderId: number; ordersOfCustomer: number }> => {
  // One transaction: both statements run on one connection and commit together.
  return db.transaction(async (tx) => {
    const [order] = await tx.insert(orders).values({ customer: event.customer, amountCents: event.amountCents }).returning({ id: orders.id });
    const [{ count }] = await tx.select({ count: sql<number>`count(*)::int` }).from(orders).where(eq(orders.customer, event.customer));
    return { orderId: order.id, ordersOfCustomer: count };
  });
};
