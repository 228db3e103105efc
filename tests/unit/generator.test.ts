import { chars, edgeNames, edgeTimestamps, fill, formatTimestamp, limitSku, nameLimit, priceEdges, qtyEdges, qtyMax, qtyMin, randomTimestamp, skuLimit } from "../../generator/edges";
import { deriveSeed, hardKinds, hardWeights, KindChooser } from "../../generator/hard";
import { Pacer } from "../../generator/pacer";
import { hardDefaults, readSettings } from "../../generator/settings";
import { rng } from "../../generator/workload";
import { timestamp } from "../../verify/rows";
import { one, runProgram } from "./program";

/** The generator without a database: its settings, the hard profile's values, choices and pacing. */

const minimal = { MYSQL_USER: "app", MYSQL_PASSWORD: "pw" };

describe("settings from the environment", () => {
    test("an environment of the earlier generator gets its behaviour: default profile, one connection, no bursts", () => {
        const s = readSettings({ ...minimal, GENERATOR_SALES_PER_SECOND: "100", GENERATOR_UPDATE_RATIO: "0.3", GENERATOR_SEED: "7" });
        expect(s).toMatchObject({
            mysql: { host: "127.0.0.1", port: 3306, user: "app", password: "pw", database: "appdb" },
            products: 20,
            rate: 100,
            maxEvents: 0,
            mix: { updateRatio: 0.3, deleteRatio: 0.05, renameRatio: 0.02 },
            seed: 7,
            profile: "default",
            connections: 1,
            burst: 1,
            hard: hardDefaults,
        });
        expect(readSettings(minimal).seed).toBeUndefined();
    });

    test("the hard profile and its settings", () => {
        const s = readSettings({ ...minimal, GENERATOR_PROFILE: "hard", GENERATOR_CONNECTIONS: "4", GENERATOR_BURST: "40", GENERATOR_BULK_ROWS: "30000", GENERATOR_TX_RATIO: "0.2" });
        expect(s).toMatchObject({ profile: "hard", connections: 4, burst: 40, hard: { ...hardDefaults, bulkRows: 30000, txRatio: 0.2 } });
    });

    test.each([
        [{}, /MYSQL_USER is required/],
        [{ ...minimal, GENERATOR_PROFILE: "brutal" }, /GENERATOR_PROFILE=brutal must be one of default, hard/],
        [{ ...minimal, GENERATOR_CONNECTIONS: "0" }, /GENERATOR_CONNECTIONS=0 must be a number from 1 to 64/],
        [{ ...minimal, GENERATOR_CONNECTIONS: "1.5" }, /GENERATOR_CONNECTIONS=1.5 must be a whole number/],
        [{ ...minimal, GENERATOR_ROLLBACK_RATIO: "2" }, /GENERATOR_ROLLBACK_RATIO=2 must be a number from 0 to 1/],
        [{ ...minimal, GENERATOR_PROFILE: "hard", GENERATOR_TX_RATIO: "0.6", GENERATOR_CHURN_RATIO: "0.5" }, /add up to .*more than 1/],
        [{ ...minimal, GENERATOR_SALES_PER_SECOND: "0" }, /GENERATOR_SALES_PER_SECOND=0 must be a number from 0.01/],
    ])("refuses %j", (env, message) => {
        expect(() => readSettings(env as NodeJS.ProcessEnv)).toThrow(message);
    });
});

describe("values at the limits", () => {
    test("names fit VARCHAR(255) in characters; some are exactly at the limit, one in 4-byte characters", () => {
        for (const name of edgeNames) expect(chars(name)).toBeLessThanOrEqual(nameLimit);
        const atLimit = edgeNames.filter((n) => chars(n) === nameLimit);
        expect(atLimit.length).toBeGreaterThanOrEqual(3);
        expect(atLimit.some((n) => Buffer.byteLength(n, "utf8") === 4 * nameLimit)).toBe(true);
        const all = edgeNames.join("");
        for (const needed of [/\p{Extended_Pictographic}/u, /\p{Script=Han}/u, /\p{Script=Cyrillic}/u, /\p{Script=Arabic}/u, /'/, /"/, /\\/, /\u0000/]) {
            expect(all).toMatch(needed);
        }
        // No lone surrogate: MySQL would refuse the string.
        for (const name of edgeNames) expect(Buffer.from(name, "utf8").toString("utf8")).toBe(name);
        expect(edgeNames).toContain("");
    });

    test("fill cuts by characters, never inside a surrogate pair", () => {
        expect(fill("😀a", 3)).toBe("😀a😀");
        expect(chars(fill("𠜎", 7))).toBe(7);
    });

    test("a limit sku keeps its unique prefix and has exactly 64 characters", () => {
        const sku = limitSku("HARD-r1-c0-5-");
        expect(sku.startsWith("HARD-r1-c0-5-")).toBe(true);
        expect(chars(sku)).toBe(skuLimit);
        expect(Buffer.from(sku, "utf8").toString("utf8")).toBe(sku);
    });

    test("quantities and prices at their limits keep every sum the pipeline computes in range", () => {
        expect(qtyEdges).toEqual(expect.arrayContaining([qtyMax, qtyMin]));
        expect(qtyMax).toBe(2 ** 31 - 1);
        const maxProduct = BigInt(-qtyMin) * 9999999999n; // |qty * price| in cents
        // Flink: qty * price is DECIMAL(10,0) x DECIMAL(10,2), at least 18 integer digits; then DECIMAL(38,2).
        expect(maxProduct).toBeLessThan(10n ** 20n);
        // A million such sales in one product still fit total_revenue's DECIMAL(38,2) and total_qty's BIGINT.
        expect(maxProduct * 1_000_000n).toBeLessThan(10n ** 38n);
        expect(BigInt(-qtyMin) * 1_000_000n).toBeLessThan(2n ** 63n);
        for (const p of priceEdges) expect(p).toMatch(/^-?\d{1,8}\.\d{2}$/);
    });

    test("timestamps: DATETIME(3)'s range, formatted as MySQL takes them and as the oracle compares them", () => {
        expect(edgeTimestamps).toEqual(expect.arrayContaining(["1000-01-01 00:00:00.000", "9999-12-31 23:59:59.999", "1969-12-31 23:59:59.999"]));
        for (const ts of edgeTimestamps) expect(timestamp(ts)).toBe(ts);
        expect(formatTimestamp(Date.UTC(1000, 0, 1))).toBe("1000-01-01 00:00:00.000");
        expect(formatTimestamp(-1)).toBe("1969-12-31 23:59:59.999");
        expect(() => formatTimestamp(Date.UTC(999, 11, 31, 23, 59, 59, 999))).toThrow(/outside/);
        expect(() => formatTimestamp(Date.UTC(10000, 0, 1))).toThrow(/outside/);
        const random = rng(3);
        const stamps = Array.from({ length: 1000 }, () => randomTimestamp(random));
        expect(stamps.filter((ts) => !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/.test(ts) || ts < "1000-01-01 00:00:00.000" || ts > "9999-12-31 23:59:59.999")).toEqual([]);
        expect(stamps.some((ts) => ts < "1970")).toBe(true);
    });
});

describe("the hard profile's choices", () => {
    const mix = { updateRatio: 0.3, deleteRatio: 0.1, renameRatio: 0.05 };

    test("the weights add up to 1 and follow the configured shares", () => {
        const w = hardWeights(hardDefaults, mix);
        expect(Object.values(w).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(w.rollback).toBe(hardDefaults.rollbackRatio);
        expect(w["bulk-update"]).toBe(hardDefaults.bulkRatio);
        expect(w.tx + w["partial-rollback"]).toBeCloseTo(hardDefaults.txRatio, 12);
        const rest = 1 - (hardDefaults.txRatio + hardDefaults.rollbackRatio + hardDefaults.bulkRatio + hardDefaults.extremeRatio + hardDefaults.churnRatio);
        expect(w.rename).toBeCloseTo(rest * 0.05, 12);
        expect(w.insert).toBeCloseTo(rest * 0.55, 12);
    });

    test("every kind with a share comes first once, in a seeded order; then by weight", () => {
        const w = hardWeights(hardDefaults, mix);
        const chooser = new KindChooser(w, rng(1));
        const tour = hardKinds.map(() => chooser.next());
        expect([...tour].sort()).toEqual([...hardKinds].sort());
        expect(tour).not.toEqual([...hardKinds]);
        const again = new KindChooser(w, rng(1));
        expect(hardKinds.map(() => again.next())).toEqual(tour);
        const seen: Record<string, number> = {};
        for (let i = 0; i < 100_000; i++) {
            const k = chooser.next();
            seen[k] = (seen[k] ?? 0) + 1;
        }
        expect(seen.insert / 100_000).toBeCloseTo(w.insert, 2);
        expect(seen.tx / 100_000).toBeCloseTo(w.tx, 2);
    });

    test("a kind with no share never runs", () => {
        const chooser = new KindChooser(hardWeights({ ...hardDefaults, bulkRatio: 0 }, mix), rng(2));
        const kinds = new Set(Array.from({ length: 10_000 }, () => chooser.next()));
        expect(kinds.has("bulk-update")).toBe(false);
        expect(kinds.size).toBe(hardKinds.length - 1);
    });

    test("each connection gets its own seeds", () => {
        const seeds = new Set([0, 1, 2, 3].flatMap((k) => [deriveSeed(7, k, 0), deriveSeed(7, k, 1)]));
        expect(seeds.size).toBe(8);
        expect(deriveSeed(7, 2, 1)).toBe(deriveSeed(7, 2, 1));
    });
});

describe("pacing", () => {
    test("evenly spaced without bursts, as the single-connection generator was", () => {
        expect([0, 1, 2, 3].map((i) => Pacer.dueAt(i, 100, 1))).toEqual([0, 10, 20, 30]);
    });

    test("bursts release their changes together and keep the average rate", () => {
        expect([0, 1, 2, 3, 4, 5].map((i) => Pacer.dueAt(i, 100, 3))).toEqual([0, 0, 0, 30, 30, 30]);
    });

    test("stops at the budget or when stopped, and counts bursts", async () => {
        let now = 0;
        const waits: number[] = [];
        const pacer = new Pacer({ rate: 10, burst: 2, maxEvents: 5 }, () => now, async (ms) => {
            waits.push(ms);
            now += ms;
        });
        let taken = 0;
        while (await pacer.take(() => false)) taken++;
        expect(taken).toBe(5);
        expect(waits).toEqual([200, 200]);
        expect(pacer.bursts).toBe(3);
        const stopped = new Pacer({ rate: 10, burst: 1, maxEvents: 0 });
        expect(await stopped.take(() => true)).toBe(false);
    });
});

test("the Deployment passes the stack's hard profile settings to the generator", async () => {
    const run = await runProgram({
        "lakehouse:target": "kind",
        "lakehouse:generator": JSON.stringify({ profile: "hard", connections: 4, burst: 40, bulkRows: 30000, txRatio: 0.2, rollbackRatio: 0.1, bulkRatio: 0.01, extremeRatio: 0.15, churnRatio: 0.05 }),
    });
    const c = one(run, "kubernetes:apps/v1:Deployment", "generator").inputs.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: unknown }) => [e.name, e.value]));
    expect(env).toMatchObject({
        GENERATOR_PROFILE: "hard",
        GENERATOR_CONNECTIONS: "4",
        GENERATOR_BURST: "40",
        GENERATOR_BULK_ROWS: "30000",
        GENERATOR_TX_RATIO: "0.2",
        GENERATOR_ROLLBACK_RATIO: "0.1",
        GENERATOR_BULK_RATIO: "0.01",
        GENERATOR_EXTREME_RATIO: "0.15",
        GENERATOR_CHURN_RATIO: "0.05",
    });
    // What the Deployment renders, the generator accepts.
    expect(readSettings({ ...env, MYSQL_PASSWORD: "pw" } as NodeJS.ProcessEnv)).toMatchObject({ profile: "hard", connections: 4, burst: 40 });
});
