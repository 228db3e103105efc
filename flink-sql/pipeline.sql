-- The streaming lakehouse job: CDC from appdb.products and appdb.sales, aggregated per product,
-- upserted into the Iceberg v2 table demo.sales_by_product.
--
-- One file, run statement by statement by the SQL runner (flink-sql/runner) in the job image and in
-- the local proof harness. ${NAME} values come from the job's environment at run time (passwords
-- from Kubernetes Secrets); the runner refuses to start if any is missing and never logs them.

SET 'pipeline.name' = 'sales_by_product';
-- The Iceberg sink commits, and CDC leaves its snapshot phase, only on completed checkpoints:
-- this interval is the data-visibility latency.
SET 'execution.checkpointing.interval' = '${CHECKPOINT_INTERVAL}';
SET 'execution.checkpointing.mode' = 'EXACTLY_ONCE';
-- No state TTL: an expired aggregate would silently restart a product's totals from zero.
SET 'table.exec.state.ttl' = '0 ms';
-- Mini-batches fold many sales of one product into one update before it reaches the sink, so the
-- upsert table gets one row (and one equality delete) per product per batch, not per sale.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '1 s';
SET 'table.exec.mini-batch.size' = '5000';

-- Iceberg's JDBC catalog in MySQL (its own database), data files on S3 through S3FileIO.
-- V1 catalog tables are what Trino's JDBC catalog reads. S3 credentials come from the AWS SDK's
-- default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from a Secret for MinIO, the pod's IAM
-- role (IRSA) for an S3 bucket, so this file names none.
CREATE CATALOG lakehouse WITH (
  'type' = 'iceberg',
  'catalog-impl' = 'org.apache.iceberg.jdbc.JdbcCatalog',
  'uri' = '${ICEBERG_JDBC_URL}',
  'jdbc.user' = '${ICEBERG_JDBC_USER}',
  'jdbc.password' = '${ICEBERG_JDBC_PASSWORD}',
  'jdbc.schema-version' = 'V1',
  'warehouse' = '${ICEBERG_WAREHOUSE}',
  'io-impl' = 'org.apache.iceberg.aws.s3.S3FileIO',
  's3.endpoint' = '${S3_ENDPOINT}',
  's3.path-style-access' = '${S3_PATH_STYLE_ACCESS}',
  'client.region' = '${S3_REGION}'
);

CREATE DATABASE IF NOT EXISTS lakehouse.demo;

-- Keyed by product_id: v2 equality deletes on the key replace a product's row on every change.
-- Not Iceberg's upsert mode: that mode drops every UPDATE_BEFORE on the assumption that an
-- UPDATE_AFTER for the same key follows, and the join can emit a lone one (a product updated and then
-- deleted with its sales, in one mini-batch or in an unlucky order of the join's two inputs), which
-- left the deleted product's row in the table for ever. Without it the sink applies every retraction.
-- A job started without state must therefore write an empty table or branch (README, "Rebuilding
-- the lake"), never rows it did not write itself.
-- File-scoped deletes let compaction (Trino's optimize) run beside the streaming writer.
CREATE TABLE IF NOT EXISTS lakehouse.demo.sales_by_product (
  product_id    INT NOT NULL,
  product_sku   STRING,
  product_name  STRING,
  total_qty     BIGINT,
  total_revenue DECIMAL(38, 2),
  sale_count    BIGINT,
  last_sale_ts  TIMESTAMP(3),
  PRIMARY KEY (product_id) NOT ENFORCED
) WITH (
  'format-version' = '2',
  'write.upsert.enabled' = 'false',
  'write.delete.granularity' = 'file',
  'write.parquet.compression-codec' = 'zstd'
);

-- Each CDC source reads the binlog as a replica with its own server-id range, one id per
-- parallel reader, disjoint from each other and from the server's own id.
CREATE TEMPORARY TABLE products_cdc (
  id    INT,
  sku   STRING,
  name  STRING,
  price DECIMAL(10, 2),
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '${MYSQL_HOST}',
  'port' = '${MYSQL_PORT}',
  'username' = '${MYSQL_CDC_USER}',
  'password' = '${MYSQL_CDC_PASSWORD}',
  'database-name' = 'appdb',
  'table-name' = 'products',
  'server-id' = '${CDC_SERVER_IDS_PRODUCTS}',
  'server-time-zone' = 'UTC',
  'scan.startup.mode' = 'initial'
);

CREATE TEMPORARY TABLE sales_cdc (
  id         BIGINT,
  product_id INT,
  qty        INT,
  price      DECIMAL(10, 2),
  sale_ts    TIMESTAMP(3),
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '${MYSQL_HOST}',
  'port' = '${MYSQL_PORT}',
  'username' = '${MYSQL_CDC_USER}',
  'password' = '${MYSQL_CDC_PASSWORD}',
  'database-name' = 'appdb',
  'table-name' = 'sales',
  'server-id' = '${CDC_SERVER_IDS_SALES}',
  'server-time-zone' = 'UTC',
  'scan.startup.mode' = 'initial'
);

-- Aggregate the sales per product first, then join the product: the result's key is product_id,
-- the sink's primary key, so no upsert materializer is needed and a rename updates one row
-- instead of retracting and re-adding a whole group. Products without sales have no row.
-- The branch is `main` (what readers see) except while a job started without state rebuilds the
-- table on a branch of its own, published when complete (README, "Rebuilding the lake").
-- The hint's 'upsert-enabled' also holds for tables created before the property changed.
INSERT INTO lakehouse.demo.sales_by_product /*+ OPTIONS('branch' = '${ICEBERG_BRANCH}', 'upsert-enabled' = 'false') */
SELECT
  p.id,
  p.sku,
  p.name,
  s.total_qty,
  s.total_revenue,
  s.sale_count,
  s.last_sale_ts
FROM (
  SELECT
    product_id,
    SUM(CAST(qty AS BIGINT))                 AS total_qty,
    SUM(CAST(qty * price AS DECIMAL(38, 2))) AS total_revenue,
    COUNT(*)                                 AS sale_count,
    MAX(sale_ts)                             AS last_sale_ts
  FROM sales_cdc
  GROUP BY product_id
) AS s
JOIN products_cdc AS p ON p.id = s.product_id;
