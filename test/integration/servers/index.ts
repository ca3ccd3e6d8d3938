// Real database servers for integration tests: start in beforeAll, stop() in afterAll.
export * from './free-port';
export * from './mariadb-server';
export * from './pgbouncer-server';
export * from './postgres-server';
export * from './test-certificates';
export type { OsUser } from './server-process';
export * from './generated-pgbouncer';
