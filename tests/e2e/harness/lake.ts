import type { Pool } from "mysql2/promise";
import { expectedSalesByProduct } from "../../../verify/oracle";
import { diffRows, SalesRow } from "../../../verify/rows";
import { lakeSalesByProduct, lakeTable, trinoQuery } from "../../../verify/trino";
import * as path from "path";
import { repoRoot } from "../../../components/versions";
import { MySqlService } from "../services/mysql";
import { RunDir } from "./paths";
import { run, start, Proc } from "./proc";

/** What the e2e and fault suites ask of the lake: equal to the MySQL oracle, and each key once. */

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Polls until `iceberg.demo.sales_by_product`, read through Trino, equals the oracle computed in
 * MySQL (every column of every row); returns how long it took, or fails with the last differences.
 */
export async function converge(o: { oracle: Pool; trinoUrl: string; what: string; timeoutMs: number; log: (m: string) => void }): Promise<{ ms: number; rows: SalesRow[] }> {
    const t0 = Date.now();
    let diffs: string[] = ["not compared yet"];
    let expected: SalesRow[] = [];
    while (Date.now() - t0 < o.timeoutMs) {
        try {
            expected = await expectedSalesByProduct(o.oracle);
            diffs = diffRows(expected, await lakeSalesByProduct(o.trinoUrl));
        } catch (e) {
            diffs = [(e as Error).message];
        }
        if (diffs.length === 0) {
            o.log(`${o.what}: lake equals the oracle (${expected.length} products) after ${secs(Date.now() - t0)}`);
            return { ms: Date.now() - t0, rows: expected };
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`${o.what}: lake differs from the oracle after ${secs(o.timeoutMs)}:\n  ${diffs.slice(0, 20).join("\n  ")}`);
}

/** Rows of the table beyond one per product_id (0 for a correct upsert table). */
export async function duplicateKeys(trinoUrl: string): Promise<number> {
    const [row] = await trinoQuery(trinoUrl, `SELECT count(*) - count(DISTINCT product_id) AS dups FROM ${lakeTable}`);
    return Number(row.dups);
}

/** Settings of the hard profile (generator/hard.ts); unset ones keep the generator's defaults. */
export interface HardGeneratorOptions {
    connections?: number;
    burst?: number;
    bulkRows?: number;
    bulkRatio?: number;
}

/** The generator's environment (generator/main.ts reads only these), against the harness's MySQL. */
export function generatorEnv(mysql: MySqlService, o: { events: number; seed: number; rate?: number; products?: number; hard?: HardGeneratorOptions }): NodeJS.ProcessEnv {
    const hard: NodeJS.ProcessEnv = {};
    if (o.hard) {
        hard.GENERATOR_PROFILE = "hard";
        if (o.hard.connections !== undefined) hard.GENERATOR_CONNECTIONS = String(o.hard.connections);
        if (o.hard.burst !== undefined) hard.GENERATOR_BURST = String(o.hard.burst);
        if (o.hard.bulkRows !== undefined) hard.GENERATOR_BULK_ROWS = String(o.hard.bulkRows);
        if (o.hard.bulkRatio !== undefined) hard.GENERATOR_BULK_RATIO = String(o.hard.bulkRatio);
    }
    return {
        ...hard,
        MYSQL_HOST: mysql.host,
        MYSQL_PORT: String(mysql.port),
        MYSQL_USER: mysql.users.app.name,
        MYSQL_PASSWORD: mysql.users.app.password,
        MYSQL_DATABASE: mysql.databases.app,
        GENERATOR_PRODUCTS: String(o.products ?? 20),
        GENERATOR_SALES_PER_SECOND: String(o.rate ?? 100),
        GENERATOR_UPDATE_RATIO: "0.3",
        GENERATOR_DELETE_RATIO: "0.1",
        GENERATOR_RENAME_RATIO: "0.05",
        GENERATOR_MAX_EVENTS: String(o.events),
        GENERATOR_SEED: String(o.seed),
    };
}

type GeneratorRun = Parameters<typeof generatorEnv>[1];
/** generator/main.ts as its Deployment runs it (ts-node here, compiled in the image). */
const generatorCmd = { cmd: path.join(repoRoot, "node_modules", ".bin", "ts-node"), args: [path.join(repoRoot, "generator", "main.ts")] };

/** Runs the generator to completion; returns its summary's counts per kind of change. */
export async function runGenerator(mysql: MySqlService, runDir: RunDir, name: string, o: GeneratorRun): Promise<Record<string, number>> {
    const r = await run(generatorCmd.cmd, generatorCmd.args, { env: generatorEnv(mysql, o), logFile: path.join(runDir.logs, `${name}.log`), timeoutMs: 5 * 60_000 });
    const m = /stopped after (\d+) changes (\{.*\})/.exec(r.stdout);
    if (!m) throw new Error(`generator printed no summary:\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(m[2]);
}

/** Starts the generator in the background, until stopped or its events are made. */
export function startGenerator(mysql: MySqlService, runDir: RunDir, name: string, o: GeneratorRun): Proc {
    return start({ name, ...generatorCmd, env: generatorEnv(mysql, o), logDir: runDir.logs, stopGraceMs: 10_000 });
}
