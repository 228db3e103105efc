import { randomBytes } from "crypto";
import { createPool, Pool } from "mysql2/promise";
import { icebergCatalogName } from "../../components/flinkSql";
import { rng, Workload } from "../../generator/workload";
import { PyIcebergReaderSettings, ReaderAnswer, ReaderFiles, ReaderManifest, readWithPyIceberg } from "../../verify/independentReader";
import { runMaintenance } from "../../verify/maintenance";
import { expectedSalesByProduct } from "../../verify/oracle";
import { canonical, diffRows, SalesRow } from "../../verify/rows";
import { lakeTable, trinoQuery } from "../../verify/trino";
import { converge as convergeLake, runGenerator as runGeneratorTo } from "./harness/lake";
import { installPyIcebergReader } from "./harness/install";
import { Outcome } from "./harness/outcome";
import { createRunDir, finishRunDir, RunDir } from "./harness/paths";
import { stopAll } from "./harness/proc";
import { FlinkJob, startFlinkJob } from "./services/flink";
import { MySqlService, startMySql } from "./services/mysql";
import { ObjectStoreService, startObjectStore } from "./services/objectStore";
import { startTrino, TrinoService } from "./services/trino";

/**
 * A second reader of the table, so the proof does not rest on Trino alone: PyIceberg reads the same
 * JDBC catalog (its SQL catalog, under the Flink job's catalog name, with a user that may only
 * SELECT) and the same files on S3 with its own code, and wherever it can read, its answer must equal
 * Trino's and the oracle's. It cannot apply equality deletes, which every upsert commit writes, so
 * the tests pin down where it refuses and where it reads:
 * - the job's snapshots: always refused;
 * - the snapshot trino/maintenance.sql's optimize commits: read, unless the commit optimize started
 *   from holds an equality delete for keys no older file has (a product's first sale). Optimize only
 *   drops the deletes it applied to a file it rewrote, and gives its output that commit's sequence
 *   number, so such a delete stays live as new as the data: it deletes nothing, yet PyIceberg refuses
 *   the scan. Once the job has committed again, the next maintenance lifts the data above it.
 * Sequence numbers are read from the snapshot's manifests by the reader itself.
 */

const checkpointIntervalSeconds = Number(process.env.E2E_CHECKPOINT_SECONDS ?? 2);
const convergeTimeoutMs = 4 * 60_000;
/**
 * PyIceberg 0.12.0's refusal when a scan meets a live equality-delete file in a delete manifest not
 * older than every data file (older ones it skips: they cannot apply).
 */
const equalityDeleteRefusal = "PyIceberg does not yet support equality deletes: https://github.com/apache/iceberg/issues/6568";

let runDir: RunDir;
let mysql: MySqlService;
let store: ObjectStoreService;
let flink: FlinkJob;
let trino: TrinoService;
let oraclePool: Pool;
let appPool: Pool;
let reader: PyIcebergReaderSettings;
/** The snapshot maintenance leaves, read again after the writer has moved on. */
let compacted: { snapshotId: string; rows: SalesRow[]; checkpoints: number } | undefined;
const outcome = new Outcome();
const track = outcome.track;

const log = (msg: string) => process.stdout.write(`[e2e:readers] ${msg}\n`);

const converge = (what: string) => convergeLake({ oracle: oraclePool, trinoUrl: trino.url, what, timeoutMs: convergeTimeoutMs, log });

async function runGenerator(events: number, seed: number): Promise<void> {
    await runGeneratorTo(mysql, runDir, `generator-${seed}`, { events, seed });
}

/** The table's current snapshot id (a string: ids are 64-bit, beyond a JSON number's precision). */
async function currentSnapshotId(): Promise<string> {
    const [row] = await trinoQuery(
        trino.url,
        `SELECT CAST(snapshot_id AS varchar) AS id FROM iceberg.demo."sales_by_product$history"
         WHERE is_current_ancestor ORDER BY made_current_at DESC, snapshot_id LIMIT 1`,
    );
    return String(row.id);
}

interface TrinoFiles {
    snapshotId: string;
    data: number;
    positionDeletes: number;
    equalityDeletes: number;
}

/**
 * Trino's "$files" of the current snapshot by content (0 data, 1 position deletes, 2 equality
 * deletes). "$files" has no time travel, so the snapshot id is read before and after, and the count
 * is taken again until no commit fell in between.
 */
async function trinoFiles(): Promise<TrinoFiles> {
    for (let attempt = 1; ; attempt++) {
        const before = await currentSnapshotId();
        const rows = await trinoQuery(trino.url, `SELECT content, count(*) AS n FROM iceberg.demo."sales_by_product$files" GROUP BY content`);
        const after = await currentSnapshotId();
        if (before === after) {
            const by = Object.fromEntries(rows.map((r) => [Number(r.content), Number(r.n)]));
            return { snapshotId: after, data: by[0] ?? 0, positionDeletes: by[1] ?? 0, equalityDeletes: by[2] ?? 0 };
        }
        if (attempt >= 10) throw new Error("the table kept changing while its files were counted");
    }
}

/** The table through Trino at one snapshot, canonical as verify/trino.ts reads the current one. */
async function trinoRowsAt(snapshotId: string): Promise<SalesRow[]> {
    const rows = await trinoQuery(
        trino.url,
        `SELECT product_id, product_sku, product_name, total_qty, CAST(total_revenue AS varchar) AS total_revenue,
                sale_count, CAST(last_sale_ts AS varchar) AS last_sale_ts
         FROM ${lakeTable} FOR VERSION AS OF ${snapshotId} ORDER BY product_id`,
    );
    return rows.map((r) => canonical(r));
}

/** A snapshot's manifests in one line: `data#8(min 7)[data@7]` is a data manifest of sequence 8 holding one live data file of data sequence 7. */
function manifestLine(manifests: ReaderManifest[] | undefined): string {
    return (manifests ?? [])
        .filter((m) => m.live.length > 0)
        .map((m) => `${m.content}#${m.sequence_number}(min ${m.min_sequence_number})[${m.live.map((l) => `${l.content}@${l.sequence_number}`).join(" ")}]`)
        .join(" ");
}

function summary(a: ReaderAnswer): string {
    const where = `snapshot ${a.snapshotId ?? "?"}, live manifests ${manifestLine(a.manifests)}`;
    return a.ok ? `read ${a.rows.length} rows; ${where}` : `${a.stage}: ${a.errorType}: ${a.error}; ${where}`;
}

/** Trino's counts in the shape PyIceberg's reader reports them. */
function asReaderFiles(f: TrinoFiles): ReaderFiles {
    return { data: f.data, position_deletes: f.positionDeletes, equality_deletes: f.equalityDeletes };
}

/** The smallest data sequence number of the live data files, and those of the live equality deletes. */
function sequences(manifests: ReaderManifest[]): { minData: number; equalityDeletes: number[] } {
    const live = manifests.flatMap((m) => m.live);
    const data = live.filter((l) => l.content === "data").map((l) => l.sequence_number);
    if (data.length === 0) throw new Error("the snapshot has no live data file");
    return { minData: Math.min(...data), equalityDeletes: live.filter((l) => l.content === "equality_deletes").map((l) => l.sequence_number) };
}

interface SnapshotSummary {
    id: string;
    parentId: string | undefined;
    operation: string;
    addedDataFiles: number;
    addedEqualityDeletes: number;
    addedPositionDeletes: number;
}

async function snapshotSummary(snapshotId: string): Promise<SnapshotSummary> {
    const [row] = await trinoQuery(
        trino.url,
        `SELECT CAST(snapshot_id AS varchar) AS id, CAST(parent_id AS varchar) AS parent, operation,
                element_at(summary, 'added-data-files') AS data, element_at(summary, 'added-equality-delete-files') AS eq,
                element_at(summary, 'added-position-delete-files') AS pos
         FROM iceberg.demo."sales_by_product$snapshots" WHERE snapshot_id = ${snapshotId}`,
    );
    if (!row) throw new Error(`no snapshot ${snapshotId}`);
    return {
        id: String(row.id),
        parentId: row.parent === null ? undefined : String(row.parent),
        operation: String(row.operation),
        addedDataFiles: Number(row.data ?? 0),
        addedEqualityDeletes: Number(row.eq ?? 0),
        addedPositionDeletes: Number(row.pos ?? 0),
    };
}

/**
 * Waits until the table's current snapshot is one of the job's empty commits (the Iceberg sink
 * commits one after `flink.max-continuous-empty-commits`, 10, checkpoints without data), so the
 * writer is quiet and that snapshot's sequence number is above every file's.
 */
async function waitForEmptyCommit(timeoutMs = 3 * 60_000): Promise<string> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
        const s = await snapshotSummary(await currentSnapshotId());
        if (s.operation !== "replace" && s.addedDataFiles === 0 && s.addedEqualityDeletes === 0 && s.addedPositionDeletes === 0) {
            log(`the job's empty commit ${s.id} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
            return s.id;
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`the job made no empty commit within ${timeoutMs / 1000} s`);
}

/** The newest snapshot optimize committed, if any. */
async function latestReplace(): Promise<string | undefined> {
    const [row] = await trinoQuery(
        trino.url,
        `SELECT CAST(snapshot_id AS varchar) AS id FROM iceberg.demo."sales_by_product$snapshots"
         WHERE operation = 'replace' ORDER BY committed_at DESC LIMIT 1`,
    );
    return row ? String(row.id) : undefined;
}

/**
 * Runs trino/maintenance.sql (as the CronJob does) and returns the snapshot optimize committed, the
 * one it was committed on, and Trino's file counts before and after.
 */
async function maintain(): Promise<{ snapshotId: string; parentId: string; before: TrinoFiles; after: TrinoFiles; line: string }> {
    const previous = await latestReplace();
    const before = await trinoFiles();
    const runs = await runMaintenance(trino.url);
    const snapshotId = await latestReplace();
    if (snapshotId === undefined || snapshotId === previous) throw new Error("optimize committed no snapshot");
    const { parentId } = await snapshotSummary(snapshotId);
    if (parentId === undefined) throw new Error(`optimize's snapshot ${snapshotId} has no parent`);
    const after = await trinoFiles();
    const tries = runs.map((r) => `${r.statement.split(" EXECUTE ")[1].split("(")[0]} ${r.tries}x`).join(", ");
    const line = `${tries}; files before ${JSON.stringify(before)}, after ${JSON.stringify(after)}; optimize's snapshot ${snapshotId} on ${parentId}`;
    return { snapshotId, parentId, before, after, line };
}

beforeAll(async () => {
    runDir = createRunDir();
    log(`run dir ${runDir.root}`);
    try {
        let python: string;
        [mysql, store, { python }] = await Promise.all([startMySql({ run: runDir }), startObjectStore({ run: runDir }), installPyIcebergReader()]);
        oraclePool = createPool({ host: mysql.host, port: mysql.port, user: "root", password: mysql.rootPassword, dateStrings: true, connectionLimit: 2 });
        appPool = createPool({ host: mysql.host, port: mysql.port, user: mysql.users.app.name, password: mysql.users.app.password, database: mysql.databases.app, connectionLimit: 2 });

        // The reader gets SELECT on the catalog database and nothing else: a second reader must not
        // need the writer's rights, and cannot change the catalog it checks.
        const readerUser = { name: "lake_reader", password: randomBytes(12).toString("hex") };
        await oraclePool.query("CREATE USER ?@'%' IDENTIFIED BY ?", [readerUser.name, readerUser.password]);
        await oraclePool.query(`GRANT SELECT ON \`${mysql.databases.catalog}\`.* TO ?@'%'`, [readerUser.name]);
        reader = {
            python,
            catalogName: icebergCatalogName(),
            jdbcUrl: mysql.jdbcUrl(mysql.databases.catalog),
            user: readerUser.name,
            password: readerUser.password,
            s3: { endpoint: store.endpoint, region: store.region, pathStyle: true, accessKey: store.accessKey, secretKey: store.secretKey },
        };

        const workload = new Workload(appPool, rng(42));
        await workload.seedProducts(20);
        await workload.insertSales(3000);
        flink = await startFlinkJob({ run: runDir, mysql, objectStore: store, checkpointIntervalSeconds });
        trino = await startTrino({ run: runDir, mysql, objectStore: store, icebergCatalogName: icebergCatalogName() });
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
    "as the streaming job leaves it: equality deletes in the snapshot, Trino equals the oracle, PyIceberg refuses the scan",
    track(async () => {
        await runGenerator(600, 7);
        const { rows: oracle } = await converge("streaming");
        const files = await trinoFiles();
        log(`job's table: Trino's $files at ${files.snapshotId}: ${JSON.stringify(files)}`);
        // Every upsert writes an equality delete for its key: the job's snapshots always carry some.
        expect(files.equalityDeletes).toBeGreaterThan(0);
        expect(diffRows(oracle, await trinoRowsAt(files.snapshotId))).toEqual([]);

        for (const snapshotId of [files.snapshotId, undefined]) {
            const answer = await readWithPyIceberg(reader, { snapshotId });
            log(`PyIceberg ${answer.versions.pyiceberg} (pyarrow ${answer.versions.pyarrow}) at ${snapshotId ?? "the current snapshot"}: ${summary(answer)}`);
            expect(answer).toMatchObject({ ok: false, stage: "scan", errorType: "ValueError", error: equalityDeleteRefusal });
            // It found the table through the shared catalog and listed the same files as Trino before refusing.
            if (snapshotId) {
                expect(answer.snapshotId).toBe(snapshotId);
                expect(answer.files).toEqual({ data: files.data, position_deletes: files.positionDeletes, equality_deletes: files.equalityDeletes });
            }
        }
    }),
);

test(
    "maintenance once the job's last commit is an empty one: PyIceberg reads the compacted snapshot, equal to Trino's and the oracle",
    track(async () => {
        // A quiet job commits an empty snapshot every 10 checkpoints; optimize started from it gives
        // the compacted file a sequence number above every delete file.
        const quiet = await waitForEmptyCommit();
        const oracle = await expectedSalesByProduct(oraclePool);
        const m = await maintain();
        log(`maintenance after the empty commit ${quiet}: ${m.line}`);
        expect(m.after.positionDeletes).toBe(0);
        expect(m.after.data).toBeLessThan(m.before.data);
        expect(m.after.equalityDeletes).toBeLessThan(m.before.equalityDeletes);

        const trinoRows = await trinoRowsAt(m.snapshotId);
        expect(diffRows(oracle, trinoRows)).toEqual([]);
        const answer = await readWithPyIceberg(reader, { snapshotId: m.snapshotId });
        log(`PyIceberg at the compacted snapshot: ${summary(answer)}`);
        if (!answer.ok) throw new Error(`PyIceberg cannot read the compacted snapshot: ${summary(answer)}`);
        expect(diffRows(trinoRows, answer.rows)).toEqual([]);
        expect(diffRows(oracle, answer.rows)).toEqual([]);
        expect(answer.files).toEqual(asReaderFiles(m.after));
        // An equality delete optimize left behind is older than every data file: it deletes nothing
        // (the spec applies it to lower data sequence numbers only) and PyIceberg skips its manifest.
        const seqs = sequences(answer.manifests);
        expect(seqs.equalityDeletes.filter((n) => n >= seqs.minData)).toEqual([]);
        compacted = { snapshotId: m.snapshotId, rows: trinoRows, checkpoints: (await flink.checkpoints()).completed };
    }),
);

test(
    "a product's first sale committed just before maintenance: the sink writes no equality delete for a new key, so PyIceberg reads the compacted snapshot",
    track(async () => {
        // In Iceberg's upsert mode every row written came with an equality delete, and a new key's
        // one matched no older file: optimize kept it, at the compacted file's sequence number, and
        // PyIceberg refused that snapshot. The sink now applies retractions (flink-sql/pipeline.sql),
        // so a key's first row is a plain insert.
        await appPool.query("INSERT INTO products (sku, name, price) VALUES ('RDR-0001', 'first sold before maintenance', 3.50)");
        await appPool.query("INSERT INTO sales (product_id, qty, price) SELECT id, 2, 3.50 FROM products WHERE sku = 'RDR-0001'");
        const { rows: oracle } = await converge("a new product's first sale");
        const m = await maintain();
        log(`maintenance right after the new product's commit: ${m.line}`);
        const parent = await snapshotSummary(m.parentId);
        expect(parent.addedEqualityDeletes).toBe(0);
        expect(m.after.positionDeletes).toBe(0);
        expect(m.after.equalityDeletes).toBe(0);

        const trinoRows = await trinoRowsAt(m.snapshotId);
        expect(diffRows(oracle, trinoRows)).toEqual([]);
        const answer = await readWithPyIceberg(reader, { snapshotId: m.snapshotId });
        log(`PyIceberg at the compacted snapshot: ${summary(answer)}`);
        if (!answer.ok) throw new Error(`PyIceberg cannot read the compacted snapshot: ${summary(answer)}`);
        expect(diffRows(trinoRows, answer.rows)).toEqual([]);
        expect(answer.files).toEqual(asReaderFiles(m.after));
    }),
);

test(
    "the job writes on: PyIceberg refuses its snapshots, still reads the compacted one, and reads again after the next maintenance",
    track(async () => {
        if (!compacted) throw new Error("needs the compacted snapshot of the maintenance test");
        await runGenerator(100, 19);
        const { rows: oracle } = await converge("after the writer resumed");
        // The job commits on top of the compacted snapshots as it did before maintenance.
        expect((await flink.checkpoints()).completed).toBeGreaterThan(compacted.checkpoints);
        const files = await trinoFiles();
        log(`writer resumed: Trino's $files at ${files.snapshotId}: ${JSON.stringify(files)}`);
        expect(files.equalityDeletes).toBeGreaterThan(0);
        expect(await readWithPyIceberg(reader, { snapshotId: files.snapshotId })).toMatchObject({ ok: false, stage: "scan", error: equalityDeleteRefusal });

        // Time travel to the snapshot the earlier maintenance left: readable, and the same as Trino's.
        const old = await readWithPyIceberg(reader, { snapshotId: compacted.snapshotId });
        if (!old.ok) throw new Error(`PyIceberg can no longer read the compacted snapshot: ${summary(old)}`);
        expect(diffRows(compacted.rows, old.rows)).toEqual([]);
        expect(diffRows(compacted.rows, await trinoRowsAt(compacted.snapshotId))).toEqual([]);

        // The next maintenance makes the current snapshot readable again.
        const quiet = await waitForEmptyCommit();
        const m = await maintain();
        log(`maintenance after the empty commit ${quiet}: ${m.line}`);
        const trinoRows = await trinoRowsAt(m.snapshotId);
        expect(diffRows(oracle, trinoRows)).toEqual([]);
        const answer = await readWithPyIceberg(reader, { snapshotId: m.snapshotId });
        log(`PyIceberg at the compacted snapshot: ${summary(answer)}`);
        if (!answer.ok) throw new Error(`PyIceberg cannot read the compacted snapshot: ${summary(answer)}`);
        expect(diffRows(trinoRows, answer.rows)).toEqual([]);
        expect(answer.files).toEqual(asReaderFiles(m.after));
        const seqs = sequences(answer.manifests);
        expect(seqs.equalityDeletes.filter((n) => n >= seqs.minData)).toEqual([]);
    }),
);
