package dev.lakehouse.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lakehouse.flink.SqlRunner.PreparedScript;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks that run before anything reaches Flink. */
class SqlRunnerPrepareTest {

    @TempDir
    Path dir;

    private Path script(String text) throws IOException {
        return Files.writeString(dir.resolve("job.sql"), text);
    }

    @Test
    void substitutesAndClassifiesEveryStatement() throws IOException {
        PreparedScript prepared = SqlRunner.prepare(script(
                "SET 'pipeline.name' = '${NAME}';\nCREATE TABLE t (a INT) WITH ('connector' = 'blackhole');\n"
                        + "INSERT INTO t VALUES (1);"),
                Map.of("NAME", "demo"));
        assertEquals(3, prepared.steps().size());
        assertEquals("SET 'pipeline.name' = 'demo'", prepared.steps().get(0).sql());
        assertEquals("SET 'pipeline.name' = '${NAME}'", prepared.steps().get(0).source().text());
        assertEquals(List.of(StatementKind.SET, StatementKind.OTHER, StatementKind.INSERT),
                prepared.steps().stream().map(SqlRunner.Step::kind).toList());
    }

    @Test
    void missingVariablesAreAllListedWithTheScriptPath() throws IOException {
        Path path = script("CREATE TABLE a WITH ('hostname' = '${DB_HOST}', 'password' = '${DB_PASSWORD}');\n"
                + "-- '${IN_A_COMMENT}' is not needed\n"
                + "SET 'x' = '$${ESCAPED}';\n"
                + "CREATE CATALOG c WITH ('uri' = '${CATALOG_URI}', 'password' = '${DB_PASSWORD}', 'u' = '${SET_ONE}');");
        SqlRunnerException e = assertThrows(SqlRunnerException.class,
                () -> SqlRunner.prepare(path, Map.of("SET_ONE", "value-of-set-one")));
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
        assertTrue(e.getMessage().endsWith(": DB_HOST, DB_PASSWORD, CATALOG_URI"), e.getMessage());
        assertFalse(e.getMessage().contains("value-of-set-one"), e.getMessage());
    }

    @Test
    void bareQueriesAreRejectedUpFront() throws IOException {
        Path path = script("CREATE TABLE t (a INT) WITH ('connector' = 'datagen');\n\nSELECT *\nFROM t;");
        SqlRunnerException e = assertThrows(SqlRunnerException.class, () -> SqlRunner.prepare(path, Map.of()));
        assertTrue(e.getMessage().startsWith("Statement 2 of " + path + " (line 3: SELECT *)"), e.getMessage());
    }

    @Test
    void malformedSetIsRejectedUpFront() throws IOException {
        Path path = script("SET 'a' = '${V}' extra;");
        SqlRunnerException e = assertThrows(SqlRunnerException.class,
                () -> SqlRunner.prepare(path, Map.of("V", "hidden-value")));
        assertTrue(e.getMessage().contains("Statement 1"), e.getMessage());
        assertTrue(e.getMessage().contains("'${V}'"), e.getMessage());
        assertFalse(e.getMessage().contains("hidden-value"), e.getMessage());
    }

    @Test
    void unbalancedStatementSetsAreRejectedUpFront() throws IOException {
        assertThrows(SqlRunnerException.class, () -> SqlRunner.prepare(script("BEGIN STATEMENT SET;\nINSERT INTO t VALUES (1);"), Map.of()));
        assertThrows(SqlRunnerException.class, () -> SqlRunner.prepare(script("END;"), Map.of()));
    }

    @Test
    void unreadableEmptyOrUnterminatedScriptsAreErrors() throws IOException {
        assertThrows(SqlRunnerException.class, () -> SqlRunner.prepare(dir.resolve("absent.sql"), Map.of()));
        assertThrows(SqlRunnerException.class, () -> SqlRunner.prepare(script("-- nothing\n"), Map.of()));
        SqlRunnerException e = assertThrows(SqlRunnerException.class,
                () -> SqlRunner.prepare(script("SELECT 'open"), Map.of()));
        assertTrue(e.getMessage().contains("unterminated"), e.getMessage());
    }

    @Test
    void mainWantsExactlyOneArgument() {
        assertThrows(SqlRunnerException.class, () -> SqlRunner.main(new String[0]));
        assertThrows(SqlRunnerException.class, () -> SqlRunner.main(new String[] {"a.sql", "b.sql"}));
    }

    @Test
    void awaitFlag() {
        assertTrue(SqlRunner.awaitRequested(Map.of("SQL_RUNNER_AWAIT", "TRUE ")));
        assertFalse(SqlRunner.awaitRequested(Map.of("SQL_RUNNER_AWAIT", "no")));
        assertFalse(SqlRunner.awaitRequested(Map.of()));
    }
}
