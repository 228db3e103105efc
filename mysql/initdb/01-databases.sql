-- Databases and tables of the platform. Run once by the MySQL image on an empty data directory
-- (docker-entrypoint-initdb.d) and by the local proof harness. Idempotent.

CREATE DATABASE IF NOT EXISTS appdb CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
-- Iceberg's JDBC catalog gets a database of its own so its tables never mix with application data.
CREATE DATABASE IF NOT EXISTS iceberg_catalog CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
-- Superset's metadata lives on the same server, in its own database, so there is one stateful
-- database server to run, back up and secure.
CREATE DATABASE IF NOT EXISTS superset CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

USE appdb;

CREATE TABLE IF NOT EXISTS products (
  id         INT           NOT NULL AUTO_INCREMENT,
  sku        VARCHAR(64)   NOT NULL,
  name       VARCHAR(255)  NOT NULL,
  price      DECIMAL(10,2) NOT NULL,
  updated_at DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_products_sku (sku)
) ENGINE=InnoDB;

-- One row per sale; price is the unit price charged, so revenue = qty * price. DATETIME, not
-- TIMESTAMP: the value CDC reads is the value stored, whatever the session time zone.
CREATE TABLE IF NOT EXISTS sales (
  id         BIGINT        NOT NULL AUTO_INCREMENT,
  product_id INT           NOT NULL,
  qty        INT           NOT NULL,
  price      DECIMAL(10,2) NOT NULL,
  sale_ts    DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_sales_product (product_id),
  CONSTRAINT fk_sales_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB;
