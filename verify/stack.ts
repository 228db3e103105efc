import { createPool } from "mysql2/promise";
import { checkpointStats, flinkJobs, latestFailure } from "./flink";
import { binlogProblems, binlogSettings, cdcGrantProblems, grantsOf } from "./mysqlChecks";
import { expectedSalesByProduct } from "./oracle";
import { diffRows } from "./rows";
import { headBucket } from "./s3";
import { SupersetClient } from "./superset";
import { lakeSalesByProduct, lakeTable, trinoQuery } from "./trino";

/**
 * Every check of a running lakehouse, from the outside: the same functions the end-to-end tests use,
 * pointed at whatever endpoints reach the stack (port-forwards for a cluster, loopback locally).
 */

export interface StackEndpoints {
    mysql: { host: string; port: number; user: string; password: string; cdcUser: string; gtid: boolean };
    s3: { endpoint: string; region: string; bucket: string; accessKey: string; secretKey: string };
    flinkRestUrl: string;
    flinkJobName: string;
    checkpointIntervalSeconds: number;
    trinoUrl: string;
    superset: { url: string; user: string; password: string; database: string };
    convergeTimeoutMs: number;
}

export interface CheckResult {
    name: string;
    ok: boolean;
    detail: string;
}

async function check(results: CheckResult[], name: string, fn: () => Promise<string>): Promise<void> {
    try {
        results.push({ name, ok: true, detail: await fn() });
    } catch (e) {
        results.push({ name, ok: false, detail: (e as Error).message });
    }
}

function must(problems: string[], ok: string): string {
    if (problems.length) throw new Error(problems.join("; "));
    return ok;
}

export async function verifyStack(e: StackEndpoints): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    const pool = createPool({ host: e.mysql.host, port: e.mysql.port, user: e.mysql.user, password: e.mysql.password, dateStrings: true, connectionLimit: 2 });
    try {
        await check(results, "MySQL binlog settings", async () => must(binlogProblems(await binlogSettings(pool), e.mysql.gtid), "ROW, FULL" + (e.mysql.gtid ? ", GTID on" : "")));
        await check(results, "CDC user grants", async () => must(cdcGrantProblems(await grantsOf(pool, e.mysql.cdcUser)), `${e.mysql.cdcUser}: least privilege`));
        await check(results, "warehouse bucket", async () => {
            const status = await headBucket(e.s3.endpoint, e.s3.region, e.s3.bucket, e.s3.accessKey, e.s3.secretKey);
            if (status !== 200) throw new Error(`HEAD ${e.s3.bucket}: HTTP ${status}`);
            return `${e.s3.bucket} exists`;
        });
        await check(results, "Flink job running and checkpointing", async () => {
            const jobs = (await flinkJobs(e.flinkRestUrl)).filter((j) => j.name === e.flinkJobName);
            const job = jobs.find((j) => j.state === "RUNNING");
            // A job in a restart loop is RESTARTING most of the time and RUNNING between attempts:
            // either way, say what failed it.
            const why = async (id: string) => {
                const f = await latestFailure(e.flinkRestUrl, id).catch(() => undefined);
                return f ? `; latest failure: ${f.cause}` : "";
            };
            if (!job) throw new Error(`no RUNNING job named ${e.flinkJobName}${jobs.length ? ` (${jobs[0].state}${await why(jobs[0].id)})` : ""}`);
            const cp = await checkpointStats(e.flinkRestUrl, job.id);
            const age = cp.latestCompletedAt ? Date.now() - cp.latestCompletedAt : Infinity;
            if (age > 5 * e.checkpointIntervalSeconds * 1000 + 30_000) throw new Error(`last completed checkpoint ${Math.round(age / 1000)} s ago${await why(job.id)}`);
            return `${job.id}: ${cp.completed} checkpoints, last ${Math.round(age / 1000)} s ago, ${cp.failed} failed`;
        });
        await check(results, "table in Trino", async () => {
            const rows = await trinoQuery(e.trinoUrl, `SELECT count(*) AS n FROM ${lakeTable}`);
            return `${lakeTable}: ${rows[0].n} rows`;
        });
        await check(results, "Superset answers through Trino Iceberg", async () => {
            const client = new SupersetClient(e.superset.url);
            await client.login(e.superset.user, e.superset.password);
            const db = (await client.databases()).find((d) => d.database_name === e.superset.database);
            if (!db) throw new Error(`no database named ${e.superset.database}`);
            const rows = await client.execute(db.id, `SELECT count(*) AS n FROM demo.sales_by_product`, "demo");
            return `${e.superset.database} (id ${db.id}): ${rows[0].n} rows`;
        });
        await check(results, "lake equals the MySQL oracle", async () => {
            const t0 = Date.now();
            let diffs: string[] = [];
            do {
                diffs = diffRows(await expectedSalesByProduct(pool), await lakeSalesByProduct(e.trinoUrl));
                if (diffs.length === 0) return `equal after ${Math.round((Date.now() - t0) / 1000)} s`;
                await new Promise((r) => setTimeout(r, 2000));
            } while (Date.now() - t0 < e.convergeTimeoutMs);
            throw new Error(`${diffs.length} differences, e.g. ${diffs.slice(0, 5).join("; ")} (a generator still writing keeps the lake a checkpoint behind: stop it to compare)`);
        });
    } finally {
        await pool.end();
    }
    return results;
}
