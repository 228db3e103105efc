import { createPool, Pool } from "mysql2/promise";
import { icebergCatalogName } from "../../components/flinkSql";
import { rng, Workload } from "../../generator/workload";
import * as fs from "fs";
import { flinkJobs } from "../../verify/flink";
import { fileCounts, runMaintenance } from "../../verify/maintenance";
import { converge as convergeLake, duplicateKeys, runGenerator, startGenerator as startGeneratorIn } from "../e2e/harness/lake";
import { createRunDir, finishRunDir, RunDir } from "../e2e/harness/paths";
import { Proc, stopAll } from "../e2e/harness/proc";
import { FlinkJob, startFlinkJob } from "../e2e/services/flink";
import { MySqlService, startMySql } from "../e2e/services/mysql";
import { ObjectStoreService, startObjectStore } from "../e2e/services/objectStore";
import { startTrino, TrinoService } from "../e2e/services/trino";
import { Outcome } from "../e2e/harness/outcome";
import { latestFailure } from "../../verify/flink";
import { lakeSalesByProduct } from "../../verify/trino";
import { diffRows } from "../../verify/rows";
import { branchHolds, checkpointAfter, refs, snapshotsRead } from "./rebuild";
import { checkpointFailureCount, checkpointFailureReasons } from "./checkpoints";

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
    /** Checkpoints that failed once every task ran (REST count minus the refused start-up triggers). */
    checkpointFailures: number;
    /** Triggers refused because a task was not yet RUNNING (each start, each failover): see README. */
    startupRefusals: number;
    /** Failovers the job made on its own (restart strategy), inside its JobManager. */
    failovers: number;
}
const reports: CaseReport[] = [];

const log = (msg: string) => process.stdout.write(`[faults] ${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const converge = (what: string) => convergeLake({ oracle, trinoUrl: trino.url, what, timeoutMs: convergeTimeoutMs, log });

/** The generator as its Deployment runs it, in the background, until stopped or `events` are made. */
const startGenerator = (name: string, o: { events: number; seed: number; rate: number }): Proc => startGeneratorIn(mysql, runDir, name, o);

/**
 * Purges every binlog file but a new current one, as `binlog_expire_logs_seconds` would after an
 * outage longer than the retention. The server keeps a file a replica still reads; the killed job's
 * dump threads may linger until the server notices, so they are ended first, and the purge checked.
 */
async function purgeBinlogs(): Promise<void> {
    const [threads] = (await oracle.query("SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'")) as unknown as [{ id: number }[]];
    for (const t of threads) await oracle.query(`KILL ${Number(t.id)}`).catch(() => undefined);
    await oracle.query("FLUSH BINARY LOGS");
    const [logs] = (await oracle.query("SHOW BINARY LOGS")) as unknown as [{ Log_name: string }[]];
    const current = logs[logs.length - 1].Log_name;
    // MariaDB keeps a file until its binlog checkpoint (InnoDB's recovery point) has moved past it,
    // which happens shortly after the rotation: retried, with the server's reason logged.
    let left: { Log_name: string }[] = logs;
    for (let attempt = 1; attempt <= 30 && left.length > 1; attempt++) {
        const conn = await oracle.getConnection();
        try {
            await conn.query(`PURGE BINARY LOGS TO '${current}'`);
            const [warnings] = (await conn.query("SHOW WARNINGS")) as unknown as [{ Message: string }[]];
            [left] = (await conn.query("SHOW BINARY LOGS")) as unknown as [{ Log_name: string }[]];
            if (left.length > 1 && attempt === 1) log(`binlog purge deferred: ${warnings.map((w) => w.Message).join("; ") || "no warning"}`);
        } finally {
            conn.release();
        }
        if (left.length > 1) await sleep(1000);
    }
    log(`binlog: ${threads.length} dump thread(s) ended, ${logs.length - left.length} file(s) purged, left: ${left.map((l) => l.Log_name).join(", ")}`);
    expect(left.map((l) => l.Log_name)).toEqual([current]);
}

/** A burst of changes to completion; a generator cut off by a fault ends with an error, which is allowed. */
async function burst(name: string, o: { events: number; seed: number; rate: number }): Promise<void> {
    await runGenerator(mysql, runDir, name, o);
}


type Counters = { checkpointFailures: number; startupRefusals: number; failovers: number };
const plus = (a: Counters, b: Counters): Counters => ({
    checkpointFailures: a.checkpointFailures + b.checkpointFailures,
    startupRefusals: a.startupRefusals + b.startupRefusals,
    failovers: a.failovers + b.failovers,
});
const zero: Counters = { checkpointFailures: 0, startupRefusals: 0, failovers: 0 };

async function countersSince(before: Counters): Promise<Counters> {
    const now = await jobCounters();
    return {
        checkpointFailures: now.checkpointFailures - before.checkpointFailures,
        startupRefusals: now.startupRefusals - before.startupRefusals,
        failovers: now.failovers - before.failovers,
    };
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
async function jobCounters(): Promise<Counters> {
    const failovers = (fs.readFileSync(flink.proc.logFile, "utf8").match(/switched from RUNNING to FAILED with failure cause/g) ?? []).length;
    const c = await checkpointFailureCount(flink);
    return { checkpointFailures: c.real, startupRefusals: c.notRunning, failovers };
}

/**
 * The end of every case: equal to the oracle (converge fails the case on any difference, so the drift
 * recorded is the measured 0), no duplicate key, the job RUNNING; recorded for the summary.
 */
async function settle(name: string, recoveryStartedAt: number, readCounters: () => Promise<Counters>, recoveryNote = ""): Promise<Counters> {
    const { ms } = await converge(name);
    const recovery = `${secs(Date.now() - recoveryStartedAt)}${recoveryNote}`;
    const counters = await readCounters();
    const duplicates = await duplicateKeys(trino.url);
    const running = await jobRunning();
    const report = { name, drift: 0, duplicates, recovery, ...counters };
    reports.push(report);
    log(
        `${name}: drift 0, duplicates ${duplicates}, recovery ${recovery} (lake equal ${secs(ms)} after the last change), ` +
            `checkpoint failures ${counters.checkpointFailures} (plus ${counters.startupRefusals} start-up refusals), failovers ${counters.failovers}, job RUNNING: ${running}`,
    );
    expect(duplicates).toBe(0);
    expect(running).toBe(true);
    return counters;
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
            log(`  ${r.name}: drift ${r.drift}, duplicates ${r.duplicates}, recovery ${r.recovery}, checkpoint failures ${r.checkpointFailures} (plus ${r.startupRefusals} start-up refusals), failovers ${r.failovers}`);
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
        let totals = zero;
        try {
            for (let k = 1; k <= kills; k++) {
                // Odd kills strike anywhere in the first checkpoint intervals of a restored job (before
                // or during its first checkpoint); even ones after it has checkpointed, mid-interval.
                if (k % 2 === 0) await flink.waitForCheckpoints(1, 180_000);
                await sleep(random() * 2 * checkpointIntervalSeconds * 1000);
                const c = await jobCounters();
                totals = plus(totals, c);
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
            return plus(totals, c);
        };
        // No checkpoint fails once the tasks run: the only failures are the start-up refusals (README, "Failed checkpoints").
        const counters = await settle(`${kills} kills under load`, stoppedAt, withLast, `; kill to RUNNING median ${secs(sorted[Math.floor(sorted.length / 2)])}, max ${secs(sorted[sorted.length - 1])}`);
        expect(counters.checkpointFailures).toBe(0);
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
        // No checkpoint fails once the tasks run: the only failures are the start-up refusals (README, "Failed checkpoints").
        const counters = await settle(`maintenance x${rounds} while committing`, stoppedAt, () => countersSince(before));
        expect(counters.checkpointFailures).toBe(0);
    }),
);

test(
    "columns added to sales and to products while the job runs, then a restart from a checkpoint taken after the change",
    track(async () => {
        const before = await jobCounters();
        const generator = startGenerator("generator-ddl", { events: 1_000_000, seed: 61, rate: 40 });
        let after: Counters;
        try {
            await sleep(3000);
            // As an application migration would: one column in the middle of sales, one at the end of
            // products, both used right away. The job's tables name their columns, so CDC must map by
            // name and carry on; the schema history in its state must survive a restore.
            await oracle.query("ALTER TABLE appdb.sales ADD COLUMN channel VARCHAR(16) NULL AFTER product_id");
            await oracle.query("ALTER TABLE appdb.products ADD COLUMN category VARCHAR(32) NOT NULL DEFAULT 'none'");
            await oracle.query("INSERT INTO appdb.sales (product_id, channel, qty, price) SELECT id, 'store', 2, 3.50 FROM appdb.products ORDER BY id LIMIT 5");
            await oracle.query("UPDATE appdb.sales SET channel = 'web', qty = qty + 1 WHERE id % 11 = 0");
            await oracle.query("UPDATE appdb.products SET category = 'toys', name = CONCAT(name, ' *') WHERE id % 2 = 0");
            await sleep(2000);
            await flink.waitForCheckpoints((await flink.checkpointCounts()).completed + 2, 180_000);
            after = await countersSince(before);
            await flink.kill();
            const restoreFrom = (await flink.latestCheckpointPath()) ?? flink.restoredFrom;
            flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds, restoreFrom });
            await sleep(3000);
        } finally {
            await generator.stop();
        }
        const stoppedAt = Date.now();
        // No checkpoint fails once the tasks run: the only failures are the start-up refusals (README, "Failed checkpoints").
        const counters = await settle("columns added while running", stoppedAt, async () => {
            const c = await jobCounters();
            return plus(after, c);
        });
        expect(counters.checkpointFailures).toBe(0);
    }),
);

test(
    "the binlog purged past the job's position while it is down: the job fails loudly; a rebuild on a branch, published when complete, brings the lake back to equal, keys that vanished meanwhile included, and readers never see partial totals",
    track(async () => {
        const app = createPool({ host: mysql.host, port: mysql.port, user: mysql.users.app.name, password: mysql.users.app.password, database: mysql.databases.app, connectionLimit: 2 });
        try {
            // Two products with sales the lake knows about; both vanish while the binlog is lost: one
            // loses every sale (its row must go), the other is deleted with its sales.
            await app.query("INSERT INTO products (sku, name, price) VALUES ('VANISH-1', 'Vanishing sales', 1.00), ('VANISH-2', 'Vanishing product', 2.00)");
            await app.query("INSERT INTO sales (product_id, qty, price) SELECT id, 3, 4.00 FROM products WHERE sku LIKE 'VANISH-%'");
            await converge("before the outage");
            await flink.waitForCheckpoints((await flink.checkpointCounts()).completed + 1, 180_000);
            await flink.kill();
            const lostPosition = (await flink.latestCheckpointPath()) ?? flink.restoredFrom;

            // While the job is down: the vanishing keys, a bulk of new sales (so the rebuild's
            // snapshot spans several checkpoints), other changes; then the binlog is purged.
            await app.query("DELETE s FROM sales s JOIN products p ON p.id = s.product_id WHERE p.sku LIKE 'VANISH-%'");
            await app.query("DELETE FROM products WHERE sku = 'VANISH-2'");
            const bulk = new Workload(app, rng(72));
            await bulk.loadProducts();
            await bulk.insertSales(Number(process.env.FAULTS_REBUILD_SALES ?? 30_000), 2000);
            await burst("generator-binlog-outage", { events: 300, seed: 73, rate: 300 });
            await purgeBinlogs();
            log(`restoring the job from ${lostPosition}`);

            // The restored job cannot read on: it must say so, not report RUNNING and stay silent.
            const failing = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds, restoreFrom: lostPosition });
            const t0 = Date.now();
            let failure: { cause: string } | undefined;
            while (Date.now() - t0 < 120_000 && !failure) {
                failure = await latestFailure(failing.restUrl, failing.jobId).catch(() => undefined);
                if (!failure) await sleep(1000);
            }
            log(`the restored job's failure: ${failure?.cause ?? "none within 120 s"}`);
            expect(failure?.cause).toMatch(/binlog|binary log/i);
            const failingCheckpoints = (await failing.checkpointCounts()).completed;
            await failing.kill();
            expect(failingCheckpoints).toBe(0);
            // What readers see from now on, until the publish: the last complete result before the outage.
            const stale = await lakeSalesByProduct(trino.url);

            // The recovery (README, "Rebuilding the lake"): a job without state writing the rebuild
            // branch (the runner starts it empty); once both sources have read their snapshot and a
            // checkpoint after that is committed on the branch, the job is switched back to main from
            // its checkpoint, and the runner publishes the branch before the job resumes.
            const rebuildStartedAt = Date.now();
            const generator = startGenerator("generator-rebuild", { events: 1_000_000, seed: 74, rate: 40 });
            const reads = { main: 0, mainChanged: 0, branch: 0, branchStates: new Set<string>() };
            let reading = true;
            const reader = (async () => {
                while (reading) {
                    const [m, b] = await Promise.all([lakeSalesByProduct(trino.url), lakeSalesByProduct(trino.url, "rebuild").catch(() => undefined)]);
                    if (!reading) break;
                    reads.main++;
                    if (diffRows(stale, m).length) reads.mainChanged++;
                    if (b) {
                        reads.branch++;
                        reads.branchStates.add(b.map((r) => `${r.product_id}:${r.sale_count}`).join(","));
                    }
                    await sleep(500);
                }
            })();
            let publishedAt = 0;
            try {
                flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds, sinkBranch: "rebuild" });
                const snapshotRead = await snapshotsRead(flink);
                const checkpoint = await checkpointAfter(flink, snapshotRead);
                await branchHolds(trino.url, "rebuild", checkpoint);
                log(`rebuild: snapshots read ${secs(snapshotRead - rebuildStartedAt)} after the start, checkpoint ${checkpoint} holds them`);
                expect(fs.readFileSync(flink.proc.logFile, "utf8")).toMatch(/branch 'rebuild': rebuild branch started empty at snapshot \d+; main stays at \d+/);
                await flink.kill();
                reading = false;
                await reader;
                const restoreFrom = (await flink.latestCheckpointPath()) ?? flink.restoredFrom;
                flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds, restoreFrom });
                publishedAt = Date.now();
                expect(fs.readFileSync(flink.proc.logFile, "utf8")).toMatch(/branch 'main': published the rebuild: main \d+ -> \d+; rebuild branch removed/);
                await sleep(3000);
            } finally {
                reading = false;
                await reader.catch(() => undefined);
                await generator.stop();
            }
            log(
                `readers during the rebuild: main read ${reads.main} times, changed ${reads.mainChanged} times before the publish; ` +
                    `the branch went through ${reads.branchStates.size} states in ${reads.branch} reads`,
            );
            // Readers of main saw only the old complete result until the publish.
            expect(reads.main).toBeGreaterThan(5);
            expect(reads.mainChanged).toBe(0);
            const before = await jobCounters();
            // No checkpoint fails once the tasks run: the only failures are the start-up refusals (README, "Failed checkpoints").
            const counters = await settle("binlog purged, rebuilt on a branch", rebuildStartedAt, () => countersSince(before), `; published ${secs(publishedAt - rebuildStartedAt)} after the rebuild started`);
            expect(counters.checkpointFailures).toBe(0);
            expect((await refs(trino.url)).filter((r) => r.type === "BRANCH").map((r) => r.name)).toEqual(["main"]);
            const lake = await lakeSalesByProduct(trino.url);
            // The deleted product's key is gone (an upsert-only fresh start would have kept it); the
            // other one's row is the oracle's (the generator may have sold it again meanwhile).
            expect(stale.filter((r) => r.product_sku.startsWith("VANISH-")).length).toBe(2);
            expect(lake.some((r) => r.product_sku === "VANISH-2")).toBe(false);
        } finally {
            await app.end();
        }
    }),
);
