/** The Flink REST API: is the job running, and is it checkpointing? */

export interface FlinkJob {
    id: string;
    name: string;
    state: string;
}

export interface CheckpointSummary {
    completed: number;
    failed: number;
    /** When the latest completed checkpoint finished, epoch ms; undefined if none yet. */
    latestCompletedAt?: number;
}

async function get<T>(url: string): Promise<T> {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return (await res.json()) as T;
}

export async function flinkJobs(restUrl: string): Promise<FlinkJob[]> {
    const body = await get<{ jobs: { jid: string; name: string; state: string }[] }>(`${restUrl}/jobs/overview`);
    return body.jobs.map((j) => ({ id: j.jid, name: j.name, state: j.state }));
}

export async function checkpoints(restUrl: string, jobId: string): Promise<CheckpointSummary> {
    const body = await get<{ counts: { completed: number; failed: number }; latest?: { completed?: { latest_ack_timestamp?: number } | null } }>(
        `${restUrl}/jobs/${jobId}/checkpoints`,
    );
    return {
        completed: body.counts.completed,
        failed: body.counts.failed,
        latestCompletedAt: body.latest?.completed?.latest_ack_timestamp ?? undefined,
    };
}
