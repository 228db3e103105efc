/** The Flink REST API: is the job running, and is it checkpointing? Used by the e2e harness and `npm run verify`. */

export interface FlinkJob {
    id: string;
    name: string;
    state: string;
}

export interface CheckpointStats {
    completed: number;
    failed: number;
    inProgress: number;
    restored: number;
    /** When the latest completed checkpoint finished, epoch ms; undefined if none yet. */
    latestCompletedAt?: number;
    /** Where the latest completed checkpoint was written (its `external_path`). */
    latestPath?: string;
    /** The checkpoints still in the REST history. */
    history: { id: number; status: string; failureMessage?: string; ackAt?: number; triggeredAt?: number }[];
}

async function get<T>(url: string): Promise<T> {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as T;
}

export async function flinkJobs(restUrl: string): Promise<FlinkJob[]> {
    const body = await get<{ jobs: { jid: string; name: string; state: string }[] }>(`${restUrl}/jobs/overview`);
    return body.jobs.map((j) => ({ id: j.jid, name: j.name, state: j.state }));
}

interface CheckpointsBody {
    counts?: { completed?: number; failed?: number; in_progress?: number; restored?: number };
    history?: { id: number; status: string; failure_message?: string; latest_ack_timestamp?: number; trigger_timestamp?: number }[];
    latest?: { completed?: { external_path?: string; latest_ack_timestamp?: number } | null };
}

export async function checkpointStats(restUrl: string, jobId: string): Promise<CheckpointStats> {
    const b = await get<CheckpointsBody>(`${restUrl}/jobs/${jobId}/checkpoints`);
    return {
        completed: b.counts?.completed ?? 0,
        failed: b.counts?.failed ?? 0,
        inProgress: b.counts?.in_progress ?? 0,
        restored: b.counts?.restored ?? 0,
        latestCompletedAt: b.latest?.completed?.latest_ack_timestamp ?? undefined,
        latestPath: b.latest?.completed?.external_path ?? undefined,
        history: (b.history ?? []).map((h) => ({ id: h.id, status: h.status, failureMessage: h.failure_message, ackAt: h.latest_ack_timestamp, triggeredAt: h.trigger_timestamp })),
    };
}

interface ExceptionsBody {
    exceptionHistory?: { entries?: { exceptionName?: string; stacktrace?: string; timestamp?: number }[] };
}

/**
 * The newest failure the job recorded (its exception history), as `name: message` with the deepest
 * cause's message, or undefined when the job has not failed. What `npm run verify` prints when the
 * job is not healthy, so a restart loop says why (for example a binlog purged past its position).
 */
export async function latestFailure(restUrl: string, jobId: string): Promise<{ at: number; cause: string } | undefined> {
    const b = await get<ExceptionsBody>(`${restUrl}/jobs/${jobId}/exceptions?maxExceptions=1`);
    const e = b.exceptionHistory?.entries?.[0];
    if (!e) return undefined;
    const causes = (e.stacktrace ?? "").split("\n").filter((l) => /^(Caused by: )?[\w.$]+(Exception|Error)\b/.test(l));
    const deepest = causes.length ? causes[causes.length - 1].replace(/^Caused by: /, "") : (e.exceptionName ?? "unknown");
    return { at: e.timestamp ?? 0, cause: deepest.slice(0, 600) };
}
