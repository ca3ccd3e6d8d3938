import { integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';

/** The table the Drizzle example writes; create it with your migrations (drizzle-kit) before use. */
export const orders = pgTable('orders', {
  id: serial('id').primaryKey(),
  customer: text('customer').notNull(),
  amountCents: integer('amount_cents').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
