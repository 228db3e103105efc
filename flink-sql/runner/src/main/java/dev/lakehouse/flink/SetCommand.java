package dev.lakehouse.flink;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code SET} or {@code RESET}, in the forms Flink's SQL client accepts:
 * {@code SET 'key' = 'value'}, {@code SET key = value}, {@code SET} (no key: list nothing, change
 * nothing), {@code RESET 'key'}, {@code RESET key} and {@code RESET} (every key this script set).
 * Quoted parts may use {@code ''} for a quote; backticks may quote a key.
 *
 * @param reset true for RESET
 * @param key the key, empty for a bare SET / RESET
 * @param value the value of a SET with a key, otherwise null
 */
public record SetCommand(boolean reset, Optional<String> key, String value) {

    private static final String PART = "'((?:[^']|'')*)'|`((?:[^`]|``)*)`|([^\\s=;'`]+)";
    private static final Pattern SET = Pattern.compile(
            "(?is)SET(?:\\s+(?:" + PART + ")\\s*=\\s*(?:'((?:[^']|'')*)'|([^'\\s].*?)))?\\s*");
    private static final Pattern RESET = Pattern.compile("(?is)RESET(?:\\s+(?:" + PART + "))?\\s*");

    public static SetCommand parse(String sql) {
        String text = sql.strip();
        Matcher set = SET.matcher(text);
        if (set.matches()) {
            Optional<String> key = key(set);
            if (key.isEmpty()) {
                return new SetCommand(false, key, null);
            }
            String value = set.group(4) != null ? set.group(4).replace("''", "'") : set.group(5).strip();
            return new SetCommand(false, key, value);
        }
        Matcher reset = RESET.matcher(text);
        if (reset.matches()) {
            return new SetCommand(true, key(reset), null);
        }
        throw new IllegalArgumentException(
                "not a valid SET/RESET statement; expected SET 'key' = 'value' or RESET 'key'");
    }

    private static Optional<String> key(Matcher m) {
        if (m.group(1) != null) {
            return Optional.of(m.group(1).replace("''", "'"));
        }
        if (m.group(2) != null) {
            return Optional.of(m.group(2).replace("``", "`"));
        }
        return Optional.ofNullable(m.group(3));
    }
}
