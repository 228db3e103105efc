import type { Pool, RowDataPacket } from "mysql2/promise";
import { lakeTable, trinoQuery } from "./trino";

/**
 * Freshness: the time from a MySQL commit to its effect being visible through Trino. Each probe
 * inserts one sale for a product and polls Trino until that product's sale_count includes it.
 */

export interface FreshnessOptions {
    pool: Pool;
    trinoUrl: string;
    productId: number;
    probes: number;
    /** Per probe. */
    timeoutMs: number;
    pollMs?: number;
}

export async function probeFreshness(o: FreshnessOptions): Promise<number[]> {
    const latencies: number[] = [];
    for (let i = 0; i < o.probes; i++) {
        await o.pool.query("INSERT INTO sales (product_id, qty, price) VALUES (?, 1, 1.00)", [o.productId]);
        const committed = Date.now();
        const [rows] = await o.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM sales WHERE product_id = ?", [o.productId]);
        const expected = Number(rows[0].n);
        for (;;) {
            const seen = await trinoQuery(o.trinoUrl, `SELECT sale_count FROM ${lakeTable} WHERE product_id = ${Number(o.productId)}`);
            if (seen.length && Number(seen[0].sale_count) >= expected) break;
            if (Date.now() - committed > o.timeoutMs) {
                throw new Error(`probe ${i + 1}: sale_count ${expected} of product ${o.productId} not visible after ${o.timeoutMs} ms`);
            }
            await new Promise((r) => setTimeout(r, o.pollMs ?? 100));
        }
        latencies.push(Date.now() - committed);
    }
    return latencies;
}

/** The p-th percentile (nearest rank) of some measurements. */
export function percentile(values: number[], p: number): number {
    if (values.length === 0) throw new Error("no values");
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
