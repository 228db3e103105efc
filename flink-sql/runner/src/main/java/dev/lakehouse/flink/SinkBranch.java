package dev.lakehouse.flink;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.expressions.Expressions;

/**
 * Write-audit-publish of a rebuild, on Iceberg branches (README, "Rebuilding the lake").
 *
 * <p>A job started without state re-reads MySQL from a snapshot. Written to main, readers would see
 * partial totals for as long as the snapshot phase runs, and keys deleted in MySQL while the binlog
 * was lost would stay for ever (an upsert only replaces keys it sees). So such a job writes the
 * branch {@value #REBUILD}, which starts empty; main keeps the last complete result. When the rebuild
 * is complete, the job is switched back to main, and the JobManager that starts it publishes first:
 * main takes the branch's head in one metadata commit, then the job restores its state (taken on the
 * branch) and goes on writing main.
 *
 * <p>The runner applies this before it submits an INSERT whose sink carries a {@code 'branch'} hint,
 * so the order (job stopped on the branch, main moved, job resumed on main) is the operator's own
 * upgrade order and needs no step in between.
 */
public final class SinkBranch {

    public static final String MAIN = SnapshotRef.MAIN_BRANCH;
    public static final String REBUILD = "rebuild";

    private static final Pattern INSERT_TARGET = Pattern.compile(
            "(?is)^\\s*(?:EXECUTE\\s+)?INSERT\\s+(?:INTO|OVERWRITE)\\s+([`\\w.]+)\\s*/\\*\\+\\s*OPTIONS\\s*\\((.*?)\\)\\s*\\*/");
    private static final Pattern BRANCH_OPTION = Pattern.compile("'branch'\\s*=\\s*'([^']*)'");

    /** The sink of an INSERT and the branch its hint names, when it names one. */
    record Target(String catalog, String database, String table, String branch) {}

    private SinkBranch() {}

    static Optional<Target> target(String insertSql) {
        Matcher m = INSERT_TARGET.matcher(insertSql);
        if (!m.find()) {
            return Optional.empty();
        }
        Matcher b = BRANCH_OPTION.matcher(m.group(2));
        if (!b.find()) {
            return Optional.empty();
        }
        String[] parts = m.group(1).replace("`", "").split("\\.");
        if (parts.length != 3) {
            throw new SqlRunnerException("an INSERT with a 'branch' hint must name its table as catalog.database.table, not "
                    + m.group(1));
        }
        return Optional.of(new Target(parts[0], parts[1], parts[2], b.group(1)));
    }

    /**
     * Makes the table ready for a job writing {@code branch}; returns what it did, for the log.
     * Writing {@value #REBUILD}: the branch is created empty if missing (kept if present, so a restart
     * of the rebuild keeps its progress). Writing main: a pending rebuild is published.
     */
    static String prepare(Table table, String branch) {
        if (REBUILD.equals(branch)) {
            return table.refs().containsKey(REBUILD) ? "rebuild branch exists; the job goes on writing it" : startRebuild(table);
        }
        if (MAIN.equals(branch)) {
            return table.refs().containsKey(REBUILD) ? publish(table) : "no rebuild to publish";
        }
        throw new SqlRunnerException("the sink branch must be '" + MAIN + "' or '" + REBUILD + "', not '" + branch + "'");
    }

    /** Creates the rebuild branch at an empty snapshot whose parent is main's head; main is untouched. */
    private static String startRebuild(Table table) {
        Snapshot head = table.currentSnapshot();
        if (head == null) {
            // A table never written: an empty append is the snapshot the branch starts from.
            table.newFastAppend().toBranch(REBUILD).commit();
        } else {
            table.manageSnapshots().createBranch(REBUILD, head.snapshotId()).commit();
            table.newDelete().deleteFromRowFilter(Expressions.alwaysTrue()).toBranch(REBUILD).commit();
        }
        table.refresh();
        return "rebuild branch started empty at snapshot " + table.refs().get(REBUILD).snapshotId()
                + (head == null ? "" : "; main stays at " + head.snapshotId() + " until the publish");
    }

    /** Main takes the rebuild branch's head in one metadata commit; the branch is then dropped. */
    private static String publish(Table table) {
        Snapshot before = table.currentSnapshot();
        // Readers see main move in this one commit; dropping the branch after it changes nothing they read.
        table.manageSnapshots().replaceBranch(MAIN, REBUILD).commit();
        table.refresh();
        long published = table.currentSnapshot().snapshotId();
        table.manageSnapshots().removeBranch(REBUILD).commit();
        return "published the rebuild: main " + (before == null ? "(none)" : before.snapshotId()) + " -> " + published
                + "; rebuild branch removed";
    }
}
