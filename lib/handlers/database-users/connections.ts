import * as mysql from 'mysql2/promise';
import { Client } from 'pg';
import { Engine } from '../../private/sql-identifiers';
import { DatabaseTls } from './tls';

/** Where a database is: enough to open a connection to it. */
export interface DatabaseTarget {
  readonly engine: Engine;
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

/** `postgresql database "app" at host:5432`, for messages. */
export function describeTarget(target: DatabaseTarget): string {
  return `${target.engine} database "${target.database}" at ${target.host}:${target.port}`;
}

/**
 * A PostgreSQL connection over TLS verified against `tls`. `password` may be a function: the driver
 * calls it only when the server asks for a password.
 */
export async function connectPostgres(target: DatabaseTarget, tls: DatabaseTls, user: string, password: string | (() => string)): Promise<Client> {
  const client = new Client({
    host: target.host, port: target.port, database: target.database, user, password,
    ssl: { ca: tls.ca, servername: tls.servername ?? target.host, rejectUnauthorized: true },
    connectionTimeoutMillis: 20_000, statement_timeout: 60_000, application_name: 'cdk-serverless-rds database users',
  });
  client.on('error', () => undefined); // a dropped connection rejects the pending query instead
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/**
 * A MySQL connection over TLS verified against `tls`, one statement per query; in the target's
 * database unless `useDatabase` is false (a user may hold rights in other databases only).
 */
export async function connectMysql(target: DatabaseTarget, tls: DatabaseTls, user: string, password: string, useDatabase = true): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({
    host: target.host, port: target.port, database: useDatabase ? target.database : undefined, user, password,
    ssl: { ca: tls.ca, rejectUnauthorized: true }, connectTimeout: 20_000, multipleStatements: false,
  });
  connection.on('error', () => undefined);
  return connection;
}
