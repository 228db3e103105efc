import type { Pool, ResultSetHeader, RowDataPacket } from "mysql2/promise";

/**
 * The application's write pattern, in the spirit of the seed's inserter but with every kind of
 * change CDC must handle: sale inserts, updates of quantity, price or product, deletes, and
 * product renames. Used by the generator Deployment and by the end-to-end tests.
 */

export interface Mix {
    updateRatio: number;
    deleteRatio: number;
    renameRatio: number;
}

export type ChangeKind = "insert" | "update-qty" | "update-price" | "update-product" | "delete" | "rename";

/** Small deterministic PRNG (mulberry32), so a seeded run is reproducible. */
export function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export class Workload {
    private productIds: number[] = [];

    constructor(
        private readonly pool: Pool,
        private readonly random: () => number = Math.random,
    ) {}

    /** Makes sure `count` products exist (sku PRD-0001...), keeping any that already do. */
    async seedProducts(count: number): Promise<void> {
        const rows: [string, string, string][] = [];
        for (let i = 1; i <= count; i++) {
            const sku = `PRD-${String(i).padStart(4, "0")}`;
            rows.push([sku, `Product ${i}`, (5 + ((i * 7.31) % 95)).toFixed(2)]);
        }
        await this.pool.query("INSERT IGNORE INTO products (sku, name, price) VALUES ?", [rows]);
        await this.loadProducts();
    }

    async loadProducts(): Promise<void> {
        const [rows] = await this.pool.query<RowDataPacket[]>("SELECT id FROM products ORDER BY id");
        this.productIds = rows.map((r) => Number(r.id));
        if (this.productIds.length === 0) {
            throw new Error("no products: run seedProducts first");
        }
    }

    private pick<T>(items: T[]): T {
        return items[Math.floor(this.random() * items.length)];
    }

    private qty(): number {
        return 1 + Math.floor(this.random() * 10);
    }

    private price(): string {
        return (1 + this.random() * 199).toFixed(2);
    }

    /** Inserts `count` sales in batches (for a snapshot that exists before the job starts). */
    async insertSales(count: number, batch = 500): Promise<void> {
        for (let done = 0; done < count; done += batch) {
            const rows = [];
            for (let i = 0; i < Math.min(batch, count - done); i++) {
                rows.push([this.pick(this.productIds), this.qty(), this.price()]);
            }
            await this.pool.query("INSERT INTO sales (product_id, qty, price) VALUES ?", [rows]);
        }
    }

    /** A random existing sale id, or undefined when there are none. */
    private async randomSaleId(): Promise<number | undefined> {
        const [bounds] = await this.pool.query<RowDataPacket[]>("SELECT MIN(id) AS lo, MAX(id) AS hi FROM sales");
        const lo = bounds[0]?.lo;
        const hi = bounds[0]?.hi;
        if (lo === null || lo === undefined) return undefined;
        const probe = Number(lo) + Math.floor(this.random() * (Number(hi) - Number(lo) + 1));
        const [rows] = await this.pool.query<RowDataPacket[]>("SELECT id FROM sales WHERE id >= ? ORDER BY id LIMIT 1", [probe]);
        return rows.length ? Number(rows[0].id) : undefined;
    }

    /** One change, chosen by the mix; returns what it did (an update or delete with no sale falls back to insert). */
    async step(mix: Mix): Promise<ChangeKind> {
        const r = this.random();
        if (r < mix.renameRatio) {
            const id = this.pick(this.productIds);
            await this.pool.query("UPDATE products SET name = CONCAT('Product ', id, ' rev ', ?) WHERE id = ?", [Math.floor(this.random() * 1e6), id]);
            return "rename";
        }
        if (r < mix.renameRatio + mix.deleteRatio) {
            const id = await this.randomSaleId();
            if (id !== undefined) {
                await this.pool.query("DELETE FROM sales WHERE id = ?", [id]);
                return "delete";
            }
        } else if (r < mix.renameRatio + mix.deleteRatio + mix.updateRatio) {
            const id = await this.randomSaleId();
            if (id !== undefined) {
                const which = this.random();
                if (which < 1 / 3) {
                    await this.pool.query("UPDATE sales SET qty = ? WHERE id = ?", [this.qty(), id]);
                    return "update-qty";
                }
                if (which < 2 / 3) {
                    await this.pool.query("UPDATE sales SET price = ? WHERE id = ?", [this.price(), id]);
                    return "update-price";
                }
                await this.pool.query("UPDATE sales SET product_id = ? WHERE id = ?", [this.pick(this.productIds), id]);
                return "update-product";
            }
        }
        await this.pool.query<ResultSetHeader>("INSERT INTO sales (product_id, qty, price) VALUES (?, ?, ?)", [
            this.pick(this.productIds),
            this.qty(),
            this.price(),
        ]);
        return "insert";
    }
}
