-- Generated from LakehouseTable (the one declaration of every table); LakehouseTableDdlTest keeps it current.
-- Run after sql/catalog.sql. The jobs create these tables themselves.

CREATE DATABASE IF NOT EXISTS bronze;
CREATE DATABASE IF NOT EXISTS silver;
CREATE DATABASE IF NOT EXISTS gold;

CREATE TABLE IF NOT EXISTS bronze.clickstream_raw (
  `source` STRING NOT NULL,
  `source_partition` INT NOT NULL,
  `source_offset` BIGINT NOT NULL,
  `raw` STRING,
  `ingested_at` TIMESTAMP_LTZ(6) NOT NULL
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096'
);

-- partitioned by day(event_time) when created by the jobs
CREATE TABLE IF NOT EXISTS silver.clickstream_events (
  `event_id` STRING NOT NULL,
  `event_time` TIMESTAMP_LTZ(6) NOT NULL,
  `event_type` STRING NOT NULL,
  `product_id` BIGINT NOT NULL,
  `category_id` BIGINT,
  `category_code` STRING,
  `brand` STRING,
  `price` DECIMAL(18, 6) NOT NULL,
  `user_id` BIGINT NOT NULL,
  `user_session` STRING NOT NULL,
  `source_partition` INT NOT NULL,
  `source_offset` BIGINT NOT NULL,
  `ingested_at` TIMESTAMP_LTZ(6) NOT NULL
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096'
);

CREATE TABLE IF NOT EXISTS silver.rejected_events (
  `source` STRING NOT NULL,
  `source_partition` INT NOT NULL,
  `source_offset` BIGINT NOT NULL,
  `raw` STRING,
  `reason` STRING NOT NULL,
  `detail` STRING,
  `ingested_at` TIMESTAMP_LTZ(6) NOT NULL
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096'
);

CREATE TABLE IF NOT EXISTS gold.cart_metrics (
  `user_id` BIGINT NOT NULL,
  `user_session` STRING NOT NULL,
  `events` BIGINT NOT NULL,
  `views` BIGINT NOT NULL,
  `carts` BIGINT NOT NULL,
  `purchases` BIGINT NOT NULL,
  `views_to_events` DOUBLE,
  `carts_to_events` DOUBLE,
  `purchases_to_events` DOUBLE,
  `carts_to_views` DOUBLE,
  `purchases_to_views` DOUBLE,
  `purchases_to_carts` DOUBLE,
  `last_event_time` TIMESTAMP_LTZ(6) NOT NULL,
  PRIMARY KEY (user_id, user_session) NOT ENFORCED
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096',
  'write.upsert.enabled' = 'true'
);

CREATE TABLE IF NOT EXISTS gold.cart_product_metrics (
  `user_id` BIGINT NOT NULL,
  `user_session` STRING NOT NULL,
  `product_id` BIGINT NOT NULL,
  `events` BIGINT NOT NULL,
  `views` BIGINT NOT NULL,
  `carts` BIGINT NOT NULL,
  `purchases` BIGINT NOT NULL,
  `views_to_events` DOUBLE,
  `carts_to_events` DOUBLE,
  `purchases_to_events` DOUBLE,
  `carts_to_views` DOUBLE,
  `purchases_to_views` DOUBLE,
  `purchases_to_carts` DOUBLE,
  `last_event_time` TIMESTAMP_LTZ(6) NOT NULL,
  PRIMARY KEY (user_id, user_session, product_id) NOT ENFORCED
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096',
  'write.upsert.enabled' = 'true'
);

CREATE TABLE IF NOT EXISTS gold.user_metrics (
  `user_id` BIGINT NOT NULL,
  `events` BIGINT NOT NULL,
  `views` BIGINT NOT NULL,
  `carts` BIGINT NOT NULL,
  `purchases` BIGINT NOT NULL,
  `views_to_events` DOUBLE,
  `carts_to_events` DOUBLE,
  `purchases_to_events` DOUBLE,
  `carts_to_views` DOUBLE,
  `purchases_to_views` DOUBLE,
  `purchases_to_carts` DOUBLE,
  `last_event_time` TIMESTAMP_LTZ(6) NOT NULL,
  PRIMARY KEY (user_id) NOT ENFORCED
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096',
  'write.upsert.enabled' = 'true'
);

CREATE TABLE IF NOT EXISTS gold.product_metrics (
  `product_id` BIGINT NOT NULL,
  `events` BIGINT NOT NULL,
  `views` BIGINT NOT NULL,
  `carts` BIGINT NOT NULL,
  `purchases` BIGINT NOT NULL,
  `views_to_events` DOUBLE,
  `carts_to_events` DOUBLE,
  `purchases_to_events` DOUBLE,
  `carts_to_views` DOUBLE,
  `purchases_to_views` DOUBLE,
  `purchases_to_carts` DOUBLE,
  `last_event_time` TIMESTAMP_LTZ(6) NOT NULL,
  PRIMARY KEY (product_id) NOT ENFORCED
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096',
  'write.upsert.enabled' = 'true'
);

CREATE TABLE IF NOT EXISTS gold.user_product_metrics (
  `user_id` BIGINT NOT NULL,
  `product_id` BIGINT NOT NULL,
  `events` BIGINT NOT NULL,
  `views` BIGINT NOT NULL,
  `carts` BIGINT NOT NULL,
  `purchases` BIGINT NOT NULL,
  `views_to_events` DOUBLE,
  `carts_to_events` DOUBLE,
  `purchases_to_events` DOUBLE,
  `carts_to_views` DOUBLE,
  `purchases_to_views` DOUBLE,
  `purchases_to_carts` DOUBLE,
  `last_event_time` TIMESTAMP_LTZ(6) NOT NULL,
  PRIMARY KEY (user_id, product_id) NOT ENFORCED
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096',
  'write.upsert.enabled' = 'true'
);

CREATE TABLE IF NOT EXISTS gold.training_features (
  `event_id` STRING NOT NULL,
  `user_id` BIGINT NOT NULL,
  `user_session` STRING NOT NULL,
  `product_id` BIGINT NOT NULL,
  `event_time` TIMESTAMP_LTZ(6) NOT NULL,
  `event_type` STRING NOT NULL,
  `cart__events` BIGINT NOT NULL,
  `cart__views` BIGINT NOT NULL,
  `cart__carts` BIGINT NOT NULL,
  `cart__purchases` BIGINT NOT NULL,
  `cart__views_to_events` DOUBLE,
  `cart__carts_to_events` DOUBLE,
  `cart__purchases_to_events` DOUBLE,
  `cart__carts_to_views` DOUBLE,
  `cart__purchases_to_views` DOUBLE,
  `cart__purchases_to_carts` DOUBLE,
  `cart_product__events` BIGINT NOT NULL,
  `cart_product__views` BIGINT NOT NULL,
  `cart_product__carts` BIGINT NOT NULL,
  `cart_product__purchases` BIGINT NOT NULL,
  `cart_product__views_to_events` DOUBLE,
  `cart_product__carts_to_events` DOUBLE,
  `cart_product__purchases_to_events` DOUBLE,
  `cart_product__carts_to_views` DOUBLE,
  `cart_product__purchases_to_views` DOUBLE,
  `cart_product__purchases_to_carts` DOUBLE,
  `user__events` BIGINT NOT NULL,
  `user__views` BIGINT NOT NULL,
  `user__carts` BIGINT NOT NULL,
  `user__purchases` BIGINT NOT NULL,
  `user__views_to_events` DOUBLE,
  `user__carts_to_events` DOUBLE,
  `user__purchases_to_events` DOUBLE,
  `user__carts_to_views` DOUBLE,
  `user__purchases_to_views` DOUBLE,
  `user__purchases_to_carts` DOUBLE,
  `product__events` BIGINT NOT NULL,
  `product__views` BIGINT NOT NULL,
  `product__carts` BIGINT NOT NULL,
  `product__purchases` BIGINT NOT NULL,
  `product__views_to_events` DOUBLE,
  `product__carts_to_events` DOUBLE,
  `product__purchases_to_events` DOUBLE,
  `product__carts_to_views` DOUBLE,
  `product__purchases_to_views` DOUBLE,
  `product__purchases_to_carts` DOUBLE,
  `user_product__events` BIGINT NOT NULL,
  `user_product__views` BIGINT NOT NULL,
  `user_product__carts` BIGINT NOT NULL,
  `user_product__purchases` BIGINT NOT NULL,
  `user_product__views_to_events` DOUBLE,
  `user_product__carts_to_events` DOUBLE,
  `user_product__purchases_to_events` DOUBLE,
  `user_product__carts_to_views` DOUBLE,
  `user_product__purchases_to_views` DOUBLE,
  `user_product__purchases_to_carts` DOUBLE,
  `label` INT NOT NULL,
  `split` STRING NOT NULL
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096'
);

-- partitioned by day(event_time) when created by the jobs
CREATE TABLE IF NOT EXISTS gold.session_scores (
  `event_id` STRING NOT NULL,
  `user_id` BIGINT NOT NULL,
  `user_session` STRING NOT NULL,
  `product_id` BIGINT NOT NULL,
  `event_time` TIMESTAMP_LTZ(6) NOT NULL,
  `event_type` STRING NOT NULL,
  `cart__events` BIGINT NOT NULL,
  `cart__views` BIGINT NOT NULL,
  `cart__carts` BIGINT NOT NULL,
  `cart__purchases` BIGINT NOT NULL,
  `cart__views_to_events` DOUBLE,
  `cart__carts_to_events` DOUBLE,
  `cart__purchases_to_events` DOUBLE,
  `cart__carts_to_views` DOUBLE,
  `cart__purchases_to_views` DOUBLE,
  `cart__purchases_to_carts` DOUBLE,
  `cart_product__events` BIGINT NOT NULL,
  `cart_product__views` BIGINT NOT NULL,
  `cart_product__carts` BIGINT NOT NULL,
  `cart_product__purchases` BIGINT NOT NULL,
  `cart_product__views_to_events` DOUBLE,
  `cart_product__carts_to_events` DOUBLE,
  `cart_product__purchases_to_events` DOUBLE,
  `cart_product__carts_to_views` DOUBLE,
  `cart_product__purchases_to_views` DOUBLE,
  `cart_product__purchases_to_carts` DOUBLE,
  `user__events` BIGINT NOT NULL,
  `user__views` BIGINT NOT NULL,
  `user__carts` BIGINT NOT NULL,
  `user__purchases` BIGINT NOT NULL,
  `user__views_to_events` DOUBLE,
  `user__carts_to_events` DOUBLE,
  `user__purchases_to_events` DOUBLE,
  `user__carts_to_views` DOUBLE,
  `user__purchases_to_views` DOUBLE,
  `user__purchases_to_carts` DOUBLE,
  `product__events` BIGINT NOT NULL,
  `product__views` BIGINT NOT NULL,
  `product__carts` BIGINT NOT NULL,
  `product__purchases` BIGINT NOT NULL,
  `product__views_to_events` DOUBLE,
  `product__carts_to_events` DOUBLE,
  `product__purchases_to_events` DOUBLE,
  `product__carts_to_views` DOUBLE,
  `product__purchases_to_views` DOUBLE,
  `product__purchases_to_carts` DOUBLE,
  `user_product__events` BIGINT NOT NULL,
  `user_product__views` BIGINT NOT NULL,
  `user_product__carts` BIGINT NOT NULL,
  `user_product__purchases` BIGINT NOT NULL,
  `user_product__views_to_events` DOUBLE,
  `user_product__carts_to_events` DOUBLE,
  `user_product__purchases_to_events` DOUBLE,
  `user_product__carts_to_views` DOUBLE,
  `user_product__purchases_to_views` DOUBLE,
  `user_product__purchases_to_carts` DOUBLE,
  `late` BOOLEAN NOT NULL,
  `propensity` DOUBLE NOT NULL,
  `action` STRING NOT NULL,
  `model_name` STRING NOT NULL,
  `model_version` STRING NOT NULL,
  `ingested_at` TIMESTAMP_LTZ(6) NOT NULL,
  `scored_at` TIMESTAMP_LTZ(6) NOT NULL
) WITH (
  'format-version' = '2',
  'write.parquet.compression-level' = '1',
  'write.parquet.dict-size-bytes' = '4096'
);
