package dev.lakehouse.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lakehouse.flink.SqlScript.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlScriptTest {

    private static List<String> texts(String script) {
        return SqlScript.split(script).stream().map(Statement::text).toList();
    }

    @Test
    void splitsOnSemicolonsAndDropsBlankStatements() {
        assertEquals(List.of("CREATE TABLE a (x INT)", "DROP TABLE a"),
                texts("CREATE TABLE a (x INT);\n\n ; DROP TABLE a;;\n"));
    }

    @Test
    void lastStatementNeedsNoSemicolon() {
        assertEquals(List.of("USE c", "SHOW TABLES"), texts("USE c;\nSHOW TABLES\n"));
    }

    @Test
    void semicolonsInsideSingleQuotesDoNotSplit() {
        assertEquals(List.of("SET 'k' = 'a;b'", "INSERT INTO t VALUES ('it''s; fine', ';')"),
                texts("SET 'k' = 'a;b';\nINSERT INTO t VALUES ('it''s; fine', ';');"));
    }

    @Test
    void semicolonsInsideBackticksAndDoubleQuotesDoNotSplit() {
        assertEquals(List.of("CREATE TABLE `we;ird``s` (\"a;b\" INT)", "SELECT 1"),
                texts("CREATE TABLE `we;ird``s` (\"a;b\" INT);SELECT 1;"));
    }

    @Test
    void commentsAreDroppedWithTheirSemicolons() {
        String script = "-- header; with a semicolon\n"
                + "CREATE TABLE a (x INT) /* inline; comment */ WITH ('connector' = 'blackhole');\n"
                + "/* block\n comment; */\n"
                + "-- only a comment here;\n";
        assertEquals(List.of("CREATE TABLE a (x INT)   WITH ('connector' = 'blackhole')"), texts(script));
    }

    @Test
    void commentMarkersInsideStringsAreText() {
        assertEquals(List.of("INSERT INTO t VALUES ('--not a comment', '/* nor this */')"),
                texts("INSERT INTO t VALUES ('--not a comment', '/* nor this */');"));
    }

    @Test
    void commentsKeepTokensApart() {
        assertEquals(List.of("SELECT a\nFROM t", "SELECT b FROM t"),
                texts("SELECT a-- trailing\nFROM t;SELECT b/**/FROM t;"));
    }

    @Test
    void optimizerHintsAreKept() {
        String sql = "INSERT INTO s SELECT * FROM t /*+ OPTIONS('streaming'='true'; 'x'='y') */";
        assertEquals(List.of(sql), texts(sql + ";"));
    }

    @Test
    void executeStatementSetStaysOneStatement() {
        String set = "EXECUTE STATEMENT SET\nBEGIN\n"
                + "  INSERT INTO a SELECT x FROM t;\n"
                + "  INSERT INTO b SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n"
                + "END";
        List<String> texts = texts("SET 'a' = 'b';\n" + set + ";\nSHOW JOBS;");
        assertEquals(List.of("SET 'a' = 'b'", set, "SHOW JOBS"), texts);
    }

    @Test
    void statementSetDetectionIgnoresCaseCommentsAndStrings() {
        String script = "execute /* c */ statement set begin\n"
                + "insert into a values ('END;'); -- END;\n"
                + "insert into b values (1);\n"
                + "end ;\nSELECT 2";
        List<String> texts = texts(script);
        assertEquals(2, texts.size(), texts.toString());
        assertTrue(texts.get(0).endsWith("insert into b values (1);\nend"), texts.get(0));
        assertEquals("SELECT 2", texts.get(1));
    }

    @Test
    void numbersStatementsAndRecordsTheirFirstLine() {
        List<Statement> statements = SqlScript.split("-- intro\n\nCREATE TABLE a (\n x INT\n);\n/* c\n c */ DROP TABLE a;");
        assertEquals(new Statement(1, 3, "CREATE TABLE a (\n x INT\n)"), statements.get(0));
        assertEquals(new Statement(2, 7, "DROP TABLE a"), statements.get(1));
        assertEquals("CREATE TABLE a (", statements.get(0).firstLine());
    }

    @Test
    void previewIsOneLineAndCut() {
        Statement s = new Statement(1, 1, "SELECT\n  a,\n  b\nFROM t");
        assertEquals("SELECT a, b FROM t", s.preview(100));
        assertEquals("SELECT a, ...", s.preview(9));
    }

    @Test
    void emptyAndCommentOnlyScriptsHaveNoStatements() {
        assertTrue(SqlScript.split("").isEmpty());
        assertTrue(SqlScript.split("-- nothing\n/* at all */\n;\n").isEmpty());
    }

    @Test
    void unterminatedQuoteOrCommentIsAnError() {
        IllegalArgumentException quote = assertThrows(IllegalArgumentException.class,
                () -> SqlScript.split("SELECT 1;\nSELECT 'oops;\n"));
        assertTrue(quote.getMessage().contains("line 2"), quote.getMessage());
        IllegalArgumentException comment = assertThrows(IllegalArgumentException.class,
                () -> SqlScript.split("SELECT 1 /* never closed"));
        assertTrue(comment.getMessage().contains("comment"), comment.getMessage());
    }
}
