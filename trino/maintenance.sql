-- Table maintenance for the upsert table, run through Trino by the maintenance CronJob
-- (trino --file) and by the local proof harness. Every checkpoint commits small data files and
-- equality deletes, so without this the table grows without bound and reads slow down.

-- Rewrite small files and fold the deletes into them.
ALTER TABLE iceberg.demo.sales_by_product EXECUTE optimize(file_size_threshold => '128MB');

-- Drop snapshots (and the files only they reference) older than Trino's minimum retention.
ALTER TABLE iceberg.demo.sales_by_product EXECUTE expire_snapshots(retention_threshold => '7d');

-- Files no snapshot references, e.g. from a commit the writer lost.
ALTER TABLE iceberg.demo.sales_by_product EXECUTE remove_orphan_files(retention_threshold => '7d');
