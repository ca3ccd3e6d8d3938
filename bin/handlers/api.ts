/**
 * Demo handler: reports where the wired function would connect. The runtime helper that opens
 * and reuses the connection is a separate entry point of the package.
 */
export const handler = async (): Promise<{ statusCode: number; body: string }> => ({
  statusCode: 200,
  body: JSON.stringify({
    engine: process.env.SERVERLESS_RDS_ENGINE,
    host: process.env.SERVERLESS_RDS_HOST,
    database: process.env.SERVERLESS_RDS_DATABASE,
    connectionsPerInvocation: Number(process.env.SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION),
  }),
});
