import type { Mix } from "./workload";

/**
 * The generator's settings, read from its environment only (see main.ts for the list). Pure, so the
 * unit tests check defaults and limits without a database.
 */

export type Profile = "default" | "hard";
export const profiles: readonly Profile[] = ["default", "hard"];

/** Shares of the hard profile's steps (each from 0 to 1, at most 1 together); the rest follow `Mix`. */
export interface HardRatios {
    txRatio: number;
    rollbackRatio: number;
    bulkRatio: number;
    extremeRatio: number;
    churnRatio: number;
}

export interface Settings {
    mysql: { host: string; port: number; user: string; password: string; database: string };
    products: number;
    rate: number;
    maxEvents: number;
    mix: Mix;
    seed?: number;
    profile: Profile;
    connections: number;
    burst: number;
    hard: HardRatios & { bulkRows: number };
}

/** The hard profile's shares and bulk size when their variables are not set (the default profile ignores them). */
export const hardDefaults: Settings["hard"] = { txRatio: 0.1, rollbackRatio: 0.05, bulkRatio: 0.002, extremeRatio: 0.1, churnRatio: 0.1, bulkRows: 20000 };

export function readSettings(env: NodeJS.ProcessEnv): Settings {
    const str = (name: string, def?: string): string => {
        const value = env[name] ?? def;
        if (value === undefined || value === "") {
            throw new Error(`generator: environment variable ${name} is required`);
        }
        return value;
    };
    const num = (name: string, def: string | number, min: number, max: number): number => {
        const value = Number(str(name, String(def)));
        if (!Number.isFinite(value) || value < min || value > max) {
            throw new Error(`generator: ${name}=${env[name]} must be a number from ${min} to ${max}`);
        }
        return value;
    };
    const int = (name: string, def: number, min: number, max: number): number => {
        const value = num(name, def, min, max);
        if (!Number.isInteger(value)) throw new Error(`generator: ${name}=${env[name]} must be a whole number from ${min} to ${max}`);
        return value;
    };
    const profile = str("GENERATOR_PROFILE", "default");
    if (!(profiles as readonly string[]).includes(profile)) {
        throw new Error(`generator: GENERATOR_PROFILE=${profile} must be one of ${profiles.join(", ")}`);
    }
    const hard = {
        txRatio: num("GENERATOR_TX_RATIO", hardDefaults.txRatio, 0, 1),
        rollbackRatio: num("GENERATOR_ROLLBACK_RATIO", hardDefaults.rollbackRatio, 0, 1),
        bulkRatio: num("GENERATOR_BULK_RATIO", hardDefaults.bulkRatio, 0, 1),
        extremeRatio: num("GENERATOR_EXTREME_RATIO", hardDefaults.extremeRatio, 0, 1),
        churnRatio: num("GENERATOR_CHURN_RATIO", hardDefaults.churnRatio, 0, 1),
        bulkRows: int("GENERATOR_BULK_ROWS", hardDefaults.bulkRows, 1, 1_000_000),
    };
    const hardSum = hard.txRatio + hard.rollbackRatio + hard.bulkRatio + hard.extremeRatio + hard.churnRatio;
    if (profile === "hard" && hardSum > 1) {
        throw new Error(`generator: GENERATOR_TX_RATIO, _ROLLBACK_RATIO, _BULK_RATIO, _EXTREME_RATIO and _CHURN_RATIO add up to ${hardSum}, more than 1`);
    }
    const seed = env.GENERATOR_SEED;
    return {
        mysql: {
            host: str("MYSQL_HOST", "127.0.0.1"),
            port: num("MYSQL_PORT", "3306", 1, 65535),
            user: str("MYSQL_USER"),
            password: str("MYSQL_PASSWORD"),
            database: str("MYSQL_DATABASE", "appdb"),
        },
        products: num("GENERATOR_PRODUCTS", "20", 1, 100000),
        rate: num("GENERATOR_SALES_PER_SECOND", "2", 0.01, 10000),
        maxEvents: num("GENERATOR_MAX_EVENTS", "0", 0, Number.MAX_SAFE_INTEGER),
        mix: {
            updateRatio: num("GENERATOR_UPDATE_RATIO", "0.1", 0, 1),
            deleteRatio: num("GENERATOR_DELETE_RATIO", "0.05", 0, 1),
            renameRatio: num("GENERATOR_RENAME_RATIO", "0.02", 0, 1),
        },
        seed: seed ? Number(seed) : undefined,
        profile: profile as Profile,
        connections: int("GENERATOR_CONNECTIONS", 1, 1, 64),
        burst: int("GENERATOR_BURST", 1, 1, 100000),
        hard,
    };
}
