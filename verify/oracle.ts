import type { Pool, RowDataPacket } from "mysql2/promise";
import { canonical, SalesRow } from "./rows";

/**
 * The oracle: `sales_by_product` computed directly in MySQL from the same tables the job reads.
 * Inner join, as the job's: a product without sales has no row.
 */
export const oracleSql = `
SELECT p.id AS product_id, p.sku AS product_sku, p.name AS product_name,
       SUM(s.qty) AS total_qty, SUM(s.qty * s.price) AS total_revenue,
       COUNT(*) AS sale_count, MAX(s.sale_ts) AS last_sale_ts
FROM appdb.sales s JOIN appdb.products p ON p.id = s.product_id
GROUP BY p.id, p.sku, p.name
ORDER BY p.id`;

/** The pool must be created with `dateStrings: true` so DATETIME values are not shifted by a time zone. */
export async function expectedSalesByProduct(pool: Pool): Promise<SalesRow[]> {
    const [rows] = await pool.query<RowDataPacket[]>(oracleSql);
    return rows.map((r) => canonical(r));
}
