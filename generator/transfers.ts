import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { rng } from "./workload";

/**
 * A transactional workload that keeps an invariant: every transaction leaves SUM(qty) and COUNT(*)
 * over appdb.sales exactly as they were, yet touches several rows (and products) on the way. Any
 * reader that sees a state where the invariant does not hold has seen part of a transaction, which is
 * how the transaction-consistency audit (tests/faults/transactions.faults.test.ts) reads the lake.
 *
 * Kinds of transaction, each one MySQL transaction of several statements:
 * - transfer: qty moves from one sale to 1-3 sales of other products (one UPDATE per leg);
 * - swap: 1-3 sales are deleted and as many inserted, on other products, with the same quantities;
 * - move: a new product is created and an existing sale moved onto it. It spans both tables, so it
 *   probes what a job reading products and sales through two CDC sources does with such a transaction.
 */

export interface TransferMix {
    /** Share of swaps (delete + insert); the rest, after moves, are transfers. */
    swapRatio: number;
    /** Share of moves to a new product (touches products and sales). */
    moveRatio: number;
}

export const defaultTransferMix: TransferMix = { swapRatio: 0.2, moveRatio: 0.1 };

export type TransactionKind = "transfer" | "swap" | "move";

export interface Invariant {
    qty: number;
    count: number;
}

export interface TransferStats {
    committed: Record<TransactionKind, number>;
    /** Statements inside committed transactions. */
    statements: number;
    /** Transactions rolled back and tried again (lock wait timeouts, deadlocks). */
    retried: number;
    /** Transactions rolled back and dropped: a picked sale was gone, or had no qty to give. */
    skipped: number;
    elapsedMs: number;
}

/** SUM(qty) and COUNT(*) over all sales: what every transaction of this workload leaves unchanged. */
export async function salesInvariant(pool: Pool): Promise<Invariant> {
    const [rows] = await pool.query<RowDataPacket[]>("SELECT COALESCE(SUM(qty), 0) AS qty, COUNT(*) AS n FROM sales");
    return { qty: Number(rows[0].qty), count: Number(rows[0].n) };
}

interface Sale {
    id: number;
    productId: number;
}

/** MySQL errors after which the whole transaction is simply tried again. */
const retryable = new Set(["ER_LOCK_DEADLOCK", "ER_LOCK_WAIT_TIMEOUT"]);

class Skip extends Error {}

/**
 * The shared picture of which sales exist, so a connection picks rows without a query. Only this
 * workload writes while it runs; a row that is gone anyway (someone else deleted it) makes the
 * transaction skip, never break the invariant.
 */
class SaleBook {
    private sales: Sale[] = [];
    private readonly index = new Map<number, number>();

    load(rows: Sale[]): void {
        this.sales = [];
        this.index.clear();
        rows.forEach((s) => this.add(s));
    }

    add(s: Sale): void {
        this.index.set(s.id, this.sales.length);
        this.sales.push(s);
    }

    remove(id: number): void {
        const i = this.index.get(id);
        if (i === undefined) return;
        const last = this.sales.pop()!;
        this.index.delete(id);
        if (last.id !== id) {
            this.sales[i] = last;
            this.index.set(last.id, i);
        }
    }

    setProduct(id: number, productId: number): void {
        const i = this.index.get(id);
        if (i !== undefined) this.sales[i] = { id, productId };
    }

    get size(): number {
        return this.sales.length;
    }

    /** `n` distinct sales, each of a product none of the others has. */
    pickOnDistinctProducts(n: number, random: () => number): Sale[] {
        const picked: Sale[] = [];
        const products = new Set<number>();
        for (let tries = 0; picked.length < n && tries < n * 20 && this.sales.length > 0; tries++) {
            const s = this.sales[Math.floor(random() * this.sales.length)];
            if (!products.has(s.productId)) {
                picked.push(s);
                products.add(s.productId);
            }
        }
        return picked;
    }
}

export interface TransferOptions {
    /** Pool of the application user on appdb; needs at least `connections` connections. */
    pool: Pool;
    /** Connections writing at once. */
    connections: number;
    /** Committed transactions per second over all connections; 0 = as fast as they go. */
    rate: number;
    seed: number;
    mix?: TransferMix;
    /** Stops when this returns true (checked before every transaction). */
    stopped: () => boolean;
    /** Stops after this many committed transactions (0 = no limit). */
    maxTransactions?: number;
}

/**
 * Runs the transactions on `connections` connections until stopped; resolves with what was done.
 * Each connection draws from its own seeded PRNG so a run is reproducible up to interleaving.
 */
export async function runTransfers(o: TransferOptions): Promise<TransferStats> {
    const mix = o.mix ?? defaultTransferMix;
    const book = new SaleBook();
    const [rows] = await o.pool.query<RowDataPacket[]>("SELECT id, product_id FROM sales");
    book.load(rows.map((r) => ({ id: Number(r.id), productId: Number(r.product_id) })));
    const [products] = await o.pool.query<RowDataPacket[]>("SELECT id FROM products");
    const productIds = products.map((r) => Number(r.id));
    if (book.size < 8 || productIds.length < 4) {
        throw new Error(`transfers need at least 8 sales on 4 products (found ${book.size} sales, ${productIds.length} products)`);
    }

    const stats: TransferStats = { committed: { transfer: 0, swap: 0, move: 0 }, statements: 0, retried: 0, skipped: 0, elapsedMs: 0 };
    const started = Date.now();
    let issued = 0;
    const limit = o.maxTransactions ?? 0;
    const done = () => o.stopped() || (limit > 0 && issued >= limit);
    /** The next slot on the shared schedule, so the rate holds over all connections together. */
    const nextSlot = async (): Promise<boolean> => {
        if (done()) return false;
        const i = issued++;
        if (o.rate > 0) {
            const wait = started + (i * 1000) / o.rate - Date.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        return !o.stopped();
    };

    const worker = async (n: number): Promise<void> => {
        const random = rng(o.seed * 1000 + n);
        const conn = await o.pool.getConnection();
        try {
            while (await nextSlot()) {
                const r = random();
                const kind: TransactionKind = r < mix.moveRatio ? "move" : r < mix.moveRatio + mix.swapRatio ? "swap" : "transfer";
                for (let attempt = 1; ; attempt++) {
                    try {
                        await conn.beginTransaction();
                        const t = await transaction(kind, conn, book, productIds, random);
                        await conn.commit();
                        stats.committed[kind]++;
                        stats.statements += t.statements;
                        t.after.forEach((apply) => apply());
                        break;
                    } catch (e) {
                        await conn.rollback().catch(() => undefined);
                        if (e instanceof Skip) {
                            stats.skipped++;
                            break;
                        }
                        const code = (e as { code?: string }).code;
                        if (code && retryable.has(code) && attempt < 5) {
                            stats.retried++;
                            continue;
                        }
                        throw e;
                    }
                }
            }
        } finally {
            conn.release();
        }
    };
    await Promise.all(Array.from({ length: o.connections }, (_, n) => worker(n)));
    stats.elapsedMs = Date.now() - started;
    return stats;
}

type BookUpdate = () => void;

/**
 * One transaction's statements (the caller begins and commits). Returns how many changed rows and the
 * updates to the shared book, applied only after the commit, so a rolled-back transaction leaves the
 * book as it was.
 */
async function transaction(
    kind: TransactionKind,
    conn: PoolConnection,
    book: SaleBook,
    productIds: number[],
    random: () => number,
): Promise<{ statements: number; after: BookUpdate[] }> {
    const qtyOf = async (ids: number[]): Promise<Map<number, { qty: number; productId: number }>> => {
        // Locks in id order, the same order on every connection, so two transfers wait, not deadlock.
        const [rows] = await conn.query<RowDataPacket[]>("SELECT id, qty, product_id FROM sales WHERE id IN (?) ORDER BY id FOR UPDATE", [ids]);
        const found = new Map(rows.map((r) => [Number(r.id), { qty: Number(r.qty), productId: Number(r.product_id) }]));
        if (found.size !== ids.length) throw new Skip();
        return found;
    };
    const after: BookUpdate[] = [];
    let statements = 0;
    if (kind === "transfer") {
        const legs = 1 + Math.floor(random() * 3);
        const picked = book.pickOnDistinctProducts(legs + 1, random);
        if (picked.length < 2) throw new Skip();
        const locked = await qtyOf(picked.map((s) => s.id));
        const [from, ...to] = picked;
        let available = locked.get(from.id)!.qty - 1;
        if (available < 1) throw new Skip();
        // Debit first, then one credit per leg: a reader that stops between two of these statements
        // sees the total short by what is still in flight.
        const amounts = to.map(() => 0);
        for (let i = 0; i < to.length && available > 0; i++) {
            amounts[i] = 1 + Math.floor(random() * Math.min(available, 5));
            available -= amounts[i];
        }
        const total = amounts.reduce((a, b) => a + b, 0);
        await conn.query("UPDATE sales SET qty = qty - ? WHERE id = ?", [total, from.id]);
        statements++;
        for (let i = 0; i < to.length; i++) {
            if (amounts[i] === 0) continue;
            await conn.query("UPDATE sales SET qty = qty + ? WHERE id = ?", [amounts[i], to[i].id]);
            statements++;
        }
        return { statements, after };
    }
    if (kind === "swap") {
        const n = 1 + Math.floor(random() * 3);
        const picked = book.pickOnDistinctProducts(n, random);
        if (picked.length === 0) throw new Skip();
        const locked = await qtyOf(picked.map((s) => s.id));
        for (const s of picked) {
            await conn.query("DELETE FROM sales WHERE id = ?", [s.id]);
            statements++;
            after.push(() => book.remove(s.id));
        }
        for (const s of picked) {
            // Same quantity on another product, so the count and the quantity stay, revenue moves.
            const others = productIds.filter((p) => p !== s.productId);
            const productId = others[Math.floor(random() * others.length)];
            const price = (1 + random() * 199).toFixed(2);
            const [res] = await conn.query<ResultSetHeader>("INSERT INTO sales (product_id, qty, price) VALUES (?, ?, ?)", [productId, locked.get(s.id)!.qty, price]);
            statements++;
            after.push(() => book.add({ id: res.insertId, productId }));
        }
        return { statements, after };
    }
    // move: the new product first, then the sale onto it; the product only ever has sales once both
    // statements are in, so the lake's inner join shows its row only if it saw the whole transaction.
    const [sale] = book.pickOnDistinctProducts(1, random);
    if (!sale) throw new Skip();
    await qtyOf([sale.id]);
    const tag = `${Date.now().toString(36)}${Math.floor(random() * 1e9).toString(36)}`;
    const [res] = await conn.query<ResultSetHeader>("INSERT INTO products (sku, name, price) VALUES (?, ?, ?)", [`TX-${tag}`, `Transfer product ${tag}`, "9.99"]);
    const productId = res.insertId;
    after.push(() => productIds.push(productId));
    await conn.query("UPDATE sales SET product_id = ? WHERE id = ?", [productId, sale.id]);
    after.push(() => book.setProduct(sale.id, productId));
    return { statements: 2, after };
}
