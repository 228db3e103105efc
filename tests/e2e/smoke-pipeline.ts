/**
 * Smoke test of the pipeline on the harness's real servers: MariaDB seeded by the generator library,
 * the Flink job (flink-sql/pipeline.sql through the SQL runner, the image's jars) with checkpoints
 * on MinIO, Trino reading the Iceberg table Flink created. Compares the lake with the MySQL oracle
 * after the snapshot, after a burst of changes, and after a crash (SIGKILL) and a restart from the
 * last retained checkpoint. Prints timings; stops everything, pass or fail.
 *
 *   npx ts-node tests/e2e/smoke-pipeline.ts   (E2E_KEEP_LOGS=1 keeps the run dir;
 *                                             E2E_CHECKPOINT_SECONDS, default 2;
 *                                             E2E_FLINK_PARALLELISM, default the program's)
 */
import { createPool, Pool } from "mysql2/promise";
import { icebergCatalogName } from "../../components/flinkSql";
import { ChangeKind, Mix, rng, Workload } from "../../generator/workload";
import { expectedSalesByProduct } from "../../verify/oracle";
import { canonical, diffRows, SalesRow } from "../../verify/rows";
import { lakeSalesByProduct, lakeTable } from "../../verify/trino";
import { createRunDir, finishRunDir } from "./harness/paths";
import { run, stopAll } from "./harness/proc";
import { ensureFlinkJars, FlinkJob, startFlinkJob } from "./services/flink";
import { MySqlService, startMySql } from "./services/mysql";
import { startObjectStore } from "./services/objectStore";
import { startTrino, TrinoService } from "./services/trino";

const checkpointIntervalSeconds = Number(process.env.E2E_CHECKPOINT_SECONDS ?? 2);
/** Default: the program's (components/config.ts). */
const parallelism = process.env.E2E_FLINK_PARALLELISM ? Number(process.env.E2E_FLINK_PARALLELISM) : undefined;
const convergeTimeoutMs = 3 * 60_000;
const mix: Mix = { updateRatio: 0.3, deleteRatio: 0.1, renameRatio: 0.05 };

const say = (msg: string) => process.stdout.write(`[smoke-pipeline] ${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Polls until the lake equals the oracle; fails with the last differences after the timeout. */
async function converge(what: string, oracle: Pool, trino: TrinoService, flink: FlinkJob): Promise<{ ms: number; rows: SalesRow[] }> {
    const t0 = Date.now();
    let diffs: string[] = ["not compared yet"];
    while (Date.now() - t0 < convergeTimeoutMs) {
        const died = flink.proc.exitInfo();
        if (died) {
            throw new Error(`${what}: the Flink JVM exited (${JSON.stringify(died)}); log ${flink.proc.logFile}:\n${flink.proc.tail(60)}`);
        }
        const expected = await expectedSalesByProduct(oracle);
        try {
            diffs = diffRows(expected, await lakeSalesByProduct(trino.url));
        } catch (e) {
            diffs = [`Trino: ${(e as Error).message.split("\n")[0]}`];
        }
        if (diffs.length === 0) {
            const ms = Date.now() - t0;
            say(`${what}: lake equals the oracle (${expected.length} products, ${expected.reduce((n, r) => n + Number(r.sale_count), 0)} sales) after ${secs(ms)}`);
            return { ms, rows: expected };
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${what}: lake differs from the oracle after ${secs(convergeTimeoutMs)}:\n  ${diffs.slice(0, 20).join("\n  ")}`);
}

async function changes(workload: Workload, n: number): Promise<Partial<Record<ChangeKind, number>>> {
    const counts: Partial<Record<ChangeKind, number>> = {};
    for (let i = 0; i < n; i++) {
        const kind = await workload.step(mix);
        counts[kind] = (counts[kind] ?? 0) + 1;
    }
    return counts;
}

/** Every TCP socket the process listens on must be on loopback. */
async function listeningAddresses(pid: number): Promise<string[]> {
    const { stdout } = await run("ss", ["-H", "-l", "-t", "-n", "-p"]);
    return stdout
        .split("\n")
        .filter((l) => l.includes(`pid=${pid},`))
        .map((l) => l.trim().split(/\s+/)[3]);
}

async function main(): Promise<void> {
    const runDir = createRunDir();
    say(`run dir ${runDir.root}; checkpoint interval ${checkpointIntervalSeconds} s, parallelism ${parallelism ?? "default"}`);
    let failed = true;
    const pools: Pool[] = [];
    const timings: Record<string, string> = {};
    try {
        const t0 = Date.now();
        const [mysql, store, jars] = await Promise.all([startMySql({ run: runDir }), startObjectStore({ run: runDir }), ensureFlinkJars()]);
        say(`mysql + object store up, Flink jars ${jars.cached ? "up to date" : "built"}, in ${secs(Date.now() - t0)}`);

        const appPool = createPool(appPoolOptions(mysql));
        const oracle = createPool({ host: mysql.host, port: mysql.port, user: "root", password: mysql.rootPassword, dateStrings: true, connectionLimit: 2 });
        pools.push(appPool, oracle);
        const workload = new Workload(appPool, rng(42));
        await workload.seedProducts(20);
        await workload.insertSales(3000);
        say("seeded 20 products and 3000 sales (the snapshot)");

        // --- the job from scratch: snapshot, then binlog
        let flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds, parallelism });
        timings["JVM start -> RUNNING"] = secs(flink.timings.startToRunningMs);
        const listening = await listeningAddresses(flink.proc.pid);
        // Java reports an IPv4 bind on a dual-stack socket as [::ffff:127.0.0.1].
        const open = listening.filter((a) => !/^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]):\d+$/.test(a));
        if (open.length > 0) {
            throw new Error(`the Flink JVM listens beyond loopback: ${open.join(", ")}`);
        }
        say(`Flink JVM listens only on loopback: ${listening.join(", ")}`);
        await flink.waitForCheckpoints(1);
        timings["JVM start -> first checkpoint"] = secs(flink.timings.startToFirstCheckpointMs ?? NaN);
        say(`first checkpoint ${secs(flink.timings.startToFirstCheckpointMs ?? NaN)} after JVM start: ${await flink.latestCheckpointPath()}`);

        const trino = await startTrino({ run: runDir, mysql, objectStore: store, icebergCatalogName: icebergCatalogName() });
        timings["Trino start"] = secs(trino.startupMs);
        const snap = await converge("snapshot", oracle, trino, flink);
        timings["snapshot: JVM start -> lake equals oracle"] = secs(Date.now() - flink.timings.startedAt);
        timings["snapshot: Trino ready -> lake equals oracle"] = secs(snap.ms);
        const firstEqual = await firstCommitEqualTo(trino, snap.rows);
        timings["snapshot: JVM start -> first Iceberg commit equal to the oracle"] = firstEqual ? secs(firstEqual.committedAt - flink.timings.startedAt) : "none";
        say(`Iceberg snapshot ${firstEqual?.snapshotId} is the first equal to the oracle (commit ${firstEqual?.index} of the table)`);
        const cpFailures = await flink.checkpointFailures();
        if (cpFailures.length > 0) {
            say(`failed checkpoints so far: ${cpFailures.join(" | ")}`);
        }
        if (snap.rows.length !== 20 || snap.rows.reduce((n, r) => n + Number(r.sale_count), 0) !== 3000) {
            throw new Error(`snapshot oracle is not 20 products / 3000 sales: ${snap.rows.length} rows`);
        }

        // --- streaming changes
        const tc = Date.now();
        const burst = await changes(workload, 200);
        say(`200 changes in ${secs(Date.now() - tc)}: ${JSON.stringify(burst)}`);
        const streaming = await converge("streaming", oracle, trino, flink);
        timings["200 changes: last change -> lake equals oracle"] = secs(streaming.ms);
        const rss = flink.rss();
        timings["Flink JVM RSS (now / peak)"] = `${mib(rss.current)} / ${mib(rss.peak)}`;

        // --- crash and restart from the last retained checkpoint
        const before = await changes(workload, 50);
        await flink.waitForCheckpoints((await flink.checkpoints()).completed + 1);
        // ...and some that are read but, most likely, in no completed checkpoint when the JVM dies:
        // the restarted job must replay them from the checkpointed binlog offset, once.
        const unacked = await changes(workload, 30);
        await flink.kill();
        say(`killed the Flink JVM (SIGKILL) after 50 checkpointed changes ${JSON.stringify(before)} and 30 more ${JSON.stringify(unacked)}`);
        const whileDown = await changes(workload, 100);
        say(`100 changes while the job was down: ${JSON.stringify(whileDown)}`);
        const restoreFrom = await flink.latestCheckpointPath();
        if (!restoreFrom) {
            throw new Error("no retained checkpoint to restart from");
        }
        flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds, parallelism, restoreFrom });
        timings["restart: JVM start -> RUNNING"] = secs(flink.timings.startToRunningMs);
        await flink.waitForCheckpoints(1);
        timings["restart: JVM start -> first checkpoint"] = secs(flink.timings.startToFirstCheckpointMs ?? NaN);
        const restored = await flink.checkpoints();
        if (restored.restored < 1) {
            throw new Error(`the restarted job reports no restore: ${JSON.stringify(restored)}`);
        }
        const after = await changes(workload, 100);
        say(`100 changes after the restart: ${JSON.stringify(after)}`);
        const restart = await converge("after restart", oracle, trino, flink);
        timings["restart: last change -> lake equals oracle"] = secs(restart.ms);

        // --- what Trino sees of the table's files (v2 equality deletes from the upsert sink)
        const [cat, schema, table] = lakeTable.split(".");
        const files = await trino.query(`SELECT content, count(*), sum(record_count) FROM ${cat}.${schema}."${table}$files" GROUP BY content ORDER BY content`);
        say(`table files by content (0 data, 1 position deletes, 2 equality deletes) [content, files, records]: ${JSON.stringify(files.rows)}`);
        const types = await trino.query(
            `SELECT column_name, data_type FROM ${cat}.information_schema.columns WHERE table_schema = '${schema}' AND table_name = '${table}' ORDER BY ordinal_position`,
        );
        say(`column types as Trino sees them: ${types.rows.map((r) => `${r[0]} ${r[1]}`).join(", ")}`);
        const rss2 = flink.rss();
        timings["restarted Flink JVM RSS (now / peak)"] = `${mib(rss2.current)} / ${mib(rss2.peak)}`;
        failed = false;
    } finally {
        for (const [k, v] of Object.entries(timings)) {
            say(`timing: ${k}: ${v}`);
        }
        await Promise.allSettled(pools.map((p) => p.end()));
        await stopAll();
        finishRunDir(runDir, failed);
        process.stdout.write(`smoke-pipeline: ${failed ? "FAILED" : "passed"}\n`);
    }
}

/**
 * The table's Iceberg snapshots in commit order, each read with time travel: the first whose content
 * equals `expected` and when it was committed. Tells when the snapshot phase became visible,
 * independently of when Trino started.
 */
async function firstCommitEqualTo(trino: TrinoService, expected: SalesRow[]): Promise<{ snapshotId: string; committedAt: number; index: number } | undefined> {
    const [cat, schema, table] = lakeTable.split(".");
    const snaps = await trino.query(
        `SELECT CAST(snapshot_id AS varchar), to_unixtime(committed_at) * 1000 FROM ${cat}.${schema}."${table}$snapshots" ORDER BY committed_at`,
    );
    for (const [i, [id, at]] of snaps.rows.entries()) {
        const { columns, rows } = await trino.query(
            `SELECT product_id, product_sku, product_name, total_qty, CAST(total_revenue AS varchar) AS total_revenue, sale_count,
                    CAST(last_sale_ts AS varchar) AS last_sale_ts
             FROM ${lakeTable} FOR VERSION AS OF ${String(id)} ORDER BY product_id`,
        );
        const actual = rows.map((r) => canonical(Object.fromEntries(columns.map((c, j) => [c, r[j]]))));
        if (diffRows(expected, actual).length === 0) {
            return { snapshotId: String(id), committedAt: Number(at), index: i + 1 };
        }
    }
    return undefined;
}

/** The application's own role (the generator's user): row changes on appdb only. */
function appPoolOptions(mysql: MySqlService) {
    return {
        host: mysql.host,
        port: mysql.port,
        user: mysql.users.app.name,
        password: mysql.users.app.password,
        database: mysql.databases.app,
        connectionLimit: 2,
    };
}

main().catch((e: unknown) => {
    process.stderr.write(`[smoke-pipeline] FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
});
