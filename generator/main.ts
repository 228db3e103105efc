import { createPool } from "mysql2/promise";
import { deriveSeed, HardRun, HardWorker } from "./hard";
import { Pacer } from "./pacer";
import { readSettings } from "./settings";
import { rng, Workload } from "./workload";

/**
 * The data generator: seeds products, then writes a steady mix of changes to appdb at a set rate.
 * Configured only by environment variables, so the same code runs in its Deployment and locally
 * against any MySQL (`npm run generator`):
 *
 *   MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DATABASE   where to write (as the app user)
 *   GENERATOR_PRODUCTS            products PRD-0001... made if missing (20)
 *   GENERATOR_SALES_PER_SECOND    average changes per second, over all connections (2)
 *   GENERATOR_MAX_EVENTS          stop after this many changes; 0 runs until SIGTERM (0)
 *   GENERATOR_UPDATE_RATIO, GENERATOR_DELETE_RATIO, GENERATOR_RENAME_RATIO   the default mix (0.1, 0.05, 0.02)
 *   GENERATOR_SEED                makes each connection's choices reproducible (unset: random)
 *   GENERATOR_CONNECTIONS         connections writing at once (1)
 *   GENERATOR_BURST               changes released at once, then a pause as long as they would have
 *                                 taken at the rate, so the connections' writes coincide (1: evenly spaced)
 *   GENERATOR_PROFILE             `default`: the mix above, one statement per change; `hard`: see hard.ts
 *   hard profile only, shares of its steps (at most 1 together; the rest follow the default mix):
 *   GENERATOR_TX_RATIO            multi-statement transactions, committed or partly rolled back to a savepoint (0.1)
 *   GENERATOR_ROLLBACK_RATIO      transactions rolled back after every kind of write (0.05)
 *   GENERATOR_BULK_RATIO          single UPDATEs of GENERATOR_BULK_ROWS sales (0.002; rows 20000)
 *   GENERATOR_EXTREME_RATIO       names, quantities, prices and timestamps at the columns' limits (0.1)
 *   GENERATOR_CHURN_RATIO         products made and deleted, a product's sales all deleted, a sale moved again and again (0.1)
 *
 * Prints `generator: stopped after N changes {counts}` at the end: N steps, counted by kind (the hard
 * profile adds edge-products, bulk-insert, bulk-insert-rows, bulk-update-rows, retry and burst, which
 * are not steps).
 */

async function main(): Promise<void> {
    const s = readSettings(process.env);
    const pool = createPool({ ...s.mysql, connectionLimit: Math.max(2, s.connections + 1) });
    const seed = s.seed;
    const first = new Workload(pool, seed !== undefined ? rng(seed) : Math.random);
    await first.seedProducts(s.products);

    let stopping = false;
    const stop = () => {
        stopping = true;
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);

    const counts: Record<string, number> = {};
    let hard: HardRun | undefined;
    const pacer = new Pacer({ rate: s.rate, burst: s.burst, maxEvents: s.maxEvents });
    let events = 0;
    let lastReport = Date.now();
    const summary = (): Record<string, number> => ({ ...counts, ...(hard?.counts ?? {}), ...(pacer.bursts ? { burst: pacer.bursts } : {}) });
    const done = () => {
        events++;
        if (Date.now() - lastReport > 10000) {
            console.log(`generator: ${events} changes ${JSON.stringify(summary())}`);
            lastReport = Date.now();
        }
    };

    const loops: Promise<void>[] = [];
    if (s.profile === "hard") {
        hard = await HardRun.prepare(pool, s.hard, s.mix);
        const base = seed ?? Math.floor(Math.random() * 2 ** 32);
        console.log(`generator: hard profile, run ${hard.run}, ${s.connections} connections, ${hard.pinned.length} edge products`);
        for (let k = 0; k < s.connections; k++) {
            const conn = await pool.getConnection();
            const worker = new HardWorker(hard, conn, k, rng(deriveSeed(base, k, 0)), rng(deriveSeed(base, k, 1)));
            loops.push(
                (async () => {
                    try {
                        while (await pacer.take(() => stopping)) {
                            await worker.step();
                            done();
                        }
                    } finally {
                        conn.release();
                    }
                })(),
            );
        }
    } else {
        for (let k = 0; k < s.connections; k++) {
            // Connection 0 keeps the single-connection generator's seed, so its sequence is unchanged.
            const workload = k === 0 ? first : new Workload(pool, seed !== undefined ? rng(deriveSeed(seed, k, 0)) : Math.random);
            if (k > 0) await workload.loadProducts();
            loops.push(
                (async () => {
                    while (await pacer.take(() => stopping)) {
                        const kind = await workload.step(s.mix);
                        counts[kind] = (counts[kind] ?? 0) + 1;
                        done();
                    }
                })(),
            );
        }
    }
    await Promise.all(loops);
    console.log(`generator: stopped after ${events} changes ${JSON.stringify(summary())}`);
    await pool.end();
}

main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
