import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "./versions";

/**
 * The pipeline SQL and what it needs at run time. The file is the one the job image carries and
 * the harness runs; this module only reads it, so the names below cannot drift from it.
 */

export const pipelineSqlPath = path.join(repoRoot, "flink-sql", "pipeline.sql");
/** Where the job image keeps the runner and the SQL (see flink-sql/Dockerfile). */
export const imageRunnerJar = "local:///opt/flink/usrlib/flink-sql-runner.jar";
export const imagePipelineSql = "/opt/flink/usrlib/sql/pipeline.sql";

export function pipelineSql(): string {
    return fs.readFileSync(pipelineSqlPath, "utf8");
}

/** The SQL without `--` comments (a `--` inside a quoted string is kept). */
function withoutComments(sql: string): string {
    return sql
        .split("\n")
        .map((line) => {
            let quoted = false;
            for (let i = 0; i < line.length; i++) {
                if (line[i] === "'") quoted = !quoted;
                else if (!quoted && line.startsWith("--", i)) return line.slice(0, i);
            }
            return line;
        })
        .join("\n");
}

/** Every `${NAME}` the SQL's statements reference: the job's required environment. */
export function requiredEnv(sql: string = pipelineSql()): string[] {
    const names = new Set<string>();
    for (const m of withoutComments(sql).matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
        names.add(m[1]);
    }
    return [...names].sort();
}

/** The name the SQL registers the Iceberg catalog under; Trino's JDBC catalog must use the same. */
export function icebergCatalogName(sql: string = pipelineSql()): string {
    const m = /CREATE\s+CATALOG\s+`?([A-Za-z_][A-Za-z0-9_]*)`?/i.exec(sql);
    if (!m) {
        throw new Error(`${pipelineSqlPath} has no CREATE CATALOG statement`);
    }
    return m[1];
}

/** The sink table as Trino names it (schema.table inside the Iceberg catalog). */
export const resultTable = { schema: "demo", table: "sales_by_product" } as const;

/**
 * Disjoint server-id ranges for the two CDC sources: each needs one id per parallel reader, and
 * none may collide with the MySQL server's own id or another replica's.
 */
export function cdcServerIdRanges(parallelism: number, base = 5400): { products: string; sales: string } {
    const width = Math.max(parallelism, 1);
    const products = `${base}-${base + width - 1}`;
    const salesStart = base + 100 * Math.ceil((width + 1) / 100);
    return { products, sales: `${salesStart}-${salesStart + width - 1}` };
}

/**
 * The values the SQL's `${NAME}` references take. `P` is how an address is given (a string, or a
 * Pulumi output), `S` how a secret is (a value for the harness, a Secret reference in the cluster).
 */
export interface PipelineSettings<P, S> {
    checkpointIntervalSeconds: number;
    mysql: { host: P; port: number; cdcUser: string; cdcPassword: S };
    catalog: { jdbcUrl: P; user: string; password: S };
    /** Static keys for MinIO; without them the AWS default chain (IRSA) applies. */
    warehouse: { uri: P; endpoint: P; region: P; pathStyle: boolean; credentials?: { accessKey: S; secretKey: S } };
    cdcServerIds: { products: string; sales: string };
    /** The Iceberg branch the job writes; `main` unless a rebuild is under way. */
    sinkBranch?: string;
}

/**
 * The job's environment, split into plain values and secrets, from typed settings. The FlinkPipeline
 * component turns secrets into `secretKeyRef`s, the harness passes real values; a unit test checks
 * the names against what the SQL references.
 */
export function pipelineEnv<P, S>(p: PipelineSettings<P, S>): { plain: Record<string, P | string>; secret: Record<string, S> } {
    return {
        plain: {
            CHECKPOINT_INTERVAL: `${p.checkpointIntervalSeconds} s`,
            MYSQL_HOST: p.mysql.host,
            MYSQL_PORT: String(p.mysql.port),
            MYSQL_CDC_USER: p.mysql.cdcUser,
            CDC_SERVER_IDS_PRODUCTS: p.cdcServerIds.products,
            CDC_SERVER_IDS_SALES: p.cdcServerIds.sales,
            ICEBERG_BRANCH: p.sinkBranch ?? "main",
            ICEBERG_JDBC_URL: p.catalog.jdbcUrl,
            ICEBERG_JDBC_USER: p.catalog.user,
            ICEBERG_WAREHOUSE: p.warehouse.uri,
            S3_ENDPOINT: p.warehouse.endpoint,
            S3_REGION: p.warehouse.region,
            S3_PATH_STYLE_ACCESS: String(p.warehouse.pathStyle),
        },
        secret: {
            MYSQL_CDC_PASSWORD: p.mysql.cdcPassword,
            ICEBERG_JDBC_PASSWORD: p.catalog.password,
            // Read by the AWS SDK's default chain: Iceberg's S3FileIO and the S3 checkpoint plugin alike.
            ...(p.warehouse.credentials
                ? { AWS_ACCESS_KEY_ID: p.warehouse.credentials.accessKey, AWS_SECRET_ACCESS_KEY: p.warehouse.credentials.secretKey }
                : {}),
        },
    };
}

/** The Flink job's name (`SET 'pipeline.name'` in the SQL), as the Flink REST API lists it. */
export function pipelineJobName(sql: string = pipelineSql()): string {
    const m = /SET\s+'pipeline\.name'\s*=\s*'([^']+)'/i.exec(sql);
    if (!m) throw new Error(`${pipelineSqlPath} does not SET 'pipeline.name'`);
    return m[1];
}
