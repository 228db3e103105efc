package dev.lakehouse.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs scripts for real, in a MiniCluster inside the test JVM, on the Flink jars of target/flink-dist. */
class MiniClusterRunTest {

    @TempDir
    Path dir;

    private StreamExecutionEnvironment env;
    private StreamTableEnvironment tableEnv;

    @BeforeEach
    void localEnvironment() {
        Configuration conf = new Configuration();
        conf.setString("parallelism.default", "1");
        env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        tableEnv = StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
    }

    private List<TableResult> run(String sql, Map<String, String> environment) throws IOException {
        Path script = Files.writeString(dir.resolve("script.sql"), sql);
        return new SqlRunner(tableEnv).run(SqlRunner.prepare(script, environment));
    }

    @Test
    void datagenRowsReachTheSinksOfAStatementSet() throws Exception {
        Path out = dir.resolve("out");
        List<TableResult> jobs = run(
                "SET 'execution.checkpointing.interval' = '7 s';\n"
                        + "SET pipeline.name = ${JOB_NAME};\n"
                        + "CREATE TABLE numbers (id BIGINT, label STRING) WITH (\n"
                        + "  'connector' = 'datagen', 'number-of-rows' = '25',\n"
                        + "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '25',\n"
                        + "  'fields.label.length' = '4');\n"
                        + "CREATE TABLE files (id BIGINT, label STRING) WITH (\n"
                        + "  'connector' = 'filesystem', 'path' = '${OUT_DIR}', 'format' = 'csv');\n"
                        + "CREATE TABLE nothing (id BIGINT) WITH ('connector' = 'blackhole');\n"
                        + "-- one job, two sinks; the ';' inside do not split\n"
                        + "EXECUTE STATEMENT SET BEGIN\n"
                        + "  INSERT INTO files SELECT id, label FROM numbers;\n"
                        + "  INSERT INTO nothing SELECT id FROM numbers WHERE label <> 'x;y';\n"
                        + "END;\n",
                Map.of("OUT_DIR", out.toUri().toString(), "JOB_NAME", "datagen-test"));

        assertEquals(1, jobs.size());
        jobs.get(0).await();

        List<String> lines;
        try (Stream<Path> files = Files.walk(out)) {
            lines = files.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .flatMap(p -> {
                        try {
                            return Files.readAllLines(p).stream();
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    })
                    .toList();
        }
        assertEquals(25, lines.size(), lines.toString());
        assertEquals(25, lines.stream().map(l -> l.split(",")[0]).distinct().count());
        // SET went to the table config, and from there to the job's execution config
        assertEquals("datagen-test", tableEnv.getConfig().getConfiguration().getString("pipeline.name", null));
        assertEquals(7000L, env.getCheckpointInterval());
    }

    @Test
    void sqlClientStyleStatementSetRunsAsOneJob() throws Exception {
        List<TableResult> jobs = run(
                "CREATE TABLE numbers (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');\n"
                        + "CREATE TABLE shown (id INT) WITH ('connector' = 'print', 'print-identifier' = 'test');\n"
                        + "CREATE TABLE dropped (id INT) WITH ('connector' = 'blackhole');\n"
                        + "BEGIN STATEMENT SET;\n"
                        + "INSERT INTO shown SELECT id FROM numbers;\n"
                        + "INSERT INTO dropped SELECT id FROM numbers;\n"
                        + "END;\n",
                Map.of());
        assertEquals(1, jobs.size());
        jobs.get(0).await();
    }

    @Test
    void resetRemovesKeys() throws Exception {
        run("SET 'pipeline.name' = 'a';\nSET 'table.exec.sink.not-null-enforcer' = 'DROP';\nRESET 'pipeline.name';", Map.of());
        Configuration config = tableEnv.getConfig().getConfiguration();
        assertFalse(config.containsKey("pipeline.name"));
        assertTrue(config.containsKey("table.exec.sink.not-null-enforcer"));
        run("SET 'pipeline.name' = 'b';\nRESET;", Map.of());
        assertFalse(config.containsKey("pipeline.name"));
    }

    @Test
    void failingStatementIsNamedAndSubstitutedValuesDoNotLeak() throws IOException {
        String secretHost = "db-host-7f3a9";
        SqlRunnerException e = assertThrows(SqlRunnerException.class, () -> run(
                "CREATE TABLE src (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1');\n"
                        + "CREATE TABLE dst (id INT) WITH (\n"
                        + "  'connector' = 'no-such-connector', 'hostname' = '${DB_HOST}');\n"
                        + "\n"
                        + "INSERT INTO dst\n  SELECT id FROM src;\n",
                Map.of("DB_HOST", secretHost)));

        String message = e.getMessage();
        assertTrue(message.startsWith("Statement 3 of "), message);
        assertTrue(message.contains("(line 5: INSERT INTO dst)"), message);
        assertTrue(message.contains("no-such-connector"), message);
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        assertTrue(trace.toString().contains("${DB_HOST}"), "Flink quotes the option; we redact it");
        assertFalse(trace.toString().contains(secretHost), trace.toString());
    }

    @Test
    void showResultsAreLoggedNotReturnedAsJobs() throws Exception {
        List<TableResult> jobs = run("CREATE TABLE t (id INT) WITH ('connector' = 'blackhole');\nSHOW TABLES;\n"
                + "EXPLAIN PLAN FOR INSERT INTO t VALUES (1);", Map.of());
        assertTrue(jobs.isEmpty());
    }
}
