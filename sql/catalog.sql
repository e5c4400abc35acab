-- Registers the project's Iceberg catalog in a Flink SQL client (or any Flink SQL session) for the
-- embedded warehouse of `bin/clickstream ... --warehouse DIR`, then sets batch mode:
--   sql-client.sh -i sql/catalog.sql
-- Replace the warehouse URI with that directory's absolute location (file:///abs/path/warehouse).
-- Other catalogs: sql/catalog-rest.sql. `bin/clickstream sql` and `bin/clickstream sql-client`
-- register the catalog themselves (`sql` skips these CREATE/USE CATALOG statements).
CREATE CATALOG clickstream WITH (
  'type' = 'iceberg',
  'catalog-type' = 'hadoop',
  'warehouse' = 'file:///tmp/clickstream/warehouse'
);
USE CATALOG clickstream;
-- The tables are bounded snapshots: query them in batch mode, results as plain tables.
SET 'execution.runtime-mode' = 'batch';
SET 'sql-client.execution.result-mode' = 'tableau';
-- Event times are instants (TIMESTAMP_LTZ); show and bucket them in UTC, as the features do.
SET 'table.local-time-zone' = 'UTC';
