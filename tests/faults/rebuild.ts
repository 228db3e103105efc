import * as fs from "fs";
import { resultTable } from "../../components/flinkSql";
import { checkpointStats } from "../../verify/flink";
import { trinoQuery } from "../../verify/trino";
import { waitFor } from "../e2e/harness/proc";
import { FlinkJob } from "../e2e/services/flink";

/**
 * The gates of a rebuild's publish (README, "Rebuilding the lake"), read the way an operator of the
 * cluster reads them: the JobManager's log, the Flink REST API, and the table's refs through Trino.
 */

/** Logged by each MySQL CDC source's snapshot split assigner once its whole snapshot has been read. */
export const snapshotReadLine = /Snapshot split assigner received all splits finished/g;

const metadataTable = (suffix: string) => `iceberg.${resultTable.schema}."${resultTable.table}$${suffix}"`;

/** Waits until every CDC source (two: products, sales) has read its snapshot; returns when that was seen. */
export function snapshotsRead(job: FlinkJob, sources = 2, timeoutMs = 10 * 60_000): Promise<number> {
    return waitFor(
        () => ((fs.readFileSync(job.proc.logFile, "utf8").match(snapshotReadLine) ?? []).length >= sources ? Date.now() : undefined),
        timeoutMs,
        `${sources} CDC sources to finish their snapshot (log: ${snapshotReadLine.source})`,
        { proc: job.proc },
    );
}

/**
 * The first checkpoint triggered after `since` that completed: its barrier followed every snapshot
 * record (mini-batches flush before the barrier), so its commit holds the whole snapshot.
 */
export function checkpointAfter(job: FlinkJob, since: number, timeoutMs = 3 * 60_000): Promise<number> {
    return waitFor(
        async () => {
            const done = (await checkpointStats(job.restUrl, job.jobId)).history.filter((h) => h.status === "COMPLETED" && (h.triggeredAt ?? 0) > since);
            return done.length ? Math.min(...done.map((h) => h.id)) : undefined;
        },
        timeoutMs,
        `a checkpoint triggered after ${new Date(since).toISOString()} to complete`,
        { proc: job.proc },
    );
}

/** The newest Flink checkpoint whose files a branch's head holds (its `flink.max-committed-checkpoint-id`). */
export async function branchCheckpoint(trinoUrl: string, branch: string): Promise<number | undefined> {
    const rows = await trinoQuery(
        trinoUrl,
        `SELECT s.summary['flink.max-committed-checkpoint-id'] AS c FROM ${metadataTable("snapshots")} s ` +
            `JOIN ${metadataTable("refs")} r ON r.snapshot_id = s.snapshot_id WHERE r.name = '${branch}'`,
    );
    const c = rows[0]?.c;
    return c === undefined || c === null ? undefined : Number(c);
}

/** Waits until the branch's head holds checkpoint `id` (or a later one). */
export function branchHolds(trinoUrl: string, branch: string, id: number, timeoutMs = 2 * 60_000): Promise<number> {
    return waitFor(
        async () => {
            const c = await branchCheckpoint(trinoUrl, branch);
            return c !== undefined && c >= id ? c : undefined;
        },
        timeoutMs,
        `branch ${branch} to hold checkpoint ${id}`,
    );
}

/** The table's branches and tags. */
export async function refs(trinoUrl: string): Promise<{ name: string; type: string; snapshotId: string }[]> {
    const rows = await trinoQuery(trinoUrl, `SELECT name, type, CAST(snapshot_id AS varchar) AS id FROM ${metadataTable("refs")} ORDER BY name`);
    return rows.map((r) => ({ name: String(r.name), type: String(r.type), snapshotId: String(r.id) }));
}
