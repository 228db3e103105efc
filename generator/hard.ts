import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { edgeNames, edgeTimestamps, limitSku, priceEdges, qtyEdges, randomTimestamp } from "./edges";
import type { HardRatios } from "./settings";
import type { Mix } from "./workload";

/**
 * The hard profile: what a real application does to appdb that the default mix does not, from
 * several connections at once. Multi-statement transactions (committed, rolled back, or partly rolled
 * back to a savepoint), products created and deleted, every sale of a product deleted, a sale moved
 * between products again and again, values at the columns' limits, and UPDATEs of tens of thousands
 * of rows in one statement.
 *
 * The foreign key sales.product_id -> products.id must never refuse a change, whatever the
 * interleaving: products are deleted only by the connection that created them, in this run, and no
 * other connection ever adds a sale to them. Seeded products (PRD-*) and the run's edge products are
 * never deleted, so other tests keep theirs.
 */

/** Every product the hard profile creates has a sku starting with this, then `r<run>-`. */
export const ownSkuPrefix = "HARD-";

export const hardKinds = [
    "insert",
    "update-qty",
    "update-price",
    "update-product",
    "delete",
    "rename",
    "tx",
    "partial-rollback",
    "rollback",
    "bulk-update",
    "product-insert",
    "product-delete",
    "clear-product",
    "move-repeatedly",
    "extreme-name",
    "extreme-value",
    "extreme-ts",
] as const;
export type HardKind = (typeof hardKinds)[number];

/**
 * Counters besides the kinds of steps, in the same summary: edge products made at the start, bulk
 * INSERTs (made when a bulk UPDATE lacks rows) and the rows bulk statements touched, and steps
 * retried after a deadlock or lock wait timeout.
 */
export type HardCounter = HardKind | "edge-products" | "bulk-insert" | "bulk-insert-rows" | "bulk-update-rows" | "retry";

/** Probability of each kind of step; zero-weight kinds never run. */
export function hardWeights(r: HardRatios, mix: Mix): Record<HardKind, number> {
    const rest = Math.max(0, 1 - (r.txRatio + r.rollbackRatio + r.bulkRatio + r.extremeRatio + r.churnRatio));
    // The rest follows the default profile's mix, which gives each ratio only what the earlier ones left.
    let left = 1;
    const take = (x: number) => {
        const t = Math.min(x, left);
        left -= t;
        return t;
    };
    const rename = take(mix.renameRatio);
    const del = take(mix.deleteRatio);
    const update = take(mix.updateRatio);
    return {
        insert: rest * left,
        "update-qty": (rest * update) / 3,
        "update-price": (rest * update) / 3,
        "update-product": (rest * update) / 3,
        delete: rest * del,
        rename: rest * rename,
        tx: (r.txRatio * 2) / 3,
        "partial-rollback": r.txRatio / 3,
        rollback: r.rollbackRatio,
        "bulk-update": r.bulkRatio,
        "product-insert": r.churnRatio * 0.35,
        "product-delete": r.churnRatio * 0.25,
        "clear-product": r.churnRatio * 0.15,
        "move-repeatedly": r.churnRatio * 0.25,
        "extreme-name": r.extremeRatio / 3,
        "extreme-value": r.extremeRatio / 3,
        "extreme-ts": r.extremeRatio / 3,
    };
}

/**
 * Chooses kinds: first every kind with a weight once, in a shuffled order (so even a short run covers
 * them all), then by weight.
 */
export class KindChooser {
    private readonly tour: HardKind[];
    private readonly weighted: [HardKind, number][];
    private readonly total: number;

    constructor(
        weights: Record<HardKind, number>,
        private readonly random: () => number,
    ) {
        this.weighted = hardKinds.filter((k) => weights[k] > 0).map((k) => [k, weights[k]]);
        this.total = this.weighted.reduce((s, [, w]) => s + w, 0);
        if (this.total <= 0) throw new Error("generator: every kind of change has a zero share");
        this.tour = this.weighted.map(([k]) => k);
        for (let i = this.tour.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [this.tour[i], this.tour[j]] = [this.tour[j], this.tour[i]];
        }
    }

    next(): HardKind {
        const toured = this.tour.shift();
        if (toured) return toured;
        let r = this.random() * this.total;
        for (const [k, w] of this.weighted) {
            if (r < w) return k;
            r -= w;
        }
        return this.weighted[this.weighted.length - 1][0];
    }
}

/** A seed for connection `k`'s stream `stream`, so each connection's choices are reproducible on their own. */
export function deriveSeed(seed: number, k: number, stream: number): number {
    return (seed ^ Math.imul(k + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
}

const retryable = new Set([1213 /* ER_LOCK_DEADLOCK */, 1205 /* ER_LOCK_WAIT_TIMEOUT */]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the run's connections share: the products they may use, the counters and a lock for bulk inserts. */
export class HardRun {
    readonly counts: Partial<Record<HardCounter, number>> = {};
    private bulkQueue: Promise<unknown> = Promise.resolve();

    private constructor(
        readonly run: number,
        readonly seeded: number[],
        readonly pinned: number[],
        readonly o: HardRatios & { bulkRows: number },
        readonly weights: Record<HardKind, number>,
    ) {}

    count(what: HardCounter, n = 1): void {
        this.counts[what] = (this.counts[what] ?? 0) + n;
    }

    /** Runs `fn` after every earlier caller's `fn` has finished. */
    exclusive<T>(fn: () => Promise<T>): Promise<T> {
        const result = this.bulkQueue.then(fn);
        this.bulkQueue = result.catch(() => undefined);
        return result;
    }

    /**
     * Finds the seeded products (they must exist) and makes this run's edge products: names, skus,
     * quantities, prices and timestamps at the limits, each product with sales of one timestamp so
     * the lake's last_sale_ts shows it. No step changes their sales, so they stay as witnesses.
     */
    static async prepare(pool: Pool, o: HardRatios & { bulkRows: number }, mix: Mix): Promise<HardRun> {
        const [skus] = await pool.query<RowDataPacket[]>("SELECT sku FROM products WHERE sku LIKE ?", [`${ownSkuPrefix}r%`]);
        const runs = skus.map((r) => Number(new RegExp(`^${ownSkuPrefix}r(\\d+)-`).exec(String(r.sku))?.[1] ?? 0));
        const run = Math.max(0, ...runs) + 1;
        const [seededRows] = await pool.query<RowDataPacket[]>("SELECT id FROM products WHERE sku LIKE 'PRD-%' ORDER BY id");
        const seeded = seededRows.map((r) => Number(r.id));
        if (seeded.length === 0) throw new Error("generator: no seeded products (PRD-*)");
        const pinned: number[] = [];
        const conn = await pool.getConnection();
        try {
            const count = Math.max(edgeNames.length, edgeTimestamps.length);
            for (let i = 0; i < count; i++) {
                const base = `${ownSkuPrefix}r${run}-edge-${i}`;
                const sku = i % 2 ? limitSku(`${base}-`) : base;
                await conn.beginTransaction();
                const [p] = await conn.query<ResultSetHeader>("INSERT INTO products (sku, name, price) VALUES (?, ?, ?)", [sku, edgeNames[i % edgeNames.length], priceEdges[i % priceEdges.length]]);
                const ts = edgeTimestamps[i % edgeTimestamps.length];
                await conn.query("INSERT INTO sales (product_id, qty, price, sale_ts) VALUES ?", [
                    [
                        [p.insertId, qtyEdges[i % qtyEdges.length], priceEdges[i % priceEdges.length], ts],
                        [p.insertId, qtyEdges[(i + 1) % qtyEdges.length], priceEdges[(i + 2) % priceEdges.length], ts],
                    ],
                ]);
                await conn.commit();
                pinned.push(p.insertId);
            }
        } catch (e) {
            await conn.rollback().catch(() => undefined);
            throw e;
        } finally {
            conn.release();
        }
        const shared = new HardRun(run, seeded, pinned, o, hardWeights(o, mix));
        shared.count("edge-products", pinned.length);
        return shared;
    }
}

interface Sale {
    id: number;
    productId: number;
}

/** One connection of the hard profile. */
export class HardWorker {
    /** Products this connection created and has not deleted: only it adds sales to them or deletes them. */
    private readonly own: number[] = [];
    private made = 0;
    private readonly chooser: KindChooser;

    constructor(
        private readonly shared: HardRun,
        private readonly conn: PoolConnection,
        private readonly k: number,
        kindRandom: () => number,
        private readonly random: () => number,
    ) {
        this.chooser = new KindChooser(shared.weights, kindRandom);
    }

    /** One step of the next kind; deadlocks and lock wait timeouts roll back and run it again. */
    async step(): Promise<HardKind> {
        const kind = this.chooser.next();
        for (let attempt = 1; ; attempt++) {
            try {
                const done = await this.run(kind);
                this.shared.count(done);
                return done;
            } catch (e) {
                await this.conn.query("ROLLBACK").catch(() => undefined);
                if (!retryable.has((e as { errno?: number }).errno ?? 0) || attempt >= 20) throw e;
                this.shared.count("retry");
                await sleep(5 + this.random() * 20 * attempt);
            }
        }
    }

    private q<T extends RowDataPacket[] | ResultSetHeader>(sql: string, values?: unknown[]): Promise<T> {
        return this.conn.query<T>(sql, values).then(([rows]) => rows);
    }

    private pick<T>(items: readonly T[]): T {
        return items[Math.floor(this.random() * items.length)];
    }

    private chance(p: number): boolean {
        return this.random() < p;
    }

    private int(lo: number, hi: number): number {
        return lo + Math.floor(this.random() * (hi - lo + 1));
    }

    private qty(): number {
        return this.int(1, 10);
    }

    private price(): string {
        return (1 + this.random() * 199).toFixed(2);
    }

    /** A product a new or moved sale may go to: seeded, or one of this connection's own. */
    private target(): number {
        return this.own.length && this.chance(0.3) ? this.pick(this.own) : this.pick(this.shared.seeded);
    }

    private nextSku(tag = ""): string {
        const base = `${ownSkuPrefix}r${this.shared.run}-c${this.k}-${tag}${this.made++}`;
        return this.chance(0.25) ? limitSku(`${base}-`) : base;
    }

    private productName(): string {
        return this.chance(0.4) ? this.pick(edgeNames) : `Hard r${this.shared.run} c${this.k} #${this.made}`;
    }

    /** A random sale that is not an edge product's, or undefined when there is none. */
    private async randomSale(): Promise<Sale | undefined> {
        const [b] = await this.q<RowDataPacket[]>("SELECT MIN(id) AS lo, MAX(id) AS hi FROM sales");
        if (b?.lo === null || b?.lo === undefined) return undefined;
        const probe = this.int(Number(b.lo), Number(b.hi));
        const pinned = this.shared.pinned.length ? this.shared.pinned : [0];
        for (const sql of [
            "SELECT id, product_id FROM sales WHERE id >= ? AND product_id NOT IN (?) ORDER BY id LIMIT 1",
            "SELECT id, product_id FROM sales WHERE id < ? AND product_id NOT IN (?) ORDER BY id DESC LIMIT 1",
        ]) {
            const rows = await this.q<RowDataPacket[]>(sql, [probe, pinned]);
            if (rows.length) return { id: Number(rows[0].id), productId: Number(rows[0].product_id) };
        }
        return undefined;
    }

    private async insertSale(productId: number, qty: number = this.qty(), price: string = this.price(), ts?: string): Promise<number> {
        const r = ts
            ? await this.q<ResultSetHeader>("INSERT INTO sales (product_id, qty, price, sale_ts) VALUES (?, ?, ?, ?)", [productId, qty, price, ts])
            : await this.q<ResultSetHeader>("INSERT INTO sales (product_id, qty, price) VALUES (?, ?, ?)", [productId, qty, price]);
        return r.insertId;
    }

    private async insertProduct(sku: string, name: string, price: string): Promise<number> {
        const r = await this.q<ResultSetHeader>("INSERT INTO products (sku, name, price) VALUES (?, ?, ?)", [sku, name, price]);
        return r.insertId;
    }

    private rename(productId: number, name?: string): Promise<ResultSetHeader> {
        return name === undefined
            ? this.q<ResultSetHeader>("UPDATE products SET name = CONCAT('Product ', id, ' rev ', ?) WHERE id = ?", [this.int(0, 999999), productId])
            : this.q<ResultSetHeader>("UPDATE products SET name = ? WHERE id = ?", [name, productId]);
    }

    /** Does `kind` and returns what it did (a kind that needs a sale or an own product falls back to making one). */
    private async run(kind: HardKind): Promise<HardKind> {
        switch (kind) {
            case "insert":
                await this.insertSale(this.target());
                return "insert";
            case "update-qty":
            case "update-price":
            case "update-product":
            case "delete":
                return this.changeSale(kind);
            case "rename":
                await this.rename(this.target());
                return "rename";
            case "tx":
                return this.transaction();
            case "partial-rollback":
                return this.partialRollback();
            case "rollback":
                return this.rollback();
            case "bulk-update":
                return this.bulkUpdate();
            case "product-insert":
                return this.productInsert();
            case "product-delete":
                return this.productDelete();
            case "clear-product":
                return this.clearProduct();
            case "move-repeatedly":
                return this.moveRepeatedly();
            case "extreme-name":
                return this.extremeName();
            case "extreme-value":
                return this.extremeValue();
            case "extreme-ts":
                return this.extremeTs();
        }
    }

    private async changeSale(kind: "update-qty" | "update-price" | "update-product" | "delete"): Promise<HardKind> {
        const sale = await this.randomSale();
        if (!sale) {
            await this.insertSale(this.target());
            return "insert";
        }
        if (kind === "update-qty") await this.q("UPDATE sales SET qty = ? WHERE id = ?", [this.qty(), sale.id]);
        if (kind === "update-price") await this.q("UPDATE sales SET price = ? WHERE id = ?", [this.price(), sale.id]);
        if (kind === "update-product") await this.q("UPDATE sales SET product_id = ? WHERE id = ?", [this.target(), sale.id]);
        if (kind === "delete") await this.q("DELETE FROM sales WHERE id = ?", [sale.id]);
        return kind;
    }

    /** Several sales, an update and a product change in one commit. */
    private async transaction(): Promise<HardKind> {
        await this.conn.beginTransaction();
        const n = this.int(2, 5);
        for (let i = 0; i < n; i++) {
            if (this.chance(0.2)) await this.insertSale(this.target(), this.pick(qtyEdges), this.pick(priceEdges));
            else await this.insertSale(this.target());
        }
        const sale = await this.randomSale();
        if (sale) await this.q("UPDATE sales SET qty = ? WHERE id = ?", [this.qty(), sale.id]);
        const product = this.target();
        await this.rename(product, this.chance(0.3) ? this.pick(edgeNames) : undefined);
        if (this.chance(0.5)) await this.q("UPDATE products SET price = ? WHERE id = ?", [this.price(), product]);
        await this.conn.commit();
        return "tx";
    }

    /** A commit whose middle part was rolled back to a savepoint: only the rest may reach the lake. */
    private async partialRollback(): Promise<HardKind> {
        await this.conn.beginTransaction();
        const kept = await this.insertSale(this.target());
        await this.q("SAVEPOINT before_undo");
        await this.insertSale(this.target(), this.pick(qtyEdges), this.pick(priceEdges));
        await this.rename(this.target(), this.pick(edgeNames));
        const sale = await this.randomSale();
        if (sale) await this.q("DELETE FROM sales WHERE id = ?", [sale.id]);
        await this.q("ROLLBACK TO SAVEPOINT before_undo");
        await this.q("UPDATE sales SET price = ? WHERE id = ?", [this.price(), kept]);
        await this.conn.commit();
        return "partial-rollback";
    }

    /** Every kind of write, then ROLLBACK: none of it may reach the lake. */
    private async rollback(): Promise<HardKind> {
        await this.conn.beginTransaction();
        const n = this.int(2, 4);
        for (let i = 0; i < n; i++) await this.insertSale(this.target());
        const moved = await this.randomSale();
        if (moved) await this.q("UPDATE sales SET product_id = ?, qty = ? WHERE id = ?", [this.target(), this.pick(qtyEdges), moved.id]);
        const deleted = await this.randomSale();
        if (deleted) await this.q("DELETE FROM sales WHERE id = ?", [deleted.id]);
        const product = await this.insertProduct(this.nextSku("rb"), this.productName(), this.price());
        await this.insertSale(product, this.qty(), this.price(), this.pick(edgeTimestamps));
        await this.rename(this.pick(this.shared.seeded), this.pick(edgeNames));
        await this.conn.rollback();
        return "rollback";
    }

    /**
     * One UPDATE of up to bulkRows consecutive sales of the seeded products (inserting that many in one
     * statement first when there are too few): a new price, qty + 1, a move to one product, or a new
     * timestamp. Only seeded products' sales, so edge products keep theirs and own products lose none
     * to a move they did not make.
     */
    private async bulkUpdate(): Promise<HardKind> {
        const rows = this.shared.o.bulkRows;
        const seeded = this.shared.seeded;
        const available = await this.shared.exclusive(async () => {
            const [c] = await this.q<RowDataPacket[]>("SELECT COUNT(*) AS n FROM sales WHERE product_id IN (?)", [seeded]);
            const n = Number(c.n);
            if (n >= rows) return n;
            const add = rows - n + Math.ceil(rows / 4);
            const values: [number, number, string][] = [];
            for (let i = 0; i < add; i++) values.push([this.pick(seeded), this.qty(), this.price()]);
            const r = await this.q<ResultSetHeader>("INSERT INTO sales (product_id, qty, price) VALUES ?", [values]);
            this.shared.count("bulk-insert");
            this.shared.count("bulk-insert-rows", r.affectedRows);
            return n + r.affectedRows;
        });
        const offset = this.int(0, Math.max(0, available - rows));
        const [first] = await this.q<RowDataPacket[]>("SELECT id FROM sales WHERE product_id IN (?) ORDER BY id LIMIT 1 OFFSET ?", [seeded, offset]);
        const from = first ? Number(first.id) : 0;
        const where = "WHERE product_id IN (?) AND id >= ?";
        let r: ResultSetHeader;
        switch (this.int(0, 3)) {
            case 0:
                r = await this.q<ResultSetHeader>(`UPDATE sales SET price = ? ${where} ORDER BY id LIMIT ?`, [this.price(), seeded, from, rows]);
                break;
            case 1:
                // Quantities near the INT limits stay out, so the statement cannot overflow.
                r = await this.q<ResultSetHeader>(`UPDATE sales SET qty = qty + 1 ${where} AND qty BETWEEN -1000000000 AND 1000000000 ORDER BY id LIMIT ?`, [seeded, from, rows]);
                break;
            case 2:
                r = await this.q<ResultSetHeader>(`UPDATE sales SET product_id = ? ${where} ORDER BY id LIMIT ?`, [this.pick(seeded), seeded, from, rows]);
                break;
            default:
                r = await this.q<ResultSetHeader>(`UPDATE sales SET sale_ts = ? ${where} ORDER BY id LIMIT ?`, [
                    this.chance(0.5) ? this.pick(edgeTimestamps) : randomTimestamp(this.random),
                    seeded,
                    from,
                    rows,
                ]);
        }
        this.shared.count("bulk-update-rows", r.affectedRows);
        return "bulk-update";
    }

    /** A new product of this connection, usually with a few sales (alone or in the product's commit). */
    private async productInsert(): Promise<HardKind> {
        const sku = this.nextSku();
        const name = this.productName();
        const price = this.chance(0.2) ? this.pick(priceEdges) : this.price();
        const sales = this.chance(0.2) ? 0 : this.int(1, 3);
        const together = this.chance(0.5);
        if (together) await this.conn.beginTransaction();
        const id = await this.insertProduct(sku, name, price);
        if (!together) this.own.push(id);
        for (let i = 0; i < sales; i++) await this.insertSale(id);
        if (together) {
            await this.conn.commit();
            this.own.push(id);
        }
        return "product-insert";
    }

    /**
     * Deletes one of this connection's products with all its sales: in one commit, or the sales first
     * and the product in a later commit, sometimes just after editing it (an edit and a delete of one
     * product then reach the job together); or makes a product, sells, and deletes both in one commit.
     */
    private async productDelete(): Promise<HardKind> {
        if (this.chance(0.15)) {
            await this.conn.beginTransaction();
            const id = await this.insertProduct(this.nextSku("t"), this.productName(), this.price());
            const sale = await this.insertSale(id);
            await this.insertSale(id, this.pick(qtyEdges), this.pick(priceEdges));
            await this.q("UPDATE sales SET qty = ? WHERE id = ?", [this.qty(), sale]);
            await this.q("DELETE FROM sales WHERE product_id = ?", [id]);
            await this.q("DELETE FROM products WHERE id = ?", [id]);
            await this.conn.commit();
            return "product-delete";
        }
        if (this.own.length === 0) return this.productInsert();
        const i = Math.floor(this.random() * this.own.length);
        const id = this.own[i];
        if (this.chance(0.3)) await this.rename(id, this.pick(edgeNames));
        const oneCommit = this.chance(0.5);
        if (oneCommit) await this.conn.beginTransaction();
        await this.q("DELETE FROM sales WHERE product_id = ?", [id]);
        await this.q("DELETE FROM products WHERE id = ?", [id]);
        if (oneCommit) await this.conn.commit();
        this.own.splice(i, 1);
        return "product-delete";
    }

    /** Every sale of one product, in one statement; the product stays and may sell again later. */
    private async clearProduct(): Promise<HardKind> {
        const id = this.own.length && this.chance(0.67) ? this.pick(this.own) : this.pick(this.shared.seeded);
        await this.q("DELETE FROM sales WHERE product_id = ?", [id]);
        return "clear-product";
    }

    /** One sale moved from product to product 3 to 8 times (sometimes back to where it began), each move its own commit or all in one. */
    private async moveRepeatedly(): Promise<HardKind> {
        const sale = await this.randomSale();
        if (!sale) {
            await this.insertSale(this.target());
            return "insert";
        }
        const moves = this.int(3, 8);
        const oneCommit = this.chance(0.5);
        const home = this.chance(0.3) && this.shared.seeded.includes(sale.productId) ? sale.productId : undefined;
        if (oneCommit) await this.conn.beginTransaction();
        for (let i = 0; i < moves; i++) {
            const to = i === moves - 1 && home !== undefined ? home : this.target();
            await this.q("UPDATE sales SET product_id = ? WHERE id = ?", [to, sale.id]);
        }
        if (oneCommit) await this.conn.commit();
        return "move-repeatedly";
    }

    /** A product renamed to an edge name; an own product may get a sku at the column's limit too. */
    private async extremeName(): Promise<HardKind> {
        if (this.own.length && this.chance(0.3)) {
            await this.q("UPDATE products SET name = ?, sku = ? WHERE id = ?", [this.pick(edgeNames), limitSku(`${ownSkuPrefix}r${this.shared.run}-c${this.k}-s${this.made++}-`), this.pick(this.own)]);
        } else {
            await this.rename(this.pick(this.shared.seeded), this.pick(edgeNames));
        }
        return "extreme-name";
    }

    /** A sale with quantity and price at their limits, new or by update. */
    private async extremeValue(): Promise<HardKind> {
        const qty = this.pick(qtyEdges);
        const price = this.pick(priceEdges);
        const sale = this.chance(0.5) ? await this.randomSale() : undefined;
        if (sale) await this.q("UPDATE sales SET qty = ?, price = ? WHERE id = ?", [qty, price, sale.id]);
        else await this.insertSale(this.target(), qty, price);
        return "extreme-value";
    }

    /**
     * A timestamp at DATETIME's edges or anywhere in its range: a new sale, an updated one, or a new
     * product whose every sale has it (so its last_sale_ts may be far in the past).
     */
    private async extremeTs(): Promise<HardKind> {
        const ts = this.chance(0.5) ? this.pick(edgeTimestamps) : randomTimestamp(this.random);
        const r = this.random();
        if (r < 0.4) {
            await this.insertSale(this.target(), this.qty(), this.price(), ts);
            return "extreme-ts";
        }
        if (r < 0.7) {
            const sale = await this.randomSale();
            if (sale) {
                await this.q("UPDATE sales SET sale_ts = ? WHERE id = ?", [ts, sale.id]);
                return "extreme-ts";
            }
        }
        await this.conn.beginTransaction();
        const id = await this.insertProduct(this.nextSku(), this.productName(), this.price());
        const n = this.int(1, 2);
        for (let i = 0; i < n; i++) await this.insertSale(id, this.qty(), this.price(), ts);
        await this.conn.commit();
        this.own.push(id);
        return "extreme-ts";
    }
}
