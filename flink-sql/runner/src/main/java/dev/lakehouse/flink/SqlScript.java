package dev.lakehouse.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits a Flink SQL script into statements.
 *
 * <p>A statement ends at a {@code ;} that is outside quotes ({@code '...'}, {@code "..."},
 * {@code `...`}, each with its doubled-quote escape) and outside comments. Comments are dropped,
 * except optimizer hints ({@code /*+ ... *}{@code /}), which are part of the SQL. An
 * {@code EXECUTE STATEMENT SET BEGIN ... END;} block stays one statement: inside it a {@code ;}
 * only separates the INSERTs, and the block ends at the {@code ;} that follows its {@code END}.
 */
public final class SqlScript {

    /** One statement of a script: its 1-based number, the script line it starts on, its text. */
    public record Statement(int number, int line, String text) {

        /** The first line of the text, for messages. */
        public String firstLine() {
            int newline = text.indexOf('\n');
            return (newline < 0 ? text : text.substring(0, newline)).strip();
        }

        /** The text on one line, cut to at most {@code max} characters, for logs. */
        public String preview(int max) {
            String oneLine = text.replaceAll("\\s+", " ");
            return oneLine.length() <= max ? oneLine : oneLine.substring(0, max) + " ...";
        }
    }

    private static final Pattern STATEMENT_SET_START =
            Pattern.compile("^\\s*EXECUTE\\s+STATEMENT\\s+SET\\s+BEGIN\\b", Pattern.CASE_INSENSITIVE);

    private final String source;
    private final List<Statement> statements = new ArrayList<>();
    private final StringBuilder current = new StringBuilder();
    private int pos;
    private int line = 1;
    private int currentStartLine;
    private boolean currentHasText;
    /** Where, inside an open statement set, the INSERT now being read begins. */
    private int innerStart;

    private SqlScript(String source) {
        this.source = source;
    }

    /** Splits {@code script}; throws {@link IllegalArgumentException} on an unterminated quote or comment. */
    public static List<Statement> split(String script) {
        SqlScript parser = new SqlScript(script);
        parser.run();
        return List.copyOf(parser.statements);
    }

    private void run() {
        while (pos < source.length()) {
            char c = source.charAt(pos);
            if (c == '-' && peek(1) == '-') {
                skipLineComment();
            } else if (c == '/' && peek(1) == '*') {
                blockComment();
            } else if (c == '\'' || c == '"' || c == '`') {
                quoted(c);
            } else if (c == ';') {
                pos++;
                semicolon();
            } else {
                append(c);
                pos++;
            }
        }
        finishStatement();
    }

    private char peek(int ahead) {
        int at = pos + ahead;
        return at < source.length() ? source.charAt(at) : '\0';
    }

    private void skipLineComment() {
        while (pos < source.length() && source.charAt(pos) != '\n') {
            pos++;
        }
    }

    private void blockComment() {
        int startLine = line;
        int end = source.indexOf("*/", pos + 2);
        if (end < 0) {
            throw new IllegalArgumentException("unterminated /* comment starting on line " + startLine);
        }
        String comment = source.substring(pos, end + 2);
        pos = end + 2;
        if (comment.startsWith("/*+")) {
            appendText(comment); // an optimizer hint, e.g. /*+ OPTIONS('k'='v') */
        } else {
            // keep the tokens on either side apart, and the line count right
            append(' ');
            line += count(comment, '\n');
        }
    }

    private void quoted(char quote) {
        int startLine = line;
        int end = pos + 1;
        while (true) {
            end = source.indexOf(quote, end);
            if (end < 0) {
                throw new IllegalArgumentException(
                        "unterminated " + quote + " quote starting on line " + startLine);
            }
            if (end + 1 < source.length() && source.charAt(end + 1) == quote) {
                end += 2; // doubled quote: an escaped quote character
            } else {
                break;
            }
        }
        appendText(source.substring(pos, end + 1));
        pos = end + 1;
    }

    private void semicolon() {
        if (!STATEMENT_SET_START.matcher(current).find()) {
            finishStatement();
            return;
        }
        // inside EXECUTE STATEMENT SET BEGIN ...: this ';' ends an INSERT, or the block after END
        if (current.substring(innerStart).strip().equalsIgnoreCase("END")) {
            finishStatement();
        } else {
            current.append(';');
            innerStart = current.length();
        }
    }

    private void appendText(String text) {
        for (int i = 0; i < text.length(); i++) {
            append(text.charAt(i));
        }
    }

    private void append(char c) {
        if (!currentHasText && !Character.isWhitespace(c)) {
            current.setLength(0); // drop leading whitespace
            currentStartLine = line;
            currentHasText = true;
        }
        current.append(c);
        if (c == '\n') {
            line++;
        }
    }

    private void finishStatement() {
        String text = current.toString().strip();
        if (!text.isEmpty()) {
            statements.add(new Statement(statements.size() + 1, currentStartLine, text));
        }
        current.setLength(0);
        currentHasText = false;
        innerStart = 0;
    }

    private static int count(String text, char c) {
        return (int) text.chars().filter(ch -> ch == c).count();
    }
}
