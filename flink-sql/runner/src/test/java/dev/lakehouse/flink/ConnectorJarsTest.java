package dev.lakehouse.flink;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connector jars of the job image (test dependencies, each without its transitive ones, as in
 * /opt/flink/lib) load and plug into Flink. Nothing here needs a database: the CDC source is only
 * planned, and the Iceberg catalog fails when it tries to connect, which proves everything before
 * the connection works.
 */
class ConnectorJarsTest {

    @TempDir
    Path dir;

    private StreamTableEnvironment tableEnv;

    @BeforeEach
    void localEnvironment() {
        Configuration conf = new Configuration();
        conf.setString("parallelism.default", "1");
        tableEnv = StreamTableEnvironment.create(
                StreamExecutionEnvironment.getExecutionEnvironment(conf), EnvironmentSettings.inStreamingMode());
    }

    private void run(String sql, Map<String, String> environment) throws IOException {
        Path script = Files.writeString(dir.resolve("script.sql"), sql);
        new SqlRunner(tableEnv).run(SqlRunner.prepare(script, environment));
    }

    @Test
    void mysqlCdcTableIsCreatedAndPlanned() throws IOException {
        run("CREATE TABLE orders_cdc (\n"
                + "  order_id BIGINT, amount DECIMAL(10, 2), updated_at TIMESTAMP(3),\n"
                + "  PRIMARY KEY (order_id) NOT ENFORCED\n"
                + ") WITH (\n"
                + "  'connector' = 'mysql-cdc', 'hostname' = '127.0.0.1', 'port' = '1',\n"
                + "  'username' = 'cdc', 'password' = '${MYSQL_PASSWORD}',\n"
                + "  'database-name' = 'shop', 'table-name' = 'orders', 'server-id' = '5401-5404');\n"
                + "CREATE TABLE sink (order_id BIGINT, amount DECIMAL(10, 2)) WITH ('connector' = 'blackhole');\n"
                // the planner asks the mysql-cdc factory for its source and translates it to a job graph
                + "EXPLAIN JSON_EXECUTION_PLAN INSERT INTO sink SELECT order_id, amount FROM orders_cdc;\n",
                Map.of("MYSQL_PASSWORD", "cdc-pw-1234"));
    }

    @Test
    void icebergJdbcCatalogGetsAsFarAsConnecting() {
        String password = "catalog-pw-9876";
        SqlRunnerException e = assertThrows(SqlRunnerException.class, () -> run(
                "CREATE CATALOG lake WITH (\n"
                        + "  'type' = 'iceberg',\n"
                        + "  'catalog-impl' = 'org.apache.iceberg.jdbc.JdbcCatalog',\n"
                        + "  'uri' = 'jdbc:mysql://127.0.0.1:1/iceberg_catalog',\n"
                        + "  'jdbc.user' = 'iceberg', 'jdbc.password' = '${CATALOG_PASSWORD}',\n"
                        + "  'jdbc.schema-version' = 'V1',\n"
                        + "  'warehouse' = 's3://warehouse/',\n"
                        + "  'io-impl' = 'org.apache.iceberg.aws.s3.S3FileIO',\n"
                        + "  's3.endpoint' = 'http://127.0.0.1:1', 's3.path-style-access' = 'true',\n"
                        + "  'client.region' = 'us-east-1');\n",
                Map.of("CATALOG_PASSWORD", password)));
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        String all = trace.toString();
        assertTrue(e.getMessage().startsWith("Statement 1 of "), e.getMessage());
        // the MySQL driver was loaded and tried the network: no ClassNotFound / NoClassDefFound on the way
        assertTrue(all.contains("Communications link failure") || all.contains("Connection refused"), all);
        assertFalse(all.contains("ClassNotFoundException") || all.contains("NoClassDefFoundError"), all);
        assertFalse(all.contains(password), all);
    }
}
