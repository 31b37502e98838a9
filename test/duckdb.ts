/** DuckDB, the independent reader the format tests check outputs with: one in-memory database per test file. */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface Duck {
  /** Rows of a query as plain JSON objects. */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/** Opens DuckDB before the file's (or describe block's) tests and closes it after them. */
export function useDuckDb(): Duck {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });
  return {
    query: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
  };
}
