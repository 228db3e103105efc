import * as path from "path";
import { createPool, Pool } from "mysql2/promise";
import { icebergCatalogName } from "../../components/flinkSql";
import { repoRoot } from "../../components/versions";
import { rng, Workload } from "../../generator/workload";
import * as fs from "fs";
import { flinkJobs } from "../../verify/flink";
import { fileCounts, runMaintenance } from "../../verify/maintenance";
import { converge as convergeLake, duplicateKeys, generatorEnv } from "../e2e/harness/lake";
import { createRunDir, finishRunDir, RunDir } from "../e2e/harness/paths";
import { Proc, run as runCommand, start, stopAll } from "../e2e/harness/proc";
import { FlinkJob, startFlinkJob } from "../e2e/services/flink";
import { MySqlService, startMySql } from "../e2e/services/mysql";
import { ObjectStoreService, startObjectStore } from "../e2e/services/objectStore";
import { startTrino, TrinoService } from "../e2e/services/trino";
import { Outcome } from "../e2e/harness/outcome";

/**
 * The fault campaign (`npm run test:faults`): the real pipeline on the e2e harness (the program's
 * SQL, runner and jars in a MiniCluster, MariaDB, MinIO, Trino), hit by the faults production meets.
 * Every case ends the same way: the lake equals the MySQL oracle in every row and column, no
 * product_id appears twice, and the job is RUNNING with nothing done by hand that the deployed stack
 * would not do itself (a killed JobManager is restored from its latest checkpoint, which is what the
 * operator's last-state recovery does; everything else the job must survive on its own).
 */

const checkpointIntervalSeconds = Number(process.env.E2E_CHECKPOINT_SECONDS ?? 2);
const kills = Number(process.env.FAULTS_KILLS ?? 10);
const convergeTimeoutMs = 5 * 60_000;

let runDir: RunDir;
let mysql: MySqlService;
let store: ObjectStoreService;
let flink: FlinkJob;
let trino: TrinoService;
let oracle: Pool;
const outcome = new Outcome();
const track = outcome.track;

interface CaseReport {
    name: string;
    drift: number;
    duplicates: number;
    recovery: string;
    checkpointFailures: number;
    /** Failovers the job made on its own (restart strategy), inside its JobManager. */
    failovers: number;
}
const reports: CaseReport[] = [];

const log = (msg: string) => process.stdout.write(`[faults] ${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const converge = (what: string) => convergeLake({ oracle, trinoUrl: trino.url, what, timeoutMs: convergeTimeoutMs, log });

/** The generator as its Deployment runs it, in the background, until stopped or `events` are made. */
function startGenerator(name: string, o: { events: number; seed: number; rate: number }): Proc {
    return start({
        name,
        cmd: path.join(repoRoot, "node_modules", ".bin", "ts-node"),
        args: [path.join(repoRoot, "generator", "main.ts")],
        env: generatorEnv(mysql, o),
        logDir: runDir.logs,
        stopGraceMs: 10_000,
    });
}

/** A burst of changes to completion; a generator cut off by a fault ends with an error, which is allowed. */
async function burst(name: string, o: { events: number; seed: number; rate: number }): Promise<void> {
    await runCommand(path.join(repoRoot, "node_modules", ".bin", "ts-node"), [path.join(repoRoot, "generator", "main.ts")], {
        env: generatorEnv(mysql, o),
        logFile: path.join(runDir.logs, `${name}.log`),
        timeoutMs: 5 * 60_000,
    });
}

/**
 * Why checkpoints failed, as the CheckpointCoordinator logs it (INFO, see flink-sql/runner/local/log4j2.properties),
 * ids and job ids stripped so equal reasons collapse. Failures at trigger time (before every task runs)
 * are counted by the REST API but never enter its history; the log has them all.
 */
function checkpointFailureReasons(logFile: string): string[] {
    const text = fs.readFileSync(logFile, "utf8");
    const reasons = [...text.matchAll(/Failed to trigger (?:or complete )?checkpoint[^\n]*?(?:because|since|:)\s*([^\n]+)/g)].map((m) =>
        m[1].replace(/[0-9a-f]{32}/g, "<id>").replace(/\d+/g, "N").slice(0, 160),
    );
    return [...new Set(reasons)];
}

async function countersSince(before: { checkpointFailures: number; failovers: number }): Promise<{ checkpointFailures: number; failovers: number }> {
    const now = await jobCounters();
    return { checkpointFailures: now.checkpointFailures - before.checkpointFailures, failovers: now.failovers - before.failovers };
}

async function jobRunning(): Promise<boolean> {
    const jobs = await flinkJobs(flink.restUrl);
    return jobs.some((j) => j.id === flink.jobId && j.state === "RUNNING");
}

/**
 * Checkpoint failures (REST; they survive the job's failovers) and failovers of the running
 * JobManager so far. A failover is a task failing, which the JobManager logs at WARN as
 * `switched from RUNNING to FAILED with failure cause` and answers with its restart strategy.
 */
async function jobCounters(): Promise<{ checkpointFailures: number; failovers: number }> {
    const failovers = (fs.readFileSync(flink.proc.logFile, "utf8").match(/switched from RUNNING to FAILED with failure cause/g) ?? []).length;
    return { checkpointFailures: (await flink.checkpointCounts()).failed, failovers };
}

/**
 * The end of every case: equal to the oracle (converge fails the case on any difference, so the drift
 * recorded is the measured 0), no duplicate key, the job RUNNING; recorded for the summary.
 */
async function settle(name: string, recoveryStartedAt: number, readCounters: () => Promise<{ checkpointFailures: number; failovers: number }>, recoveryNote = ""): Promise<void> {
    const { ms } = await converge(name);
    const recovery = `${secs(Date.now() - recoveryStartedAt)}${recoveryNote}`;
    const counters = await readCounters();
    const duplicates = await duplicateKeys(trino.url);
    const running = await jobRunning();
    const report = { name, drift: 0, duplicates, recovery, ...counters };
    reports.push(report);
    log(
        `${name}: drift 0, duplicates ${duplicates}, recovery ${recovery} (lake equal ${secs(ms)} after the last change), ` +
            `checkpoint failures ${counters.checkpointFailures}, failovers ${counters.failovers}, job RUNNING: ${running}`,
    );
    expect(duplicates).toBe(0);
    expect(running).toBe(true);
}

beforeAll(async () => {
    runDir = createRunDir("lakehouse-faults");
    log(`run dir ${runDir.root}`);
    try {
        [mysql, store] = await Promise.all([startMySql({ run: runDir }), startObjectStore({ run: runDir })]);
        oracle = createPool({ host: mysql.host, port: mysql.port, user: "root", password: mysql.rootPassword, dateStrings: true, connectionLimit: 2 });
        const app = createPool({ host: mysql.host, port: mysql.port, user: mysql.users.app.name, password: mysql.users.app.password, database: mysql.databases.app, connectionLimit: 2 });
        const workload = new Workload(app, rng(4242));
        await workload.seedProducts(20);
        await workload.insertSales(3000);
        await app.end();
        flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds });
        trino = await startTrino({ run: runDir, mysql, objectStore: store, icebergCatalogName: icebergCatalogName() });
        await converge("snapshot");
    } catch (e) {
        outcome.failed = true;
        throw e;
    }
});

afterAll(async () => {
    await oracle?.end().catch(() => undefined);
    await stopAll();
    if (reports.length) {
        log("summary:");
        for (const r of reports) {
            log(`  ${r.name}: drift ${r.drift}, duplicates ${r.duplicates}, recovery ${r.recovery}, checkpoint failures ${r.checkpointFailures}, failovers ${r.failovers}`);
        }
    }
    if (runDir) finishRunDir(runDir, outcome.failed);
});

test(
    `${kills} SIGKILLs of the job at random moments under continuous load, each restored from its latest checkpoint`,
    track(async () => {
        const random = rng(99);
        const generator = startGenerator("generator-kills", { events: 1_000_000, seed: 21, rate: 40 });
        const restarts: number[] = [];
        const restoredFrom: string[] = [];
        const failureReasons = new Set<string>();
        const totals = { checkpointFailures: 0, failovers: 0 };
        try {
            for (let k = 1; k <= kills; k++) {
                // Odd kills strike anywhere in the first checkpoint intervals of a restored job (before
                // or during its first checkpoint); even ones after it has checkpointed, mid-interval.
                if (k % 2 === 0) await flink.waitForCheckpoints(1, 180_000);
                await sleep(random() * 2 * checkpointIntervalSeconds * 1000);
                const c = await jobCounters();
                totals.checkpointFailures += c.checkpointFailures;
                totals.failovers += c.failovers;
                checkpointFailureReasons(flink.proc.logFile).forEach((r) => failureReasons.add(r));
                await flink.kill();
                const killedAt = Date.now();
                // What the operator's last-state recovery picks: the newest retained checkpoint, or the
                // one this JobManager was restored from when it died before completing its own.
                const restoreFrom = (await flink.latestCheckpointPath()) ?? flink.restoredFrom;
                expect(restoreFrom).toMatch(/^s3:\/\/.*\/chk-\d+$/);
                flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds, restoreFrom });
                restarts.push(Date.now() - killedAt);
                restoredFrom.push(restoreFrom!);
                log(`kill ${k}/${kills}: restored from ${restoreFrom!.split("/").slice(-2).join("/")}, RUNNING ${secs(restarts[restarts.length - 1])} after the kill`);
            }
        } finally {
            await generator.stop();
        }
        const stoppedAt = Date.now();
        await flink.waitForCheckpoints(1, 180_000);
        checkpointFailureReasons(flink.proc.logFile).forEach((r) => failureReasons.add(r));
        log(`checkpoint failure reasons during the kills: ${[...failureReasons].join(" | ") || "none logged"}`);
        // Restores moved forward: the job made progress between kills, not one checkpoint reused.
        expect(new Set(restoredFrom).size).toBeGreaterThanOrEqual(kills / 2);
        const sorted = [...restarts].sort((a, b) => a - b);
        const withLast = async () => {
            const c = await jobCounters();
            return { checkpointFailures: totals.checkpointFailures + c.checkpointFailures, failovers: totals.failovers + c.failovers };
        };
        await settle(`${kills} kills under load`, stoppedAt, withLast, `; kill to RUNNING median ${secs(sorted[Math.floor(sorted.length / 2)])}, max ${secs(sorted[sorted.length - 1])}`);
    }),
);

test(
    "the MySQL server restarted in the middle of a write burst",
    track(async () => {
        const before = await jobCounters();
        const writes = burst("generator-mysql-burst", { events: 3000, seed: 31, rate: 300 }).catch((e: Error) => log(`burst cut by the restart (expected): ${e.message.split("\n")[0]}`));
        await sleep(2000);
        const t0 = Date.now();
        await mysql.restart();
        log(`MySQL restarted in ${secs(Date.now() - t0)}`);
        await writes;
        await burst("generator-after-mysql-restart", { events: 300, seed: 32, rate: 200 });
        await settle("MySQL restart mid-burst", t0, () => countersSince(before));
    }),
);

test(
    "the S3 server down for 30 s while the job writes, then back",
    track(async () => {
        const before = await jobCounters();
        const generator = startGenerator("generator-s3-outage", { events: 1_000_000, seed: 41, rate: 40 });
        await sleep(3000);
        const t0 = Date.now();
        await store.restart(30_000);
        const back = Date.now();
        log(`S3 down for ${secs(back - t0)}`);
        await sleep(5000);
        await generator.stop();
        // The job recovers on its own (restart strategy, from its latest checkpoint).
        await settle("S3 down 30 s", back, () => countersSince(before));
        log(`checkpoint failure reasons with S3 down: ${checkpointFailureReasons(flink.proc.logFile).join(" | ") || "none logged"}`);
    }),
);

test(
    "table maintenance (compaction, snapshot expiry, orphan removal) run again and again while the job commits",
    track(async () => {
        const before = await jobCounters();
        const filesBefore = await fileCounts(trino.url);
        const generator = startGenerator("generator-maintenance", { events: 1_000_000, seed: 51, rate: 40 });
        const rounds = Number(process.env.FAULTS_MAINTENANCE_ROUNDS ?? 5);
        const retries: number[] = [];
        try {
            for (let i = 1; i <= rounds; i++) {
                // trino/maintenance.sql as the CronJob runs it; a statement that loses a commit race with
                // the writer is retried, as the CronJob's next run would.
                const runs = await runMaintenance(trino.url);
                retries.push(runs.reduce((n, r) => n + r.tries - 1, 0));
                await sleep(checkpointIntervalSeconds * 1000);
            }
        } finally {
            await generator.stop();
        }
        const stoppedAt = Date.now();
        log(`maintenance: ${rounds} rounds, statements retried after losing a commit race: ${retries.join(", ")}; files ${JSON.stringify(filesBefore)} before, ${JSON.stringify(await fileCounts(trino.url))} after`);
        await settle(`maintenance x${rounds} while committing`, stoppedAt, () => countersSince(before));
    }),
);
