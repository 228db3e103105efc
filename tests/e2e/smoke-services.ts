/**
 * Smoke test of the harness's services: MariaDB (the program's flags and init scripts), MinIO (the
 * program's bucket script, twice), Trino (the program's node and Iceberg catalog configuration)
 * and one Iceberg table through Trino on the JDBC catalog and S3. Stops everything, pass or fail.
 *
 *   npx ts-node tests/e2e/smoke-services.ts      (E2E_KEEP_LOGS=1 keeps the run dir)
 */
import { icebergCatalogName as sqlCatalogName } from "../../components/flinkSql";
import { createRunDir, finishRunDir } from "./harness/paths";
import { stopAll } from "./harness/proc";
import { startMySql, verifyMySql } from "./services/mysql";
import { startObjectStore } from "./services/objectStore";
import { startTrino, trinoSmoke } from "./services/trino";

/** As flink-sql/pipeline.sql names its Iceberg catalog (the key of the JDBC catalog's rows). */
const icebergCatalogName = sqlCatalogName();

const say = (msg: string) => process.stdout.write(`[smoke] ${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
    const runDir = createRunDir();
    say(`run dir ${runDir.root}`);
    let failed = true;
    let checks = 0;
    try {
        const t0 = Date.now();
        const [mysql, store] = await Promise.all([startMySql({ run: runDir }), startObjectStore({ run: runDir })]);
        say(`mysql + object store up in ${secs(Date.now() - t0)}`);

        const m = await verifyMySql(mysql);
        say(`MariaDB ${/Ver\s+(\S+)/.exec(mysql.version)?.[1] ?? mysql.version} on :${mysql.port}: ${JSON.stringify(m.variables)}`);
        say(`CDC grants: ${m.cdcGrants.join(" | ")}; binlog at ${m.cdcBinlogStatus.file}:${m.cdcBinlogStatus.position}`);
        checks++;

        const again = await store.createBucket();
        if (!again.includes(`bucket ${store.bucket} ready`)) {
            throw new Error(`second create-bucket.sh run did not report the bucket ready:\n${again}`);
        }
        const buckets = await store.mc("ls", "store");
        if (!buckets.includes(`${store.bucket}/`)) {
            throw new Error(`bucket ${store.bucket} missing after create-bucket.sh: ${buckets}`);
        }
        say(`MinIO ${store.install.serverTag} on ${store.endpoint}: bucket '${store.bucket}' created, create-bucket.sh re-run is a no-op`);
        checks++;

        const trino = await startTrino({ run: runDir, mysql, objectStore: store, icebergCatalogName });
        const inst = (what: string, t: { cached: boolean; elapsedMs: number }) => `${what} ${t.cached ? "cached" : "installed"} (${secs(t.elapsedMs)})`;
        say(
            `installs: ${inst(`minio ${store.install.serverModuleVersion}`, store.install.server)}, ` +
                `${inst(`mc ${store.install.clientModuleVersion}`, store.install.client)}, ` +
                `${inst(`trino ${trino.install.version} + mysql-connector-j ${trino.install.mysqlConnectorVersion}`, trino.install)}`,
        );
        say(`Trino ${trino.install.version} started in ${secs(trino.startupMs)}`);
        const smoke = await trinoSmoke(trino, mysql, store);
        say(`Trino Iceberg smoke: rows ${JSON.stringify(smoke.rows)}; ${smoke.objects.length} objects in MinIO; catalog row in MariaDB`);
        checks++;
        failed = false;
    } finally {
        await stopAll();
        finishRunDir(runDir, failed);
        process.stdout.write(`smoke: ${checks} passed, ${failed ? 1 : 0} failed\n`);
    }
}

main().catch((e: unknown) => {
    process.stderr.write(`[smoke] FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
});
