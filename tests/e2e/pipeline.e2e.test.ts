import { createPool, Pool, ResultSetHeader } from "mysql2/promise";
import { rng, Workload } from "../../generator/workload";
import { chars, edgeTimestamps, nameLimit, skuLimit } from "../../generator/edges";
import { hardKinds } from "../../generator/hard";
import { percentile, probeFreshness } from "../../verify/freshness";
import { fileCounts, runMaintenance } from "../../verify/maintenance";
import { binlogProblems, binlogSettings, cdcGrantProblems, grantsOf } from "../../verify/mysqlChecks";
import { headBucket } from "../../verify/s3";
import { SupersetClient } from "../../verify/superset";
import { lakeSalesByProduct } from "../../verify/trino";
import { converge as convergeLake, duplicateKeys, HardGeneratorOptions, runGenerator as runGeneratorTo } from "./harness/lake";
import { createRunDir, finishRunDir, RunDir } from "./harness/paths";
import { stopAll } from "./harness/proc";
import { FlinkJob, startFlinkJob } from "./services/flink";
import { MySqlService, startMySql } from "./services/mysql";
import { ObjectStoreService, startObjectStore } from "./services/objectStore";
import { startSuperset, SupersetService } from "./services/superset";
import { startTrino, TrinoService } from "./services/trino";
import { icebergCatalogName, pipelineJobName } from "../../components/flinkSql";
import { verifyStack } from "../../verify/stack";
import { sqlMode } from "../../components/mysqlServer";
import { Outcome } from "./harness/outcome";

/**
 * The whole data path on one machine, with the program's own SQL, runner, jars, init scripts,
 * bucket script, Trino catalog and Superset bootstrap, checked against the MySQL oracle.
 */

const checkpointIntervalSeconds = Number(process.env.E2E_CHECKPOINT_SECONDS ?? 2);
const convergeTimeoutMs = 4 * 60_000;

let runDir: RunDir;
let mysql: MySqlService;
let store: ObjectStoreService;
let flink: FlinkJob;
let trino: TrinoService;
let superset: SupersetService;
let oraclePool: Pool;
let appPool: Pool;
const outcome = new Outcome();
const track = outcome.track;

const log = (msg: string) => process.stdout.write(`[e2e] ${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const converge = (what: string) => convergeLake({ oracle: oraclePool, trinoUrl: trino.url, what, timeoutMs: convergeTimeoutMs, log });

/** Runs the data generator (generator/main.ts, as its Deployment does) for a fixed number of changes. */
const runGenerator = (events: number, seed: number, hard?: HardGeneratorOptions) => runGeneratorTo(mysql, runDir, `generator-${seed}`, { events, seed, hard });

beforeAll(async () => {
    runDir = createRunDir();
    log(`run dir ${runDir.root}`);
    try {
        [mysql, store] = await Promise.all([startMySql({ run: runDir }), startObjectStore({ run: runDir })]);
        oraclePool = createPool({ host: mysql.host, port: mysql.port, user: "root", password: mysql.rootPassword, dateStrings: true, connectionLimit: 2 });
        appPool = createPool({ host: mysql.host, port: mysql.port, user: mysql.users.app.name, password: mysql.users.app.password, database: mysql.databases.app, connectionLimit: 2 });

        // The snapshot: products and a few thousand sales exist before the job starts.
        const workload = new Workload(appPool, rng(42));
        await workload.seedProducts(20);
        await workload.insertSales(3000);

        const t0 = Date.now();
        flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds });
        log(`Flink job RUNNING ${secs(Date.now() - t0)} after start`);
        trino = await startTrino({ run: runDir, mysql, objectStore: store, icebergCatalogName: icebergCatalogName() });
        superset = await startSuperset({ run: runDir, mysql, trinoUri: `trino://admin@127.0.0.1:${trino.port}/iceberg` });
    } catch (e) {
        outcome.failed = true;
        throw e;
    }
});

afterAll(async () => {
    await Promise.allSettled([oraclePool?.end(), appPool?.end()]);
    await stopAll();
    if (runDir) finishRunDir(runDir, outcome.failed);
});

test(
    "the servers run with the program's settings: binlog, least-privilege CDC user, private bucket",
    track(async () => {
        expect(binlogProblems(await binlogSettings(oraclePool), false)).toEqual([]);
        // Production's strict SQL mode: a zero date is refused, not stored.
        const [[mode]] = (await oraclePool.query("SELECT @@GLOBAL.sql_mode AS m")) as unknown as [{ m: string }[]];
        expect(mode.m.split(",").sort()).toEqual(sqlMode.split(",").sort());
        await expect(appPool.query("INSERT INTO sales (product_id, qty, price, sale_ts) VALUES (1, 1, 1.00, '0000-00-00 00:00:00')")).rejects.toThrow(/Incorrect datetime value/);
        expect(cdcGrantProblems(await grantsOf(oraclePool, mysql.users.cdc.name))).toEqual([]);
        expect(await headBucket(store.endpoint, store.region, store.bucket, store.accessKey, store.secretKey)).toBe(200);
        expect(await headBucket(store.endpoint, store.region, "no-such-bucket", store.accessKey, store.secretKey)).toBe(404);
    }),
);

test(
    "snapshot: after the first commits the lake equals the oracle, every column of every row",
    track(async () => {
        const { rows } = await converge("snapshot");
        expect(rows.length).toBe(20);
        expect(rows.reduce((n, r) => n + Number(r.sale_count), 0)).toBe(3000);
        const checkpoints = await flink.checkpoints();
        expect(checkpoints.completed).toBeGreaterThan(0);
    }),
);

test(
    "streaming: inserts, updates of qty, price and product, deletes and renames all reach the lake",
    track(async () => {
        const counts = await runGenerator(600, 7);
        log(`generator: ${JSON.stringify(counts)}`);
        for (const kind of ["insert", "update-qty", "update-price", "update-product", "delete", "rename"]) {
            expect(counts[kind] ?? 0).toBeGreaterThan(0);
        }
        await converge("streaming");
    }),
);

test(
    "streaming, hard profile: transactions, rollbacks, product churn, values at the limits, bulk UPDATEs, bursts from 4 connections",
    track(async () => {
        const t0 = Date.now();
        const counts = await runGenerator(1500, 19, { connections: 4, burst: 40 });
        log(`hard generator: ${JSON.stringify(counts)} in ${secs(Date.now() - t0)}`);
        expect(hardKinds.filter((kind) => !((counts[kind] ?? 0) > 0))).toEqual([]);
        // Tens of thousands of rows per statement, not a few.
        expect(counts["bulk-update-rows"] / counts["bulk-update"]).toBeGreaterThanOrEqual(10_000);
        expect(counts["bulk-insert-rows"] ?? 0).toBeGreaterThanOrEqual(10_000);
        const { rows } = await converge("hard streaming");
        // The run's edge products are never changed after they are made: each limit must be in the
        // lake as MySQL stores it (converge compared every column), not just somewhere in the binlog.
        const stamps = new Set(rows.map((r) => r.last_sale_ts));
        expect(edgeTimestamps.filter((ts) => !stamps.has(ts))).toEqual([]);
        expect(rows.some((r) => chars(r.product_name) === nameLimit && /\p{Extended_Pictographic}/u.test(r.product_name))).toBe(true);
        expect(rows.some((r) => chars(r.product_sku) === skuLimit)).toBe(true);
        expect(rows.some((r) => r.product_name === "")).toBe(true);
        expect(rows.some((r) => BigInt(r.total_qty) < 0n)).toBe(true);
        expect(rows.some((r) => BigInt(r.total_qty) > 2147483647n)).toBe(true);
        expect(rows.some((r) => r.total_revenue.startsWith("-") && r.total_revenue.length >= 20)).toBe(true);
        expect(await duplicateKeys(trino.url)).toBe(0);
    }),
);

test(
    "a product edited and then deleted with its sales at once leaves the lake, as one only deleted does",
    track(async () => {
        // The hard profile's pattern made deterministic: the job sees the edit (UPDATE_BEFORE, UPDATE_AFTER)
        // and the delete of the same product together.
        const ids: number[] = [];
        for (let i = 0; i < 10; i++) {
            const [p] = await appPool.query<ResultSetHeader>("INSERT INTO products (sku, name, price) VALUES (?, ?, 1.00)", [`EDIT-DELETE-${i}`, `Edit then delete ${i}`]);
            await appPool.query("INSERT INTO sales (product_id, qty, price) VALUES (?, 1, 2.00), (?, 2, 3.00)", [p.insertId, p.insertId]);
            ids.push(p.insertId);
        }
        await converge("edited products made");
        const conn = await appPool.getConnection();
        try {
            for (const [i, id] of ids.entries()) {
                if (i % 2 === 0) await conn.query("UPDATE products SET name = CONCAT(name, ' (edited)') WHERE id = ?", [id]);
                await conn.beginTransaction();
                await conn.query("DELETE FROM sales WHERE product_id = ?", [id]);
                await conn.query("DELETE FROM products WHERE id = ?", [id]);
                await conn.commit();
            }
        } finally {
            conn.release();
        }
        const { rows } = await converge("edited products deleted");
        expect(rows.filter((r) => ids.includes(Number(r.product_id)))).toEqual([]);
    }),
);

test(
    "restart: a crashed job resumes from its last checkpoint; totals neither reset nor double",
    track(async () => {
        const checkpoint = await flink.latestCheckpointPath();
        expect(checkpoint).toMatch(/^s3:\/\//);
        await runGenerator(100, 11);
        await flink.kill();
        // Changes made while the job is down must arrive once it is back.
        await runGenerator(200, 13);
        const restored = await flink.latestCheckpointPath();
        flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds, restoreFrom: restored });
        await converge("after restart");
    }),
);

test(
    "the oracle's promise for a product deleted while it has sales: MySQL refuses the delete, the lake keeps the product",
    track(async () => {
        // The foreign key on sales.product_id: a product with sales cannot go, so the join never loses
        // sales to a missing product, and the lake's row stays as the oracle's.
        const [[sold]] = (await appPool.query("SELECT product_id FROM sales LIMIT 1")) as unknown as [{ product_id: number }[]];
        await expect(appPool.query("DELETE FROM products WHERE id = ?", [sold.product_id])).rejects.toThrow(/foreign key constraint fails/);
        const { rows } = await converge("after the refused delete");
        expect(rows.some((r) => r.product_id === String(sold.product_id))).toBe(true);
    }),
);

test(
    "Superset: lists the Trino Iceberg database and answers a query through it",
    track(async () => {
        const client = new SupersetClient(superset.url);
        expect(await client.health()).toBe(true);
        await client.login(superset.adminUser, superset.adminPassword);
        const db = (await client.databases()).find((d) => d.database_name === "Trino Iceberg");
        expect(db).toBeDefined();
        expect(db!.backend).toBe("trino");
        expect(await client.connectionUri(db!.id)).toBe(`trino://admin@127.0.0.1:${trino.port}/iceberg`);
        const rows = await client.execute(db!.id, "SELECT product_id, sale_count FROM demo.sales_by_product ORDER BY product_id", "demo");
        const lake = await lakeSalesByProduct(trino.url);
        expect(rows.map((r) => [String(r.product_id), String(r.sale_count)])).toEqual(lake.map((r) => [r.product_id, r.sale_count]));
    }),
);

test(
    "maintenance: trino/maintenance.sql compacts the table while the job streams, and the lake stays equal to the oracle",
    track(async () => {
        const before = await fileCounts(trino.url);
        const generator = runGenerator(300, 17);
        const runs = await runMaintenance(trino.url);
        log(`maintenance: ${runs.map((r) => `${r.statement.split(" EXECUTE ")[1].split("(")[0]} in ${r.tries} tries`).join(", ")}`);
        await generator;
        await converge("after maintenance");
        const after = await fileCounts(trino.url);
        log(`maintenance: files before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
        expect(after.data + after.deletes).toBeLessThan(before.data + before.deletes);
    }),
);

test(
    "npm run verify's checks (verify/stack.ts) all pass against the running pipeline",
    track(async () => {
        const results = await verifyStack({
            mysql: { host: mysql.host, port: mysql.port, user: "root", password: mysql.rootPassword, cdcUser: mysql.users.cdc.name, gtid: false },
            s3: { endpoint: store.endpoint, region: store.region, bucket: store.bucket, accessKey: store.accessKey, secretKey: store.secretKey },
            flinkRestUrl: flink.restUrl,
            flinkJobName: pipelineJobName(),
            checkpointIntervalSeconds,
            trinoUrl: trino.url,
            superset: { url: superset.url, user: superset.adminUser, password: superset.adminPassword, database: superset.databaseName },
            convergeTimeoutMs: 60_000,
        });
        for (const r of results) log(`verify: ${r.ok ? "PASS" : "FAIL"} ${r.name}: ${r.detail}`);
        expect(results.filter((r) => !r.ok)).toEqual([]);
        expect(results.length).toBe(7);
    }),
);

test(
    "freshness: commit-to-visible latency over 50 probes",
    track(async () => {
        const latencies = await probeFreshness({ pool: appPool, trinoUrl: trino.url, productId: 1, probes: 50, timeoutMs: 60_000 + 10 * checkpointIntervalSeconds * 1000 });
        expect(latencies.length).toBe(50);
        const p50 = percentile(latencies, 50);
        const p95 = percentile(latencies, 95);
        log(`freshness over ${latencies.length} probes with a ${checkpointIntervalSeconds} s checkpoint interval: p50 ${p50} ms, p95 ${p95} ms, max ${Math.max(...latencies)} ms`);
        // Visibility waits for a checkpoint: nothing can be seen faster than the commit it needs.
        expect(p50).toBeGreaterThan(0);
        await converge("after the probes");
    }),
);
