import { BasicAuth, Trino } from "trino-client";
import { canonical, SalesRow } from "./rows";

/** Runs a query to completion and returns its rows as objects keyed by column name. */
export async function trinoQuery(server: string, sql: string, user = "verify"): Promise<Record<string, unknown>[]> {
    const client = Trino.create({ server, auth: new BasicAuth(user) });
    const iterator = await client.query(sql);
    const rows: Record<string, unknown>[] = [];
    let names: string[] = [];
    for await (const result of iterator) {
        if (result.error) {
            throw new Error(`Trino: ${result.error.errorName}: ${result.error.message}`);
        }
        if (result.columns) names = result.columns.map((c) => c.name);
        for (const row of result.data ?? []) {
            rows.push(Object.fromEntries(names.map((n, i) => [n, row[i]])));
        }
    }
    return rows;
}

export const lakeTable = "iceberg.demo.sales_by_product";

/** The table's rows; `branch` reads a branch (or tag) instead of main. */
export async function lakeSalesByProduct(server: string, branch?: string): Promise<SalesRow[]> {
    const version = branch === undefined ? "" : ` FOR VERSION AS OF '${branch.replace(/'/g, "''")}'`;
    const rows = await trinoQuery(
        server,
        `SELECT product_id, product_sku, product_name, total_qty, CAST(total_revenue AS varchar) AS total_revenue,
                sale_count, CAST(last_sale_ts AS varchar) AS last_sale_ts
         FROM ${lakeTable}${version} ORDER BY product_id`,
    );
    return rows.map((r) => canonical(r));
}
