package dev.lakehouse.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.inmemory.InMemoryCatalog;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rebuild's branch moves, on Iceberg's in-memory catalog (metadata only; no data is read). */
class SinkBranchTest {

    @TempDir
    Path warehouse;

    private Table table;

    @BeforeEach
    void createTable() {
        InMemoryCatalog catalog = new InMemoryCatalog();
        catalog.initialize("test", Map.of("warehouse", warehouse.toUri().toString()));
        catalog.createNamespace(Namespace.of("demo"));
        Schema schema = new Schema(Types.NestedField.required(1, "product_id", Types.IntegerType.get()));
        table = catalog.createTable(TableIdentifier.of("demo", "sales_by_product"), schema, PartitionSpec.unpartitioned(),
                Map.of("format-version", "2"));
    }

    private DataFile file(String name) throws Exception {
        Path p = Files.createFile(warehouse.resolve(name));
        return DataFiles.builder(PartitionSpec.unpartitioned()).withPath(p.toString()).withFormat(FileFormat.PARQUET)
                .withFileSizeInBytes(1).withRecordCount(1).build();
    }

    private long liveFiles(String branch) {
        Snapshot s = table.snapshot(table.refs().get(branch).snapshotId());
        return Long.parseLong(s.summary().getOrDefault("total-data-files", "0"));
    }

    @Test
    void readsTheSinkAndBranchFromTheHint() {
        assertEquals(Optional.of(new SinkBranch.Target("lakehouse", "demo", "sales_by_product", "rebuild")),
                SinkBranch.target("INSERT INTO lakehouse.demo.sales_by_product /*+ OPTIONS('branch' = 'rebuild') */\nSELECT 1"));
        assertEquals(Optional.empty(), SinkBranch.target("INSERT INTO lakehouse.demo.t SELECT 1"));
        assertEquals(Optional.empty(), SinkBranch.target("INSERT INTO lakehouse.demo.t /*+ OPTIONS('upsert-enabled'='true') */ SELECT 1"));
        assertThrows(SqlRunnerException.class, () -> SinkBranch.target("INSERT INTO t /*+ OPTIONS('branch'='main') */ SELECT 1"));
    }

    @Test
    void rebuildStartsEmptyAndLeavesMainAlone() throws Exception {
        table.newFastAppend().appendFile(file("a.parquet")).commit();
        long main = table.currentSnapshot().snapshotId();

        SinkBranch.prepare(table, SinkBranch.REBUILD);

        assertEquals(main, table.currentSnapshot().snapshotId());
        assertEquals(0, liveFiles(SinkBranch.REBUILD));
        assertEquals(1, liveFiles(SinkBranch.MAIN));
    }

    @Test
    void aRestartedRebuildKeepsItsProgress() throws Exception {
        table.newFastAppend().appendFile(file("a.parquet")).commit();
        SinkBranch.prepare(table, SinkBranch.REBUILD);
        table.newFastAppend().appendFile(file("b.parquet")).toBranch(SinkBranch.REBUILD).commit();
        long head = table.refs().get(SinkBranch.REBUILD).snapshotId();

        assertTrue(SinkBranch.prepare(table, SinkBranch.REBUILD).contains("exists"));
        assertEquals(head, table.refs().get(SinkBranch.REBUILD).snapshotId());
    }

    @Test
    void writingMainPublishesAPendingRebuildOnce() throws Exception {
        table.newFastAppend().appendFile(file("a.parquet")).commit();
        SinkBranch.prepare(table, SinkBranch.REBUILD);
        table.newFastAppend().appendFile(file("b.parquet")).appendFile(file("c.parquet")).toBranch(SinkBranch.REBUILD).commit();
        long rebuilt = table.refs().get(SinkBranch.REBUILD).snapshotId();
        long oldMain = table.currentSnapshot().snapshotId();

        SinkBranch.prepare(table, SinkBranch.MAIN);

        assertEquals(rebuilt, table.currentSnapshot().snapshotId());
        assertNotEquals(oldMain, rebuilt);
        assertEquals(2, liveFiles(SinkBranch.MAIN));
        assertFalse(table.refs().containsKey(SinkBranch.REBUILD));
        // A JobManager failover re-runs the runner: nothing left to publish, main stays.
        assertEquals("no rebuild to publish", SinkBranch.prepare(table, SinkBranch.MAIN));
        assertEquals(rebuilt, table.currentSnapshot().snapshotId());
    }

    @Test
    void aTableNeverWrittenGetsAnEmptyRebuildBranch() {
        SinkBranch.prepare(table, SinkBranch.REBUILD);
        assertTrue(table.refs().containsKey(SinkBranch.REBUILD));
        assertEquals(0, liveFiles(SinkBranch.REBUILD));
    }

    @Test
    void refusesOtherBranches() {
        assertThrows(SqlRunnerException.class, () -> SinkBranch.prepare(table, "audit"));
    }
}
