import { randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Connection } from "mysql2/promise";
import { BasicAuth, Trino } from "trino-client";
import { warehouseUri } from "../../../components/objectStore";
import { catalogEnv, renderIcebergCatalog, trinoCatalogName } from "../../../components/trinoCatalog";
import { renderConfigProperties, renderJvmConfig, renderNodeProperties } from "../../../components/trinoServer";
import { installTrino, javaHome, TrinoInstall } from "../harness/install";
import { ensureDir, freePort, RunDir } from "../harness/paths";
import { httpGet, Proc, start, waitFor } from "../harness/proc";
import { MySqlService } from "./mysql";
import { ObjectStoreService } from "./objectStore";

/**
 * A single-node Trino (the coordinator schedules work on itself) with the program's node
 * configuration and its Iceberg catalog file, pointing at the local MariaDB (JDBC catalog) and MinIO
 * (native S3). Secrets reach the catalog file through the environment variables `catalogEnv` names.
 */

export interface TrinoOptions {
    run: RunDir;
    mysql: MySqlService;
    objectStore: ObjectStoreService;
    /** The name the writer (Flink) registered its Iceberg JDBC catalog under: the catalog rows' key. */
    icebergCatalogName: string;
    /** Default `s3://<bucket>/warehouse`. */
    warehouse?: string;
    /** JVM heap in MiB. Default 2048. */
    heapMiB?: number;
    /** Wait this long for startup. Default 5 min (a cold JVM on two cores). */
    startTimeoutMs?: number;
}

export interface QueryResult {
    columns: string[];
    rows: unknown[][];
}

export interface TrinoService {
    /** `http://127.0.0.1:<port>` */
    url: string;
    port: number;
    /** The Trino catalog name (`iceberg`, from the catalog file's name). */
    catalog: string;
    etcDir: string;
    /** The rendered iceberg.properties (secrets as ${ENV:...} references). */
    catalogProperties: string;
    install: TrinoInstall;
    javaHome: string;
    proc: Proc;
    /** From launch to `/v1/info` saying `starting: false`. */
    startupMs: number;
    /** Runs one statement; rejects with Trino's error message. */
    query(sql: string): Promise<QueryResult>;
    stop(): Promise<void>;
}

const log = (msg: string) => process.stderr.write(`[e2e:trino] ${msg}\n`);

/** Runs one statement through the trino-client package and collects every page. */
export async function trinoQuery(url: string, sql: string, opts: { catalog?: string; schema?: string; user?: string } = {}): Promise<QueryResult> {
    const client = Trino.create({ server: url, catalog: opts.catalog, schema: opts.schema, auth: new BasicAuth(opts.user ?? "e2e") });
    const iter = await client.query(sql);
    let columns: string[] = [];
    const rows: unknown[][] = [];
    for await (const page of iter) {
        if (page.error) {
            throw new Error(`Trino: ${page.error.errorName}: ${page.error.message}\n  in: ${sql}`);
        }
        if (page.columns) {
            columns = page.columns.map((c) => c.name);
        }
        rows.push(...((page.data ?? []) as unknown[][]));
    }
    return { columns, rows };
}

interface ServerInfo {
    starting?: boolean;
    nodeVersion?: { version?: string };
}

export async function startTrino(o: TrinoOptions): Promise<TrinoService> {
    const install = await installTrino();
    const jdk = javaHome(24);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const base = o.run.dataDir("trino");
    const etcDir = ensureDir(path.join(base, "etc"));
    const dataDir = ensureDir(path.join(base, "data"));
    const catalogDir = ensureDir(path.join(etcDir, "catalog"));

    fs.writeFileSync(
        path.join(etcDir, "config.properties"),
        renderConfigProperties({ coordinator: true, includeCoordinator: true, port, discoveryUri: url }) +
            // Absolute, because the server's working directory is not the etc dir's parent.
            `catalog.config-dir=${catalogDir}\n`,
    );
    fs.writeFileSync(path.join(etcDir, "jvm.config"), renderJvmConfig(o.heapMiB ?? 2048));
    fs.writeFileSync(
        path.join(etcDir, "node.properties"),
        renderNodeProperties("e2e", dataDir) +
            [
                `node.id=${randomUUID()}`,
                // Loopback only: bind there and announce it, or the node would talk to itself through
                // the machine's first interface address.
                "node.bind-ip=127.0.0.1",
                "node.internal-address=127.0.0.1",
                `plugin.dir=${path.join(install.home, "plugin")}`,
            ].join("\n") +
            "\n",
    );
    const catalogProperties = renderIcebergCatalog({
        catalogName: o.icebergCatalogName,
        jdbcUrl: o.mysql.jdbcUrl(o.mysql.databases.catalog),
        warehouse: o.warehouse ?? warehouseUri(o.objectStore.bucket),
        s3Endpoint: o.objectStore.endpoint,
        s3Region: o.objectStore.region,
        s3PathStyle: true,
        staticCredentials: true,
    });
    fs.writeFileSync(path.join(catalogDir, `${trinoCatalogName}.properties`), catalogProperties);

    const started = Date.now();
    const proc = start({
        name: "trino",
        cmd: install.launcher,
        args: ["run", `--etc-dir=${etcDir}`, `--data-dir=${dataDir}`, `--jvm-dir=${jdk}`],
        cwd: base,
        env: {
            JAVA_HOME: jdk,
            PATH: `${path.join(jdk, "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
            [catalogEnv.jdbcUser]: o.mysql.users.catalog.name,
            [catalogEnv.jdbcPassword]: o.mysql.users.catalog.password,
            [catalogEnv.s3AccessKey]: o.objectStore.accessKey,
            [catalogEnv.s3SecretKey]: o.objectStore.secretKey,
        },
        logDir: o.run.logs,
        stopGraceMs: 30_000,
    });
    const info = await waitFor(
        async () => {
            const r = await httpGet(`${url}/v1/info`);
            const body = JSON.parse(r.body) as ServerInfo;
            return r.status === 200 && body.starting === false ? body : undefined;
        },
        o.startTimeoutMs ?? 5 * 60_000,
        "Trino /v1/info starting=false",
        { proc, intervalMs: 500 },
    );
    const startupMs = Date.now() - started;
    log(`Trino ${info.nodeVersion?.version ?? install.version} ready on ${url} in ${(startupMs / 1000).toFixed(1)} s (JDK ${jdk})`);

    return {
        url,
        port,
        catalog: trinoCatalogName,
        etcDir,
        catalogProperties,
        install,
        javaHome: jdk,
        proc,
        startupMs,
        query: (sql: string) => trinoQuery(url, sql),
        stop: () => proc.stop(),
    };
}

/**
 * Iceberg's JDBC catalog tables in their V1 form (`iceberg_type` marks a row as TABLE or VIEW), as
 * Iceberg's JdbcCatalog creates them with `jdbc.schema-version=V1`. Normally the writer (Flink)
 * creates them; Trino never does and needs them to exist. Idempotent. Run on a connection to the
 * catalog database as its user.
 */
export async function createIcebergCatalogTables(conn: Connection): Promise<void> {
    await conn.query(
        `CREATE TABLE IF NOT EXISTS iceberg_tables (
            catalog_name VARCHAR(255) NOT NULL,
            table_namespace VARCHAR(255) NOT NULL,
            table_name VARCHAR(255) NOT NULL,
            metadata_location VARCHAR(1000),
            previous_metadata_location VARCHAR(1000),
            iceberg_type VARCHAR(5),
            PRIMARY KEY (catalog_name, table_namespace, table_name))`,
    );
    await conn.query(
        `CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
            catalog_name VARCHAR(255) NOT NULL,
            namespace VARCHAR(255) NOT NULL,
            property_key VARCHAR(255),
            property_value VARCHAR(1000),
            PRIMARY KEY (catalog_name, namespace, property_key))`,
    );
}

export interface TrinoSmokeResult {
    rows: unknown[][];
    /** Objects the table's writes left in the bucket (data and metadata files). */
    objects: string[];
    /** Rows Trino's commits wrote into the JDBC catalog tables. */
    catalogRows: number;
}

/**
 * End to end through Trino: schema (JDBC catalog on MariaDB, location on MinIO), a v2 table, an
 * insert, a select, then drop both. Proves the catalog file, the JDBC driver in the plugin, the
 * catalog tables and native S3 work together.
 */
export async function trinoSmoke(t: TrinoService, mysqlSvc: MySqlService, store: ObjectStoreService, schema = "smoke"): Promise<TrinoSmokeResult> {
    const cat = await mysqlSvc.connect("catalog", mysqlSvc.databases.catalog);
    try {
        await createIcebergCatalogTables(cat);
    } finally {
        await cat.end();
    }
    const q = t.query;
    const fq = `${t.catalog}.${schema}`;
    await q(`CREATE SCHEMA IF NOT EXISTS ${fq} WITH (location = 's3://${store.bucket}/warehouse/${schema}')`);
    await q(`CREATE TABLE IF NOT EXISTS ${fq}.items (id BIGINT, name VARCHAR, qty INTEGER, price DECIMAL(10, 2)) WITH (format_version = 2)`);
    await q(`INSERT INTO ${fq}.items VALUES (1, 'alpha', 3, DECIMAL '2.50'), (2, 'beta', 1, DECIMAL '10.00'), (3, 'gamma', 7, DECIMAL '0.99')`);
    await q(`DELETE FROM ${fq}.items WHERE id = 3`); // a v2 position delete
    const { rows } = await q(`SELECT id, name, qty, CAST(price AS VARCHAR) FROM ${fq}.items ORDER BY id`);
    const expected = JSON.stringify([
        [1, "alpha", 3, "2.50"],
        [2, "beta", 1, "10.00"],
    ]);
    if (JSON.stringify(rows) !== expected) {
        throw new Error(`Trino smoke select returned ${JSON.stringify(rows)}, expected ${expected}`);
    }
    const listing = await store.mc("ls", "--recursive", `store/${store.bucket}/warehouse/${schema}/`);
    const objects = listing
        .split("\n")
        .map((l) => l.trim().split(/\s+/).pop() ?? "")
        .filter((l) => l !== "");
    if (!objects.some((o) => o.endsWith(".parquet")) || !objects.some((o) => o.endsWith(".metadata.json"))) {
        throw new Error(`expected parquet data and metadata.json files in MinIO, found:\n${listing}`);
    }
    const root = await mysqlSvc.connect(undefined, mysqlSvc.databases.catalog);
    let catalogRows: number;
    try {
        const [r] = await root.query("SELECT COUNT(*) AS n FROM iceberg_tables WHERE table_namespace = ? AND metadata_location IS NOT NULL", [schema]);
        catalogRows = Number((r as { n: number }[])[0].n);
    } finally {
        await root.end();
    }
    if (catalogRows !== 1) {
        throw new Error(`expected the table's row in ${mysqlSvc.databases.catalog}.iceberg_tables, found ${catalogRows}`);
    }
    await q(`DROP TABLE ${fq}.items`);
    await q(`DROP SCHEMA ${fq}`);
    return { rows, objects, catalogRows };
}
