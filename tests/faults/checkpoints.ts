import * as fs from "fs";
import { waitFor } from "../e2e/harness/proc";
import type { FlinkJob } from "../e2e/services/flink";

/**
 * Checkpoint failures of the local job, told apart by cause.
 *
 * Flink 1.20 starts the periodic checkpoint scheduler when the job switches to RUNNING, which is when
 * its tasks are being deployed, not when they run; the first trigger fires after a random delay in
 * [min-pause, interval]. A trigger that finds a source task not yet RUNNING is refused
 * (NOT_ALL_REQUIRED_TASKS_RUNNING): the REST API counts it as failed, it never enters the history
 * (no checkpoint id was drawn), and CheckpointFailureManager logs it at INFO only
 * (flink-sql/runner/local/log4j2.properties raises that logger so the harness sees it). These are
 * the start-up failures; anything else is a checkpoint that really failed.
 */

/** A trigger refused because a task was not RUNNING (start-up, or right after a failover). */
const notRunningTrigger = /Failed to trigger checkpoint for job \S+ since (?:Checkpoint triggering )?task .*? is not being executed at the moment/g;

/** Refused triggers in the job's log: start-up failures, plus one after each failover. */
export function notRunningTriggerFailures(logFile: string): number {
    return (fs.readFileSync(logFile, "utf8").match(notRunningTrigger) ?? []).length;
}

/**
 * Why checkpoints failed, each reason once (ids, job ids and numbers blanked). The failure manager
 * writes refused triggers on one INFO line ("... since <reason>.") and every other failure as a WARN
 * line ("Failed to trigger or complete checkpoint N for job J. (K consecutive failed attempts so far)")
 * followed by the exception, whose first line carries the reason.
 */
export function checkpointFailureReasons(logFile: string): string[] {
    const lines = fs.readFileSync(logFile, "utf8").split("\n");
    const reasons: string[] = [];
    for (let i = 0; i < lines.length; i++) {
        const since = /Failed to trigger checkpoint for job \S+ since (.+)$/.exec(lines[i]);
        if (since) {
            reasons.push(since[1]);
            continue;
        }
        if (/Failed to trigger or complete checkpoint/.test(lines[i])) {
            const cause = lines.slice(i + 1, i + 4).find((l) => /^\S*(Exception|Error)\b/.test(l.trim()));
            reasons.push(cause?.trim() ?? "no exception logged");
        }
    }
    const blank = (r: string) => r.replace(/[0-9a-f]{32}/g, "<id>").replace(/\d+/g, "N").slice(0, 200);
    return [...new Set(reasons.map(blank))];
}

interface JobBody {
    timestamps?: Record<string, number>;
    vertices?: { id: string; name: string; parallelism: number; status: string; tasks?: Record<string, number> }[];
}

interface SubtaskTimesBody {
    subtasks?: { subtask: number; timestamps?: Record<string, number> }[];
}

async function get<T>(url: string): Promise<T> {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return (await res.json()) as T;
}

export interface StartupTimeline {
    /** When the job switched to RUNNING: the checkpoint scheduler starts here (epoch ms). */
    jobRunningAt: number;
    /** When each task's last subtask switched to RUNNING, by vertex name (epoch ms). */
    tasksRunningAt: Record<string, number>;
    /** When the last task switched to RUNNING: from here on a trigger cannot be refused. */
    allRunningAt: number;
}

/** Resolves once every subtask of every task of the job is RUNNING; returns when each got there. */
export async function waitForAllTasksRunning(job: FlinkJob, timeoutMs = 3 * 60_000): Promise<StartupTimeline> {
    const base = `${job.restUrl}/jobs/${job.jobId}`;
    const body = await waitFor(
        async () => {
            const b = await get<JobBody>(base);
            const vertices = b.vertices ?? [];
            const all = vertices.length > 0 && vertices.every((v) => (v.tasks?.RUNNING ?? 0) === v.parallelism);
            return all ? b : undefined;
        },
        timeoutMs,
        `every task of job ${job.jobId} RUNNING`,
        { proc: job.proc, intervalMs: 200 },
    );
    const tasksRunningAt: Record<string, number> = {};
    for (const v of body.vertices ?? []) {
        const times = await get<SubtaskTimesBody>(`${base}/vertices/${v.id}/subtasktimes`);
        tasksRunningAt[v.name] = Math.max(...(times.subtasks ?? []).map((s) => s.timestamps?.RUNNING ?? 0));
    }
    return {
        jobRunningAt: body.timestamps?.RUNNING ?? 0,
        tasksRunningAt,
        allRunningAt: Math.max(...Object.values(tasksRunningAt)),
    };
}

export interface CheckpointFailureCount {
    /** The REST API's `counts.failed`. */
    total: number;
    /** Triggers refused because a task was not RUNNING (from the log). */
    notRunning: number;
    /** total - notRunning: checkpoints that were triggered and then failed, or failed to trigger otherwise. */
    real: number;
}

/**
 * The job's failed checkpoints, with the refused triggers (start-up, and the one a failover causes
 * while its tasks redeploy) told apart from real failures.
 */
export async function checkpointFailureCount(job: FlinkJob): Promise<CheckpointFailureCount> {
    const total = (await job.checkpointCounts()).failed;
    const notRunning = notRunningTriggerFailures(job.proc.logFile);
    return { total, notRunning, real: total - notRunning };
}
