/**
 * `sales_by_product` rows in one canonical form, so MySQL's and Trino's answers compare exactly:
 * decimals as fixed-point strings, counts as integer strings, timestamps to the millisecond.
 */

export interface SalesRow {
    product_id: string;
    product_sku: string;
    product_name: string;
    total_qty: string;
    total_revenue: string;
    sale_count: string;
    last_sale_ts: string;
}

export const columns: (keyof SalesRow)[] = ["product_id", "product_sku", "product_name", "total_qty", "total_revenue", "sale_count", "last_sale_ts"];

function integer(v: unknown): string {
    const s = String(v);
    if (!/^-?\d+$/.test(s)) throw new Error(`not an integer: ${s}`);
    return BigInt(s).toString();
}

/** Fixed point with exactly `scale` decimals, without going through floating point. */
export function decimal(v: unknown, scale = 2): string {
    const s = String(v).trim();
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
    if (!m) throw new Error(`not a decimal: ${s}`);
    const frac = (m[3] ?? "").padEnd(scale, "0");
    if (/[1-9]/.test(frac.slice(scale))) throw new Error(`decimal ${s} has more than ${scale} significant decimals`);
    return `${m[1]}${BigInt(m[2]).toString()}.${frac.slice(0, scale)}`;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` from MySQL's DATETIME(3) string or Trino's timestamp(6) string. */
export function timestamp(v: unknown): string {
    const s = String(v).replace("T", " ");
    const m = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d+))?/.exec(s);
    if (!m) throw new Error(`not a timestamp: ${s}`);
    return `${m[1]}.${(m[2] ?? "").padEnd(3, "0").slice(0, 3)}`;
}

export function canonical(r: Record<string, unknown>): SalesRow {
    return {
        product_id: integer(r.product_id),
        product_sku: String(r.product_sku),
        product_name: String(r.product_name),
        total_qty: integer(r.total_qty),
        total_revenue: decimal(r.total_revenue),
        sale_count: integer(r.sale_count),
        last_sale_ts: timestamp(r.last_sale_ts),
    };
}

/** Every difference between two result sets, keyed by product; empty when they are equal. */
export function diffRows(expected: SalesRow[], actual: SalesRow[]): string[] {
    const diffs: string[] = [];
    const exp = new Map(expected.map((r) => [r.product_id, r]));
    const act = new Map(actual.map((r) => [r.product_id, r]));
    if (act.size !== actual.length) diffs.push(`lake has duplicate product_id rows (${actual.length} rows, ${act.size} keys)`);
    for (const [id, e] of exp) {
        const a = act.get(id);
        if (!a) {
            diffs.push(`product ${id}: missing in the lake`);
            continue;
        }
        for (const c of columns) {
            if (e[c] !== a[c]) diffs.push(`product ${id}: ${c} expected ${e[c]} got ${a[c]}`);
        }
    }
    for (const id of act.keys()) {
        if (!exp.has(id)) diffs.push(`product ${id}: in the lake but not in MySQL`);
    }
    return diffs;
}
