package dev.lakehouse.flink;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A failure of the script, with a message meant for the person who wrote it.
 *
 * <p>Its cause, if any, is a redacted copy of the original exception chain: same exception types and
 * stack traces, but every message passed through the redactor, so that printing the stack trace
 * cannot reveal a substituted secret.
 */
public final class SqlRunnerException extends RuntimeException {

    public SqlRunnerException(String message) {
        super(message);
    }

    private SqlRunnerException(String message, Throwable redactedCause) {
        super(message, redactedCause);
    }

    /** Builds the exception; {@code cause}'s chain is copied with its messages redacted. */
    public static SqlRunnerException withCause(String message, Throwable cause, UnaryOperator<String> redactor) {
        return new SqlRunnerException(message, redactedCopy(cause, redactor, Collections.newSetFromMap(new IdentityHashMap<>())));
    }

    /** Text of {@code cause}: its own message and, unless that already says it, its root cause's. */
    public static String describe(Throwable cause, UnaryOperator<String> redactor) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = summary(cause);
        String rootMessage = root.getMessage() == null ? "" : root.getMessage().strip();
        if (root != cause && !text.contains(rootMessage)) {
            text += " (root cause: " + summary(root) + ")";
        }
        return redactor.apply(text);
    }

    private static String summary(Throwable t) {
        String message = t.getMessage() == null ? "" : ": " + t.getMessage().strip();
        return t.getClass().getSimpleName() + message;
    }

    private static Throwable redactedCopy(Throwable original, UnaryOperator<String> redactor, Set<Throwable> seen) {
        if (original == null || !seen.add(original)) {
            return null;
        }
        Redacted copy = new Redacted(
                original.getClass().getName() + (original.getMessage() == null ? "" : ": " + redactor.apply(original.getMessage())),
                redactedCopy(original.getCause(), redactor, seen));
        copy.setStackTrace(original.getStackTrace());
        return copy;
    }

    /** Stands in for an exception of another type, whose name starts its message. */
    static final class Redacted extends RuntimeException {
        Redacted(String typeAndMessage, Throwable cause) {
            super(typeAndMessage, cause);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
