package dev.lakehouse.flink;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} with the value of environment variable NAME; {@code $${NAME}} stands for
 * a literal {@code ${NAME}}. Substitution is textual: the script decides where a value goes (inside a
 * quoted string, usually).
 *
 * <p>It also remembers every value it substituted, so that messages which might quote one (a Flink
 * exception echoing a table option, say) can be redacted back to {@code ${NAME}}.
 */
public final class EnvSubstitution {

    private static final Pattern REFERENCE = Pattern.compile("(\\$?)\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Pattern SECRET_NAME =
            Pattern.compile("(?i).*(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL).*");
    /** Shorter values ("1", "on") are redacted only when their name looks secret, and only as whole tokens. */
    private static final int MIN_REDACTED_LENGTH = 6;

    private final Map<String, String> environment;
    private final Map<String, String> used = new LinkedHashMap<>();

    public EnvSubstitution(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** The names {@code text} refers to (escaped references excluded), in order of appearance. */
    public static Set<String> references(String text) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = REFERENCE.matcher(text);
        while (m.find()) {
            if (m.group(1).isEmpty()) {
                names.add(m.group(2));
            }
        }
        return names;
    }

    /** The names {@code text} refers to that the environment does not define. */
    public Set<String> missing(String text) {
        Set<String> missing = new LinkedHashSet<>();
        for (String name : references(text)) {
            if (!environment.containsKey(name)) {
                missing.add(name);
            }
        }
        return missing;
    }

    /** {@code text} with every reference replaced; call {@link #missing} first. */
    public String apply(String text) {
        Matcher m = REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(2);
            String replacement;
            if (!m.group(1).isEmpty()) {
                replacement = "${" + name + "}";
            } else {
                replacement = environment.get(name);
                if (replacement == null) {
                    throw new IllegalStateException("environment variable " + name + " is not set");
                }
                used.put(name, replacement);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** {@code message} with every value this substitution inserted replaced by its {@code ${NAME}}. */
    public String redact(String message) {
        if (message == null || used.isEmpty()) {
            return message;
        }
        List<Map.Entry<String, String>> byLength = new ArrayList<>(used.entrySet());
        // longest first, so a value that contains another one is replaced whole
        byLength.sort(Comparator.comparingInt((Map.Entry<String, String> e) -> e.getValue().length()).reversed());
        String result = message;
        for (Map.Entry<String, String> e : byLength) {
            String value = e.getValue();
            String reference = Matcher.quoteReplacement("${" + e.getKey() + "}");
            if (value.length() >= MIN_REDACTED_LENGTH) {
                result = result.replace(value, "${" + e.getKey() + "}");
            } else if (!value.isEmpty() && SECRET_NAME.matcher(e.getKey()).matches()) {
                // a short secret only where it stands alone, so "x" does not eat every x of the message
                result = Pattern.compile("(?<![A-Za-z0-9])" + Pattern.quote(value) + "(?![A-Za-z0-9])")
                        .matcher(result).replaceAll(reference);
            }
        }
        return result;
    }
}
