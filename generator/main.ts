import { createPool } from "mysql2/promise";
import { ChangeKind, rng, Workload } from "./workload";

/**
 * The data generator: seeds products, then writes a steady mix of changes to appdb at a set rate.
 * Configured only by environment variables, so the same code runs in its Deployment and locally
 * against any MySQL (`npm run generator`).
 */

function env(name: string, def?: string): string {
    const value = process.env[name] ?? def;
    if (value === undefined || value === "") {
        throw new Error(`generator: environment variable ${name} is required`);
    }
    return value;
}

function num(name: string, def: string, min: number, max: number): number {
    const value = Number(env(name, def));
    if (!Number.isFinite(value) || value < min || value > max) {
        throw new Error(`generator: ${name}=${process.env[name]} must be a number from ${min} to ${max}`);
    }
    return value;
}

async function main(): Promise<void> {
    const pool = createPool({
        host: env("MYSQL_HOST", "127.0.0.1"),
        port: num("MYSQL_PORT", "3306", 1, 65535),
        user: env("MYSQL_USER"),
        password: env("MYSQL_PASSWORD"),
        database: env("MYSQL_DATABASE", "appdb"),
        connectionLimit: 2,
    });
    const rate = num("GENERATOR_SALES_PER_SECOND", "2", 0.01, 10000);
    const maxEvents = num("GENERATOR_MAX_EVENTS", "0", 0, Number.MAX_SAFE_INTEGER);
    const mix = {
        updateRatio: num("GENERATOR_UPDATE_RATIO", "0.1", 0, 1),
        deleteRatio: num("GENERATOR_DELETE_RATIO", "0.05", 0, 1),
        renameRatio: num("GENERATOR_RENAME_RATIO", "0.02", 0, 1),
    };
    const seed = process.env.GENERATOR_SEED;
    const workload = new Workload(pool, seed ? rng(Number(seed)) : Math.random);
    await workload.seedProducts(num("GENERATOR_PRODUCTS", "20", 1, 100000));

    let stopping = false;
    const stop = () => {
        stopping = true;
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);

    const counts: Partial<Record<ChangeKind, number>> = {};
    const interval = 1000 / rate;
    let events = 0;
    let next = Date.now();
    let lastReport = Date.now();
    while (!stopping && (maxEvents === 0 || events < maxEvents)) {
        const kind = await workload.step(mix);
        counts[kind] = (counts[kind] ?? 0) + 1;
        events++;
        if (Date.now() - lastReport > 10000) {
            console.log(`generator: ${events} changes ${JSON.stringify(counts)}`);
            lastReport = Date.now();
        }
        next += interval;
        const wait = next - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    console.log(`generator: stopped after ${events} changes ${JSON.stringify(counts)}`);
    await pool.end();
}

main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
