package dev.lakehouse.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnvSubstitutionTest {

    private final EnvSubstitution env = new EnvSubstitution(
            Map.of("HOST", "mysql.db", "DB_PASSWORD", "s3cr3t-pw", "EMPTY", "", "PIN", "42", "PRICE", "a$1\\b"));

    @Test
    void replacesReferencesWithValues() {
        assertEquals("'hostname' = 'mysql.db', 'password' = 's3cr3t-pw'",
                env.apply("'hostname' = '${HOST}', 'password' = '${DB_PASSWORD}'"));
    }

    @Test
    void valuesAreInsertedLiterally() {
        assertEquals("x a$1\\b y", env.apply("x ${PRICE} y"));
        assertEquals("''", env.apply("'${EMPTY}'"));
    }

    @Test
    void doubledDollarEscapesAReference() {
        assertEquals("'${HOST}' and mysql.db", env.apply("'$${HOST}' and ${HOST}"));
        assertEquals(Set.of("HOST"), EnvSubstitution.references("$${NOT_SET} ${HOST}"));
        assertEquals("'${NOT_SET}'", env.apply("'$${NOT_SET}'"));
    }

    @Test
    void textThatIsNotAReferenceIsLeftAlone() {
        assertEquals("$HOST ${ HOST } ${1X} $", env.apply("$HOST ${ HOST } ${1X} $"));
    }

    @Test
    void missingListsEveryUnsetNameOnceInOrder() {
        assertEquals(Set.of("B", "A"), env.missing("${B} ${HOST} ${A} ${B} $${C}"));
        assertEquals(java.util.List.of("B", "A"), java.util.List.copyOf(env.missing("${B} ${HOST} ${A} ${B}")));
        assertThrows(IllegalStateException.class, () -> env.apply("${A}"));
    }

    @Test
    void emptyValueCountsAsSet() {
        assertEquals(Set.of(), env.missing("${EMPTY}"));
    }

    @Test
    void redactReplacesSubstitutedValuesWithTheirReference() {
        env.apply("${HOST} ${DB_PASSWORD} ${PIN}");
        String message = "Access denied for user 'cdc'@'mysql.db' (using password: s3cr3t-pw) port 42";
        String redacted = env.redact(message);
        assertEquals("Access denied for user 'cdc'@'${HOST}' (using password: ${DB_PASSWORD}) port 42", redacted);
        assertFalse(redacted.contains("s3cr3t"));
    }

    @Test
    void redactOnlyKnowsValuesItSubstituted() {
        assertEquals("mysql.db", env.redact("mysql.db"));
    }

    @Test
    void shortSecretValuesAreStillRedacted() {
        EnvSubstitution shortSecret = new EnvSubstitution(Map.of("API_TOKEN", "xy", "N", "xy"));
        shortSecret.apply("${API_TOKEN} ${N}");
        assertEquals("token ${API_TOKEN}, xylophone", shortSecret.redact("token xy, xylophone"));
    }
}
