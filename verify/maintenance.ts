import { maintenanceStatements } from "../components/tableMaintenance";
import { trinoQuery } from "./trino";

/** Files of the table's current snapshot, by content: 0 data, 1 position deletes, 2 equality deletes. */
export async function fileCounts(trinoUrl: string): Promise<{ data: number; deletes: number }> {
    const rows = await trinoQuery(trinoUrl, `SELECT content, count(*) AS n FROM iceberg.demo."sales_by_product$files" GROUP BY content`);
    const by = Object.fromEntries(rows.map((r) => [Number(r.content), Number(r.n)]));
    return { data: by[0] ?? 0, deletes: (by[1] ?? 0) + (by[2] ?? 0) };
}

/**
 * Runs trino/maintenance.sql statement by statement, as the CronJob does. A statement that loses
 * a commit race with the streaming writer is retried (the CronJob would retry on its next run).
 */
export async function runMaintenance(trinoUrl: string, attempts = 5): Promise<{ statement: string; tries: number }[]> {
    const done: { statement: string; tries: number }[] = [];
    for (const statement of maintenanceStatements()) {
        for (let tries = 1; ; tries++) {
            try {
                await trinoQuery(trinoUrl, statement, "maintenance");
                done.push({ statement, tries });
                break;
            } catch (e) {
                if (tries >= attempts) throw new Error(`${statement}: failed ${tries} times, last: ${(e as Error).message}`);
            }
        }
    }
    return done;
}
