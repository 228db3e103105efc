package dev.lakehouse.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StatementKindTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "SET 'a' = 'b'                                    | SET",
        "set a=b                                          | SET",
        "SET                                              | SET",
        "RESET 'a'                                        | RESET",
        "reset                                            | RESET",
        "BEGIN STATEMENT SET                              | BEGIN_STATEMENT_SET",
        "end                                              | END",
        "INSERT INTO t SELECT 1                           | INSERT",
        "insert overwrite t select 1                      | INSERT",
        "EXECUTE INSERT INTO t SELECT 1                   | INSERT",
        "EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 1; END | STATEMENT_SET",
        "SELECT * FROM t                                  | QUERY",
        "WITH x AS (SELECT 1) SELECT * FROM x             | QUERY",
        "VALUES (1)                                       | QUERY",
        "CREATE TABLE t (a INT)                           | OTHER",
        "CREATE CATALOG c WITH ('type'='iceberg')         | OTHER",
        "SHOW TABLES                                      | OTHER",
        "EXPLAIN PLAN FOR SELECT 1                        | OTHER",
        "SETTINGS                                         | OTHER",
        "END IF                                           | OTHER",
    })
    void classifiesByLeadingKeywords(String sql, StatementKind expected) {
        assertEquals(expected, StatementKind.of(sql));
    }

    @Test
    void setWithQuotedKeyAndValue() {
        SetCommand set = SetCommand.parse("SET 'execution.checkpointing.interval' = '30 s'");
        assertFalse(set.reset());
        assertEquals(Optional.of("execution.checkpointing.interval"), set.key());
        assertEquals("30 s", set.value());
    }

    @Test
    void setWithUnquotedKeyAndValue() {
        SetCommand set = SetCommand.parse("set  pipeline.name=orders-to-iceberg ");
        assertEquals(Optional.of("pipeline.name"), set.key());
        assertEquals("orders-to-iceberg", set.value());
        assertEquals("1 min", SetCommand.parse("SET table.exec.state.ttl = 1 min").value());
    }

    @Test
    void setWithEscapedQuotesAndSpecialCharacters() {
        SetCommand set = SetCommand.parse("SET 'pipeline.name' = 'it''s = ; fine'");
        assertEquals("it's = ; fine", set.value());
        assertEquals(Optional.of("odd key"), SetCommand.parse("SET `odd key` = 'v'").key());
        assertEquals("", SetCommand.parse("SET 'k' = ''").value());
    }

    @Test
    void bareSetAndResets() {
        assertTrue(SetCommand.parse("SET").key().isEmpty());
        SetCommand resetOne = SetCommand.parse("RESET 'pipeline.name'");
        assertTrue(resetOne.reset());
        assertEquals(Optional.of("pipeline.name"), resetOne.key());
        assertEquals(Optional.of("pipeline.name"), SetCommand.parse("reset pipeline.name").key());
        SetCommand resetAll = SetCommand.parse("RESET");
        assertTrue(resetAll.reset());
        assertTrue(resetAll.key().isEmpty());
    }

    @Test
    void malformedSetIsRejectedWithoutEchoingTheValue() {
        for (String bad : new String[] {"SET 'k'", "SET 'k' = 'v' trailing", "SET k =", "RESET a b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SetCommand.parse(bad), bad);
            assertFalse(e.getMessage().contains("trailing"), e.getMessage());
        }
    }
}
