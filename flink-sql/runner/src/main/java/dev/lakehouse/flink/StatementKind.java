package dev.lakehouse.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the runner does with a statement, decided by its leading keywords. */
public enum StatementKind {
    /** {@code SET ...}: goes to the table config. */
    SET,
    /** {@code RESET ...}: removes keys from the table config. */
    RESET,
    /** {@code BEGIN STATEMENT SET} (SQL client style): the INSERTs up to {@code END} run as one job. */
    BEGIN_STATEMENT_SET,
    /** {@code END}, closing {@code BEGIN STATEMENT SET}. */
    END,
    /** {@code INSERT ...} or {@code EXECUTE INSERT ...}: submits a job. */
    INSERT,
    /** {@code EXECUTE STATEMENT SET BEGIN ... END}: submits one job. */
    STATEMENT_SET,
    /** A top-level query (SELECT, WITH, VALUES): not runnable in a pipeline script. */
    QUERY,
    /** Anything else (DDL, USE, SHOW, EXPLAIN, ...): goes to executeSql as it is. */
    OTHER;

    private static final Pattern WORD = Pattern.compile("[A-Za-z_]+");

    public static StatementKind of(String sql) {
        List<String> words = leadingWords(sql, 4);
        String first = words.isEmpty() ? "" : words.get(0);
        switch (first) {
            case "SET":
                return SET;
            case "RESET":
                return RESET;
            case "END":
                return sql.strip().equalsIgnoreCase("END") ? END : OTHER;
            case "INSERT":
                return INSERT;
            case "SELECT":
            case "WITH":
            case "VALUES":
                return QUERY;
            case "BEGIN":
                return words.equals(List.of("BEGIN", "STATEMENT", "SET")) ? BEGIN_STATEMENT_SET : OTHER;
            case "EXECUTE":
                if (words.size() > 1 && words.get(1).equals("INSERT")) {
                    return INSERT;
                }
                if (words.size() > 2 && words.get(1).equals("STATEMENT") && words.get(2).equals("SET")) {
                    return STATEMENT_SET;
                }
                return OTHER;
            default:
                return OTHER;
        }
    }

    /** Up to {@code max} words at the start of {@code sql}, upper-cased; stops at the first non-word token. */
    private static List<String> leadingWords(String sql, int max) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(sql);
        int expectedStart = 0;
        while (words.size() < max && m.find()) {
            if (!sql.substring(expectedStart, m.start()).isBlank()) {
                break;
            }
            words.add(m.group().toUpperCase(Locale.ROOT));
            expectedStart = m.end();
        }
        return words;
    }
}
