import { createPool, Pool } from "mysql2/promise";
import { icebergCatalogName } from "../../components/flinkSql";
import { defaultTransferMix, Invariant, runTransfers, salesInvariant, TransferStats } from "../../generator/transfers";
import { rng, Workload } from "../../generator/workload";
import { percentile, probeFreshness } from "../../verify/freshness";
import { lakeTable, trinoQuery } from "../../verify/trino";
import { converge as convergeLake, duplicateKeys } from "../e2e/harness/lake";
import { Outcome } from "../e2e/harness/outcome";
import { createRunDir, finishRunDir, RunDir } from "../e2e/harness/paths";
import { stopAll } from "../e2e/harness/proc";
import { FlinkJob, startFlinkJob } from "../e2e/services/flink";
import { MySqlService, startMySql } from "../e2e/services/mysql";
import { ObjectStoreService, startObjectStore } from "../e2e/services/objectStore";
import { startTrino, TrinoService } from "../e2e/services/trino";
import { checkpointFailureCount, checkpointFailureReasons, StartupTimeline, waitForAllTasksRunning } from "./checkpoints";

/**
 * Transaction consistency (README, "Reliability"): MySQL commits transactions, the lake commits
 * checkpoints. A load of multi-statement transactions that keep SUM(qty) and COUNT(*) over all sales
 * constant (generator/transfers.ts) runs against the job; then every Iceberg snapshot the job
 * committed after the lake first became complete is read by time travel and compared with that
 * invariant. A snapshot that breaks it shows part of a transaction. How many do is a measurement,
 * printed and recorded, not a pass/fail criterion; what must hold regardless is asserted: the audit
 * ran over real snapshots, the final lake equals the oracle with no duplicate key, and no checkpoint
 * fails in a quiet period beyond the documented start-up one.
 */

const checkpointIntervalSeconds = Number(process.env.E2E_CHECKPOINT_SECONDS ?? 2);
const loadSeconds = Number(process.env.FAULTS_TX_SECONDS ?? 45);
const loadRate = Number(process.env.FAULTS_TX_RATE ?? 50);
const loadConnections = Number(process.env.FAULTS_TX_CONNECTIONS ?? 4);
/** `swapRatio,moveRatio` (generator/transfers.ts); the rest are transfers. */
const [swapRatio, moveRatio] = (process.env.FAULTS_TX_MIX ?? `${defaultTransferMix.swapRatio},${defaultTransferMix.moveRatio}`).split(",").map(Number);
const quietSeconds = Number(process.env.FAULTS_QUIET_SECONDS ?? 10 * checkpointIntervalSeconds);
const convergeTimeoutMs = 5 * 60_000;

let runDir: RunDir;
let mysql: MySqlService;
let store: ObjectStoreService;
let flink: FlinkJob;
let trino: TrinoService;
let oracle: Pool;
let app: Pool;
let startup: StartupTimeline;
const outcome = new Outcome();
const track = outcome.track;

const log = (msg: string) => process.stdout.write(`[transactions] ${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);
const converge = (what: string) => convergeLake({ oracle, trinoUrl: trino.url, what, timeoutMs: convergeTimeoutMs, log });

interface Snapshot {
    id: string;
    committedAt: string;
}

/** Every snapshot of the table, oldest first. */
async function snapshots(): Promise<Snapshot[]> {
    const rows = await trinoQuery(
        trino.url,
        `SELECT CAST(snapshot_id AS varchar) AS id, CAST(committed_at AS varchar) AS committed_at
         FROM iceberg.demo."sales_by_product$snapshots" ORDER BY committed_at, snapshot_id`,
    );
    return rows.map((r) => ({ id: String(r.id), committedAt: String(r.committed_at) }));
}

/** SUM(total_qty), SUM(sale_count) and the row count of the table as of one snapshot. */
async function totalsAsOf(snapshotId: string): Promise<Invariant & { rows: number }> {
    if (!/^-?\d+$/.test(snapshotId)) throw new Error(`not a snapshot id: ${snapshotId}`);
    const [r] = await trinoQuery(
        trino.url,
        `SELECT COALESCE(SUM(total_qty), 0) AS qty, COALESCE(SUM(sale_count), 0) AS n, COUNT(*) AS rows
         FROM ${lakeTable} FOR VERSION AS OF ${snapshotId}`,
    );
    return { qty: Number(r.qty), count: Number(r.n), rows: Number(r.rows) };
}

beforeAll(async () => {
    runDir = createRunDir("lakehouse-tx");
    log(`run dir ${runDir.root}`);
    try {
        [mysql, store] = await Promise.all([startMySql({ run: runDir }), startObjectStore({ run: runDir })]);
        oracle = createPool({ host: mysql.host, port: mysql.port, user: "root", password: mysql.rootPassword, dateStrings: true, connectionLimit: 2 });
        app = createPool({
            host: mysql.host,
            port: mysql.port,
            user: mysql.users.app.name,
            password: mysql.users.app.password,
            database: mysql.databases.app,
            connectionLimit: loadConnections + 2,
        });
        const workload = new Workload(app, rng(777));
        await workload.seedProducts(20);
        await workload.insertSales(3000);
        flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds });
        startup = await waitForAllTasksRunning(flink);
        await flink.waitForCheckpoints(1);
        trino = await startTrino({ run: runDir, mysql, objectStore: store, icebergCatalogName: icebergCatalogName() });
        await converge("snapshot");
    } catch (e) {
        outcome.failed = true;
        throw e;
    }
});

afterAll(async () => {
    await app?.end().catch(() => undefined);
    await oracle?.end().catch(() => undefined);
    await stopAll();
    if (runDir) finishRunDir(runDir, outcome.failed);
});

test(
    "failed checkpoints: only the start-up trigger refused before the tasks run, none in a quiet period",
    track(async () => {
        const atStart = await checkpointFailureCount(flink);
        const lag = Object.entries(startup.tasksRunningAt)
            .map(([name, at]) => `${name.replace(/\[\d+\]/g, "").slice(0, 40)} +${at - startup.jobRunningAt} ms`)
            .join("; ");
        log(
            `start-up: job RUNNING (checkpoint scheduler started) at ${clock(startup.jobRunningAt)}, every task RUNNING ` +
                `${startup.allRunningAt - startup.jobRunningAt} ms later (${lag}); first trigger due within ${checkpointIntervalSeconds} s`,
        );
        log(
            `start-up: failed checkpoints ${atStart.total} (REST), of which triggers refused because a task was not RUNNING ${atStart.notRunning}; ` +
                `reasons: ${checkpointFailureReasons(flink.proc.logFile).join(" | ") || "none logged"}`,
        );
        // Every failure so far is a trigger refused before the tasks ran, and there can be no more of
        // those than periodic triggers fit between the scheduler's start and the last task RUNNING.
        expect(atStart.real).toBe(0);
        const triggersBeforeRunning = Math.floor((startup.allRunningAt - startup.jobRunningAt) / (checkpointIntervalSeconds * 1000)) + 1;
        expect(atStart.notRunning).toBeLessThanOrEqual(triggersBeforeRunning);

        const t0 = Date.now();
        const completedBefore = (await flink.checkpointCounts()).completed;
        await sleep(quietSeconds * 1000);
        const after = await checkpointFailureCount(flink);
        const completed = (await flink.checkpointCounts()).completed - completedBefore;
        log(`quiet ${secs(Date.now() - t0)}: ${completed} checkpoints completed, failed count ${atStart.total} -> ${after.total}`);
        expect(completed).toBeGreaterThan(0);
        expect(after.total).toBe(atStart.total);
    }),
);

test(
    "transfer transactions: every snapshot the job committed, read by time travel, against the invariant",
    track(async () => {
        const invariant = await salesInvariant(app);
        // The lake is complete (it equals the oracle) as of its current snapshot; the audit starts there.
        const before = await snapshots();
        const first = before[before.length - 1];
        expect(first).toBeDefined();
        const failuresBefore = await checkpointFailureCount(flink);

        let stop = false;
        const load = runTransfers({ pool: app, connections: loadConnections, rate: loadRate, seed: 7, mix: { swapRatio, moveRatio }, stopped: () => stop });
        await sleep(loadSeconds * 1000);
        stop = true;
        const stats: TransferStats = await load;
        const stoppedAt = Date.now();
        const committed = stats.committed.transfer + stats.committed.swap + stats.committed.move;
        log(
            `load: ${committed} transactions in ${secs(stats.elapsedMs)} on ${loadConnections} connections (${JSON.stringify(stats.committed)}), ` +
                `${stats.statements} statements, retried ${stats.retried}, skipped ${stats.skipped}`,
        );
        // The workload kept its promise in MySQL; otherwise the audit below would measure the generator.
        expect(await salesInvariant(app)).toEqual(invariant);
        expect(committed).toBeGreaterThan(0);

        const { ms } = await converge("after the transfers");
        const duplicates = await duplicateKeys(trino.url);
        const failuresAfter = await checkpointFailureCount(flink);

        const all = await snapshots();
        const from = all.findIndex((s) => s.id === first.id);
        expect(from).toBeGreaterThanOrEqual(0);
        const audited = all.slice(from);
        let halfApplied = 0;
        let countNeutral = 0;
        let maxQtyDeviation = 0;
        let maxCountDeviation = 0;
        const examples: string[] = [];
        const auditStarted = Date.now();
        // A few time-travel reads at once: each is small, Trino's planning of old snapshots is the cost.
        const totals: (Invariant & { rows: number })[] = [];
        for (let i = 0; i < audited.length; i += 4) {
            totals.push(...(await Promise.all(audited.slice(i, i + 4).map((s) => totalsAsOf(s.id)))));
        }
        for (const [i, s] of audited.entries()) {
            const t = totals[i];
            const dq = t.qty - invariant.qty;
            const dc = t.count - invariant.count;
            if (dq !== 0 || dc !== 0) {
                halfApplied++;
                // Only a transfer changes qty without changing the number of sales: such a snapshot
                // cut a transaction inside the sales table, not between the two tables.
                if (dc === 0) countNeutral++;
                if (examples.length < 8) examples.push(`${s.id} at ${s.committedAt}: qty ${dq > 0 ? "+" : ""}${dq}, sales ${dc > 0 ? "+" : ""}${dc}`);
            }
            maxQtyDeviation = Math.max(maxQtyDeviation, Math.abs(dq));
            maxCountDeviation = Math.max(maxCountDeviation, Math.abs(dc));
        }
        log(
            `audit: ${audited.length} snapshots audited in ${secs(Date.now() - auditStarted)} (from ${first.id}, the lake's first complete one, to the last), ` +
                `${halfApplied} show a half-applied transaction (${countNeutral} of them with the sale count intact: a transfer cut inside the sales table); ` +
                `max deviation: qty ${maxQtyDeviation}, sale count ${maxCountDeviation} (invariant qty ${invariant.qty}, sales ${invariant.count})`,
        );
        if (examples.length) log(`audit: half-applied snapshots: ${examples.join("; ")}`);
        log(
            `after the load: lake equal ${secs(ms)} after it stopped (${secs(Date.now() - stoppedAt)} with the audit), duplicates ${duplicates}, ` +
                `checkpoint failures during the load ${failuresAfter.real - failuresBefore.real} (refused triggers ${failuresAfter.notRunning - failuresBefore.notRunning})`,
        );

        // What the audit must have been able to do, whatever it found.
        expect(audited.length).toBeGreaterThanOrEqual(Math.min(5, Math.floor(loadSeconds / checkpointIntervalSeconds / 2)));
        expect(await totalsAsOf(first.id)).toMatchObject(invariant);
        expect(await totalsAsOf(audited[audited.length - 1].id)).toMatchObject(invariant);
        expect(duplicates).toBe(0);

        // Freshness with the job as it is, for the README's cost comparison (probes break the invariant,
        // so they come after the audit).
        const latencies = await probeFreshness({ pool: app, trinoUrl: trino.url, productId: 1, probes: 10, timeoutMs: 60_000 });
        log(`freshness over ${latencies.length} probes: p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms`);
        await converge("after the probes");
    }),
);
