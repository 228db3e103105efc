package dev.lakehouse.flink;

import dev.lakehouse.flink.SqlScript.Statement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.ResultKind;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.flink.FlinkCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a Flink SQL script: {@code SqlRunner <script.sql>}.
 *
 * <p>The script is read, split into statements and checked (every {@code ${NAME}} must be set in the
 * environment, SET statements must parse, no bare SELECT) before anything runs. Then, in order:
 * SET / RESET change the table config, everything else goes to {@code executeSql}. Statements are
 * logged with their original text, so substituted values (passwords) never reach a log.
 *
 * <p>Set {@code SQL_RUNNER_AWAIT=true} to wait for the submitted job(s) to end (local runs).
 */
public final class SqlRunner {

    public static final String AWAIT_ENV = "SQL_RUNNER_AWAIT";

    private static final Logger LOG = LoggerFactory.getLogger(SqlRunner.class);
    private static final int LOGGED_CHARS = 300;

    /** A statement ready to run: where it came from, its SQL after substitution, its kind. */
    record Step(Statement source, String sql, StatementKind kind) {}

    /** A script that passed every check that does not need Flink. */
    record PreparedScript(Path path, List<Step> steps, EnvSubstitution substitution) {}

    private final StreamTableEnvironment tableEnv;
    private final Set<String> keysSetByScript = new LinkedHashSet<>();
    private StatementSet openStatementSet;

    public SqlRunner(StreamTableEnvironment tableEnv) {
        this.tableEnv = tableEnv;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new SqlRunnerException(
                    "usage: SqlRunner <script.sql> (expected exactly one argument, got " + args.length + ")");
        }
        Map<String, String> environment = System.getenv();
        PreparedScript script = prepare(Path.of(args[0]), environment);

        StreamExecutionEnvironment env = executionEnvironment();
        StreamTableEnvironment tableEnv = StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
        List<TableResult> jobs = new SqlRunner(tableEnv).run(script);

        boolean local = env instanceof LocalStreamEnvironment;
        if (jobs.size() > 1 && !local) {
            LOG.warn("The script submitted {} jobs. Application mode with high availability recovers only "
                    + "one job: put the INSERTs in one EXECUTE STATEMENT SET.", jobs.size());
        }
        // Why not always wait: in application mode main() runs inside the JobManager, and the
        // application runner there already owns the submitted job. It waits for the job, derives the
        // application's final state from it, and after a JobManager failover re-runs main() and
        // recovers the job. Blocking here would add nothing but a thread tied to the job's whole life,
        // and a job ended on purpose (cancelled for an upgrade by the operator) would surface as an
        // exception from main(), i.e. a failed application. So main() returns once the job is
        // submitted. A local run is different: the job lives in a MiniCluster inside this JVM, which
        // must stay up until the job ends, and the caller wants the job's outcome as the exit code.
        if (!jobs.isEmpty() && awaitRequested(environment)) {
            for (TableResult job : jobs) {
                await(job, script);
            }
            LOG.info("All submitted jobs finished.");
        }
    }

    static boolean awaitRequested(Map<String, String> environment) {
        return "true".equalsIgnoreCase(environment.getOrDefault(AWAIT_ENV, "").strip());
    }

    /**
     * The execution environment: in a cluster the one Flink prepared for this program; locally one
     * backed by a MiniCluster in this JVM.
     */
    private static StreamExecutionEnvironment executionEnvironment() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (!(env instanceof LocalStreamEnvironment)) {
            return env;
        }
        // Outside a cluster nothing has read Flink's configuration ($FLINK_CONF_DIR) or loaded its
        // plugins ($FLINK_PLUGINS_DIR, e.g. S3 for checkpoints), which every Flink process does at
        // start-up. Doing it here inside a cluster would reset file systems the cluster set up.
        Configuration conf = GlobalConfiguration.loadConfiguration();
        FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
        return StreamExecutionEnvironment.getExecutionEnvironment(conf);
    }

    /** Reads, splits, substitutes and checks the script; throws before anything has run. */
    static PreparedScript prepare(Path path, Map<String, String> environment) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SqlRunnerException("Cannot read SQL script " + path + ": " + e);
        }
        List<Statement> statements;
        try {
            statements = SqlScript.split(text);
        } catch (IllegalArgumentException e) {
            throw new SqlRunnerException("SQL script " + path + ": " + e.getMessage());
        }
        if (statements.isEmpty()) {
            throw new SqlRunnerException("SQL script " + path + " contains no statement");
        }

        EnvSubstitution substitution = new EnvSubstitution(environment);
        Set<String> missing = new LinkedHashSet<>();
        statements.forEach(s -> missing.addAll(substitution.missing(s.text())));
        if (!missing.isEmpty()) {
            throw new SqlRunnerException("SQL script " + path + " refers to environment variables that are not set: "
                    + String.join(", ", missing));
        }

        List<Step> steps = new ArrayList<>();
        boolean inStatementSet = false;
        for (Statement statement : statements) {
            String sql = substitution.apply(statement.text());
            StatementKind kind = StatementKind.of(sql);
            String problem = null;
            if (kind == StatementKind.QUERY) {
                problem = "a bare query has nowhere to send its rows; INSERT INTO a table instead "
                        + "(the 'print' or 'blackhole' connector for a quick look)";
            } else if (kind == StatementKind.SET || kind == StatementKind.RESET) {
                try {
                    SetCommand.parse(sql);
                } catch (IllegalArgumentException e) {
                    problem = e.getMessage();
                }
            } else if (kind == StatementKind.BEGIN_STATEMENT_SET) {
                problem = inStatementSet ? "BEGIN STATEMENT SET before the previous one's END" : null;
                inStatementSet = true;
            } else if (kind == StatementKind.END) {
                problem = inStatementSet ? null : "END without BEGIN STATEMENT SET";
                inStatementSet = false;
            }
            if (problem != null) {
                throw new SqlRunnerException(where(path, statement) + " is invalid: " + problem);
            }
            steps.add(new Step(statement, sql, kind));
        }
        if (inStatementSet) {
            throw new SqlRunnerException("SQL script " + path + ": BEGIN STATEMENT SET has no END");
        }
        return new PreparedScript(path, steps, substitution);
    }

    /** Runs the steps in order; returns the results of the statements that submitted a job. */
    public List<TableResult> run(PreparedScript script) {
        List<TableResult> jobs = new ArrayList<>();
        int total = script.steps().size();
        for (Step step : script.steps()) {
            Statement source = step.source();
            LOG.info("Statement {}/{} (line {}): {}", source.number(), total, source.line(),
                    source.preview(LOGGED_CHARS));
            try {
                TableResult result = execute(step);
                if (result != null) {
                    report(result, script.substitution(), jobs);
                }
            } catch (RuntimeException e) {
                EnvSubstitution redactor = script.substitution();
                throw SqlRunnerException.withCause(
                        where(script.path(), source) + " failed: " + SqlRunnerException.describe(e, redactor::redact),
                        e, redactor::redact);
            }
        }
        return jobs;
    }

    /** Runs one step; returns its result, or null when it has none (config changes, statement-set bookkeeping). */
    private TableResult execute(Step step) {
        switch (step.kind()) {
            case SET:
            case RESET:
                applyConfig(SetCommand.parse(step.sql()));
                return null;
            case BEGIN_STATEMENT_SET:
                openStatementSet = tableEnv.createStatementSet();
                return null;
            case END:
                TableResult result = openStatementSet.execute();
                openStatementSet = null;
                return result;
            case INSERT:
                prepareSinkBranch(step.sql());
                if (openStatementSet != null) {
                    openStatementSet.addInsertSql(step.sql());
                    return null;
                }
                return tableEnv.executeSql(step.sql());
            default:
                if (openStatementSet != null) {
                    throw new IllegalStateException("only INSERT statements may stand between BEGIN STATEMENT SET and END");
                }
                return tableEnv.executeSql(step.sql());
        }
    }

    /**
     * An Iceberg sink with a {@code 'branch'} hint: the rebuild branch is created or published
     * (see {@link SinkBranch}) before the job that writes it is submitted.
     */
    private void prepareSinkBranch(String insertSql) {
        SinkBranch.target(insertSql).ifPresent(t -> {
            org.apache.flink.table.catalog.Catalog catalog = tableEnv.getCatalog(t.catalog())
                    .orElseThrow(() -> new IllegalStateException("the INSERT's catalog " + t.catalog() + " is not registered"));
            if (!(catalog instanceof FlinkCatalog iceberg)) {
                throw new IllegalStateException("a 'branch' hint needs an Iceberg catalog; " + t.catalog() + " is "
                        + catalog.getClass().getName());
            }
            Table table = iceberg.catalog().loadTable(TableIdentifier.of(t.database(), t.table()));
            LOG.info("Sink {}.{}.{} branch '{}': {}", t.catalog(), t.database(), t.table(), t.branch(),
                    SinkBranch.prepare(table, t.branch()));
        });
    }

    private void applyConfig(SetCommand command) {
        Configuration config = tableEnv.getConfig().getConfiguration();
        if (!command.reset()) {
            command.key().ifPresentOrElse(key -> {
                tableEnv.getConfig().set(key, command.value());
                keysSetByScript.add(key);
            }, () -> LOG.info("SET without a key changes nothing"));
        } else if (command.key().isPresent()) {
            config.removeKey(command.key().get());
            keysSetByScript.remove(command.key().get());
        } else {
            keysSetByScript.forEach(config::removeKey);
            keysSetByScript.clear();
        }
    }

    private static void report(TableResult result, EnvSubstitution redactor, List<TableResult> jobs) {
        if (result.getJobClient().isPresent()) {
            jobs.add(result);
            LOG.info("Submitted job {}", result.getJobClient().get().getJobID());
        } else if (result.getResultKind() == ResultKind.SUCCESS_WITH_CONTENT) {
            // SHOW / DESCRIBE / EXPLAIN: log the rows, redacted (SHOW CREATE TABLE repeats options)
            try (CloseableIterator<Row> rows = result.collect()) {
                rows.forEachRemaining(row -> LOG.info("  {}", redactor.redact(
                        row.getArity() == 1 ? String.valueOf(row.getField(0)) : row.toString())));
            } catch (Exception e) {
                throw new IllegalStateException("could not read the statement's result", e);
            }
        }
    }

    private static void await(TableResult job, PreparedScript script) throws InterruptedException {
        String id = String.valueOf(job.getJobClient().map(c -> c.getJobID()).orElse(null));
        try {
            job.await();
            LOG.info("Job {} finished", id);
        } catch (ExecutionException e) {
            EnvSubstitution redactor = script.substitution();
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw SqlRunnerException.withCause("Job " + id + " of " + script.path() + " failed: "
                    + SqlRunnerException.describe(cause, redactor::redact), cause, redactor::redact);
        }
    }

    private static String where(Path path, Statement statement) {
        return "Statement " + statement.number() + " of " + path + " (line " + statement.line() + ": "
                + statement.firstLine() + ")";
    }
}
