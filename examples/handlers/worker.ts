/**
 * Example worker handler: a batch job that may use a small pool of its own, as many connections
 * as the budget counted for it.
 */
export const handler = async (event: { Records?: unknown[] }): Promise<{ processed: number; poolSize: number }> => ({
  processed: event.Records?.length ?? 0,
  poolSize: Number(process.env.SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION),
});
