-- Registers the project's Iceberg catalog from an Iceberg REST catalog with its tables on S3
-- (or an S3-compatible store), then sets batch mode:
--   sql-client.sh -i sql/catalog-rest.sql
-- Replace the <...> placeholders. Flink SQL has no environment substitution, so keep secrets out
-- of this file where you can:
--   - S3 keys: leave s3.access-key-id / s3.secret-access-key out; S3FileIO then uses the AWS default
--     chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the client's environment, a profile, an
--     instance role), or the REST catalog vends credentials.
--   - the catalog's OAuth2 'credential' (client_id:client_secret) or 'token': if you must put one
--     here, keep the file private (chmod 600). `bin/clickstream sql-client --catalog-property
--     'credential=${env:ICEBERG_CREDENTIAL}'` reads it from the environment instead.
-- Optional properties: 'credential' = '<client_id>:<client_secret>' or 'token' = '<token>' (see
-- above); for an S3-compatible store (MinIO, s3proxy, ...) 's3.endpoint' = '<http://host:9000>'
-- and 's3.path-style-access' = 'true'.
-- The client needs iceberg-flink-runtime-2.1 and iceberg-aws-bundle 1.11.0 (and Hadoop) on its
-- classpath, e.g. in Flink's lib/.
CREATE CATALOG clickstream WITH (
  'type' = 'iceberg',
  'catalog-type' = 'rest',
  'uri' = '<https://rest-catalog.example.com/api/catalog>',
  'warehouse' = '<warehouse name or s3://bucket/warehouse>',
  'io-impl' = 'org.apache.iceberg.aws.s3.S3FileIO',
  'client.region' = '<eu-west-1>'
);
USE CATALOG clickstream;
SET 'execution.runtime-mode' = 'batch';
SET 'sql-client.execution.result-mode' = 'tableau';
SET 'table.local-time-zone' = 'UTC';
