import * as crypto from "crypto";
import * as provider from "@pulumi/pulumi/provider";

/**
 * STAND-IN FOR THIS MACHINE ONLY. The deploy rehearsal's `random` resource provider: the module proxy
 * refuses pulumi-random's provider (every version), so the rehearsal cannot build the real one. This
 * implements the two resources the program uses, RandomPassword and RandomString, with the real
 * provider's inputs, its `result` output and its lifecycle (any input change replaces; nothing is
 * regenerated otherwise), so the program runs unchanged. It is put on the engine's PATH as
 * `pulumi-resource-random` by the rehearsal and used nowhere else; users get the real provider.
 * Not implemented: `bcryptHash` (no bcrypt in Node's standard library; the program never reads it).
 */

const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const lower = "abcdefghijklmnopqrstuvwxyz";
const digits = "0123456789";
const defaultSpecial = "!@#$%&*()-_=+[]{}<>:?";

interface RandomInputs {
    length: number;
    upper?: boolean;
    lower?: boolean;
    numeric?: boolean;
    number?: boolean;
    special?: boolean;
    overrideSpecial?: string;
    minUpper?: number;
    minLower?: number;
    minNumeric?: number;
    minSpecial?: number;
    keepers?: Record<string, string>;
}

function pick(set: string): string {
    return set[crypto.randomInt(set.length)];
}

/** A random string honouring the character classes and minimum counts, like the real provider. */
export function generate(i: RandomInputs): string {
    const classes: { set: string; min: number }[] = [];
    if (i.upper !== false) classes.push({ set: upper, min: i.minUpper ?? 0 });
    if (i.lower !== false) classes.push({ set: lower, min: i.minLower ?? 0 });
    if (i.numeric !== false && i.number !== false) classes.push({ set: digits, min: i.minNumeric ?? 0 });
    if (i.special !== false) classes.push({ set: i.overrideSpecial ?? defaultSpecial, min: i.minSpecial ?? 0 });
    const all = classes.map((c) => c.set).join("");
    if (all === "") throw new Error("every character class is disabled");
    const chars = classes.flatMap((c) => Array.from({ length: c.min }, () => pick(c.set)));
    while (chars.length < i.length) chars.push(pick(all));
    for (let k = chars.length - 1; k > 0; k--) {
        const j = crypto.randomInt(k + 1);
        [chars[k], chars[j]] = [chars[j], chars[k]];
    }
    return chars.join("");
}

const supported = new Set(["random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString"]);

/** The resource's own type: a URN's type part is its parents' types and its own, joined by `$`. */
function typeOf(urn: string): string {
    return urn.split("::")[2].split("$").pop() as string;
}

const randomProvider: provider.Provider = {
    // The version the program's @pulumi/random asks the engine for.
    version: (require("@pulumi/random/package.json") as { version: string }).version,

    async check(urn, _olds, news) {
        if (!supported.has(typeOf(urn))) {
            return { failures: [{ property: "", reason: `the rehearsal's stand-in random provider does not implement ${typeOf(urn)}` }] };
        }
        const failures = typeof news.length === "number" && news.length > 0 ? [] : [{ property: "length", reason: "length must be a positive number" }];
        return { inputs: news, failures };
    },

    async diff(_id, _urn, olds, news) {
        const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => k !== "result" && k !== "bcryptHash");
        const changed = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed.length > 0, replaces: changed };
    },

    async create(_urn, inputs) {
        return { id: crypto.randomUUID(), outs: { ...inputs, result: generate(inputs as RandomInputs) } };
    },

    async read(id, _urn, props) {
        return { id, props };
    },

    async delete() {
        // Nothing exists outside the state.
    },
};

if (require.main === module) {
    // The engine hands the provider its address as the first argument and reads the port it prints.
    provider.main(randomProvider, process.argv.slice(2)).catch((e) => {
        process.stderr.write(`random stand-in: ${(e as Error).message}\n`);
        process.exit(1);
    });
}
