-- Registers the project's Iceberg catalog in the Flink SQL client (or any Flink SQL session).
-- Replace the warehouse URI with the absolute location given to `bin/clickstream ... --warehouse`
-- (a local folder as file:///abs/path/warehouse, or s3a://bucket/warehouse with its Hadoop jars).
-- `bin/clickstream sql` registers this catalog itself and skips these statements.
CREATE CATALOG clickstream WITH (
  'type' = 'iceberg',
  'catalog-type' = 'hadoop',
  'warehouse' = 'file:///tmp/clickstream/warehouse'
);
USE CATALOG clickstream;
-- Event times are instants (TIMESTAMP_LTZ); show and bucket them in UTC, as the features do.
SET 'table.local-time-zone' = 'UTC';
